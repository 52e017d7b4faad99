"""The conversation beside a step: reading, posting, replying, likes, bookmarks, follows,
filters, editing and deleting, and what hidden comments look like to whom."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.limits import Limit
from stoa.accounts.models import User
from stoa.conversation.comments import services
from stoa.conversation.models import Bookmark, Comment, Follow, Like, Notification
from stoa.courses.models import Course, CourseTeamMember, TeamRole
from stoa.learning import services as learning
from stoa.testing import HTMX, comments_url, make_course, make_follow, make_user, step_of, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, learner, enrolled):
    """Both learners on the course; the client signed in as the first."""
    client.force_login(learner)


def post_comment_as(
    author: User,
    course: Course,
    text: str = "The axis starts at 40, not 0.",
    *,
    week: int = 1,
    position: int = 2,
    parent: Comment | None = None,
    **fields,
) -> Comment:
    """A comment posted through the service, in the course's first run, as the form posts it
    (so within the posting limit and the rules), with any fields then written over it."""
    comment = services.post_comment(
        author=author,
        step=step_of(course, week, position),
        run=course.runs.earliest("pk"),
        text=text,
        parent=parent,
    )
    if fields:
        Comment.objects.filter(pk=comment.pk).update(**fields)
        comment.refresh_from_db()
    return comment


def page(client, course: Course, query: str = "", **kwargs) -> str:
    response = client.get(step_url(course, **kwargs) + query)
    assert response.status_code == 200
    return response.content.decode()


def conversation_of(content: str) -> str:
    """The conversation section of a step page."""
    start = content.index('<section class="conversation')
    return content[start : content.index("</section>", start)]


# --- reading ---


def test_every_type_of_step_but_tests_and_peer_reviews_has_a_conversation(client, learner):
    course = make_course("all-types", run_started_days_ago=14)
    learning.enrol(user=learner, course=course)
    client.force_login(learner)
    for week in (1, 2, 3):
        for position in (1, 2, 3):
            content = page(client, course, week=week, position=position)
            step = step_of(course, week, position)
            if step.type in {"test", "peer-review"}:  # no spoilers beside them
                assert 'id="conversation"' not in content, f"step {week}.{position}"
                continue
            assert 'id="conversation"' in content, f"step {week}.{position}"
            assert "Post comment" in content


def test_a_discussion_step_invites_people_to_join_the_discussion(client, course, signed_in):
    discussion = conversation_of(page(client, course, position=3))
    assert "Join the discussion" in discussion
    assert "<details" not in discussion  # the composer is open, not behind "Add a comment"
    article = conversation_of(page(client, course, position=2))
    assert "Join the discussion" not in article
    assert "Add a comment" in article


def test_visitor_reads_the_conversation_and_is_invited_to_join(client, course, other_learner):
    learning.enrol(user=other_learner, course=course)
    post_comment_as(other_learner, course, "Visible to *everyone*")
    conversation = conversation_of(page(client, course))
    assert "Visible to <em>everyone</em>" in conversation
    assert "Join the course to take part" in conversation
    assert "<form" not in conversation
    assert ">Like<" not in conversation


def test_a_learner_who_has_not_joined_reads_but_cannot_take_part(
    client, course, learner, other_learner
):
    learning.enrol(user=other_learner, course=course)
    post_comment_as(other_learner, course, "Hello there")
    client.force_login(learner)
    conversation = conversation_of(page(client, course))
    assert "Hello there" in conversation
    assert "Join the course to take part" in conversation
    assert "Post comment" not in conversation
    assert "Bookmark" not in conversation


def test_a_week_not_open_yet_has_no_conversation(client, course, signed_in):
    content = page(client, course, week=2, position=1)
    assert 'id="conversation"' not in content


def test_a_course_without_an_open_run_has_no_conversation(client, learner):
    course = make_course("closed", run_started_days_ago=None)
    content = page(client, course)
    assert 'id="conversation"' not in content
    client.force_login(learner)
    assert client.post(comments_url("post", course), {"body": "Hi"}).status_code == 404


def test_comments_belong_to_their_step(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course, "On step 1.2")
    assert "On step 1.2" not in page(client, course, position=1)
    assert client.get(comments_url("comment", course, comment.pk, position=1)).status_code == 404
    assert client.get(comments_url("comment", course, comment.pk)).status_code == 200


def test_each_run_has_its_own_conversation(
    client, course, signed_in, other_learner, other_run_learner
):
    post_comment_as(other_learner, course, "From the first run")
    client.force_login(other_run_learner)
    assert "From the first run" not in page(client, course)


# --- posting ---


def test_a_learner_posts_a_comment_in_markdown(client, course, signed_in, learner):
    text = "**Bold** claim, with [a source](https://example.org/data)"
    response = client.post(comments_url("post", course), {"body": text, "submission_token": "t1"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{step_url(course)}#comment-{comment.pk}"
    assert (comment.author, comment.run, comment.step) == (
        learner,
        course.runs.get(),
        step_of(course, 1, 2),
    )
    assert comment.team_role == ""
    assert "<strong>Bold</strong>" in comment.body_html
    assert 'rel="nofollow noopener noreferrer ugc"' in comment.body_html
    content = client.get(response["Location"]).content.decode()
    assert "Comment posted." in content
    assert "<strong>Bold</strong> claim" in conversation_of(content)


def test_the_course_team_posts_with_their_role_badge(client, course, educator):
    client.force_login(educator)
    client.post(comments_url("post", course), {"body": "Welcome, everyone."})
    comment = Comment.objects.get()
    assert comment.team_role == TeamRole.LEAD_EDUCATOR
    conversation = conversation_of(page(client, course))
    assert '<span class="badge badge--team">Lead educator</span>' in conversation


@pytest.mark.parametrize(
    ("role", "label"),
    [(TeamRole.EDUCATOR, "Educator"), (TeamRole.MENTOR, "Mentor"), (TeamRole.HOST, "Host")],
)
def test_each_team_role_has_its_badge(client, course, learner, role, label):
    mentor = make_user("mo@example.org", name="Mo Mentor")
    CourseTeamMember.objects.create(course=course, position=2, name="Mo", role=role, user=mentor)
    post_comment_as(mentor, course, "Good question.")
    assert f'<span class="badge badge--team">{label}</span>' in conversation_of(
        page(client, course)
    )


def test_a_visitor_posting_is_sent_to_sign_in(client, course):
    response = client.post(comments_url("post", course), {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert not Comment.objects.exists()


def test_a_learner_who_has_not_joined_cannot_post(client, course, learner):
    client.force_login(learner)
    response = client.post(comments_url("post", course), {"body": "Hi"})
    assert response.status_code == 403
    assert "Join this course to take part in the conversation." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_learner_of_another_course_cannot_post_here(client, course, learner):
    other = make_course("other-course", title="Another Course")
    learning.enrol(user=learner, course=other)
    client.force_login(learner)
    assert client.post(comments_url("post", course), {"body": "Hi"}).status_code == 403
    assert not Comment.objects.exists()


def test_posting_on_a_week_not_open_yet_is_refused(client, course, signed_in):
    response = client.post(comments_url("post", course, week=2, position=1), {"body": "Early"})
    assert response.status_code == 403
    assert "opens on" in response.content.decode()
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused_with_a_reason(client, course, signed_in):
    response = client.post(comments_url("post", course), {"body": "   \n "})
    assert response.status_code == 400
    assert "Write something before posting." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_and_what_was_typed_is_kept(client, course, signed_in):
    text = "Long thoughts." * 358  # 5,012 characters
    response = client.post(comments_url("post", course), {"body": text, "submission_token": "t"})
    content = response.content.decode()
    assert response.status_code == 400
    assert "Comments can be up to 5,000 characters; this one has 5012." in content
    assert text in content
    assert 'value="t"' in content  # the same form, so a retry is still one submission
    assert not Comment.objects.exists()


def test_with_htmx_a_refused_comment_comes_back_in_place_with_its_text(client, course, signed_in):
    text = "x" * 5001
    response = client.post(comments_url("post", course), {"body": text}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200  # htmx swaps successful responses only
    assert content.lstrip().startswith('<form class="composer"')
    assert text in content
    assert "up to 5,000 characters" in content


def test_with_htmx_posting_returns_an_empty_composer_and_the_new_comment(client, course, signed_in):
    response = client.post(comments_url("post", course), {"body": "Fresh *thought*"}, headers=HTMX)
    content = response.content.decode()
    comment = Comment.objects.get()
    assert '<form class="composer"' in content
    assert 'hx-swap-oob="afterbegin:#comment-list"' in content
    assert f'id="thread-{comment.pk}"' in content
    assert "Fresh <em>thought</em>" in content
    assert "Comment posted." in content
    assert "Fresh *thought*" not in content  # the composer is empty again


def test_a_double_submit_stores_one_comment(client, course, signed_in):
    data = {"body": "Only once, please.", "submission_token": "same-form"}
    first = client.post(comments_url("post", course), data)
    second = client.post(comments_url("post", course), data)
    assert Comment.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_double_submit_of_a_reply_stores_one_reply(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course)
    data = {"body": "Agreed.", "submission_token": "reply-form"}
    client.post(comments_url("reply", course, comment.pk), data)
    client.post(comments_url("reply", course, comment.pk), data)
    assert comment.replies.count() == 1
    comment.refresh_from_db()
    assert comment.reply_count == 1


def test_the_service_returns_the_first_comment_for_a_repeated_token(course, learner):
    learning.enrol(user=learner, course=course)
    kwargs = {
        "author": learner,
        "step": step_of(course, 1, 2),
        "run": course.runs.get(),
        "text": "Once",
        "submission_token": "tok",
    }
    assert services.post_comment(**kwargs) == services.post_comment(**kwargs)
    assert Comment.objects.count() == 1


def test_posting_is_rate_limited_per_minute_and_nothing_typed_is_lost(client, course, signed_in):
    for number in range(10):
        client.post(comments_url("post", course), {"body": f"Comment {number}"})
    response = client.post(comments_url("post", course), {"body": "One too many"})
    content = response.content.decode()
    assert response.status_code == 429
    assert "You have posted 10 comments in a minute" in content
    assert "One too many" in content
    assert int(response["Retry-After"]) > 0
    assert Comment.objects.count() == 10


def test_posting_is_rate_limited_per_day(client, course, signed_in, monkeypatch):
    monkeypatch.setattr(services, "POSTS_PER_DAY", Limit("comment-day", 2, 24 * 60 * 60))
    for number in range(2):
        client.post(comments_url("post", course), {"body": f"Comment {number}"})
    response = client.post(
        comments_url("reply", course, Comment.objects.first().pk), {"body": "More"}
    )
    assert response.status_code == 429
    assert "2 comments in a day" in response.content.decode()
    assert "More" in response.content.decode()


def test_the_rate_limit_is_per_person(client, course, signed_in, other_learner):
    for number in range(10):
        client.post(comments_url("post", course), {"body": f"Comment {number}"})
    client.force_login(other_learner)
    assert client.post(comments_url("post", course), {"body": "My first"}).status_code == 302


# --- replies ---


def test_replies_show_under_their_comment_oldest_first_with_a_count(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(learner, course, "What do you think?")
    client.force_login(other_learner)
    client.post(comments_url("reply", course, comment.pk), {"body": "First reply"})
    client.post(comments_url("reply", course, comment.pk), {"body": "Second reply"})
    comment.refresh_from_db()
    assert comment.reply_count == 2
    conversation = conversation_of(page(client, course))
    assert "2 replies" in conversation
    assert conversation.index("What do you think?") < conversation.index("First reply")
    assert conversation.index("First reply") < conversation.index("Second reply")


def test_a_reply_to_a_reply_joins_the_thread(client, course, signed_in, learner, other_learner):
    comment = post_comment_as(learner, course)
    reply = post_comment_as(other_learner, course, "A reply", parent=comment)
    response = client.post(
        comments_url("reply", course, reply.pk), {"body": "A reply to the reply"}
    )
    latest = Comment.objects.latest("pk")
    assert latest.parent == comment
    assert (
        response["Location"] == f"{comments_url('comment', course, comment.pk)}#comment-{latest.pk}"
    )
    comment.refresh_from_db()
    assert comment.reply_count == 2


def test_a_reply_notifies_the_comments_author(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course)
    client.post(comments_url("reply", course, comment.pk), {"body": "Good point"})
    notification = Notification.objects.get(recipient=other_learner)
    assert notification.kind == Notification.Kind.REPLY
    assert notification.comment == Comment.objects.latest("pk")


def test_a_reply_to_a_reply_notifies_the_thread_and_the_reply_authors(
    client, course, signed_in, learner, other_learner
):
    starter = make_user("sam@example.org", name="Sam Starter")
    learning.enrol(user=starter, course=course)
    comment = post_comment_as(starter, course)
    reply = post_comment_as(other_learner, course, "First reply", parent=comment)
    Notification.objects.all().delete()
    client.post(comments_url("reply", course, reply.pk), {"body": "Answering Robin"})
    told = set(Notification.objects.values_list("recipient_id", "kind"))
    assert told == {(starter.pk, "reply"), (other_learner.pk, "reply")}


def test_followers_hear_of_a_new_comment_once_it_is_posted(
    client, course, signed_in, learner, other_learner, django_capture_on_commit_callbacks
):
    make_follow(other_learner, learner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(comments_url("post", course), {"body": "News"})
    notification = Notification.objects.get(recipient=other_learner)
    assert notification.kind == Notification.Kind.FOLLOWED_COMMENT
    assert notification.comment == Comment.objects.get()


def test_the_first_replies_show_and_the_rest_are_a_link_away(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(learner, course)
    for number in range(1, 6):
        post_comment_as(other_learner, course, f"Reply number {number}", parent=comment)
    conversation = conversation_of(page(client, course))
    assert "Reply number 3" in conversation and "Reply number 4" not in conversation
    assert "Show all 5 replies" in conversation
    everything = client.get(
        comments_url("replies", course, comment.pk), headers=HTMX
    ).content.decode()
    assert all(f"Reply number {n}" in everything for n in range(1, 6))
    assert everything.lstrip().startswith(f'<ol class="reply-list" id="reply-list-{comment.pk}"')
    thread = client.get(comments_url("comment", course, comment.pk)).content.decode()
    assert all(f"Reply number {n}" in thread for n in range(1, 6))


def test_with_htmx_a_new_reply_shows_after_the_first_replies(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(other_learner, course)
    for number in range(1, 5):
        post_comment_as(other_learner, course, f"Reply number {number}", parent=comment)
    response = client.post(
        comments_url("reply", course, comment.pk), {"body": "Mine, last"}, headers=HTMX
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<div class="replies" id="replies-{comment.pk}"')
    assert "Reply number 4" not in content
    assert content.index("Show all 5 replies") < content.index("Mine, last")
    assert "Reply posted." in content


def test_refusals_to_reply(client, course, learner, other_learner):
    learning.enrol(user=other_learner, course=course)
    comment = post_comment_as(other_learner, course)
    response = client.post(comments_url("reply", course, comment.pk), {"body": "Hi"})
    assert response["Location"].startswith(reverse("accounts:signin"))
    client.force_login(learner)
    assert client.post(comments_url("reply", course, comment.pk), {"body": "Hi"}).status_code == 403
    learning.enrol(user=learner, course=course)
    Comment.objects.filter(pk=comment.pk).update(deleted_at=timezone.now(), reply_count=1)
    assert client.post(comments_url("reply", course, comment.pk), {"body": "Hi"}).status_code == 403
    Comment.objects.filter(pk=comment.pk).update(deleted_at=None, hidden_at=timezone.now())
    assert client.post(comments_url("reply", course, comment.pk), {"body": "Hi"}).status_code == 404
    assert comment.replies.count() == 0


# --- likes, bookmarks, follows ---


def like(client, course, comment, **kwargs):
    return client.post(comments_url("like", course, comment.pk), **kwargs)


def test_a_like_toggles_and_the_count_follows(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course)
    response = like(client, course, comment, data={"next": step_url(course)})
    assert response["Location"] == f"{step_url(course)}#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.like_count == 1 and Like.objects.count() == 1
    conversation = conversation_of(page(client, course))
    assert "1 like<" in conversation
    assert 'aria-pressed="true">Like</button>' in conversation
    like(client, course, comment)
    comment.refresh_from_db()
    assert comment.like_count == 0 and not Like.objects.exists()
    assert 'aria-pressed="false">Like</button>' in conversation_of(page(client, course))


def test_likes_from_several_people_add_up(client, course, signed_in, learner, other_learner):
    author = make_user("x@example.org")
    learning.enrol(user=author, course=course)
    comment = post_comment_as(author, course)
    like(client, course, comment)
    client.force_login(other_learner)
    like(client, course, comment)
    comment.refresh_from_db()
    assert comment.like_count == 2
    assert "2 likes" in conversation_of(page(client, course))


def test_a_like_notifies_the_author_once(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course)
    for _ in range(3):
        like(client, course, comment)
    assert Notification.objects.filter(kind=Notification.Kind.LIKE).count() == 1


def test_with_htmx_a_like_returns_the_comment_alone(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course)
    content = like(client, course, comment, headers=HTMX).content.decode()
    assert content.lstrip().startswith(f'<article class="comment" id="comment-{comment.pk}"')
    assert "1 like<" in content
    assert 'aria-pressed="true">Like</button>' in content


def test_nobody_likes_their_own_comment(client, course, signed_in, learner):
    comment = post_comment_as(learner, course)
    assert like(client, course, comment).status_code == 403
    assert "Like</button>" not in conversation_of(page(client, course))


@pytest.mark.parametrize("action", ["like", "bookmark", "follow"])
def test_visitors_and_learners_not_on_the_course_cannot_respond(
    client, course, learner, other_learner, action
):
    learning.enrol(user=other_learner, course=course)
    comment = post_comment_as(other_learner, course)
    response = client.post(comments_url(action, course, comment.pk))
    assert response["Location"].startswith(reverse("accounts:signin"))
    client.force_login(learner)
    response = client.post(comments_url(action, course, comment.pk))
    assert response.status_code == 403
    assert not (Like.objects.exists() or Bookmark.objects.exists() or Follow.objects.exists())


def test_bookmarks_toggle_and_the_bookmarks_filter_lists_them(
    client, course, signed_in, other_learner
):
    saved = post_comment_as(other_learner, course, "Worth keeping")
    post_comment_as(other_learner, course, "Not saved")
    client.post(comments_url("bookmark", course, saved.pk))
    assert Bookmark.objects.get().comment == saved
    saved.refresh_from_db()
    assert saved.bookmark_count == 1
    listed = conversation_of(page(client, course, "?filter=bookmarks"))
    assert "Worth keeping" in listed and "Not saved" not in listed
    assert 'aria-pressed="true">Bookmark</button>' in listed
    client.post(comments_url("bookmark", course, saved.pk))
    assert not Bookmark.objects.exists()
    saved.refresh_from_db()
    assert saved.bookmark_count == 0
    assert "You have no bookmarked comments" in page(client, course, "?filter=bookmarks")


def test_following_marks_their_comments_and_the_following_filter_lists_them(
    client, course, signed_in, learner, other_learner
):
    theirs = post_comment_as(other_learner, course, "By Robin")
    stranger = make_user("sol@example.org", name="Sol Stranger")
    learning.enrol(user=stranger, course=course)
    post_comment_as(stranger, course, "By Sol")
    client.post(comments_url("follow", course, theirs.pk))
    assert Follow.objects.get().followed == other_learner
    conversation = conversation_of(page(client, course))
    robin = conversation[conversation.index("By Robin") - 1500 : conversation.index("By Robin")]
    assert '<span class="badge badge--following">Following</span>' in robin
    assert conversation.count("badge--following") == 1
    listed = conversation_of(page(client, course, "?filter=following"))
    assert "By Robin" in listed and "By Sol" not in listed
    client.post(comments_url("follow", course, theirs.pk))
    assert not Follow.objects.exists()


def test_nobody_follows_themselves(client, course, signed_in, learner):
    comment = post_comment_as(learner, course)
    assert client.post(comments_url("follow", course, comment.pk)).status_code == 403
    assert not Follow.objects.exists()


# --- filters ---


def test_most_liked_puts_the_most_liked_first(client, course, signed_in, other_learner):
    post_comment_as(other_learner, course, "Liked once", like_count=1)
    post_comment_as(other_learner, course, "Liked most", like_count=7)
    post_comment_as(other_learner, course, "Newest, unliked")
    listed = conversation_of(page(client, course, "?filter=liked"))
    assert listed.index("Liked most") < listed.index("Liked once") < listed.index("Newest")
    everything = conversation_of(page(client, course))
    assert everything.index("Newest") < everything.index("Liked most")


def test_the_educators_filter_lists_the_course_teams_comments_and_replies(
    client, course, signed_in, educator, other_learner
):
    question = post_comment_as(other_learner, course, "A learner's question")
    post_comment_as(educator, course, "An educator's answer", parent=question)
    post_comment_as(educator, course, "An educator's note")
    listed = conversation_of(page(client, course, "?filter=educators"))
    assert "An educator's answer" in listed and "An educator's note" in listed
    assert "A learner's question" not in listed
    assert "In reply to" in listed and "Robin Other" in listed


def test_my_comments_lists_mine_only(client, course, signed_in, learner, other_learner):
    post_comment_as(learner, course, "Mine")
    post_comment_as(other_learner, course, "Theirs")
    listed = conversation_of(page(client, course, "?filter=mine"))
    assert "Mine" in listed and "Theirs" not in listed
    assert 'aria-current="page">My comments<' in listed


def test_personal_filters_are_not_offered_to_visitors(client, course, other_learner):
    learning.enrol(user=other_learner, course=course)
    post_comment_as(other_learner, course, "Everyone's")
    conversation = conversation_of(page(client, course, "?filter=mine"))
    assert "Everyone's" in conversation
    assert "My comments" not in conversation and "Bookmarks" not in conversation
    assert 'aria-current="page">All<' in conversation


# --- editing and deleting ---


def test_the_author_edits_within_15_minutes_and_it_shows_as_edited(
    client, course, signed_in, learner
):
    comment = post_comment_as(learner, course, "Teh first version")
    assert (
        "Teh first version" in client.get(comments_url("edit", course, comment.pk)).content.decode()
    )
    response = client.post(
        comments_url("edit", course, comment.pk), {"body": "The *first* version"}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "The *first* version"
    assert comment.body_html == "<p>The <em>first</em> version</p>\n"
    assert comment.edited_at is not None
    assert " · edited" in conversation_of(page(client, course))


def test_editing_after_15_minutes_is_refused_clearly(client, course, signed_in, learner):
    comment = post_comment_as(
        learner, course, "Old words", created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    assert ">Edit<" not in conversation_of(page(client, course))
    response = client.post(comments_url("edit", course, comment.pk), {"body": "New words"})
    assert response.status_code == 403
    assert "Comments can be edited for 15 minutes after posting" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Old words" and comment.edited_at is None


def test_with_htmx_a_late_edit_is_explained_in_place_keeping_the_text(
    client, course, signed_in, learner
):
    comment = post_comment_as(learner, course, "Old words")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=15, seconds=1)
    )
    response = client.post(
        comments_url("edit", course, comment.pk), {"body": "New words"}, headers=HTMX
    )
    content = response.content.decode()
    assert "Comments can be edited for 15 minutes" in content
    assert "New words" in content
    comment.refresh_from_db()
    assert comment.body == "Old words"


def test_with_htmx_opening_a_late_edit_explains_why_in_place(client, course, signed_in, learner):
    comment = post_comment_as(
        learner, course, "Old words", created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client.get(comments_url("edit", course, comment.pk), headers=HTMX)
    assert response.status_code == 200
    assert "Comments can be edited for 15 minutes" in response.content.decode()


def test_with_htmx_editing_swaps_the_form_in_and_the_comment_back(
    client, course, signed_in, learner
):
    comment = post_comment_as(learner, course, "Draft")
    form = client.get(comments_url("edit", course, comment.pk), headers=HTMX).content.decode()
    assert form.lstrip().startswith(
        f'<div class="comment comment--editing" id="comment-{comment.pk}"'
    )
    assert "<html" not in form
    done = client.post(comments_url("edit", course, comment.pk), {"body": "Final"}, headers=HTMX)
    content = done.content.decode()
    assert f'id="comment-{comment.pk}"' in content and "Final" in content
    assert "Comment updated." in content


def test_nobody_edits_or_deletes_anothers_comment(client, course, signed_in, other_learner):
    comment = post_comment_as(other_learner, course, "Robin's words")
    for name in ("edit", "delete"):
        assert client.get(comments_url(name, course, comment.pk)).status_code == 403
        assert (
            client.post(comments_url(name, course, comment.pk), {"body": "Mine now"}).status_code
            == 403
        )
    comment.refresh_from_db()
    assert comment.body == "Robin's words" and comment.deleted_at is None


def test_the_course_team_cannot_edit_learners_comments_either(client, course, educator, learner):
    learning.enrol(user=learner, course=course)
    comment = post_comment_as(learner, course)
    client.force_login(educator)
    assert client.post(comments_url("edit", course, comment.pk), {"body": "x"}).status_code == 403
    assert client.post(comments_url("delete", course, comment.pk)).status_code == 403


def test_deleting_a_comment_with_replies_leaves_a_placeholder(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(learner, course, "To be deleted")
    post_comment_as(other_learner, course, "A reply that stays", parent=comment)
    assert (
        "Delete this comment?"
        in client.get(comments_url("delete", course, comment.pk)).content.decode()
    )
    response = client.post(comments_url("delete", course, comment.pk), {"next": step_url(course)})
    assert response["Location"] == f"{step_url(course)}#conversation"
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "" and comment.body_html == ""
    conversation = conversation_of(page(client, course))
    assert "This comment was deleted." in conversation
    assert "To be deleted" not in conversation
    assert "A reply that stays" in conversation


def test_deleting_a_comment_without_replies_removes_it(client, course, signed_in, learner):
    comment = post_comment_as(learner, course, "Gone soon")
    client.post(comments_url("delete", course, comment.pk))
    conversation = conversation_of(page(client, course))
    assert "Gone soon" not in conversation and "was deleted" not in conversation
    assert client.get(comments_url("comment", course, comment.pk)).status_code == 404


def test_deleting_replies_lowers_the_count_and_the_last_one_takes_a_deleted_parent_along(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(other_learner, course, "Parent")
    reply = post_comment_as(learner, course, "My reply", parent=comment)
    client.force_login(other_learner)
    client.post(comments_url("delete", course, comment.pk))
    assert "This comment was deleted." in conversation_of(page(client, course))
    client.force_login(learner)
    response = client.post(comments_url("delete", course, reply.pk), headers=HTMX)
    assert response["HX-Retarget"] == f"#thread-{comment.pk}"  # the placeholder goes too
    comment.refresh_from_db()
    assert comment.reply_count == 0
    conversation = conversation_of(page(client, course))
    assert "was deleted" not in conversation and "My reply" not in conversation


def test_with_htmx_deleting_a_reply_removes_it_and_updates_the_count(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(other_learner, course)
    post_comment_as(other_learner, course, "Stays", parent=comment)
    reply = post_comment_as(learner, course, "Goes", parent=comment)
    response = client.post(comments_url("delete", course, reply.pk), headers=HTMX)
    content = response.content.decode()
    assert response["HX-Retarget"] == f"#thread-{reply.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert f'id="reply-count-{comment.pk}" hx-swap-oob="true">1 reply<' in content
    assert "Comment deleted." in content


# --- hidden comments ---


def hide(comment: Comment, reason: str = "Personal details") -> None:
    Comment.objects.filter(pk=comment.pk).update(hidden_at=timezone.now(), hidden_reason=reason)


def test_a_hidden_comment_vanishes_for_learners_on_the_page_and_by_url(
    client, course, signed_in, other_learner
):
    comment = post_comment_as(other_learner, course, "Call me on 0123")
    hide(comment)
    for query in ("", "?filter=liked", "?filter=mine", "?filter=following"):
        assert "Call me on 0123" not in page(client, course, query)
    assert client.get(comments_url("comment", course, comment.pk)).status_code == 404
    assert client.get(comments_url("comment", course, comment.pk), headers=HTMX).status_code == 404
    for action in ("like", "bookmark", "follow", "reply"):
        assert client.post(comments_url(action, course, comment.pk)).status_code == 404
    client.logout()
    assert "Call me on 0123" not in page(client, course)
    assert client.get(comments_url("comment", course, comment.pk)).status_code == 404


def test_a_hidden_reply_vanishes_for_learners(client, course, signed_in, learner, other_learner):
    comment = post_comment_as(learner, course, "Question")
    reply = post_comment_as(other_learner, course, "Rude reply", parent=comment)
    hide(reply)
    assert "Rude reply" not in page(client, course)
    assert (
        "Rude reply" not in client.get(comments_url("comment", course, comment.pk)).content.decode()
    )
    assert client.get(comments_url("comment", course, reply.pk)).status_code == 404


def test_the_author_sees_their_hidden_comment_with_the_reason(client, course, signed_in, learner):
    comment = post_comment_as(learner, course, "My hidden words")
    hide(comment, reason="Please keep phone numbers private")
    conversation = conversation_of(page(client, course))
    assert "My hidden words" in conversation
    assert "Only you can see this comment" in conversation
    assert "Please keep phone numbers private" in conversation
    assert client.get(comments_url("comment", course, comment.pk)).status_code == 200


def test_the_course_team_sees_hidden_comments_marked_as_hidden(
    client, course, educator, other_learner
):
    learning.enrol(user=other_learner, course=course)
    comment = post_comment_as(other_learner, course, "Hidden words")
    hide(comment, reason="Private reason")
    client.force_login(educator)
    conversation = conversation_of(page(client, course))
    assert "Hidden words" in conversation
    assert "Hidden from learners by the course team." in conversation
    assert "Private reason" not in conversation  # shown to the author only


def test_an_educator_of_another_course_is_a_visitor_here(
    client, course, other_course_educator, other_learner
):
    learning.enrol(user=other_learner, course=course)
    hide(post_comment_as(other_learner, course, "Hidden words"))
    client.force_login(other_course_educator)
    conversation = conversation_of(page(client, course))
    assert "Hidden words" not in conversation
    assert "Join the course to take part" in conversation
    assert client.post(comments_url("post", course), {"body": "Hi"}).status_code == 403


# --- a comment's own page ---


def test_a_comments_page_shows_its_thread_and_a_reply_form(
    client, course, signed_in, learner, other_learner
):
    comment = post_comment_as(other_learner, course, "The thread starts")
    post_comment_as(learner, course, "And goes on", parent=comment)
    content = client.get(comments_url("comment", course, comment.pk)).content.decode()
    assert "<h1>Comment by Robin Other</h1>" in content
    assert "The thread starts" in content and "And goes on" in content
    assert 'id="reply"' in content and "Reply to Robin Other" in content


def test_a_replys_address_leads_to_its_thread(client, course, signed_in, learner, other_learner):
    comment = post_comment_as(other_learner, course)
    reply = post_comment_as(learner, course, parent=comment)
    response = client.get(comments_url("comment", course, reply.pk))
    assert (
        response["Location"] == f"{comments_url('comment', course, comment.pk)}#comment-{reply.pk}"
    )


def test_without_javascript_show_more_is_a_link_to_the_step_page(client, course, signed_in):
    response = client.get(comments_url("comments", course) + "?after=1.1")
    assert response.status_code == 302
    assert response["Location"] == f"{step_url(course)}?after=1.1"
