"""Automatic "Week N is open" announcements: written by the periodic task on the day each week
of a run opens (when the run asks for them), once, and sent as every announcement is."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.announcements import services
from stoa.conversation.models import Announcement, CourseEmailOptOut, Notification
from stoa.conversation.notifications.selectors import notification_url, summary
from stoa.courses.models import CourseRun, Release, Week
from stoa.testing import enrol_in, make_run, signed_in

pytestmark = pytest.mark.django_db

TITLE = "Reading Data in the News"


@pytest.fixture
def run(course):
    """The course's run, started today, with the emails on."""
    run = course.runs.get()
    run.week_open_emails = True
    run.save()
    return run


def at_noon(day: datetime.date) -> datetime.datetime:
    """A time on that day, local: the task's "today" whatever the clock's zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def days_after(run: CourseRun, days: int) -> datetime.datetime:
    return at_noon(run.starts_on + datetime.timedelta(days=days))


def send_due(capture, now: datetime.datetime) -> None:
    with capture(execute=True):
        services.send_due_announcements.call(now=now)


# --- Which day, which week -----------------------------------------------------------------


def test_week_1_is_announced_on_the_first_day_by_email_and_notification(
    course, run, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("announcements", "send-due", stdout=out)
    assert "Started 1 announcement." in out.getvalue()

    announcement = Announcement.objects.get()
    assert (announcement.run, announcement.opens_week, announcement.author) == (run, 1, None)
    assert announcement.subject == f"Week 1 of {TITLE} is open"
    step_url = settings.SITE_URL + reverse("learning:step", args=[course.slug, 1, 1])
    assert "**Week 1 topic**" in announcement.body
    link = re.search(rf'<a href="{re.escape(step_url)}"[^>]*>([^<]+)</a>', announcement.body_html)
    assert link and link.group(1) == "Start with step 1.1: Step 1.1"

    (message,) = mail.outbox
    assert message.to == [learner.email]
    assert message.subject == f"Week 1 of {TITLE} is open"  # the course once
    assert step_url in message.body and step_url in message.alternatives[0].content
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert "/announcements/unsubscribe/" in unsubscribe and unsubscribe in message.body

    notification = Notification.objects.get(recipient=learner)
    assert summary(notification) == f"Announcement: Week 1 of {TITLE} is open"
    assert notification_url(notification) == course.get_absolute_url()
    assert notification.actor is None
    page = signed_in(learner).get(reverse("notifications:activity")).content.decode()
    assert f"Announcement: Week 1 of {TITLE} is open" in page


def test_each_week_is_announced_on_its_day_and_on_no_other(
    run, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    announced = {}
    for day in range(-3, 25):  # before the start, its three weeks, after the end
        before = set(Announcement.objects.values_list("pk", flat=True))
        send_due(django_capture_on_commit_callbacks, days_after(run, day))
        for week in Announcement.objects.exclude(pk__in=before).values_list(
            "opens_week", flat=True
        ):
            announced[day] = week
    assert announced == {0: 1, 7: 2, 14: 3}
    assert [m.subject for m in mail.outbox] == [f"Week {n} of {TITLE} is open" for n in (1, 2, 3)]
    week_2 = Announcement.objects.get(opens_week=2)
    assert "**Week 2 topic**" in week_2.body
    assert reverse("learning:step", args=[run.course.slug, 2, 1]) in week_2.body
    assert reverse("learning:todo", args=[run.course.slug]) + "#week-2" in week_2.body


def test_a_week_that_opened_days_ago_is_not_announced_when_the_option_is_turned_on(
    course, learner, django_capture_on_commit_callbacks
):
    """The rule of "today only": week 2 of this run opened yesterday."""
    late = make_run(course, started_days_ago=8)
    late.week_open_emails = True
    late.save()
    enrol_in(learner, late)
    send_due(django_capture_on_commit_callbacks, at_noon(timezone.localdate()))
    assert not Announcement.objects.exists() and not mail.outbox


def test_nothing_when_the_option_is_off(course, learner, django_capture_on_commit_callbacks):
    run = course.runs.get()
    assert run.week_open_emails is False  # the default
    enrol_in(learner, run)
    for day in (0, 7):
        send_due(django_capture_on_commit_callbacks, days_after(run, day))
    assert not Announcement.objects.exists() and not mail.outbox


def test_a_run_released_all_at_once_gets_one_email_on_its_first_day(
    run, learner, django_capture_on_commit_callbacks
):
    run.release = Release.ALL
    run.save()
    enrol_in(learner, run)
    for day in (0, 1, 7, 14):
        send_due(django_capture_on_commit_callbacks, days_after(run, day))
    announcement = Announcement.objects.get()
    assert announcement.opens_week == 1
    assert announcement.subject == f"All weeks of {TITLE} are open"
    for number in (1, 2, 3):
        assert f"Week {number}: Week {number} topic" in announcement.body
    (message,) = mail.outbox
    assert message.subject == f"All weeks of {TITLE} are open"


# --- Once, whatever runs it ----------------------------------------------------------------


def test_the_task_run_twice_a_day_writes_and_sends_it_once(
    run, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    now = days_after(run, 7)
    send_due(django_capture_on_commit_callbacks, now)
    send_due(django_capture_on_commit_callbacks, now + datetime.timedelta(hours=3))
    assert Announcement.objects.get().opens_week == 2
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(recipient=learner).count() == 1


def test_another_server_writing_it_first_is_no_error(run, monkeypatch):
    """Two servers read that week 2 is not announced yet; the second to write is refused by
    the database, and writes nothing."""
    now = days_after(run, 7)
    message = services.week_open_message

    def other_server_writes_first(*, run, number):
        Announcement.objects.create(
            course=run.course,
            run=run,
            opens_week=number,
            subject="Week 2",
            body="x",
            body_html="x",
            created_at=now,
        )
        return message(run=run, number=number)

    monkeypatch.setattr(services, "week_open_message", other_server_writes_first)
    assert services.create_week_open_announcements(now=now) == 0
    assert Announcement.objects.get().subject == "Week 2"


def test_the_database_refuses_a_second_announcement_of_a_week(run):
    fields = {"course": run.course, "run": run, "body": "x", "body_html": "x"}
    Announcement.objects.create(opens_week=1, subject="a", created_at=timezone.now(), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Announcement.objects.create(opens_week=1, subject="b", created_at=timezone.now(), **fields)
    # Announcements the team writes name no week, and are as many as they like.
    for subject in ("c", "d"):
        Announcement.objects.create(subject=subject, created_at=timezone.now(), **fields)


# --- Who gets it ---------------------------------------------------------------------------


def test_learners_who_opted_out_get_nothing(
    course, run, learner, other_learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    enrol_in(other_learner, run)
    CourseEmailOptOut.objects.create(user=learner, course=course, created_at=timezone.now())
    send_due(django_capture_on_commit_callbacks, days_after(run, 0))
    assert [m.to for m in mail.outbox] == [[other_learner.email]]
    assert not Notification.objects.filter(recipient=learner).exists()
    announcement = Announcement.objects.get()
    assert (announcement.recipients, announcement.delivered) == (1, 1)


def test_titles_stay_text_in_the_email(course, run, learner, django_capture_on_commit_callbacks):
    Week.objects.filter(course=course, number=1).update(title="*Charts* <script>x</script>")
    enrol_in(learner, run)
    send_due(django_capture_on_commit_callbacks, days_after(run, 0))
    html = Announcement.objects.get().body_html
    assert "<em>" not in html and "<script" not in html
    assert "*Charts* &lt;script&gt;" in html


# --- The team's list -----------------------------------------------------------------------


def test_the_announcements_list_shows_it_as_automatic(
    course, run, educator, learner, django_capture_on_commit_callbacks
):
    enrol_in(learner, run)
    send_due(django_capture_on_commit_callbacks, days_after(run, 0))
    services.create_announcement(by=educator, course=course, run=run, subject="News", body="Hi")
    page = signed_in(educator).get(reverse("announcements:list", args=[course.slug]))
    text = page.content.decode()
    assert f"Week 1 of {TITLE} is open" in text and "Automatic" in text
    assert "1 of 1" in text and "Dr Ana Lima" in text  # the team's own, beside it
