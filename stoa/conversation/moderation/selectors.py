"""Reads for the course team's moderation queue."""

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber

from stoa.conversation.models import Comment, ModerationAction, Report
from stoa.courses.models import Course

if TYPE_CHECKING:
    # Part of django-stubs, so only for the type checker.
    from django_stubs_ext import WithAnnotations

QUEUE_PAGE_SIZE = 25
# Pages beyond this are refused: a queue that long is read from its first pages, and an
# absurd page number must not reach the database as an absurd OFFSET.
QUEUE_MAX_PAGE = 10_000
REASONS_SHOWN = 5  # per comment in the queue; the count says how many there are
HISTORY_SHOWN = 5  # decisions per comment in the queue
HIDDEN_SHOWN = 10
LOG_SHOWN = 20


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
