"""Announcements: a course team's message to the active learners of a run, sent as an email
to each and an on-site notification, now or at a set time.

Who calls what:
- create_announcement(by=, course=, run=, subject=, body=, send_at=) from the workspace's
  "new" page; with no send_at (or one already past) sending starts once it commits.
- send_due_announcements, the periodic task (`stoa announcements send-due` queues it; run it
  every few minutes from cron or a systemd timer): writes the day's automatic "Week N is open"
  announcements (create_week_open_announcements), starts what is due, and restarts a send
  whose batches stopped (a worker killed mid-send).
- send_announcement_batch, one batch of emails; each batch queues the next.
- opt_out / opt_in, from the unsubscribe link and the course emails settings page.

How a send stays correct at any size: the learners are walked by enrolment id (keyset, a
short query per batch, constant memory). A batch locks the announcement's row, checks that it
starts where the last one ended (last_enrolment_id), and records its own end, delivered count
and notifications in one transaction with its emails, as the daily digest does: a batch queued
twice, or a restart, finds the work done and sends nothing. An address that fails is logged
and not counted as delivered; the rest of the batch still goes.

Announcement notifications are marked emailed (emailed_at), so the daily digest, which would
only repeat the email, leaves them out.
"""

import datetime
import logging
import re

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.conversation.models import Announcement, CourseEmailOptOut, Notification
from stoa.conversation.notifications.services import count_new
from stoa.courses.models import Course, CourseRun, Release, Step, Week
from stoa.courses.permissions import Can, require
from stoa.learning.models import Enrolment
from stoa.lib.markdown import render_step_markdown
from stoa.lib.refusals import Invalid

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A send whose last batch is older than this is taken to have stopped, and restarted by
# send_due_announcements. Restarting one that was only slow is harmless: see the header.
STALLED_AFTER = datetime.timedelta(minutes=15)
SUBJECT_MAX = 200
BODY_MAX = 20000
UNSUBSCRIBE_SALT = "stoa.announcements.unsubscribe"


class AnnouncementInvalid(Invalid):
    """What was typed cannot be sent; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def render_body(body: str) -> str:
    """The announcement's Markdown as safe HTML (as a step's, raw HTML never trusted)."""
    return render_step_markdown(body)


@transaction.atomic
def create_announcement(
    *,
    by: User,
    course: Course,
    run: CourseRun,
    subject: str,
    body: str,
    send_at: datetime.datetime | None = None,
) -> Announcement:
    """Writes an announcement to the run's learners; it goes now, or at send_at."""
    require(user=by, course=course, action=Can.ANNOUNCE)
    if run.course_id != course.pk:
        raise AnnouncementInvalid("run", _("Choose one of this course's runs."))
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise AnnouncementInvalid("subject", _("Enter a subject."))
    if len(subject) > SUBJECT_MAX:
        raise AnnouncementInvalid(
            "subject", _("Keep the subject to %(max)d characters.") % {"max": SUBJECT_MAX}
        )
    if not body:
        raise AnnouncementInvalid("body", _("Write the announcement."))
    if len(body) > BODY_MAX:
        raise AnnouncementInvalid(
            "body", _("Keep the announcement to %(max)d characters.") % {"max": BODY_MAX}
        )
    now = timezone.now()
    if send_at is not None and send_at <= now:
        send_at = None  # a time already past means now
    announcement = Announcement.objects.create(
        course=course,
        run=run,
        author=by,
        subject=subject,
        body=body,
        body_html=render_body(body),
        send_at=send_at,
        created_at=now,
    )
    logger.info(
        "announcements: %s by user %s to run %s, %s",
        announcement.pk,
        by.pk,
        run.pk,
        f"at {send_at.isoformat()}" if send_at else "now",
    )
    if send_at is None:
        _start(announcement.pk, now=now)
        announcement.refresh_from_db(fields=["started_at", "batch_at", "recipients"])
    return announcement


