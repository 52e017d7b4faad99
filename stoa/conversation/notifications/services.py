"""Notifications and profiles: who hears about what, the activity page, the daily digest, and
the public profile's comments. Following itself is services.toggle_follow.

Who calls what (the comment and moderation services depend on these names):
- notify(recipient=, kind=, actor=, comment=) for a reply or a like, in the caller's
  transaction; never for one's own doing, and one like notification per liker and comment.
- notify_followers(comment=) after posting: the fan-out to followers runs as a background task
  once the caller's transaction commits, so posting never waits for 10,000 followers.
- notify_moderation(comment=, moderator=, kind=, reason=) when a moderator hides or restores.
- send_daily_digests(), run daily by the task of that name (`stoa digest` enqueues it).

Marking read: opening a notification (its link goes through notifications:open) marks that one
read; "Mark all as read" marks the rest. Viewing the activity page marks nothing, so what is
new stays marked until it has been opened.
"""

import datetime
import html
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator

from stoa.accounts.models import User
from stoa.conversation.models import Comment, Follow, ModerationAction, Notification
from stoa.courses.models import CourseTeamMember
from stoa.learning.models import Enrolment
from stoa.lib.dates import ago

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 1000
PAGE_SIZE = 25
# The header shows "99+" beyond this, and counting stops there: a LIMIT, never a full scan.
UNREAD_CAP = 99
# "The last day", with an hour's slack so a daily timer that fires late loses nothing;
# emailed_at keeps anything from being sent twice.
DIGEST_WINDOW = datetime.timedelta(hours=25)
DIGEST_MAX_ITEMS = 50
EXCERPT_CHARS = 160


# --- writes ---


def notify(
    *,
    recipient: User,
    kind: str,
    actor: User | None = None,
    comment: Comment | None = None,
    text: str = "",
) -> Notification | None:
    """Notifies one person, never of their own doing. A like notifies once per liker and
    comment, however often it is toggled."""
    if actor is not None and actor.pk == recipient.pk:
        return None
    if (
        kind == Notification.Kind.LIKE
        and comment is not None
        and Notification.objects.filter(comment=comment, actor=actor, kind=kind).exists()
    ):
        return None
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        comment=comment,
        text=text,
        created_at=timezone.now(),
    )


def notify_moderation(
    *, comment: Comment, moderator: User, kind: str, reason: str = ""
) -> Notification | None:
    """Tells a comment's author that a moderator hid or restored it (with the reason shown to
    them). Dismissed reports are not news to the author."""
    if kind == ModerationAction.Kind.HIDE:
        text = "A moderator hid your comment."
        if reason:
            text = f"{text} Reason: {reason}"
    elif kind == ModerationAction.Kind.RESTORE:
        text = "A moderator restored your comment."
    else:
        return None
    return notify(
        recipient=comment.author,
        kind=Notification.Kind.MODERATION,
        actor=moderator,
        comment=comment,
        text=text[:500],
    )


def notify_followers(*, comment: Comment) -> None:
    """Queues the fan-out of a new comment to its author's followers, once the caller's
    transaction commits. A failure to queue is logged and never undoes the post."""
    # tasks imports this module for the work itself.
    from stoa.conversation import tasks

    comment_id = comment.pk
    transaction.on_commit(
        lambda: tasks.fan_out_to_followers.enqueue(comment_id=comment_id), robust=True
    )


