"""Reporting comments, the course team's moderation queue, and hiding, restoring and
dismissing: who may, what is logged, who is told."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.comments import services as conversation
from stoa.conversation.models import Comment, ModerationAction, Notification, Report
from stoa.conversation.moderation import selectors as moderation_queue
from stoa.conversation.moderation import services as moderation
from stoa.conversation.rules import may_moderate
from stoa.courses.models import Course, CourseTeamMember, TeamRole
from stoa.learning import services as learning
from stoa.testing import make_comment, make_course, make_user, step_of

pytestmark = pytest.mark.django_db


def report_url(comment: Comment) -> str:
    return reverse("moderation:report", args=[comment.run.course.slug, comment.pk])


def queue_url(course: Course) -> str:
    return reverse("moderation:queue", args=[course.slug])


def action_url(name: str, comment: Comment) -> str:
    return reverse(f"moderation:{name}", args=[comment.run.course.slug, comment.pk])


@pytest.fixture
def author(course, other_learner):
    """The learner whose comment gets reported."""
    learning.enrol(user=other_learner, course=course)
    return other_learner


@pytest.fixture
def reporter(course, learner):
    learning.enrol(user=learner, course=course)
    return learner


@pytest.fixture
def comment(course, author):
    return make_comment(author, course)


@pytest.fixture
def reported(comment, reporter):
    moderation.report_comment(reporter=reporter, comment=comment, reason="Rude to another learner.")
    return comment


# --- Reporting ---


def test_visitor_is_sent_to_sign_in_to_report(client, comment):
    response = client.get(report_url(comment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    client.post(report_url(comment), {"reason": "Spam"})
    assert not Report.objects.exists()


def test_signed_in_person_not_on_the_course_cannot_report(client, comment, outsider):
    client.force_login(outsider)
    assert client.get(report_url(comment)).status_code == 403
    assert client.post(report_url(comment), {"reason": "Spam"}).status_code == 403
    assert not Report.objects.exists()


def test_learner_who_left_the_course_cannot_report(client, course, comment, reporter):
    learning.leave(enrolment=reporter.enrolments.get())
    client.force_login(reporter)
    assert client.post(report_url(comment), {"reason": "Spam"}).status_code == 403
    assert not Report.objects.exists()


def test_author_cannot_report_their_own_comment(client, comment, author):
    client.force_login(author)
    assert client.post(report_url(comment), {"reason": "Oops"}).status_code == 403
    assert not Report.objects.exists()


def test_report_page_shows_the_comment_and_asks_for_a_reason(client, comment, reporter):
    client.force_login(reporter)
    content = client.get(report_url(comment)).content.decode()
    assert "Report a comment" in content
    assert "axis starts at 40" in content
    assert "Why are you reporting this comment?" in content


def test_enrolled_learner_reports_a_comment_with_a_reason(client, comment, reporter):
    client.force_login(reporter)
    response = client.post(report_url(comment), {"reason": "  Rude to another learner. "})
    assert response.status_code == 302
    assert response["Location"] == f"{comment.step.get_absolute_url()}#comment-{comment.pk}"
    report = Report.objects.get()
    assert (report.comment, report.reporter) == (comment, reporter)
    assert report.reason == "Rude to another learner."
    assert report.resolved_at is None
    followed = client.get(response["Location"]).content.decode()
    assert "The course team will look at this comment." in followed


def test_a_reason_is_required(client, comment, reporter):
    client.force_login(reporter)
    response = client.post(report_url(comment), {"reason": "   "})
    assert response.status_code == 200
    assert "Say why you are reporting this comment." in response.content.decode()
    assert not Report.objects.exists()


def test_a_reason_over_500_characters_is_refused_and_kept(client, comment, reporter):
    client.force_login(reporter)
    reason = "This is spam. " * 40  # 560 characters
    response = client.post(report_url(comment), {"reason": reason})
    content = response.content.decode()
    assert "Keep the reason to 500 characters or fewer; it has 559." in content
    assert reason.strip() in content
    assert not Report.objects.exists()


def test_a_second_report_changes_nothing_and_says_so(client, reported, reporter):
    client.force_login(reporter)
    assert "You have already reported this comment." in (
        client.get(report_url(reported)).content.decode()
    )
    response = client.post(report_url(reported), {"reason": "Something else"}, follow=True)
    assert "You have already reported this comment." in response.content.decode()
    assert list(Report.objects.values_list("reason", flat=True)) == ["Rude to another learner."]
    with pytest.raises(moderation.AlreadyReported):
        moderation.report_comment(reporter=reporter, comment=reported, reason="Again")


@pytest.mark.parametrize("state", ["hidden_at", "deleted_at"])
def test_hidden_and_deleted_comments_cannot_be_reported(client, comment, reporter, state):
    Comment.objects.filter(pk=comment.pk).update(**{state: timezone.now()})
    client.force_login(reporter)
    assert client.get(report_url(comment)).status_code == 404


def test_a_comment_is_reported_under_its_own_course_only(client, comment, reporter):
    make_course("other-course", title="Another Course")
    client.force_login(reporter)
    url = reverse("moderation:report", args=["other-course", comment.pk])
    assert client.get(url).status_code == 404


def test_report_service_refuses_people_not_on_the_course(comment, outsider):
    with pytest.raises(PermissionDenied):
        moderation.report_comment(reporter=outsider, comment=comment, reason="Spam")


# --- Who may moderate ---


def test_may_moderate_is_for_the_course_team_with_accounts_and_staff(
    course, learner, educator, other_course_educator, admin_user
):
    mentor = make_user("mo@example.org")
    CourseTeamMember.objects.create(
        course=course, position=2, name="Mo", role=TeamRole.MENTOR, user=mentor
    )
    assert may_moderate(user=educator, course=course)
    assert may_moderate(user=mentor, course=course)
    assert may_moderate(user=admin_user, course=course)
    assert not may_moderate(user=learner, course=course)
    assert not may_moderate(user=other_course_educator, course=course)


def test_visitor_is_sent_to_sign_in_for_the_queue(client, course):
    response = client.get(queue_url(course))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))


def test_learner_cannot_see_the_queue_or_act(client, course, reported, reporter):
    client.force_login(reporter)
    assert client.get(queue_url(course)).status_code == 403
    for name in ("hide", "dismiss", "restore"):
        response = client.post(action_url(name, reported), {"reason": "Mine now"})
        assert response.status_code == 403
    assert not ModerationAction.objects.exists()
    assert Comment.objects.get().hidden_at is None


def test_educator_of_another_course_cannot_see_the_queue_or_act(
    client, course, reported, other_course_educator
):
    client.force_login(other_course_educator)
    assert client.get(queue_url(course)).status_code == 403
    response = client.post(action_url("hide", reported), {"reason": "Not my course"})
    assert response.status_code == 403
    assert client.post(action_url("dismiss", reported)).status_code == 403
    Comment.objects.filter(pk=reported.pk).update(hidden_at=timezone.now(), hidden_reason="x")
    assert client.post(action_url("restore", reported)).status_code == 403
    assert Comment.objects.get().hidden_at is not None
    assert not ModerationAction.objects.exists()
    assert Report.objects.get().resolved_at is None
    with pytest.raises(PermissionDenied):
        moderation.dismiss_reports(moderator=other_course_educator, comment=reported)


def test_educator_cannot_reach_another_course_s_comment_through_their_own(client, course, educator):
    other = make_course("other-course", title="Another Course")
    stranger = make_user("stranger@example.org")
    learning.enrol(user=stranger, course=other)
    elsewhere = make_comment(stranger, other)
    client.force_login(educator)
    url = reverse("moderation:hide", args=[course.slug, elsewhere.pk])
    assert client.post(url, {"reason": "Not here"}).status_code == 404
    assert Comment.objects.get(pk=elsewhere.pk).hidden_at is None


@pytest.mark.parametrize("name", ["hide", "restore", "dismiss"])
def test_moderation_actions_take_post_only(client, reported, educator, name):
    client.force_login(educator)
    assert client.get(action_url(name, reported)).status_code == 405


# --- The queue ---


def test_queue_shows_reported_comments_with_reasons_counts_and_step(
    client, course, reported, educator, author
):
    third = make_user("kai@example.org")
    learning.enrol(user=third, course=course)
    moderation.report_comment(reporter=third, comment=reported, reason="Off topic.")
    make_comment(author, course, text="Nobody reported this one.")
    client.force_login(educator)
    response = client.get(queue_url(course))
    assert response.status_code == 200
    content = response.content.decode()
    assert "2 open reports" in content
    assert "Rude to another learner." in content and "Off topic." in content
    assert "axis starts at 40" in content
    assert "Nobody reported this one." not in content
    assert author.display_name in content
    assert step_of(course, 1, 2).get_absolute_url() in content


def test_admin_sees_any_course_s_queue(client, course, reported, admin_user):
    client.force_login(admin_user)
    assert client.get(queue_url(course)).status_code == 200


def test_queue_puts_the_most_reported_first_then_the_longest_waiting(
    course, author, reporter, other_learner
):
    people = [reporter] + [make_user(f"p{n}@example.org") for n in range(3)]
    for person in people:
        learning.enrol(user=person, course=course)
    once_late, once_early, thrice = (make_comment(author, course) for _ in range(3))
    moderation.report_comment(reporter=people[0], comment=once_early, reason="a")
    moderation.report_comment(reporter=people[0], comment=once_late, reason="b")
    for person in people[1:]:
        moderation.report_comment(reporter=person, comment=thrice, reason="c")
    queue = moderation_queue.moderation_queue(course=course)
    assert [item.comment for item in queue.items] == [thrice, once_early, once_late]
    assert [item.comment.open_reports for item in queue.items] == [3, 1, 1]


def test_queue_shows_a_few_reasons_and_counts_the_rest(course, comment):
    for n in range(8):
        person = make_user(f"p{n}@example.org")
        learning.enrol(user=person, course=course)
        moderation.report_comment(reporter=person, comment=comment, reason=f"reason {n}")
    (item,) = moderation_queue.moderation_queue(course=course).items
    assert [report.reason for report in item.reasons] == [f"reason {n}" for n in (7, 6, 5, 4, 3)]
    assert item.more_reasons == 3


def test_queue_leaves_out_other_courses_and_resolved_reports(course, reported, educator):
    other = make_course("other-course", title="Another Course")
    stranger, tattler = make_user("s@example.org"), make_user("t@example.org")
    for person in (stranger, tattler):
        learning.enrol(user=person, course=other)
    moderation.report_comment(
        reporter=tattler, comment=make_comment(stranger, other), reason="Elsewhere"
    )
    assert [item.comment for item in moderation_queue.moderation_queue(course=course).items] == [
        reported
    ]
    moderation.dismiss_reports(moderator=educator, comment=reported)
    assert moderation_queue.moderation_queue(course=course).items == []


def reported_comments(course: Course, count: int, *, reports_each: int) -> list[Comment]:
    """`count` comments by different learners, each reported by `reports_each` learners."""
    run = course.runs.get()
    people = User.objects.bulk_create(
        [
            User(email=f"{course.slug}-{n}@example.org", display_name=f"Crowd {n}")
            for n in range(max(count, reports_each))
        ]
    )
    step = step_of(course, 1, 2)
    now = timezone.now()
    comments = Comment.objects.bulk_create(
        [
            Comment(
                run=run,
                step=step,
                author=people[n],
                body=f"Comment {n}",
                body_html=f"<p>Comment {n}</p>",
                created_at=now,
            )
            for n in range(count)
        ]
    )
    Report.objects.bulk_create(
        [
            Report(comment=comment, reporter=people[n], reason=f"Reason {n}", created_at=now)
            for comment in comments
            for n in range(reports_each)
        ]
    )
    return comments


def queue_queries(client, course: Course) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(queue_url(course)).status_code == 200
    return len(queries)


def test_queue_takes_the_same_number_of_queries_for_few_and_many_reports(client, course, educator):
    client.force_login(educator)
    few = reported_comments(course, 2, reports_each=1)
    moderation.hide_comment(moderator=educator, comment=few[0], reason="Rude")
    baseline = queue_queries(client, course)

    many = reported_comments(make_course("busy", title="Busy"), 60, reports_each=12)
    busy = many[0].run.course
    CourseTeamMember.objects.create(
        course=busy, position=2, name="Dr Ana Lima", role=TeamRole.EDUCATOR, user=educator
    )
    for comment in many[:15]:
        moderation.hide_comment(moderator=educator, comment=comment, reason="Rude")
        moderation.restore_comment(moderator=educator, comment=comment)
        moderation.hide_comment(moderator=educator, comment=comment, reason="Still rude")
    assert queue_queries(client, busy) == baseline
    # session, user, course, may_moderate, the queue's five reads, the header's unread count;
    # and peer review's section (settings.STOA_MODERATION_PANELS): whether the course has
    # peer review, its open reports, its hidden work, its hidden reviews; and the viewer's
    # capabilities for the workspace's tabs
    assert baseline <= 10 + 4 + 1


def test_queue_pages_25_comments_at_a_time(client, course, educator):
    reported_comments(course, 30, reports_each=1)
    client.force_login(educator)
    first = client.get(queue_url(course)).content.decode()
    assert first.count('class="moderation-item"') == 25
    assert "Next page" in first and "Previous page" not in first
    second = client.get(queue_url(course) + "?page=2").content.decode()
    assert second.count('class="moderation-item"') == 5
    assert "Previous page" in second and "Next page" not in second
    assert client.get(queue_url(course) + "?page=x").status_code == 404


# --- Hiding, restoring, dismissing ---


def test_educator_hides_a_comment_with_a_reason(client, course, reported, educator, author):
    client.force_login(educator)
    response = client.post(action_url("hide", reported), {"reason": "Please keep it civil."})
    assert response.status_code == 302
    assert response["Location"] == queue_url(course)

    reported.refresh_from_db()
    assert reported.hidden_at is not None
    assert reported.hidden_reason == "Please keep it civil."
    assert not Comment.objects.visible().filter(pk=reported.pk).exists()
    assert Report.objects.get().resolved_at is not None

    action = ModerationAction.objects.get()
    assert (action.comment, action.moderator, action.kind, action.reason) == (
        reported,
        educator,
        ModerationAction.Kind.HIDE,
        "Please keep it civil.",
    )
    notification = Notification.objects.get(recipient=author)
    assert notification.kind == Notification.Kind.MODERATION
    assert (notification.actor, notification.comment) == (educator, reported)
    assert "Please keep it civil." in notification.text


def test_a_hidden_comment_vanishes_for_learners_by_page_and_by_url(
    client, course, reported, reporter, author, educator
):
    step_url = step_of(course, 1, 2).get_absolute_url()
    permalink = reverse("comments:comment", args=[course.slug, 1, 2, reported.pk])
    client.force_login(reporter)
    assert "axis starts at 40" in client.get(step_url).content.decode()
    assert client.get(permalink).status_code == 200

    moderation.hide_comment(moderator=educator, comment=reported, reason="Please keep it civil.")
    assert "axis starts at 40" not in client.get(step_url).content.decode()
    assert client.get(permalink).status_code == 404
    client.force_login(author)  # the author still sees it, with the reason
    assert "Please keep it civil." in client.get(step_url).content.decode()

    moderation.restore_comment(moderator=educator, comment=reported)
    client.force_login(reporter)
    assert "axis starts at 40" in client.get(step_url).content.decode()


def test_hiding_needs_a_reason_and_keeps_what_was_typed_when_too_long(client, reported, educator):
    client.force_login(educator)
    response = client.post(action_url("hide", reported), {"reason": ""})
    assert response.status_code == 200
    assert "Give the author a reason for hiding their comment." in response.content.decode()
    reason = "x" * 501
    response = client.post(action_url("hide", reported), {"reason": reason})
    content = response.content.decode()
    assert "Keep the reason to 500 characters or fewer; it has 501." in content
    assert reason in content
    assert Comment.objects.get().hidden_at is None
    assert not ModerationAction.objects.exists()


def test_hiding_twice_logs_once(client, reported, educator):
    client.force_login(educator)
    client.post(action_url("hide", reported), {"reason": "Rude"})
    response = client.post(action_url("hide", reported), {"reason": "Rude"}, follow=True)
    assert "This comment is already hidden." in response.content.decode()
    assert ModerationAction.objects.count() == 1
    assert Notification.objects.count() == 1


def test_educator_restores_a_hidden_comment_and_the_log_keeps_both(
    client, course, reported, educator, author
):
    client.force_login(educator)
    client.post(action_url("hide", reported), {"reason": "Rude"})
    response = client.post(action_url("restore", reported))
    assert response.status_code == 302

    reported.refresh_from_db()
    assert reported.hidden_at is None and reported.hidden_reason == ""
    assert Comment.objects.visible().filter(pk=reported.pk).exists()
    assert list(
        ModerationAction.objects.order_by("created_at", "pk").values_list("kind", "reason")
    ) == [("hide", "Rude"), ("restore", "")]
    texts = list(Notification.objects.filter(recipient=author).values_list("text", flat=True))
    assert len(texts) == 2 and any("restored" in text for text in texts)


def test_a_thread_counts_the_replies_learners_see(client, course, comment, reporter, educator):
    """Hiding a reply takes it out of its thread's count and restoring puts it back; deleting
    a hidden reply leaves the count alone, as does hiding a deleted one."""

    def reply(text: str) -> Comment:
        return conversation.post_comment(
            author=reporter, step=comment.step, run=comment.run, text=text, parent=comment
        )

    def count() -> int:
        comment.refresh_from_db()
        return comment.reply_count

    first, second = reply("First answer."), reply("Second answer.")
    assert count() == 2
    moderation.hide_comment(moderator=educator, comment=first, reason="Off topic.")
    assert count() == 1
    reader = make_user("reader@example.org")
    learning.enrol(user=reader, course=course)
    client.force_login(reader)
    content = client.get(step_of(course, 1, 2).get_absolute_url()).content.decode()
    assert "1 reply<" in content and "First answer." not in content

    moderation.restore_comment(moderator=educator, comment=first)
    assert count() == 2
    moderation.hide_comment(moderator=educator, comment=first, reason="Off topic.")
    conversation.delete_comment(comment=first, user=reporter)
    assert count() == 1
    conversation.delete_comment(comment=second, user=reporter)
    assert count() == 0
    moderation.hide_comment(moderator=educator, comment=second, reason="Still off topic.")
    moderation.restore_comment(moderator=educator, comment=second)
    assert count() == 0


def test_restoring_a_visible_comment_does_nothing(client, reported, educator):
    client.force_login(educator)
    response = client.post(action_url("restore", reported), follow=True)
    assert "This comment is not hidden." in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_dismissing_resolves_the_reports_and_leaves_the_comment_up(
    client, reported, educator, author
):
    client.force_login(educator)
    client.post(action_url("dismiss", reported))
    reported.refresh_from_db()
    assert reported.hidden_at is None
    assert Report.objects.get().resolved_at is not None
    action = ModerationAction.objects.get()
    assert (action.kind, action.moderator) == (ModerationAction.Kind.DISMISS, educator)
    # Nothing changed for the author, so they are not told they were reported.
    assert not Notification.objects.filter(recipient=author).exists()
    response = client.post(action_url("dismiss", reported), follow=True)
    assert "This comment has no open reports." in response.content.decode()
    assert ModerationAction.objects.count() == 1


def test_queue_shows_hidden_comments_their_history_and_the_log(client, course, reported, educator):
    moderation.hide_comment(moderator=educator, comment=reported, reason="Name-calling")
    client.force_login(educator)
    content = client.get(queue_url(course)).content.decode()
    assert "No comments are waiting for review." in content
    assert f'id="hidden-{reported.pk}"' in content
    assert "Name-calling" in content
    assert "Hidden by Dr Ana Lima" in content
    assert "Restore comment" in content
    assert "Moderation log" in content


def test_moderation_services_check_the_moderator(reported, learner):
    with pytest.raises(PermissionDenied):
        moderation.hide_comment(moderator=learner, comment=reported, reason="Mine")
    with pytest.raises(PermissionDenied):
        moderation.restore_comment(moderator=learner, comment=reported)


def test_a_moderator_hiding_their_own_comment_gets_no_notification(course, educator):
    own = make_comment(educator, course)
    moderation.hide_comment(moderator=educator, comment=own, reason="Posted in error")
    assert ModerationAction.objects.count() == 1
    assert not Notification.objects.exists()


# --- The admin ---


def test_admin_lists_every_conversation_model_and_cannot_edit_the_log(
    client, reported, educator, admin_user
):
    moderation.hide_comment(moderator=educator, comment=reported, reason="Rude")
    client.force_login(admin_user)
    for model in (
        "comment",
        "report",
        "moderationaction",
        "notification",
        "like",
        "bookmark",
        "follow",
    ):
        url = reverse(f"admin:conversation_{model}_changelist")
        assert client.get(url).status_code == 200, model
    log = client.get(reverse("admin:conversation_moderationaction_changelist"))
    assert "Rude" in log.content.decode()
    comment_page = client.get(reverse("admin:conversation_comment_change", args=[reported.pk]))
    assert "Rude to another learner." in comment_page.content.decode()  # the report inline
    assert client.get(reverse("admin:conversation_comment_add")).status_code == 403
    action = ModerationAction.objects.get()
    delete = reverse("admin:conversation_moderationaction_delete", args=[action.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ModerationAction.objects.exists()
    filtered = client.get(reverse("admin:conversation_comment_changelist") + "?hidden=yes")
    assert filtered.status_code == 200


def test_the_migration_recounts_threads_with_hidden_replies(course, comment, reporter):
    from importlib import import_module

    from django.apps import apps

    migration = import_module(
        "stoa.conversation.migrations.0002_reply_count_leaves_out_hidden_replies"
    )
    replies = [
        conversation.post_comment(
            author=reporter, step=comment.step, run=comment.run, text=text, parent=comment
        )
        for text in ("Shown.", "Hidden.", "Deleted.")
    ]
    conversation.delete_comment(comment=replies[2], user=reporter)
    # As hiding used to leave it: hidden, and still counted.
    Comment.objects.filter(pk=replies[1].pk).update(hidden_at=timezone.now())
    other = make_comment(reporter, course, text="A thread without hidden replies.")
    Comment.objects.filter(pk=other.pk).update(reply_count=5)

    migration.recount(apps, None)
    comment.refresh_from_db()
    other.refresh_from_db()
    assert (comment.reply_count, other.reply_count) == (1, 5)
