"""Reporting and moderation: learners report comments to the course team, who hide, restore
or dismiss. Every decision is logged as a ModerationAction and tells the comment's author.

Each write checks who may make it (stoa.conversation.rules) and raises a Refused otherwise, so
pages and the API call them alike.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.conversation import rules
from stoa.conversation.comments.services import count_reply, locked
from stoa.conversation.inbox import waiting
from stoa.conversation.models import Comment, ModerationAction, Report
from stoa.conversation.notifications.services import notify_moderation
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed, NotFound

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500


class AlreadyReported(AlreadyDone):
    """This person has reported this comment before; a report is made once."""


class NothingToDo(AlreadyDone):
    """The decision is already in effect: hiding a hidden comment, restoring a visible one,
    dismissing reports when none is open. A double submit lands here and logs nothing."""


def _require_moderator(*, moderator: User, comment: Comment) -> None:
    rules.require_moderator(user=moderator, course=comment.run.course)


def _clean_reason(reason: str) -> str:
    """The forms say this kindly; here it guards other callers, such as the API."""
    reason = reason.strip()
    if not reason:
        raise Invalid(_("A reason is required."))
    if len(reason) > REASON_MAX_LENGTH:
        raise Invalid(_("A reason has at most %(max)d characters.") % {"max": REASON_MAX_LENGTH})
    return reason


def require_reporter(*, reporter: User, comment: Comment) -> None:
    """Refuses unless the person may report the comment: a learner of the comment's run who
    can see it (NotFound otherwise, as on its page), and not its author."""
    viewer = rules.viewer_in(user=reporter, run=comment.run)
    rules.require_visible(viewer, comment)
    if comment.deleted_at is not None:
        raise NotFound(_("No such comment."))
    if rules.is_own(viewer, comment):
        raise NotAllowed(_("This is your own comment: you can edit or delete it instead."))
    if not rules.can_report(viewer, comment):
        raise NotAllowed(_("Join this course to report its comments."))


# --- Writes --------------------------------------------------------------------------------


@transaction.atomic
def report_comment(*, reporter: User, comment: Comment, reason: str) -> Report:
    """Reports a comment to the course team, once per person and comment."""
    require_reporter(reporter=reporter, comment=comment)
    reason = _clean_reason(reason)
    if Report.objects.filter(reporter=reporter, comment=comment).exists():
        raise AlreadyReported(_("You have already reported this comment."))
    try:
        with transaction.atomic():
            return Report.objects.create(
                comment=comment, reporter=reporter, reason=reason, created_at=timezone.now()
            )
    except IntegrityError as exc:  # reported in another tab at the same moment
        raise AlreadyReported(_("You have already reported this comment.")) from exc


@transaction.atomic
def hide_comment(*, moderator: User, comment: Comment, reason: str) -> ModerationAction:
    """Hides a comment from learners, with a reason shown to its author; resolves its reports.
    A hidden comment no longer waits for the team nor stays pinned."""
    reason = _clean_reason(reason)
    _require_moderator(moderator=moderator, comment=comment)
    now = timezone.now()
    current = locked(comment)
    if current.is_hidden:
        raise NothingToDo(_("This comment is already hidden."))
    Comment.objects.filter(pk=comment.pk).update(
        hidden_at=now, hidden_reason=reason, pinned_at=None
    )
    waiting.stop_waiting(current)
    if not current.is_deleted:
        count_reply(current, -1)
    comment.hidden_at, comment.hidden_reason = now, reason
    _resolve_reports(comment=comment, now=now)
    return _decide(
        moderator=moderator,
        comment=comment,
        kind=ModerationAction.Kind.HIDE,
        reason=reason,
        now=now,
    )


@transaction.atomic
def restore_comment(*, moderator: User, comment: Comment) -> ModerationAction:
    """Shows a hidden comment again. The log keeps why it was hidden. A learner's thread that
    no team member has answered waits for the team again."""
    _require_moderator(moderator=moderator, comment=comment)
    now = timezone.now()
    current = locked(comment)
    if not current.is_hidden:
        raise NothingToDo(_("This comment is not hidden."))
    Comment.objects.filter(pk=comment.pk).update(hidden_at=None, hidden_reason="")
    if not current.is_deleted:
        count_reply(current, +1)
        if waiting.waits_again(current):
            waiting.start_waiting(current)
    comment.hidden_at, comment.hidden_reason = None, ""
    return _decide(
        moderator=moderator,
        comment=comment,
        kind=ModerationAction.Kind.RESTORE,
        reason="",
        now=now,
    )


@transaction.atomic
def dismiss_reports(*, moderator: User, comment: Comment) -> ModerationAction:
    """Resolves a comment's open reports and leaves it up.

    The author is not told: nothing about their comment changes, and telling them it was
    reported would only unsettle them. Hiding and restoring do tell them.
    """
    _require_moderator(moderator=moderator, comment=comment)
    now = timezone.now()
    dismissed = _resolve_reports(comment=comment, now=now)
    if not dismissed:
        raise NothingToDo(_("This comment has no open reports."))
    logger.info("User %s dismissed %d report(s) of comment %s", moderator.pk, dismissed, comment.pk)
    return ModerationAction.objects.create(
        comment=comment,
        moderator=moderator,
        kind=ModerationAction.Kind.DISMISS,
        created_at=now,
    )


def _resolve_reports(*, comment: Comment, now: datetime.datetime) -> int:
    return Report.objects.filter(comment=comment, resolved_at__isnull=True).update(resolved_at=now)


def _decide(
    *, moderator: User, comment: Comment, kind: str, reason: str, now: datetime.datetime
) -> ModerationAction:
    """Logs a decision and tells the comment's author, in the caller's transaction."""
    logger.info("User %s: %s comment %s", moderator.pk, kind, comment.pk)
    action = ModerationAction.objects.create(
        comment=comment, moderator=moderator, kind=kind, reason=reason, created_at=now
    )
    notify_moderation(comment=comment, moderator=moderator, kind=kind, reason=reason)
    return action