def fan_out_to_followers(*, comment_id: int) -> int:
    """Notifies the followers of a comment's author who can see it: learners on its run and its
    course's team. Safe to run again: nobody is told twice. Returns how many were told."""
    comment = (
        Comment.objects.select_related("run", "parent")
        .filter(pk=comment_id, hidden_at__isnull=True, deleted_at__isnull=True)
        .first()
    )
    if comment is None:
        return 0
    on_run = Enrolment.objects.filter(run_id=comment.run_id, left_at__isnull=True)
    on_team = CourseTeamMember.objects.filter(course_id=comment.run.course_id)
    told = Notification.objects.filter(
        comment_id=comment.pk, kind=Notification.Kind.FOLLOWED_COMMENT
    )
    followers = (
        Follow.objects.filter(followed_id=comment.author_id)
        .filter(
            Q(follower_id__in=on_run.values("user_id"))
            | Q(follower_id__in=on_team.values("user_id"))
        )
        .exclude(follower_id__in=told.values("recipient_id"))
    )
    if comment.parent is not None:
        # The parent's author hears of the reply as a reply.
        followers = followers.exclude(follower_id=comment.parent.author_id)
    now = timezone.now()
    sent, last_id = 0, 0
    while True:
        # Keyset batches: each a short query of its own, so no cursor stays open while writing.
        batch = list(
            followers.filter(follower_id__gt=last_id)
            .order_by("follower_id")
            .values_list("follower_id", flat=True)[:FAN_OUT_BATCH]
        )
        if not batch:
            break
        Notification.objects.bulk_create(
            Notification(
                recipient_id=follower_id,
                kind=Notification.Kind.FOLLOWED_COMMENT,
                actor_id=comment.author_id,
                comment_id=comment.pk,
                created_at=now,
            )
            for follower_id in batch
        )
        sent += len(batch)
        last_id = batch[-1]
    logger.info("notifications: comment %s told %s followers", comment.pk, sent)
    return sent


