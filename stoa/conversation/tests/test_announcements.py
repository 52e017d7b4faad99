"""Announcements: writing one (and who may), sending it in batches by email and notification,
scheduling, one-click unsubscribing, and a learner's course email settings."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.announcements import services
from stoa.conversation.models import Announcement, CourseEmailOptOut, Notification
from stoa.conversation.notifications.selectors import notification_url, summary
from stoa.courses.models import CourseRun, CourseTeamMember, TeamRole
from stoa.lib.refusals import NotAllowed
from stoa.testing import enrol_in, expect_queries, make_learners, make_run, make_user, signed_in

pytestmark = pytest.mark.django_db

SCRIPT = "Hello <script>alert('x')</script> **all**"


@pytest.fixture
def run(course):
    return course.runs.get()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)


def member(course, role, email):
    user = make_user(email, name=f"{role.label} person")
    CourseTeamMember.objects.create(
        course=course, position=10, name=user.display_name, role=role, user=user
    )
    return user


def announce(educator, course, run, *, send_at=None, body="Week 2 is **live**."):
    return services.create_announcement(
        by=educator, course=course, run=run, subject="News", body=body, send_at=send_at
    )


# --- Writing one, and who may --------------------------------------------------------------


def test_the_form_starts_on_the_run_under_way_not_a_later_one(course, run, educator):
    later = make_run(course, started_days_ago=-30)
    page = signed_in(educator).get(reverse("announcements:new", args=[course.slug])).text
    assert f'<option value="{run.pk}" selected>' in page
    assert f'<option value="{later.pk}">' in page and "(0 learners)" in page


def test_an_educator_writes_an_announcement_with_safe_html(course, run, educator):
    announcement = announce(educator, course, run, body=SCRIPT)
    assert "<strong>all</strong>" in announcement.body_html
    assert "<script" not in announcement.body_html


@pytest.mark.parametrize("role", [TeamRole.MENTOR, TeamRole.HOST])
def test_mentors_and_hosts_may_not_announce(course, run, role):
    user = member(course, role, f"{role}@example.org")
    with pytest.raises(NotAllowed):
        announce(user, course, run)
    assert not Announcement.objects.exists()


def test_learners_and_other_courses_educators_may_not_announce(
    course, run, learner, other_course_educator
):
    for user in (learner, other_course_educator):
        with pytest.raises(NotAllowed):
            announce(user, course, run)


def test_a_run_of_another_course_is_refused(course, educator, other_course_educator):
    other_run = CourseRun.objects.exclude(course=course).get()
    with pytest.raises(services.AnnouncementInvalid):
        announce(educator, course, other_run)


def test_the_pages_refuse_visitors_and_learners(course, learner):
    url = reverse("announcements:new", args=[course.slug])
    assert Client().get(url).status_code == 302
    assert signed_in(learner).get(url).status_code == 403
    assert signed_in(learner).post(url, {"subject": "x", "body": "y"}).status_code == 403


# --- Sending -------------------------------------------------------------------------------


def test_every_active_learner_gets_one_email_and_one_notification_in_batches(
    course, run, educator, small_batches, django_capture_on_commit_callbacks
):
    enrolments = make_learners(run, 5)
    left = enrolments[1]
    left.left_at = timezone.now()
    left.save()
    opted = enrolments[3].user
    CourseEmailOptOut.objects.create(user=opted, course=course, created_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        announcement = announce(educator, course, run)
    announcement.refresh_from_db()
    expected = {e.user.email for e in enrolments} - {left.user.email, opted.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(expected)
    assert (announcement.recipients, announcement.delivered) == (3, 3)
    assert announcement.status == "sent"
    notified = Notification.objects.filter(kind=Notification.Kind.ANNOUNCEMENT)
    assert sorted(n.recipient.email for n in notified) == sorted(expected)

    # Again, or a batch queued twice: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        services.send_announcement_batch.call(announcement_id=announcement.pk, after_enrolment_id=0)
        services.send_due_announcements.call(now=timezone.now() + datetime.timedelta(days=1))
    assert len(mail.outbox) == 3
    assert notified.count() == 3


def test_a_stopped_send_restarts_where_it_stopped(
    course, run, educator, small_batches, django_capture_on_commit_callbacks
):
    make_learners(run, 5)
    announcement = announce(educator, course, run)  # its first batch is never queued
    services.send_announcement_batch.call(announcement_id=announcement.pk, after_enrolment_id=0)
    assert len(mail.outbox) == 2
    later = timezone.now() + services.STALLED_AFTER + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_announcements.call(now=later)
    announcement.refresh_from_db()
    assert len(mail.outbox) == 5 == len({m.to[0] for m in mail.outbox})
    assert (announcement.delivered, announcement.status) == (5, "sent")


def test_the_email_is_safe_and_has_one_click_unsubscribe(
    course, run, educator, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    with django_capture_on_commit_callbacks(execute=True):
        announce(educator, course, run, body=SCRIPT)
    (message,) = mail.outbox
    html = message.alternatives[0].content
    assert "<strong>all</strong>" in html and "<script" not in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert url in message.body and url in html
    assert "/announcements/unsubscribe/" in url


def test_the_notification_reads_as_the_announcement_and_links_to_the_course(
    course, run, educator, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    with django_capture_on_commit_callbacks(execute=True):
        announce(educator, course, run)
    notification = Notification.objects.get(recipient=learner)
    assert summary(notification) == "Announcement: News"
    assert notification_url(notification) == course.get_absolute_url()
    assert notification.emailed_at is not None  # the daily digest leaves it out
    page = signed_in(learner).get(reverse("notifications:activity")).content.decode()
    assert "Announcement: News" in page
    assert f"From the team of {course.title}" in page


def test_a_scheduled_announcement_waits_for_its_time(
    course, run, educator, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    at = timezone.now() + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = announce(educator, course, run, send_at=at)
        services.send_due_announcements.call(now=at - datetime.timedelta(minutes=1))
    assert not mail.outbox and announcement.status == "scheduled"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_announcements.call(now=at) == 1
    announcement.refresh_from_db()
    assert len(mail.outbox) == 1 and announcement.status == "sent"


def test_the_command_sends_what_is_due(
    course, run, educator, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    announcement = announce(
        educator, course, run, send_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    Announcement.objects.filter(pk=announcement.pk).update(
        send_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("announcements", "send-due", stdout=out)
    assert "Started 1 announcement." in out.getvalue()
    assert len(mail.outbox) == 1


# --- Unsubscribing -------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_then_opts_out(course, learner):
    token = services.unsubscribe_token(user_id=learner.pk, course_id=course.pk)
    url = reverse("announcements:unsubscribe", args=[token])
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert not CourseEmailOptOut.objects.exists()  # a mail scanner's GET changes nothing
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(url).status_code == 200  # again: still opted out, once
    assert CourseEmailOptOut.objects.get().user == learner


def test_a_tampered_unsubscribe_token_is_not_found(course, learner):
    token = services.unsubscribe_token(user_id=learner.pk, course_id=course.pk)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "nonsense"):
        url = reverse("announcements:unsubscribe", args=[bad])
        assert Client().post(url).status_code == 404
    assert not CourseEmailOptOut.objects.exists()


def test_learners_turn_course_emails_off_and_on(course, run, learner):
    enrol_in(learner, run)
    client = signed_in(learner)
    url = reverse("announcements:settings")
    assert course.title in client.get(url).content.decode()
    client.post(url, {"course": course.pk, "emails": "off"})
    assert CourseEmailOptOut.objects.filter(user=learner, course=course).exists()
    client.post(url, {"course": course.pk, "emails": "on"})
    assert not CourseEmailOptOut.objects.exists()


def test_one_cannot_change_emails_of_a_course_one_is_not_on(course, outsider):
    url = reverse("announcements:settings")
    assert signed_in(outsider).post(url, {"course": course.pk}).status_code == 404
    assert Client().get(url).status_code == 302


# --- The pages -----------------------------------------------------------------------------


def test_preview_keeps_what_was_typed_and_shows_safe_html(course, run, educator):
    url = reverse("announcements:new", args=[course.slug])
    data = {"run": run.pk, "subject": "Welcome", "body": SCRIPT, "action": "preview"}
    page = signed_in(educator).post(url, data).content.decode()
    assert "<strong>all</strong>" in page  # the preview
    assert "&lt;script&gt;alert" in page  # the textarea, as typed
    assert "<script>alert" not in page
    assert 'value="Welcome"' in page
    assert not Announcement.objects.exists()


def test_sending_from_the_page_lists_it_with_its_count(
    course, run, educator, learner, django_capture_on_commit_callbacks, django_assert_num_queries
):
    enrol_in(learner, run)
    client = signed_in(educator)
    url = reverse("announcements:new", args=[course.slug])
    data = {"run": run.pk, "subject": "Welcome", "body": "Hi", "action": "send"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Welcome" in page and "1 of 1" in page and "Dr Ana Lima" in page
    announce(educator, course, run)
    # session (when in the database), user, course, capabilities, list (the header's unread
    # count is kept on the user)
    expect_queries(client, django_assert_num_queries, response.url, 5)


def test_the_form_shows_errors_and_keeps_the_text(course, run, educator):
    url = reverse("announcements:new", args=[course.slug])
    data = {"run": run.pk, "subject": "", "body": "Keep me", "action": "send"}
    page = signed_in(educator).post(url, data).content.decode()
    assert "Enter a subject." in page and "Keep me" in page
    assert not Announcement.objects.exists()
