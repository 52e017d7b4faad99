"""Reads of notifications: the activity page, the header's unread count, and how each
notification reads. A notification's comment is quoted and linked only while its recipient may
read it (rules.readable_comments), so nothing reaches anyone through here that the
conversation would not show them.
"""

import html
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.conversation.models import Comment, Notification
from stoa.conversation.rules import readable_comments
from stoa.lib.dates import ago
from stoa.lib.keyset import Cursor, Page, newest_first

PAGE_SIZE = 25
# The header shows "99+" beyond this, and counting stops there: a LIMIT, never a full scan.
UNREAD_CAP = 99
EXCERPT_CHARS = 160


def comment_url(comment: Comment) -> str:
    """The comment in its step's conversation. Needs comment.step.week.course loaded."""
    return f"{comment.step.get_absolute_url()}#comment-{comment.pk}"


def notification_url(notification: Notification) -> str | None:
    """Where a notification leads: its comment, or the part of its step's page it is about
    (peer review's reviews of one's work); None when it has neither. Needs the comment's or
    the step's week and course loaded. The step page decides what its reader may see there,
    so a step is linked without asking readable_comments."""
    if notification.comment is not None:
        return comment_url(notification.comment)
    if notification.step is not None:
        return f"{notification.step.get_absolute_url()}#peer-review"
    if notification.announcement is not None:
        # An announcement is the course's news: its page. Needs announcement.course loaded.
        return notification.announcement.course.get_absolute_url()
    if notification.kind == Notification.Kind.CERTIFICATE:
        # By name: certificates are an app above this one.
        return reverse("certificates:achievements")
    return None


def excerpt(comment: Comment | None) -> str:
    """A plain-text start of a comment; nothing of a hidden or deleted one."""
    if comment is None or comment.is_hidden or comment.is_deleted:
        return ""
    text = html.unescape(strip_tags(comment.body_html)).strip()
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def summary(notification: Notification) -> str:
    """What happened, in a sentence: the activity page's link text and the digest's line."""
    if notification.kind == Notification.Kind.MODERATION:
        return notification.text or _("A moderator reviewed your comment.")
    if notification.kind == Notification.Kind.CERTIFICATE:
        return notification.text or _("You earned a certificate.")
    if notification.kind == Notification.Kind.ANNOUNCEMENT:
        return _("Announcement: %(subject)s") % {"subject": notification.text}
    who = notification.actor.public_name if notification.actor else _("Someone")
    if notification.kind == Notification.Kind.PEER_REVIEW:
        return _("%(name)s reviewed your work") % {"name": who}
    if notification.kind == Notification.Kind.REPLY:
        return _("%(name)s replied to your comment") % {"name": who}
    if notification.kind == Notification.Kind.LIKE:
        return _("%(name)s liked your comment") % {"name": who}
    if notification.kind == Notification.Kind.FOLLOWED_COMMENT:
        return _("%(name)s, whom you follow, posted a comment") % {"name": who}
    return notification.text or notification.get_kind_display()


def with_descriptions(notifications: list[Notification]) -> list[Notification]:
    """Adds what a page or the digest says of each: a summary, an excerpt of the comment (only
    where with_readability found it readable), and how long ago."""
    now = timezone.now()
    for notification in notifications:
        readable = getattr(notification, "comment_readable", False)
        notification.summary = summary(notification)  # type: ignore[attr-defined]
        notification.excerpt = (  # type: ignore[attr-defined]
            excerpt(notification.comment) if readable else ""
        )
        notification.ago = ago(notification.created_at, now=now)  # type: ignore[attr-defined]
    return notifications


def with_readability(notifications: QuerySet[Notification], user: User) -> QuerySet:
    """Annotates whether the user may read each notification's comment now (comment_readable):
    a notification stays in their history, but a comment hidden since, deleted, or in a run
    they have left is not quoted or linked."""
    readable = Comment.objects.filter(readable_comments(user), pk=OuterRef("comment_id"))
    return notifications.annotate(comment_readable=Exists(readable))


def activity_page(*, user: User, cursor: Cursor | None = None) -> Page:
    """A page of the user's notifications, newest first."""
    inbox = with_readability(
        Notification.objects.filter(recipient=user).select_related(
            "actor", "comment__step__week__course", "step__week__course", "announcement__course"
        ),
        user,
    )
    page = newest_first(inbox, cursor, PAGE_SIZE)
    with_descriptions(page.items)
    return page


class UnreadNotifications:
    """The header's unread count: the count kept on the user's row (accounts'
    User.unread_notifications, kept by the services), so no page pays a query for it; read
    only when a template shows it."""

    cap = UNREAD_CAP

    def __init__(self, user: Any) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        if not self._user.is_authenticated:
            return 0
        return min(self._user.unread_notifications, UNREAD_CAP + 1)

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP}+" if self.count > UNREAD_CAP else str(self.count)
