"""Read-only views of what learners do, for the course team: each a fixed number of queries,
reading counters kept on the rows (an enrolment's record, a run's learner count) rather than
counting a run's millions of rows."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from stoa.certificates.models import Certificate
from stoa.courses.models import CourseRun
from stoa.learning.models import Enrolment
from stoa.lib.keyset import Cursor, after_descending

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 100
EXPORT_BATCH = 2000


def _learners(run: CourseRun, search: str) -> QuerySet[Enrolment]:
    learners = Enrolment.objects.filter(run=run).select_related("user")
    search = search.strip()[:SEARCH_MAX_LENGTH]
    if "@" in search:  # an address: the case-insensitive unique index finds it
        learners = learners.filter(user__email__iexact=search)
    elif search:
        learners = learners.filter(Q(user__display_name__icontains=search))
    return learners.prefetch_related(
        Prefetch("certificates", queryset=Certificate.objects.order_by("issued_at"))
    )


@dataclass
class LearnerPage:
    learners: list[Enrolment]
    next_cursor: Cursor | None


def learners_page(*, run: CourseRun, search: str = "", cursor: Cursor | None = None) -> LearnerPage:
    """A page of the run's learners, newest first, optionally searched by name (part of it)
    or email (the whole address). Two queries: the learners with their accounts, and their
    certificates."""
    learners = _learners(run, search)
    if cursor is not None:
        learners = learners.filter(after_descending("joined_at", cursor.time, cursor.id))
    rows = list(learners.order_by("-joined_at", "-pk")[: PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = Cursor.at(last.joined_at, last.pk)
        rows = rows[:PAGE_SIZE]
    return LearnerPage(learners=rows, next_cursor=next_cursor)


def all_learners(*, run: CourseRun, search: str = "") -> Iterator[Enrolment]:
    """Every learner of the run for the CSV download, in batches by key: memory stays flat."""
    last = None
    while True:
        batch = _learners(run, search).order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        rows = list(batch[:EXPORT_BATCH])
        if not rows:
            return
        yield from rows
        last = rows[-1].pk


def average_test_score(enrolment: Enrolment) -> float | None:
    """The average of the learner's best test scores so far, in percent."""
    if not enrolment.tests_done:
        return None
    return enrolment.test_score_sum / enrolment.tests_done / 100
