"""The course team's writes on the conversation from their workspace: marking a waiting
comment handled, and pinning a comment to the top of its step's conversation.

Each checks the permission table (stoa.courses.permissions) from the database and raises a
Refused otherwise; each is atomic. Replying from the inbox is comments.services.post_comment,
which takes the thread out of the inbox in its own transaction (inbox.waiting).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.conversation import rules
from stoa.conversation.comments.services import locked
from stoa.conversation.inbox import waiting
from stoa.conversation.models import Comment
from stoa.courses.permissions import Can, require
from stoa.lib.refusals import NotAllowed

logger = logging.getLogger(__name__)


@transaction.atomic
def mark_handled(*, user: User, comment: Comment) -> bool:
    """Takes the comment out of the team's inbox without a reply (answered elsewhere, or
    needing none). Twice is once; returns whether it was waiting."""
    require(user=user, course=comment.run.course, action=Can.REPLY)
    changed = waiting.stop_waiting(comment)
    if changed:
        logger.info("User %s marked comment %s handled", user.pk, comment.pk)
    return changed


@transaction.atomic
def pin_comment(*, user: User, comment: Comment) -> None:
    """Pins a comment that starts a thread to the top of its step's conversation in its run,
    unpinning the one pinned there before: one at a time (a constraint holds it too)."""
    require(user=user, course=comment.run.course, action=Can.PIN)
    current = locked(comment)
    if comment.parent_id is not None:
        raise NotAllowed(_("Only a comment that starts a thread can be pinned, not a reply."))
    if not rules.is_live(current):
        raise NotAllowed(_("A hidden or deleted comment can't be pinned."))
    pinned = Comment.objects.filter(run_id=comment.run_id, step_id=comment.step_id)
    pinned.filter(pinned_at__isnull=False).exclude(pk=comment.pk).update(pinned_at=None)
    if pinned.filter(pk=comment.pk, pinned_at__isnull=True).update(pinned_at=timezone.now()):
        logger.info("User %s pinned comment %s", user.pk, comment.pk)
    comment.refresh_from_db(fields=["pinned_at"])


@transaction.atomic
def unpin_comment(*, user: User, comment: Comment) -> None:
    """Unpins the comment; it goes back to its place in the conversation. Twice is once."""
    require(user=user, course=comment.run.course, action=Can.PIN)
    if Comment.objects.filter(pk=comment.pk, pinned_at__isnull=False).update(pinned_at=None):
        logger.info("User %s unpinned comment %s", user.pk, comment.pk)
    comment.pinned_at = None
