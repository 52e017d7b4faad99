"""Reads of the team's inbox: a run's comments waiting for the team, and how many wait on
each step.

The page costs the same with ten comments or a million: the list is one range scan of a
partial index that holds only waiting comments (comment_inbox_idx, or comment_inbox_step_idx
for one step), capped at PAGE_SIZE, never counted; the counts are WaitingCount rows, one per
step, kept by inbox.waiting. Handling the listed comments brings the next ones up; the next
page starts after the last one listed (InboxCursor), as stoa.lib.keyset's pages do.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils.translation import gettext as _

from stoa.accounts.models import public_name
from stoa.conversation.models import Comment, WaitingCount
from stoa.courses.models import Course, CourseRun, Step
from stoa.courses.selectors import chosen_run
from stoa.lib.dates import ago
from stoa.lib.keyset import Cursor, after_ascending, microseconds
from stoa.lib.refusals import Invalid, NotFound

PAGE_SIZE = 50
# Questions first, then the most liked, the most replied to, and the longest waiting.
INBOX_ORDER = ("-is_question", "-like_count", "-reply_count", "created_at", "id")
_STEP_NUMBER = re.compile(r"([0-9]{1,4})\.([0-9]{1,4})")
# An InboxCursor in a URL; numbers bounded as stoa.lib.keyset bounds its own.
_CURSOR = re.compile(r"([01])\.([0-9]{1,18})\.([0-9]{1,18})\.([0-9]{1,18})\.([0-9]{1,18})")


@dataclass(frozen=True)
class InboxFilter:
    run: CourseRun
    week: int | None = None
    step: Step | None = None


@dataclass(slots=True)
class WaitingComment:
    pk: int
    author_name: str
    body_html: str  # sanitised when written
    is_question: bool
    like_count: int
    reply_count: int
    created_at: datetime.datetime
    week_number: int
    position: int
    step_title: str

    @classmethod
    def of(cls, comment: Comment) -> "WaitingComment":
        """The same for a Comment, with its author and step's week loaded."""
        return cls(
            pk=comment.pk,
            author_name=comment.author.public_name,
            body_html=comment.body_html,
            is_question=comment.is_question,
            like_count=comment.like_count,
            reply_count=comment.reply_count,
            created_at=comment.created_at,
            week_number=comment.step.week.number,
            position=comment.step.position,
            step_title=comment.step.title,
        )

    @property
    def step_number(self) -> str:
        return f"{self.week_number}.{self.position}"

    @property
    def waiting_for(self) -> str:
        return ago(self.created_at)


@dataclass(frozen=True)
class InboxCursor:
    """Where a page of the inbox ended: its last comment's place in INBOX_ORDER, every key of
    it, so that the next page starts right after it however many comments share its likes,
    replies or moment. In URLs "<question>.<likes>.<replies>.<microseconds>.<id>", whole
    numbers ("1.3.0.1767225600000000.42").

    stoa.lib.keyset's Cursor holds one key and an id, enough for every other list; the inbox
    is the only list ordered by several keys, so its cursor lives here, with keyset's time
    key and bounds. Like keyset's, parse() takes anything: None for what a page did not
    write, so the view answers 400, never 500."""

    is_question: bool
    like_count: int
    reply_count: int
    created_at: datetime.datetime
    id: int

    def __str__(self) -> str:
        created = microseconds(self.created_at)  # as keyset writes a moment
        keys = (int(self.is_question), self.like_count, self.reply_count, created, self.id)
        return ".".join(str(key) for key in keys)

    @classmethod
    def parse(cls, value: str | None) -> "InboxCursor | None":
        match = _CURSOR.fullmatch(value or "")
        if match is None:
            return None
        question, likes, replies, created, pk = (int(group) for group in match.groups())
        try:
            created_at = Cursor(created, pk).time
        except Invalid:  # a hand-made key too far in the future to be a date
            return None
        return cls(question == 1, likes, replies, created_at, pk)

    @classmethod
    def of(cls, item: WaitingComment) -> "InboxCursor":
        return cls(item.is_question, item.like_count, item.reply_count, item.created_at, item.pk)

    def after(self) -> Q:
        """The comments after this one in INBOX_ORDER. For each descending key, from the
        innermost out: "key <= value AND (key < value OR <the keys after it>)", the form of
        keyset.after_descending, so the outermost bound narrows the index range.

        A descending key at its least (not a question, no likes, no replies: never below False
        or 0) can only be equal, so it is written as an equality. A page among the comments no
        one has liked or replied to yet, where most of a large inbox is, then starts with one
        seek in the index on every key. A page that starts among the questions, or among
        comments with likes or replies, reads past those before it in its group: the few.
        """
        condition = after_ascending("created_at", self.created_at, self.id)
        descending = (
            ("reply_count", self.reply_count),
            ("like_count", self.like_count),
            ("is_question", self.is_question),
        )
        for name, value in descending:
            if not value:
                condition = Q(**{name: value}) & condition
            else:
                condition = Q(**{f"{name}__lte": value}) & (Q(**{f"{name}__lt": value}) | condition)
        return condition