def _recipients(announcement: Announcement) -> QuerySet[Enrolment]:
    """The run's active learners who have not opted out of the course's emails."""
    opted_out = CourseEmailOptOut.objects.filter(course_id=announcement.course_id)
    return Enrolment.objects.filter(
        run_id=announcement.run_id, left_at__isnull=True, user__is_active=True
    ).exclude(user_id__in=opted_out.values("user_id"))


def _start(announcement_id: int, *, now: datetime.datetime) -> bool:
    """Fixes the recipients and queues the first batch once the caller commits; False if
    another process started it first."""
    announcement = Announcement.objects.get(pk=announcement_id)
    recipients = _recipients(announcement).count()
    started = Announcement.objects.filter(pk=announcement_id, started_at__isnull=True).update(
        started_at=now, batch_at=now, recipients=recipients
    )
    if started:
        transaction.on_commit(
            lambda: send_announcement_batch.enqueue(
                announcement_id=announcement_id, after_enrolment_id=0
            ),
            robust=True,
        )
    return bool(started)


@task
def send_due_announcements(now: datetime.datetime | None = None) -> int:
    """Writes the day's "Week N is open" announcements, starts every announcement whose time
    has come, and restarts sends that stopped. Returns how many it started or restarted."""
    now = now or timezone.now()
    create_week_open_announcements(now=now)
    count = 0
    due = Announcement.objects.filter(started_at__isnull=True, send_at__lte=now).order_by("pk")
    for announcement_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            count += _start(announcement_id, now=now)
    stalled = Announcement.objects.filter(
        started_at__isnull=False, finished_at__isnull=True, batch_at__lt=now - STALLED_AFTER
    )
    for announcement_id, last_id in stalled.values_list("pk", "last_enrolment_id"):
        logger.warning("announcements: restarting %s after enrolment %s", announcement_id, last_id)
        send_announcement_batch.enqueue(announcement_id=announcement_id, after_enrolment_id=last_id)
        count += 1
    return count


@task
def send_announcement_batch(announcement_id: int, after_enrolment_id: int) -> int:
    """Sends the next batch of an announcement, from the enrolment after after_enrolment_id,
    and queues the one after. Returns how many were delivered."""
    with transaction.atomic():
        announcement = (
            Announcement.objects.select_for_update(of=("self",))
            .select_related("course")
            .filter(pk=announcement_id, started_at__isnull=False, finished_at__isnull=True)
            .first()
        )
        if announcement is None or announcement.last_enrolment_id != after_enrolment_id:
            return 0  # finished, or this batch already ran
        batch = list(
            _recipients(announcement)
            .filter(pk__gt=after_enrolment_id)
            .select_related("user")
            .order_by("pk")[:BATCH_SIZE]
        )
        now = timezone.now()
        announcement.batch_at = now
        if not batch:
            announcement.finished_at = now
            announcement.save(update_fields=["batch_at", "finished_at"])
            logger.info(
                "announcements: %s finished, %s of %s delivered",
                announcement.pk,
                announcement.delivered,
                announcement.recipients,
            )
            return 0
        Notification.objects.bulk_create(
            Notification(
                recipient_id=enrolment.user_id,
                kind=Notification.Kind.ANNOUNCEMENT,
                actor_id=announcement.author_id,
                announcement=announcement,
                text=announcement.subject[:500],
                created_at=now,
                emailed_at=now,
            )
            for enrolment in batch
        )
        count_new(recipient_ids=[enrolment.user_id for enrolment in batch])
        delivered = _send_emails(announcement, [enrolment.user for enrolment in batch])
        announcement.delivered += delivered
        announcement.last_enrolment_id = batch[-1].pk
        announcement.save(update_fields=["batch_at", "delivered", "last_enrolment_id"])
        next_after = batch[-1].pk
        transaction.on_commit(
            lambda: send_announcement_batch.enqueue(
                announcement_id=announcement_id, after_enrolment_id=next_after
            ),
            robust=True,
        )
    return delivered