def open_notification(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- reads ---


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Cursor:
    """Where a page newest first by (created_at, id) ended: "<microseconds>.<id>" in URLs,
    exact integers so no row is skipped or repeated."""

    created_at: datetime.datetime
    id: int

    def __str__(self) -> str:
        micros = (self.created_at - _EPOCH) // datetime.timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, value: str) -> "Cursor | None":
        """The cursor in value, or None (the first page) for anything malformed."""
        micros, _, id_ = value.partition(".")
        if not (micros.isdigit() and id_.isdigit()) or len(micros) > 18:
            return None
        return cls(_EPOCH + datetime.timedelta(microseconds=int(micros)), int(id_))


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _newest_first_page(queryset: QuerySet, cursor: str, size: int = PAGE_SIZE) -> Page:
    """One keyset page, newest first: one query whatever the page number."""
    after = Cursor.parse(cursor)
    if after is not None:
        queryset = queryset.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, id__lt=after.id)
        )
    rows = list(queryset.order_by("-created_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, str(Cursor(rows[-1].created_at, rows[-1].pk)) if more else None)


def comment_url(comment: Comment) -> str:
    """The comment in its step's conversation. Needs comment.step.week.course loaded."""
    return f"{comment.step.get_absolute_url()}#comment-{comment.pk}"


def excerpt(comment: Comment | None) -> str:
    """A plain-text start of a comment; nothing of a hidden or deleted one."""
    if comment is None or comment.is_hidden or comment.is_deleted:
        return ""
    text = html.unescape(strip_tags(comment.body_html)).strip()
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def summary(notification: Notification) -> str:
    """What happened, in a sentence: the activity page's link text and the digest's line."""
    if notification.kind == Notification.Kind.MODERATION:
        return notification.text or "A moderator reviewed your comment."
    who = notification.actor.display_name if notification.actor else "Someone"
    if notification.kind == Notification.Kind.REPLY:
        return f"{who} replied to your comment"
    if notification.kind == Notification.Kind.LIKE:
        return f"{who} liked your comment"
    if notification.kind == Notification.Kind.FOLLOWED_COMMENT:
        return f"{who}, whom you follow, posted a comment"
    return notification.text or notification.get_kind_display()


def _with_descriptions(notifications: list[Notification]) -> list[Notification]:
    now = timezone.now()
    for notification in notifications:
        notification.summary = summary(notification)  # type: ignore[attr-defined]
        notification.excerpt = excerpt(notification.comment)  # type: ignore[attr-defined]
        notification.ago = ago(notification.created_at, now=now)  # type: ignore[attr-defined]
    return notifications


def _inbox(user: User) -> QuerySet:
    return Notification.objects.filter(recipient=user).select_related(
        "actor", "comment__step__week__course"
    )


def activity_page(*, user: User, cursor: str = "") -> Page:
    """A page of the user's notifications, newest first."""
    page = _newest_first_page(_inbox(user), cursor)
    _with_descriptions(page.items)
    return page


def unread_count(*, user: User, limit: int) -> int:
    """Unread notifications, counted up to limit (a LIMIT subquery on the unread index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)[:limit].count()


class UnreadNotifications:
    """The header's unread count: counted at most once per render, and only when a template
    shows it, so pages that never ask (and visitors) pay nothing."""

    cap = UNREAD_CAP

    def __init__(self, user: Any) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        if not self._user.is_authenticated:
            return 0
        return unread_count(user=self._user, limit=UNREAD_CAP + 1)

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP}+" if self.count > UNREAD_CAP else str(self.count)


def is_following(*, follower: User, followed: User) -> bool:
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def _runs_shared_with(viewer: User, person: User) -> Q:
    """Comments the viewer may see on the person's profile: in runs where both are active
    learners (or the person is on the course's team), and in any run of a course the viewer
    is on the team of. Subqueries, so it is one query however many courses."""
    viewer_runs = Enrolment.objects.filter(user=viewer, left_at__isnull=True).values("run_id")
    person_runs = Enrolment.objects.filter(user=person, left_at__isnull=True).values("run_id")
    person_teams = CourseTeamMember.objects.filter(user=person).values("course_id")
    viewer_teams = CourseTeamMember.objects.filter(user=viewer).values("course_id")
    as_learners = Q(run_id__in=viewer_runs) & (
        Q(run_id__in=person_runs) | Q(run__course_id__in=person_teams)
    )
    return as_learners | Q(run__course_id__in=viewer_teams)


def profile_comments(*, viewer: User, person: User, cursor: str = "") -> Page | None:
    """A page of the person's visible comments that the viewer shares a course with them in,
    newest first; None when the person keeps them private (people always see their own).
    Admins see every course's."""
    is_self = viewer.pk == person.pk
    if not person.show_comments_on_profile and not is_self:
        return None
    comments = Comment.objects.filter(
        author=person, hidden_at__isnull=True, deleted_at__isnull=True
    ).select_related("step__week__course")
    if not (is_self or viewer.is_staff):
        comments = comments.filter(_runs_shared_with(viewer, person))
    return _newest_first_page(comments, cursor)


# --- the daily digest ---


def _pending_digest(now: datetime.datetime) -> QuerySet:
    return Notification.objects.filter(
        read_at__isnull=True, emailed_at__isnull=True, created_at__gte=now - DIGEST_WINDOW
    )


def send_daily_digests(*, now: datetime.datetime | None = None) -> int:
    """Emails each person who opted in their unread notifications of the last day that no
    digest has mentioned yet: one email each, none on a quiet day. Running it twice sends
    nothing new. Returns how many emails went."""
    now = now or timezone.now()
    recipient_ids = list(
        _pending_digest(now)
        .filter(recipient__daily_digest=True, recipient__is_active=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for recipient_id in recipient_ids:
        try:
            sent += _send_digest(recipient_id=recipient_id, now=now)
        except Exception:
            # One bad address or a mail server hiccup must not stop everyone else's digest;
            # that person's notifications stay unmarked, so tomorrow's digest includes them.
            logger.exception("notifications: digest for user %s failed", recipient_id)
    logger.info("notifications: sent %s daily digests", sent)
    return sent


@transaction.atomic
def _send_digest(*, recipient_id: int, now: datetime.datetime) -> int:
    # Locked and marked in one transaction with the sending, so a second run at the same time
    # waits and then finds nothing, and a failed send leaves them for the next digest.
    pending = (
        _pending_digest(now)
        .filter(recipient_id=recipient_id)
        .select_for_update(of=("self",))
        .select_related("recipient", "actor", "comment__step__week__course")
        .order_by("-created_at", "-id")
    )
    notifications = list(pending)
    if not notifications:
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    recipient = notifications[0].recipient
    shown = _with_descriptions(notifications[:DIGEST_MAX_ITEMS])
    context = {
        "recipient": recipient,
        "site_name": settings.SITE_NAME,
        "items": [
            {
                "notification": n,
                "url": settings.SITE_URL + reverse("notifications:open", args=[n.pk]),
            }
            for n in shown
        ],
        "more": len(notifications) - len(shown),
        "activity_url": settings.SITE_URL + reverse("notifications:activity"),
        "settings_url": settings.SITE_URL + reverse("accounts:profile"),
    }
    count = len(notifications)
    message = EmailMultiAlternatives(
        subject=f"{settings.SITE_NAME}: {count} new notification{'' if count == 1 else 's'}",
        body=render_to_string("conversation/notifications_digest_email.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("conversation/notifications_digest_email.html", context), "text/html"
    )
    message.send()
    return 1
