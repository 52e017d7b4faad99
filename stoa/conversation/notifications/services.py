"""Who hears about what: notifications of replies, likes, moderation and followed people's
comments, and the daily digest email.

Who calls what (the comment and moderation services depend on these names):
- notify(recipient=, kind=, actor=, comment=) for a reply or a like, in the caller's
  transaction; never for one's own doing, and one like notification per liker and comment.
  Peer review (stoa.assessments.peer) calls it with step= instead of comment= for a review of
  someone's work and for a moderator's decision on work or a review: its page is the step's.
- notify_followers(comment=) after posting: the fan-out to followers runs as a background task
  once the caller's transaction commits, so posting never waits for 10,000 followers.
- notify_moderation(comment=, moderator=, kind=, reason=) when a moderator hides or restores.
- send_daily_digests, the daily task (`stoa digest` enqueues it).

The tasks are django.tasks tasks defined here, on the functions themselves: in production
they queue in the database for `stoa db_worker`; in tests and with STOA_TASKS_BACKEND=immediate
they run inline. Call one directly with .call(...). Arguments are JSON: ids, never rows.

Nobody is told of a comment they may not read (rules.readable_comments): followers hear of a
comment only if it is on a week open in its run for them, or they are on the course's team.

Marking read: the activity page marks the notifications it shows as read (they show as new
that once), and "Mark all as read" marks the rest. Following a notification's link marks
nothing, so that a mail scanner fetching the digest's links changes no one's state.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stoa.accounts.models import User
from stoa.conversation.models import Comment, Follow, ModerationAction, Notification
from stoa.conversation.notifications.selectors import with_descriptions, with_readability
from stoa.conversation.rules import active_learners_of
from stoa.courses.models import CourseTeamMember, Step

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 1000
# "The last day", with an hour's slack so a daily timer that fires late loses nothing;
# emailed_at keeps anything from being sent twice.
DIGEST_WINDOW = datetime.timedelta(hours=25)
DIGEST_MAX_ITEMS = 50


def notify(
    *,
    recipient: User,
    kind: str,
    actor: User | None = None,
    comment: Comment | None = None,
    step: Step | None = None,
    text: str = "",
) -> Notification | None:
    """Notifies one person, never of their own doing. A like notifies once per liker and
    comment, however often it is toggled. `step` is what a notification without a comment
    links to (selectors.notification_url)."""
    if actor is not None and actor.pk == recipient.pk:
        return None
    if (
        kind == Notification.Kind.LIKE
        and comment is not None
        and Notification.objects.filter(comment=comment, actor=actor, kind=kind).exists()
    ):
        return None
    # No savepoint of its own: within a write (a reply, a like) it is part of that write.
    with transaction.atomic(savepoint=False):
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            actor=actor,
            comment=comment,
            step=step,
            text=text,
            created_at=timezone.now(),
        )
        count_new(recipient_ids=[recipient.pk])
    return notification


def count_new(*, recipient_ids: list[int]) -> None:
    """Adds one to each recipient's unread count (accounts' User.unread_notifications): for
    the caller's transaction that has just stored a notification for each of them."""
    User.objects.filter(pk__in=recipient_ids).update(
        unread_notifications=F("unread_notifications") + 1
    )


def notify_moderation(
    *, comment: Comment, moderator: User, kind: str, reason: str = ""
) -> Notification | None:
    """Tells a comment's author that a moderator hid or restored it (with the reason shown to
    them). Dismissed reports are not news to the author."""
    if kind == ModerationAction.Kind.HIDE:
        text = _("A moderator hid your comment.")
        if reason:
            text = _("%(text)s Reason: %(reason)s") % {"text": text, "reason": reason}
    elif kind == ModerationAction.Kind.RESTORE:
        text = _("A moderator restored your comment.")
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
    comment_id = comment.pk
    transaction.on_commit(lambda: fan_out_to_followers.enqueue(comment_id=comment_id), robust=True)