def _send_emails(announcement: Announcement, users: list[User]) -> int:
    """One email each over one connection; a failed address is logged and not counted."""
    delivered = 0
    with mailers.default as connection:
        for user in users:
            try:
                connection.send_messages([announcement_email(announcement, user)])
            except Exception:
                logger.exception("announcements: %s to user %s failed", announcement.pk, user.pk)
            else:
                delivered += 1
    return delivered


def announcement_email(announcement: Announcement, user: User) -> EmailMultiAlternatives:
    """The email to one learner: plain text and HTML, with a one-click unsubscribe (RFC 8058)
    from the course's emails."""
    course = announcement.course
    unsubscribe_url = settings.SITE_URL + reverse(
        "announcements:unsubscribe", args=[unsubscribe_token(user_id=user.pk, course_id=course.pk)]
    )
    context = {
        "announcement": announcement,
        "course": course,
        "recipient": user,
        "site_name": settings.SITE_NAME,
        "course_url": settings.SITE_URL + course.get_absolute_url(),
        "unsubscribe_url": unsubscribe_url,
        "settings_url": settings.SITE_URL + reverse("announcements:settings"),
    }
    # An automatic announcement's subject names the course already ("Week 2 of … is open").
    subject = (
        announcement.subject
        if announcement.is_automatic
        else f"{course.title}: {announcement.subject}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("conversation/announcements/email.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("conversation/announcements/email.html", context), "text/html"
    )
    return message


# --- "Week N is open" ----------------------------------------------------------------------
# A run with week_open_emails on (set on the workspace's run form) tells its learners when
# each week opens. The announcement is an ordinary one without an author: due at once, it is
# started by send_due_announcements right after, and sent by the batches above, to the same
# learners, with the same notification, unsubscribe link and opt-outs.


def create_week_open_announcements(*, now: datetime.datetime) -> int:
    """Writes the announcement of each week that opens today (the local date of now) in a run
    with week_open_emails on: week N of a weekly run opens on starts_on + 7·(N-1), for N up
    to the course's weeks; a run that opens every week at once gets one, "All weeks are
    open", on its first day (recorded as week 1's).

    Today only: a week that opened on an earlier day is never announced, whether the task did
    not run that day or the option was turned on since, as news of a week days old is no
    news. Once per run and week: the database's announcement_week_open_once constraint
    refuses a second, so a task run many times a day, or on two servers at once, writes one.

    One query for the runs (the few running with the option on), one for the announcements
    they have, and a few per announcement written, whatever the number of learners.
    Returns how many it wrote."""
    today = timezone.localdate(now)
    runs = list(
        CourseRun.objects.filter(week_open_emails=True, starts_on__lte=today, ends_on__gte=today)
        .exclude(release=Release.ALL, starts_on__lt=today)
        .select_related("course")
        .order_by("pk")
    )
    due = [(run, number) for run in runs if (number := _week_opening(run, today)) is not None]
    if not due:
        return 0
    done = set(
        Announcement.objects.filter(
            run_id__in=[run.pk for run, _number in due], opens_week__isnull=False
        ).values_list("run_id", "opens_week")
    )
    written = 0
    for run, number in due:
        if (run.pk, number) in done:
            continue
        with translation.override(run.course.language):
            subject, body = week_open_message(run=run, number=number)
        try:
            with transaction.atomic():
                announcement = Announcement.objects.create(
                    course=run.course,
                    run=run,
                    author=None,
                    opens_week=number,
                    subject=subject,
                    body=body,
                    body_html=render_body(body),
                    send_at=now,
                    created_at=now,
                )
        except IntegrityError:
            continue  # another process wrote it first
        logger.info("announcements: %s, week %s of run %s opens", announcement.pk, number, run.pk)
        written += 1
    return written


def _week_opening(run: CourseRun, today: datetime.date) -> int | None:
    """The number of the week that opens today in the run, or None, by the run's own rule
    (CourseRun.week_opens_on). With every week at once they all open on the first day,
    where week_of says 1: its one announcement stands for every week."""
    if today < run.starts_on:
        return None
    number = run.week_of(today)
    if number > run.course.week_count or run.week_opens_on(number) != today:
        return None
    return number


