"""Public profiles: name, bio, comments from shared courses, privacy, following."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.models import Comment, Follow
from stoa.learning import services as learning
from stoa.learning.models import Enrolment
from stoa.lib.markdown import render_comment_markdown
from stoa.testing import expect_queries, make_comment, make_user, step_of

pytestmark = pytest.mark.django_db


def profile_url(user):
    return reverse("people:profile", args=[user.pk])


@pytest.fixture
def together(course, other_learner, enrolled):
    """Both learners on the course's run; Robin has commented."""
    return make_comment(other_learner, course, "Medians *beat* means here.")


def many_comments(author, course, count):
    now = timezone.now()
    run, step = course.runs.get(), step_of(course, 1, 2)
    Comment.objects.bulk_create(
        Comment(
            run=run,
            step=step,
            author=author,
            body=f"Comment {i}",
            body_html=render_comment_markdown(f"Comment {i}"),
            created_at=now - datetime.timedelta(minutes=count - i),
        )
        for i in range(count)
    )


def test_visitor_is_sent_to_sign_in(client, other_learner):
    for response in (
        client.get(profile_url(other_learner)),
        client.post(reverse("people:follow", args=[other_learner.pk])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:signin"))
    assert not Follow.objects.exists()


def test_unknown_and_closed_accounts_are_not_found(client, learner, other_learner):
    other_learner.is_active = False
    other_learner.save()
    client.force_login(learner)

    assert client.get(profile_url(other_learner)).status_code == 404
    assert client.get(reverse("people:profile", args=[999999])).status_code == 404


def test_a_learner_sees_the_name_bio_and_comments_of_a_classmate(
    client, course, learner, other_learner, together
):
    other_learner.bio = "Nurse & statistician."
    other_learner.save()
    make_comment(other_learner, course, "Hidden one", hidden_at=timezone.now())
    make_comment(other_learner, course, "Deleted one", deleted_at=timezone.now())
    client.force_login(learner)

    text = client.get(profile_url(other_learner)).text

    assert "<h1>Robin Other</h1>" in text
    assert "Nurse &amp; statistician." in text
    assert "Medians <em>beat</em> means here." in text
    assert f'href="/courses/reading-data/steps/1.2/#comment-{together.pk}"' in text
    assert "Hidden one" not in text
    assert "Deleted one" not in text


def test_a_learner_with_no_shared_course_sees_no_comments(client, course, learner, other_learner):
    learning.enrol(user=other_learner, course=course)
    make_comment(other_learner, course, "Only for classmates")
    client.force_login(learner)

    text = client.get(profile_url(other_learner)).text

    assert "Robin Other" in text
    assert "Only for classmates" not in text
    assert "No comments to show." in text


def test_leaving_the_course_stops_sharing_it(client, course, learner, other_learner, together):
    Enrolment.objects.filter(user=learner).update(left_at=timezone.now())
    client.force_login(learner)

    assert "Medians" not in client.get(profile_url(other_learner)).text


def test_the_course_team_sees_their_learners_comments_and_no_one_elses(
    client, course, other_learner, educator, other_course_educator, together
):
    client.force_login(educator)
    assert "Medians" in client.get(profile_url(other_learner)).text

    client.force_login(other_course_educator)
    assert "Medians" not in client.get(profile_url(other_learner)).text


def test_a_learner_sees_an_educators_comments_in_their_course(
    client, course, learner, educator, together
):
    make_comment(educator, course, "Welcome, everyone.")
    client.force_login(learner)

    assert "Welcome, everyone." in client.get(profile_url(educator)).text


def test_comments_kept_private_are_not_listed(client, course, learner, other_learner, together):
    other_learner.show_comments_on_profile = False
    other_learner.save()
    client.force_login(learner)

    text = client.get(profile_url(other_learner)).text

    assert "Robin Other keeps their comments private." in text
    assert "Medians" not in text


def test_people_see_their_own_private_comments(client, course, other_learner, together):
    other_learner.show_comments_on_profile = False
    other_learner.save()
    client.force_login(other_learner)

    text = client.get(profile_url(other_learner)).text

    assert "Your comments are private: only you see this list." in text
    assert "Medians" in text
    assert "Follow" not in text
    assert reverse("accounts:profile") in text


def test_profile_comments_page_through_keyset_cursors(
    client, course, learner, other_learner, together
):
    many_comments(other_learner, course, 30)
    client.force_login(learner)

    first = client.get(profile_url(other_learner))
    second = client.get(profile_url(other_learner), {"before": first.context["page"].next_cursor})

    assert len(first.context["page"].items) == 25
    assert len(second.context["page"].items) == 6
    seen = {c.pk for c in first.context["page"].items + second.context["page"].items}
    assert len(seen) == 31
    assert "Older comments" in first.text


@pytest.mark.parametrize("count", [1, 60])
def test_profile_queries_do_not_grow_with_comments(
    client, course, learner, other_learner, together, django_assert_num_queries, count
):
    many_comments(other_learner, course, count)
    client.force_login(learner)

    # session, user, the person, following?, the runs whose comments the viewer may read, one
    # page of comments
    response = expect_queries(client, django_assert_num_queries, profile_url(other_learner), 6)

    assert len(response.context["page"].items) == min(count + 1, 25)


# --- following ---


def test_following_and_unfollowing_from_a_profile(client, learner, other_learner):
    client.force_login(learner)
    follow_url = reverse("people:follow", args=[other_learner.pk])
    unfollow_url = reverse("people:unfollow", args=[other_learner.pk])

    response = client.post(follow_url, follow=True)
    client.post(follow_url)  # a double submit changes nothing

    assert "You follow Robin Other" in response.text
    assert "Unfollow<span" in response.text
    assert Follow.objects.filter(follower=learner, followed=other_learner).count() == 1

    response = client.post(unfollow_url, follow=True)
    client.post(unfollow_url)

    assert "You no longer follow Robin Other." in response.text
    assert not Follow.objects.exists()


def test_following_needs_a_post_and_nobody_follows_themselves(client, learner):
    client.force_login(learner)

    assert client.get(reverse("people:follow", args=[learner.pk])).status_code == 405
    response = client.post(reverse("people:follow", args=[learner.pk]))

    assert response.status_code == 302
    assert not Follow.objects.exists()


# --- the settings on the profile page ---


def test_privacy_and_digest_settings_are_saved_from_the_profile_page(client, learner):
    client.force_login(learner)
    url = reverse("accounts:profile")

    page = client.get(url).text
    assert 'name="show_comments_on_profile" aria-describedby' in page
    assert "Email me a daily digest" in page

    client.post(url, {"display_name": "Lee", "bio": "", "daily_digest": "on"})

    learner.refresh_from_db()
    assert (learner.show_comments_on_profile, learner.daily_digest) == (False, True)
    client.post(url, {"display_name": "Lee", "bio": "", "show_comments_on_profile": "on"})
    learner.refresh_from_db()
    assert (learner.show_comments_on_profile, learner.daily_digest) == (True, False)


def test_new_accounts_show_comments_and_get_no_digest():
    user = make_user("new@example.org")
    assert (user.show_comments_on_profile, user.daily_digest) == (True, False)
