"""Rebuilding a run's dashboard tallies from the rows they count.

The tallies are kept by every write (see stoa.lib.tally), so this is for runs whose rows came
from elsewhere: data written before the tallies existed, a bulk load, a repair. It counts
with one grouped query per tally (active weeks: one per week of the run) and replaces the
run's tallies in one transaction, so the dashboard never shows half a recount.

Active learners per week can only be rebuilt from what visits keep: a learner's first and
latest visit of each step. A learner who visited only steps they visited again later may be
missed in an earlier week; the tallies kept as learners visit have no such gap.
"""

import datetime
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from stoa.assessments.models import Answer, QuestionTally
from stoa.certificates.models import Certificate, CertificateTally
from stoa.conversation.models import Comment, CommentTally
from stoa.courses.models import CourseRun
from stoa.learning.models import (
    ActivityTally,
    Enrolment,
    JoinTally,
    ParticipationTally,
    StepCompletion,
    StepTally,
    StepVisit,
)


@transaction.atomic
def recount_tallies(run: CourseRun, *, on_step: Callable[[str], None] = lambda name: None) -> None:
    """Replaces the run's tallies with counts of its rows; `on_step` hears each tally done."""
    zone = timezone.get_current_timezone()
    JoinTally.objects.filter(run=run).delete()
    JoinTally.objects.bulk_create(
        JoinTally(run=run, day=row["day"], joiners=row["joiners"])
        for row in Enrolment.objects.filter(run=run)
        .annotate(day=TruncDate("joined_at", tzinfo=zone))
        .values("day")
        .annotate(joiners=Count("id"))
        .order_by()
    )
    on_step("joiners")

    visitors = _per_step(StepVisit.objects.filter(enrolment__run=run))
    completers = _per_step(StepCompletion.objects.filter(enrolment__run=run))
    StepTally.objects.filter(run=run).delete()
    StepTally.objects.bulk_create(
        StepTally(
            run=run,
            step_id=step,
            visitors=visitors.get(step, 0),
            completers=completers.get(step, 0),
        )
        for step in visitors.keys() | completers.keys()
    )
    on_step("steps")

    ActivityTally.objects.filter(run=run).delete()
    today = timezone.localdate()
    weeks = run.week_of(today) if today >= run.starts_on else 0
    # A run long over (one imported from elsewhere, years old) has no visits after its last
    # one: its weeks stop there, not today.
    last_visit = StepVisit.objects.filter(enrolment__run=run).aggregate(at=Max("last_visited_at"))
    if last_visit["at"] is None:
        weeks = 0
    else:
        last_day = max(timezone.localdate(last_visit["at"]), run.starts_on)
        weeks = min(weeks, run.week_of(last_day))
    tallies = []
    for week in range(1, weeks + 1):
        start = _week_start(run, week)
        end = start + datetime.timedelta(days=7)
        if week == 1:  # visits before the start count in week 1, as week_of() counts them
            start = _midnight(datetime.date(1970, 1, 1))
        learners = (
            StepVisit.objects.filter(enrolment__run=run)
            .filter(
                Q(first_visited_at__gte=start, first_visited_at__lt=end)
                | Q(last_visited_at__gte=start, last_visited_at__lt=end)
            )
            .values("enrolment")
            .distinct()
            .count()
        )
        if learners:
            tallies.append(ActivityTally(run=run, week=week, learners=learners))
    ActivityTally.objects.bulk_create(tallies)
    on_step("activity")

    CommentTally.objects.filter(run=run).delete()
    CommentTally.objects.bulk_create(
        CommentTally(run=run, step_id=row["step"], comments=row["threads"], replies=row["answers"])
        for row in Comment.objects.filter(run=run)
        .values("step")
        .annotate(
            threads=Count("id", filter=Q(parent__isnull=True)),
            answers=Count("id", filter=Q(parent__isnull=False)),
        )
        .order_by()
    )
    on_step("comments")

    QuestionTally.objects.filter(run=run).delete()
    QuestionTally.objects.bulk_create(
        QuestionTally(
            run=run,
            question_id=row["question"],
            first_tries=row["tries"],
            first_try_correct=row["correct"],
        )
        for row in Answer.objects.filter(run=run, sitting=1, attempt=1)
        .values("question")
        .annotate(tries=Count("id"), correct=Count("id", filter=Q(correct=True)))
        .order_by()
    )
    on_step("questions")

    CertificateTally.objects.filter(run=run).delete()
    CertificateTally.objects.bulk_create(
        CertificateTally(run=run, day=row["day"], kind=row["kind"], issued=row["issued"])
        for row in Certificate.objects.filter(run=run)
        .annotate(day=TruncDate("issued_at", tzinfo=zone))
        .values("day", "kind")
        .annotate(issued=Count("id"))
        .order_by()
    )
    on_step("certificates")

    ParticipationTally.objects.filter(run=run).delete()
    ParticipationTally.objects.bulk_create(
        ParticipationTally(run=run, day=row["day"], learners=row["learners"])
        for row in Enrolment.objects.filter(run=run, fully_participated_at__isnull=False)
        .annotate(day=TruncDate("fully_participated_at", tzinfo=zone))
        .values("day")
        .annotate(learners=Count("id"))
        .order_by()
    )
    on_step("participation")

    # Each learner's latest active week, so that their next visit counts as the tallies do.
    Enrolment.objects.filter(run=run).update(active_week=None)
    for week in range(1, weeks + 1):
        start = _week_start(run, week)
        active = Enrolment.objects.filter(
            run=run, last_activity_at__lt=start + datetime.timedelta(days=7)
        )
        if week > 1:
            active = active.filter(last_activity_at__gte=start)
        active.update(active_week=week)
    on_step("learners")


def _per_step(rows: QuerySet) -> dict[int, int]:
    """How many of the rows there are for each step, by step id: one grouped query."""
    return dict(rows.values("step").annotate(n=Count("id")).order_by().values_list("step", "n"))


def _week_start(run: CourseRun, week: int) -> datetime.datetime:
    """When the run's calendar week `week` begins (the weeks CourseRun.week_of counts)."""
    return _midnight(run.starts_on + datetime.timedelta(days=7 * (week - 1)))


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())