def week_open_message(*, run: CourseRun, number: int) -> tuple[str, str]:
    """The subject and Markdown body announcing that week `number` of the run is open (with
    release all at once, that every week is), in the active language. Links are absolute:
    they are read in an email."""
    course = run.course
    todo_url = settings.SITE_URL + reverse("learning:todo", args=[course.slug])
    first_step = (
        Step.objects.filter(week__course=course, week__number=number).order_by("position").first()
    )
    start = ""
    if first_step is not None:
        step_url = settings.SITE_URL + reverse(
            "learning:step",
            kwargs={"slug": course.slug, "week": number, "position": first_step.position},
        )
        text = _("Start with step %(number)s: %(title)s") % {
            "number": f"{number}.{first_step.position}",
            "title": first_step.title,
        }
        start = _link(text, step_url)
    if run.release == Release.ALL:
        subject = _("All weeks of %(course)s are open") % {"course": course.title}
        weeks = Week.objects.filter(course=course).order_by("number")
        listing = "\n".join(
            "- "
            + _link(
                _("Week %(number)d: %(title)s") % {"number": week.number, "title": week.title},
                f"{todo_url}#week-{week.number}",
            )
            for week in weeks
        )
        paragraphs = [
            _("%(course)s has started, and all its weeks are open:")
            % {"course": _escape(course.title)},
            listing,
            start,
            _("Work through them at your own pace: everything to do is on %(link)s.")
            % {"link": _link(_("your to-do list"), todo_url)},
        ]
    else:
        subject = _("Week %(number)d of %(course)s is open") % {
            "number": number,
            "course": course.title,
        }
        week = Week.objects.filter(course=course, number=number).first()
        names = {"number": number, "course": _escape(course.title)}
        opened = (
            _("Week %(number)d of %(course)s is open: **%(title)s**.")
            % {**names, "title": _escape(week.title)}
            if week is not None and week.title
            else _("Week %(number)d of %(course)s is open.") % names
        )
        paragraphs = [
            opened,
            start,
            _("Everything to do this week is on %(link)s.")
            % {"link": _link(_("your to-do list"), f"{todo_url}#week-{number}")},
        ]
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    return Truncator(subject).chars(SUBJECT_MAX), body


# What CommonMark reads inside a line (emphasis, links, code, raw HTML, entities,
# strikethrough), and at the start of one (headings, lists, quotes, tables: a translation
# may begin a line with the course's title): a title the course team wrote stays its text.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&~])")
_MARKDOWN_LINE_START = re.compile(r"^(\d*)([#+\-=|.)])")


def _escape(text: str) -> str:
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", _MARKDOWN_INLINE.sub(r"\\\1", text))


def _link(text: str, url: str) -> str:
    return f"[{_escape(text)}]({url})"


# --- Opting out ----------------------------------------------------------------------------


def unsubscribe_token(*, user_id: int, course_id: int) -> str:
    """A signed, unexpiring token for one person's unsubscribe link from one course."""
    return signing.dumps([user_id, course_id], salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, int]:
    """(user id, course id) from a token; Invalid if it was not made here."""
    try:
        user_id, course_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(user_id), int(course_id)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise Invalid(_("This unsubscribe link is not valid.")) from error


def opt_out(*, user_id: int, course_id: int) -> bool:
    """Stops the course's announcements to the person. Safe to repeat; True if it changed."""
    try:
        with transaction.atomic():
            CourseEmailOptOut.objects.create(
                user_id=user_id, course_id=course_id, created_at=timezone.now()
            )
    except IntegrityError:
        return False
    logger.info("announcements: user %s opted out of course %s", user_id, course_id)
    return True


def opt_in(*, user_id: int, course_id: int) -> bool:
    deleted, _ignored = CourseEmailOptOut.objects.filter(
        user_id=user_id, course_id=course_id
    ).delete()
    return bool(deleted)
