"""Reporting and moderation: learners report comments to the course team, who hide, restore
or dismiss. Every decision is logged as a ModerationAction and tells the comment's author.

Writes check who may make them, so pages and the API can call them alike.
"""

import datetime
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.models import Comment, ModerationAction, Report
from stoa.conversation.notifications import notify_moderation
from stoa.conversation.services import count_reply, locked
from stoa.courses.models import Course
from stoa.learning.models import Enrolment
from stoa.learning.selectors import is_course_team

if TYPE_CHECKING:
    # Part of django-stubs, so only for the type checker.
    from django_stubs_ext import WithAnnotations

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
QUEUE_PAGE_SIZE = 25
REASONS_SHOWN = 5  # per comment in the queue; the count says how many there are
HISTORY_SHOWN = 5  # decisions per comment in the queue
HIDDEN_SHOWN = 10
LOG_SHOWN = 20


class AlreadyReported(Exception):
    """This person has reported this comment before; a report is made once."""


class NothingToDo(Exception):
    """The decision is already in effect: hiding a hidden comment, restoring a visible one,
    dismissing reports when none is open. A double submit lands here and logs nothing."""


# --- Who may do what -----------------------------------------------------------------------


def may_moderate(*, user: User, course: Course) -> bool:
    """The course's team members with accounts (any role) and staff: the same people who see
    every step of the course. Educators of other courses may not."""
    return is_course_team(user=user, course=course)


def may_report(*, user: User, comment: Comment) -> bool:
    """Anyone with an active enrolment in the comment's course, except its author."""
    if not user.is_authenticated or user.pk == comment.author_id:
        return False
    return Enrolment.objects.filter(
        user=user, course_id=comment.run.course_id, left_at__isnull=True
    ).exists()


def _require_moderator(*, moderator: User, comment: Comment) -> None:
    if not may_moderate(user=moderator, course=comment.run.course):
        raise PermissionDenied("Only this course's team can moderate its conversation.")