@task
def fan_out_to_followers(comment_id: int) -> int:
    """Notifies the followers of a comment's author who may read it: the run's active
    learners if its week is open in the run, and the course's team. Safe to run again: nobody
    is told twice. Returns how many were told."""
    comment = (
        Comment.objects.select_related("run", "parent", "step__week")
        .filter(pk=comment_id, hidden_at__isnull=True, deleted_at__isnull=True)
        .first()
    )
    if comment is None:
        return 0
    readers = Q(
        follower_id__in=CourseTeamMember.objects.filter(course_id=comment.run.course_id).values(
            "user_id"
        )
    )
    if comment.run.is_week_open(comment.step.week.number, today=timezone.localdate()):
        readers |= Q(follower_id__in=active_learners_of(comment.run_id))
    told = Notification.objects.filter(
        comment_id=comment.pk, kind=Notification.Kind.FOLLOWED_COMMENT
    )
    followers = (
        Follow.objects.filter(followed_id=comment.author_id)
        .filter(readers)
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
        with transaction.atomic():
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
            count_new(recipient_ids=batch)
        sent += len(batch)
        last_id = batch[-1]
    logger.info("notifications: comment %s told %s followers", comment.pk, sent)
    return sent


def mark_read(*, user: User, notification_ids: list[int]) -> int:
    """Marks these of the user's own notifications read (the ones a page has just shown), and
    takes them off the user's unread count (in the database and on `user`)."""
    if not notification_ids:
        return 0
    with transaction.atomic(savepoint=False):
        marked = Notification.objects.filter(
            recipient=user, pk__in=notification_ids, read_at__isnull=True
        ).update(read_at=timezone.now())
        if marked:
            User.objects.filter(pk=user.pk).update(
                unread_notifications=Greatest(F("unread_notifications") - marked, 0)
            )
            user.unread_notifications = max(0, user.unread_notifications - marked)
    return marked


def mark_all_read(*, user: User) -> int:
    with transaction.atomic(savepoint=False):
        marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        User.objects.filter(pk=user.pk).update(unread_notifications=0)
        user.unread_notifications = 0
    return marked


def recount_unread(*, user: User) -> int:
    """Sets the user's unread count to what their notifications say: for the activity page,
    which mends a count left too high by notifications deleted with their comment or step."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    count = unread.count()
    if count != user.unread_notifications:
        # Counted again in the UPDATE itself, so a notification arriving meanwhile counts.
        counted = unread.order_by().values("recipient_id").annotate(n=Count("pk")).values("n")
        User.objects.filter(pk=user.pk).update(unread_notifications=Coalesce(Subquery(counted), 0))
        user.unread_notifications = count
    return count


# --- The daily digest ----------------------------------------------------------------------


def _pending_digest(now: datetime.datetime) -> QuerySet:
    return Notification.objects.filter(
        read_at__isnull=True, emailed_at__isnull=True, created_at__gte=now - DIGEST_WINDOW
    )


@task
def send_daily_digests(now: datetime.datetime | None = None) -> int:
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
    pending = list(
        _pending_digest(now)
        .filter(recipient_id=recipient_id)
        .select_for_update(of=("self",))
        .select_related("recipient")
        .order_by("-created_at", "-id")
    )
    if not pending:
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    recipient = pending[0].recipient
    # Only what the recipient may read now: a digest is news to act on, and a comment hidden
    # or deleted since, or in a run they have left, is not.
    notifications = [
        notification
        for notification in with_readability(
            Notification.objects.filter(pk__in=[n.pk for n in pending]), recipient
        )
        .select_related("actor", "comment__step__week__course", "step__week__course")
        .order_by("-created_at", "-id")
        if notification.comment_id is None or notification.comment_readable
    ]
    if not notifications:
        return 0
    shown = with_descriptions(notifications[:DIGEST_MAX_ITEMS])
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
        subject=ngettext(
            "%(site)s: %(count)d new notification", "%(site)s: %(count)d new notifications", count
        )
        % {"site": settings.SITE_NAME, "count": count},
        body=render_to_string("conversation/notifications/digest_email.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("conversation/notifications/digest_email.html", context), "text/html"
    )
    message.send()
    return 1
