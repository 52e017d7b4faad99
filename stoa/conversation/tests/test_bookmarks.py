"""A learner's bookmarks page: the comments they saved, in every course, and taking them off."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.comments import services
from stoa.conversation.models import Bookmark, Comment
from stoa.conversation.moderation import services as moderation
from stoa.conversation.people import selectors
from stoa.learning import services as learning
from stoa.testing import expect_queries, make_comment, make_course, step_of

pytestmark = pytest.mark.django_db

BOOKMARKS = reverse("people:bookmarks")


def remove_url(comment: Comment) -> str:
    return reverse("people:remove_bookmark", args=[comment.pk])


def post(author, course, text, *, parent=None, position=2) -> Comment:
    return services.post_comment(
        author=author,
        step=step_of(course, 1, position),
        run=course.runs.get(),
        text=text,
        parent=parent,
    )


def save(user, comment, *, minutes_ago: int = 0) -> None:
    services.toggle_bookmark(user=user, comment=comment)
    moment = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    Bookmark.objects.filter(user=user, comment=comment).update(created_at=moment)


def test_visitors_are_sent_to_sign_in(client):
    for response in (client.get(BOOKMARKS), client.post(BOOKMARKS + "1/remove/")):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:signin"))


def test_lists_what_i_saved_in_every_course_the_last_saved_first(
    client, course, enrolled, learner, other_learner
):
    other_course = make_course("second-course", title="Charts That Lie")
    learning.enrol(user=learner, course=other_course)
    learning.enrol(user=other_learner, course=other_course)
    thread = post(other_learner, course, "The axis starts at 40.")
    reply = post(other_learner, course, "A reply *worth* keeping.", parent=thread)
    elsewhere = post(other_learner, other_course, "From another course.", position=3)
    post(other_learner, course, "Never saved.")
    save(learner, thread, minutes_ago=30)
    save(learner, elsewhere, minutes_ago=20)
    save(learner, reply, minutes_ago=10)
    save(other_learner, post(learner, course, "Saved by someone else."))

    client.force_login(learner)
    content = client.get(BOOKMARKS).content.decode()
    assert (
        content.index("A reply <em>worth</em> keeping.")
        < content.index("From another course.")
        < content.index("The axis starts at 40.")
    )
    assert "Never saved." not in content and "Saved by someone else." not in content
    assert "Reply by Robin Other" in content and "Charts That Lie" in content
    thread_url = reverse("comments:comment", args=[course.slug, 1, 2, thread.pk])
    assert f'href="{thread_url}"' in content
    assert "10\xa0minutes ago" in content


def test_a_hidden_or_deleted_comment_shows_what_became_of_it(
    client, course, enrolled, learner, other_learner, educator
):
    hidden = post(other_learner, course, "Rude words here.")
    deleted = post(other_learner, course, "Changed my mind.")
    save(learner, hidden)
    save(learner, deleted)
    save(other_learner, hidden)  # its author saved it too, while it could still be saved
    moderation.hide_comment(moderator=educator, comment=hidden, reason="Rude.")
    services.delete_comment(comment=deleted, user=other_learner)
    client.force_login(learner)
    content = client.get(BOOKMARKS).content.decode()
    assert "Rude words here." not in content and "The course team hid this comment." in content
    assert "This comment was deleted by its author." in content
    # Their author still reads their own hidden comment, as on the step page.
    client.force_login(other_learner)
    assert "Rude words here." in client.get(BOOKMARKS).content.decode()


def test_removing_a_bookmark_takes_it_off_once_and_only_mine(
    client, course, enrolled, learner, other_learner
):
    comment = post(other_learner, course, "Keep this.")
    save(learner, comment)
    mine = post(other_learner, course, "Theirs to keep.")
    save(other_learner, mine)
    client.force_login(learner)
    response = client.post(remove_url(comment), follow=True)
    assert response.redirect_chain[-1][0] == BOOKMARKS
    assert "Removed from your bookmarks." in response.content.decode()
    assert "No bookmarks yet." in response.content.decode()
    client.post(remove_url(comment))  # a double submit changes nothing more
    comment.refresh_from_db()
    assert comment.bookmark_count == 0
    client.post(remove_url(mine))  # someone else's bookmark stays
    mine.refresh_from_db()
    assert mine.bookmark_count == 1 and Bookmark.objects.filter(user=other_learner).exists()
    assert client.get(remove_url(comment)).status_code == 405


def test_pages_go_back_in_time_without_repeating_and_removing_stays_on_the_page(
    client, course, enrolled, learner, other_learner
):
    # Written directly: posting 30 through the service would meet the posting limit.
    comments = [make_comment(other_learner, course, f"Saved number {n}.") for n in range(30)]
    for n, comment in enumerate(comments):
        save(learner, comment, minutes_ago=n)
    client.force_login(learner)
    first = client.get(BOOKMARKS).content.decode()
    assert first.count('class="profile-comment saved-comment"') == selectors.PAGE_SIZE
    cursor = selectors.saved_comments(user=learner).next_cursor
    second = client.get(f"{BOOKMARKS}?after={cursor}").content.decode()
    assert second.count('class="profile-comment saved-comment"') == 30 - selectors.PAGE_SIZE
    assert "Saved number 24." in first and "Saved number 25." in second
    assert "Saved number 25." not in first
    response = client.post(remove_url(comments[26]), {"after": str(cursor)})
    assert response["Location"] == f"{BOOKMARKS}?after={cursor}"


@pytest.mark.parametrize("count", [3, 60])
def test_the_page_runs_the_same_queries_however_many_bookmarks(
    client, course, enrolled, learner, other_learner, django_assert_num_queries, count
):
    for n in range(count):  # written directly: posting through the service is rate limited
        save(learner, make_comment(other_learner, course, f"Saved number {n}."))
    client.force_login(learner)
    client.get(BOOKMARKS)
    # The session (when sessions live in the database), the user, the bookmarks with their
    # comments, steps and courses, the learner's runs and which of the page's comments they
    # may still read (the header's unread count is kept on the user).
    expect_queries(client, django_assert_num_queries, BOOKMARKS, 5)