def _clean_reason(reason: str) -> str:
    """The forms say this kindly; here it guards other callers, such as the API."""
    reason = reason.strip()
    if not reason:
        raise ValueError("A reason is required.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValueError(f"A reason has at most {REASON_MAX_LENGTH} characters.")
    return reason


# --- Writes --------------------------------------------------------------------------------


@transaction.atomic
def report_comment(*, reporter: User, comment: Comment, reason: str) -> Report:
    """Reports a comment to the course team, once per person and comment."""
    reason = _clean_reason(reason)
    if not may_report(user=reporter, comment=comment):
        raise PermissionDenied("Join this course to report its comments.")
    if Report.objects.filter(reporter=reporter, comment=comment).exists():
        raise AlreadyReported
    try:
        with transaction.atomic():
            return Report.objects.create(
                comment=comment, reporter=reporter, reason=reason, created_at=timezone.now()
            )
    except IntegrityError as exc:  # reported in another tab at the same moment
        raise AlreadyReported from exc


@transaction.atomic
def hide_comment(*, moderator: User, comment: Comment, reason: str) -> ModerationAction:
    """Hides a comment from learners, with a reason shown to its author; resolves its reports."""
    reason = _clean_reason(reason)
    _require_moderator(moderator=moderator, comment=comment)
    now = timezone.now()
    current = locked(comment)
    if current.is_hidden:
        raise NothingToDo("This comment is already hidden.")
    Comment.objects.filter(pk=comment.pk).update(hidden_at=now, hidden_reason=reason)
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
    """Shows a hidden comment again. The log keeps why it was hidden."""
    _require_moderator(moderator=moderator, comment=comment)
    now = timezone.now()
    current = locked(comment)
    if not current.is_hidden:
        raise NothingToDo("This comment is not hidden.")
    Comment.objects.filter(pk=comment.pk).update(hidden_at=None, hidden_reason="")
    if not current.is_deleted:
        count_reply(current, +1)
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
        raise NothingToDo("This comment has no open reports.")
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


# --- Reads ---------------------------------------------------------------------------------


class _ReportCounts(TypedDict):
    open_reports: int
    first_reported_at: datetime.datetime


@dataclass
class QueueItem:
    comment: "WithAnnotations[Comment, _ReportCounts]"  # as moderation_queue annotates it
    reasons: list[Report] = field(default_factory=list)
    history: list[ModerationAction] = field(default_factory=list)

    @property
    def more_reasons(self) -> int:
        return self.comment.open_reports - len(self.reasons)


@dataclass
class HiddenItem:
    comment: Comment
    history: list[ModerationAction] = field(default_factory=list)


@dataclass
class Queue:
    items: list[QueueItem]
    page: int
    has_next: bool
    hidden: list[HiddenItem]
    log: list[ModerationAction]

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _comments_of(course: Course):
    return Comment.objects.filter(run__course=course).select_related("author", "step__week")


def moderation_queue(*, course: Course, page: int = 1) -> Queue:
    """A course's comments with open reports, most reported and then longest waiting first,
    25 a page; recently hidden comments; the latest decisions. Five queries, whatever the
    number of comments and reports."""
    offset = (page - 1) * QUEUE_PAGE_SIZE
    reported = list(
        _comments_of(course)
        .annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
            first_reported_at=Min(
                "reports__created_at", filter=Q(reports__resolved_at__isnull=True)
            ),
        )
        .filter(open_reports__gt=0)
        .order_by("-open_reports", "first_reported_at", "pk")[
            offset : offset
            + QUEUE_PAGE_SIZE
            + 1  # one more says whether a next page exists
        ]
    )
    has_next = len(reported) > QUEUE_PAGE_SIZE
    items = [QueueItem(comment=comment) for comment in reported[:QUEUE_PAGE_SIZE]]

    hidden = _recently_hidden(course)
    by_comment = {item.comment.pk: item for item in items}
    for report in _latest_per_comment(
        Report.objects.filter(comment__in=list(by_comment), resolved_at__isnull=True),
        REASONS_SHOWN,
    ):
        by_comment[report.comment_id].reasons.append(report)

    listed: list[QueueItem | HiddenItem] = [*items, *hidden]
    histories = {item.comment.pk: item.history for item in listed}
    actions = ModerationAction.objects.filter(comment__in=list(histories)).select_related(
        "moderator"
    )
    for action in _latest_per_comment(actions, HISTORY_SHOWN):
        histories[action.comment_id].append(action)

    log = list(
        ModerationAction.objects.filter(comment__run__course=course)
        .select_related("moderator", "comment__author")
        .order_by("-created_at", "-pk")[:LOG_SHOWN]
    )
    return Queue(items=items, page=page, has_next=has_next, hidden=hidden, log=log)


def _latest_per_comment(queryset, limit: int) -> list:
    """The newest `limit` rows of each comment, in one query."""
    return list(
        queryset.annotate(
            rank=Window(
                RowNumber(), partition_by=F("comment_id"), order_by=[F("created_at").desc()]
            )
        )
        .filter(rank__lte=limit)
        .order_by("comment_id", "-created_at", "-pk")
    )


def _recently_hidden(course: Course) -> list[HiddenItem]:
    """The course's hidden comments, most recently hidden first. Found through the log of
    hide decisions, which is small, rather than by scanning every comment of the course."""
    actions = (
        ModerationAction.objects.filter(
            kind=ModerationAction.Kind.HIDE,
            comment__run__course=course,
            comment__hidden_at__isnull=False,
        )
        .select_related("comment__author", "comment__step__week")
        .order_by("-created_at", "-pk")[: HIDDEN_SHOWN * 2]
    )
    items: dict[int, HiddenItem] = {}
    for action in actions:  # a comment hidden, restored and hidden again appears twice
        items.setdefault(action.comment_id, HiddenItem(comment=action.comment))
    return list(items.values())[:HIDDEN_SHOWN]
