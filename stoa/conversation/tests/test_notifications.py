"""Notifications: who hears about what, the activity page, the header's unread count."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.comments import services
from stoa.conversation.models import ModerationAction, Notification
from stoa.conversation.moderation import services as moderation
from stoa.conversation.notifications import selectors as inbox
from stoa.conversation.notifications import services as notifications
from stoa.learning import services as learning
from stoa.testing import expect_queries, make_comment, make_follow, make_notifications, step_of

pytestmark = pytest.mark.django_db

ACTIVITY = reverse("notifications:activity")
MARK_ALL_READ = reverse("notifications:mark_all_read")


# --- who hears about what ---


def test_a_reply_notifies_the_comments_author(course, learner, other_learner, enrolled):
    comment = make_comment(learner, course)

    reply = services.post_comment(
        author=other_learner,
        step=comment.step,
        run=comment.run,
        text="Agreed.",
        parent=comment,
    )

    notification = Notification.objects.get(recipient=learner)
    assert notification.kind == Notification.Kind.REPLY
    assert (notification.actor, notification.comment) == (other_learner, reply)


def test_a_like_notifies_the_author_once_however_often_it_is_toggled(
    course, learner, other_learner, enrolled
):
    comment = make_comment(learner, course)

    for _ in range(3):
        services.toggle_like(user=other_learner, comment=comment)
    notifications.notify(
        recipient=learner, kind=Notification.Kind.LIKE, actor=other_learner, comment=comment
    )

    notification = Notification.objects.get(recipient=learner)
    assert (notification.kind, notification.actor) == (Notification.Kind.LIKE, other_learner)


def test_nobody_is_notified_of_their_own_doing(course, learner, enrolled):
    comment = make_comment(learner, course)

    reply = services.post_comment(
        author=learner, step=comment.step, run=comment.run, text="And more.", parent=comment
    )
    told = notifications.notify(
        recipient=learner, kind=Notification.Kind.REPLY, actor=learner, comment=reply
    )

    assert told is None
    assert not Notification.objects.exists()


def test_followers_on_the_run_hear_of_a_new_comment_in_the_background(
    course, learner, other_learner, outsider, enrolled, django_capture_on_commit_callbacks
):
    make_follow(other_learner, learner)
    make_follow(outsider, learner)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment = services.post_comment(
            author=learner, step=step_of(course, 1, 2), run=course.runs.get(), text="Hello."
        )
        assert not Notification.objects.exists()  # nothing until the post commits

    assert callbacks
    notification = Notification.objects.get()
    assert notification.recipient == other_learner
    assert notification.kind == Notification.Kind.FOLLOWED_COMMENT
    assert (notification.actor, notification.comment) == (learner, comment)


def test_the_course_team_hears_of_comments_by_people_they_follow(
    course, learner, educator, enrolled
):
    make_follow(educator, learner)

    told = notifications.fan_out_to_followers.call(comment_id=make_comment(learner, course).pk)

    assert told == 1
    assert Notification.objects.get().recipient == educator


def test_the_fan_out_tells_nobody_twice_and_skips_hidden_comments(
    course, learner, other_learner, enrolled
):
    make_follow(other_learner, learner)
    comment = make_comment(learner, course)
    hidden = make_comment(learner, course, hidden_at=timezone.now())

    assert notifications.fan_out_to_followers.call(comment_id=comment.pk) == 1
    assert notifications.fan_out_to_followers.call(comment_id=comment.pk) == 0
    assert notifications.fan_out_to_followers.call(comment_id=hidden.pk) == 0
    assert Notification.objects.count() == 1


def test_the_fan_out_works_in_batches(course, learner, enrolled, monkeypatch):
    monkeypatch.setattr(notifications, "FAN_OUT_BATCH", 3)
    run = course.runs.get()
    fans = User.objects.bulk_create(
        User(email=f"fan{i}@example.org", display_name=f"Fan {i}") for i in range(7)
    )
    for fan in fans:
        learning.enrol(user=fan, course=course)
        make_follow(fan, learner)
    assert run.enrolments.count() == 9

    told = notifications.fan_out_to_followers.call(comment_id=make_comment(learner, course).pk)

    assert told == 7
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        fan.pk for fan in fans
    }


def test_a_replys_parent_author_hears_of_it_once_as_a_reply(
    course, learner, other_learner, enrolled, django_capture_on_commit_callbacks
):
    make_follow(learner, other_learner)
    comment = make_comment(learner, course)

    with django_capture_on_commit_callbacks(execute=True):
        services.post_comment(
            author=other_learner, step=comment.step, run=comment.run, text="Yes!", parent=comment
        )

    assert list(Notification.objects.values_list("kind", flat=True)) == [Notification.Kind.REPLY]


def test_moderation_decisions_notify_the_author_with_the_reason(
    course, learner, educator, enrolled
):
    comment = make_comment(learner, course)

    moderation.hide_comment(moderator=educator, comment=comment, reason="Off topic")
    comment.refresh_from_db()
    moderation.restore_comment(moderator=educator, comment=comment)

    texts = list(
        Notification.objects.filter(recipient=learner, kind=Notification.Kind.MODERATION)
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert texts == [
        "A moderator hid your comment. Reason: Off topic",
        "A moderator restored your comment.",
    ]


def test_dismissed_reports_are_not_news_to_the_author(course, learner, educator):
    comment = make_comment(learner, course)

    told = notifications.notify_moderation(
        comment=comment, moderator=educator, kind=ModerationAction.Kind.DISMISS
    )

    assert told is None
    assert not Notification.objects.exists()


# --- the activity page ---


def test_visitor_is_sent_to_sign_in_from_the_activity_page(client):
    for response in (client.get(ACTIVITY), client.post(MARK_ALL_READ)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:signin"))


def test_activity_lists_only_my_notifications_newest_first(
    client, course, learner, other_learner, educator
):
    mine = make_comment(learner, course, "My own *thoughts* & more")
    theirs = make_comment(other_learner, course)
    now = timezone.now()
    Notification.objects.create(
        recipient=learner,
        kind=Notification.Kind.LIKE,
        actor=educator,
        comment=mine,
        created_at=now - datetime.timedelta(minutes=5),
    )
    Notification.objects.create(
        recipient=learner,
        kind=Notification.Kind.REPLY,
        actor=other_learner,
        comment=mine,
        created_at=now,
    )
    Notification.objects.create(
        recipient=other_learner,
        kind=Notification.Kind.REPLY,
        actor=educator,
        comment=theirs,
        created_at=now,
    )
    client.force_login(learner)

    text = client.get(ACTIVITY).text

    assert text.index("Robin Other replied to your comment") < text.index(
        "Dr Ana Lima liked your comment"
    )
    assert "Dr Ana Lima replied" not in text
    assert "My own thoughts &amp; more" in text
    assert "On step 1.2 Step 1.2, Reading Data in the News" in text
    assert text.count('class="notification__new"') == 2


def test_a_hidden_comments_text_is_not_shown(client, course, learner, other_learner):
    comment = make_comment(other_learner, course, "Something rude")
    comment.hidden_at = timezone.now()
    comment.save()
    notifications.notify(
        recipient=learner,
        kind=Notification.Kind.FOLLOWED_COMMENT,
        actor=other_learner,
        comment=comment,
    )
    client.force_login(learner)

    text = client.get(ACTIVITY).text

    assert "Robin Other, whom you follow, posted a comment" in text
    assert "Something rude" not in text
    assert "This comment is hidden." in text


def test_opening_a_notification_goes_to_the_comment_and_the_activity_page_marks_it_read(
    client, course, learner, other_learner
):
    comment = make_comment(learner, course)
    notification = notifications.notify(
        recipient=learner, kind=Notification.Kind.LIKE, actor=other_learner, comment=comment
    )
    client.force_login(learner)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("learning:step", args=[course.slug, 1, 2]) + f"#comment-{comment.pk}"
    )
    # A GET changes nothing: mail scanners follow the digest's links.
    notification.refresh_from_db()
    assert notification.read_at is None
    # The activity page shows it as new once, and marks it read as it does.
    assert 'class="notification__new"' in client.get(ACTIVITY).text
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'class="notification__new"' not in client.get(ACTIVITY).text


def test_nobody_opens_someone_elses_notification(client, course, learner, other_learner):
    notification = notifications.notify(
        recipient=learner,
        kind=Notification.Kind.LIKE,
        actor=other_learner,
        comment=make_comment(learner, course),
    )
    client.force_login(other_learner)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_marks_only_mine(client, course, learner, other_learner, educator):
    make_notifications(learner, 3, actor=educator, comment=make_comment(learner, course))
    make_notifications(
        other_learner, 2, actor=educator, comment=make_comment(other_learner, course)
    )
    client.force_login(learner)

    assert client.get(MARK_ALL_READ).status_code == 405
    response = client.post(MARK_ALL_READ, follow=True)

    assert "All your notifications are marked as read." in response.text
    assert "Nothing unread." in response.text
    assert not Notification.objects.filter(recipient=learner, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_learner, read_at__isnull=True).count() == 2


def test_activity_pages_through_keyset_cursors(client, course, learner, educator):
    make_notifications(learner, 30, actor=educator, comment=make_comment(learner, course))
    ids = list(
        Notification.objects.filter(recipient=learner)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    client.force_login(learner)

    first = client.get(ACTIVITY)
    second = client.get(ACTIVITY, {"before": first.context["page"].next_cursor})

    assert [n.pk for n in first.context["page"].items] == ids[:25]
    assert [n.pk for n in second.context["page"].items] == ids[25:]
    assert second.context["page"].next_cursor is None
    assert "Older notifications" in first.text
    assert "Older notifications" not in second.text
    assert client.get(ACTIVITY, {"before": "nonsense"}).status_code == 400


def test_cursors_survive_equal_timestamps(course, learner, educator):
    comment = make_comment(learner, course)
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=learner, kind="like", actor=educator, comment=comment, created_at=now
        )
        for _ in range(30)
    )

    first = inbox.activity_page(user=learner)
    second = inbox.activity_page(user=learner, cursor=first.next_cursor)

    seen = [n.pk for n in first.items + second.items]
    assert sorted(seen, reverse=True) == seen
    assert len(set(seen)) == 30


@pytest.mark.parametrize("count", [1, 60])
def test_activity_page_queries_do_not_grow_with_the_inbox(
    client, course, learner, educator, django_assert_num_queries, count
):
    make_notifications(learner, count, actor=educator, comment=make_comment(learner, course))
    client.force_login(learner)

    # session, user, the runs whose comments they may read, one page of notifications with
    # their comments, marking the page's unread ones read with the user's count (an UPDATE of
    # each), counting what is still unread (it mends the kept count)
    response = expect_queries(client, django_assert_num_queries, ACTIVITY, 7)

    assert len(response.context["page"].items) == min(count, 25)


# --- the header's unread count ---


def test_the_header_shows_the_unread_count(client, course, learner, educator):
    make_notifications(learner, 3, actor=educator, comment=make_comment(learner, course))
    make_notifications(learner, 2, actor=educator, comment=make_comment(learner, course), read=True)
    client.force_login(learner)

    text = client.get(reverse("learning:my_courses")).text

    assert 'Activity <span class="nav-count">(3 unread)</span>' in text


def test_the_header_count_stops_at_99_plus(client, course, learner, educator):
    make_notifications(learner, 150, actor=educator, comment=make_comment(learner, course))
    client.force_login(learner)

    assert "(99+ unread)" in client.get(reverse("learning:my_courses")).text
    learner.refresh_from_db()
    assert learner.unread_notifications == 150  # kept whole; only the header stops at 99+


def test_the_header_shows_no_count_when_all_is_read_and_none_to_visitors(
    client, course, learner, educator
):
    make_notifications(learner, 2, actor=educator, comment=make_comment(learner, course), read=True)

    assert "Activity" not in client.get(reverse("courses:catalogue")).text
    client.force_login(learner)
    text = client.get(reverse("courses:catalogue")).text
    assert ">Activity</a>" in text
    assert "unread" not in text


def test_pages_without_the_header_do_not_count(rf, learner):
    from stoa.context_processors import site

    request = rf.get("/")
    request.user = learner

    context = site(request)

    assert "count" not in vars(context["unread_notifications"])  # not read until shown
    str(context["site_header"])
    assert "count" in vars(context["unread_notifications"])  # read once, for the header


def test_the_unread_count_is_kept_with_each_notification_and_costs_pages_no_query(
    client, course, learner, other_learner, educator
):
    comment = make_comment(learner, course)
    notifications.notify(
        recipient=learner, kind=Notification.Kind.LIKE, actor=educator, comment=comment
    )
    notifications.notify(
        recipient=learner, kind=Notification.Kind.REPLY, actor=other_learner, comment=comment
    )
    notifications.notify(recipient=learner, kind=Notification.Kind.LIKE, actor=learner)  # own doing
    learner.refresh_from_db()
    assert learner.unread_notifications == 2

    client.force_login(learner)
    assert "(2 unread)" in client.get(reverse("learning:my_courses")).text
    assert "unread" not in client.get(ACTIVITY).text.split("</header>")[0]  # read as shown
    learner.refresh_from_db()
    assert learner.unread_notifications == 0


def test_the_activity_page_mends_a_count_gone_wrong(client, course, learner, educator):
    make_notifications(learner, 2, actor=educator, comment=make_comment(learner, course))
    gone = make_comment(learner, course)
    make_notifications(learner, 3, actor=educator, comment=gone)
    gone.delete()  # its notifications go with it, the kept count does not
    learner.refresh_from_db()
    assert learner.unread_notifications == 5

    client.force_login(learner)
    client.get(ACTIVITY)

    learner.refresh_from_db()
    assert learner.unread_notifications == 0


def test_marking_all_read_clears_the_count(client, course, learner, educator):
    make_notifications(learner, 4, actor=educator, comment=make_comment(learner, course))
    client.force_login(learner)

    client.post(reverse("notifications:mark_all_read"))

    learner.refresh_from_db()
    assert learner.unread_notifications == 0
    assert "unread" not in client.get(reverse("learning:my_courses")).text