@dataclass
class InboxPage:
    items: list[WaitingComment]
    next_cursor: InboxCursor | None  # None on the last page


@dataclass(frozen=True)
class StepCount:
    step_number: str
    step_title: str
    week_number: int
    count: int


def inbox_filter(course: Course, query) -> InboxFilter | None:
    """The run, week and step chosen in the query string (?run=<id>&week=<n>&step=<w.p>);
    NotFound for anything that is not one of this course's; None when it has no run."""
    run = chosen_run(course, query.get("run"))
    if run is None:
        return None
    week = None
    if value := query.get("week", ""):
        if not (value.isascii() and value.isdigit() and 1 <= int(value[:4]) <= course.week_count):
            raise NotFound(_("This course has no such week."))
        week = int(value)
    step = None
    if value := query.get("step", ""):
        match = _STEP_NUMBER.fullmatch(value)
        step = (
            Step.objects.select_related("week")
            .filter(week__course=course, week__number=match[1], position=match[2])
            .first()
            if match
            else None
        )
        if step is None or (week is not None and step.week.number != week):
            raise NotFound(_("This course has no such step."))
    return InboxFilter(run=run, week=week, step=step)


def waiting_comments(
    chosen: InboxFilter, *, after: InboxCursor | None = None, size: int = PAGE_SIZE
) -> InboxPage:
    """A page of `size` comments waiting in the run (on the step, or the week), in the
    inbox's order, from the first or after the cursor: one query, reading one row past the
    page to know whether another follows."""
    comments = Comment.objects.filter(run=chosen.run, waiting=True)
    if after is not None:
        comments = comments.filter(after.after())
    if chosen.step is not None:
        comments = comments.filter(step=chosen.step)
    elif chosen.week is not None:
        steps = Step.objects.filter(week__course_id=chosen.run.course_id, week__number=chosen.week)
        comments = comments.filter(step__in=steps.values("pk"))
    rows = comments.order_by(*INBOX_ORDER).values(
        *("pk", "body_html", "is_question", "like_count", "reply_count", "created_at"),
        author_name=F("author__display_name"),
        week_number=F("step__week__number"),
        position=F("step__position"),
        step_title=F("step__title"),
    )[: size + 1]
    items = [WaitingComment(**row) for row in rows]
    for item in items:
        item.author_name = public_name(item.author_name)
    if len(items) > size:
        return InboxPage(items[:size], InboxCursor.of(items[size - 1]))
    return InboxPage(items, None)


def waiting_counts(run: CourseRun) -> list[StepCount]:
    """How many comments wait on each step of the run that has any, in course order."""
    rows = (
        WaitingCount.objects.filter(run=run, count__gt=0)
        .order_by("step__week__number", "step__position")
        .values("count", "step__title", "step__week__number", "step__position")
    )
    return [
        StepCount(
            step_number=f"{row['step__week__number']}.{row['step__position']}",
            step_title=row["step__title"],
            week_number=row["step__week__number"],
            count=row["count"],
        )
        for row in rows
    ]


def team_comment(course: Course, comment_id: int) -> Comment:
    """A comment of the course that starts a thread, for the inbox's and pinning's writes,
    with what they check loaded; NotFound otherwise."""
    comment = (
        Comment.objects.select_related("author", "run__course", "step__week__course")
        .filter(pk=comment_id, run__course=course, parent__isnull=True)
        .first()
    )
    if comment is None:
        raise NotFound(_("No such comment in this course."))
    return comment
