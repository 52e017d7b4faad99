"""Writes of the learning domain. Each is atomic; counters change with the rows they count."""

import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import Course, CourseRun, Step
from stoa.learning import surveys
from stoa.learning.extensions import LearnerRecord, progress_hooks
from stoa.learning.models import (
    ActivityTally,
    Enrolment,
    JoinTally,
    ParticipationTally,
    StepCompletion,
    StepTally,
    StepVisit,
)
from stoa.lib import tally


class NoOpenRun(Exception):
    """The course has no run that can be joined now."""


def _today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def enrol(*, user: User, course: Course) -> Enrolment:
    """Joins the course's next open run, or rejoins: a returning learner keeps their progress.

    Joining twice is harmless: the second call returns the same enrolment.
    """
    now = timezone.now()
    enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
    if enrolment is not None and enrolment.is_active:
        return enrolment
    run = CourseRun.objects.filter(course=course).open_for_joining(today=_today()).first()
    if enrolment is not None:
        # Back on the same run while it lasts, otherwise on to the next one.
        if run is not None and enrolment.run.ends_on < _today():
            enrolment.run = run
        enrolment.left_at = None
        enrolment.save(update_fields=["run", "left_at"])
        CourseRun.objects.filter(pk=enrolment.run_id).update(learner_count=F("learner_count") + 1)
        return enrolment
    if run is None:
        raise NoOpenRun(f"{course} has no run open for joining")
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(user=user, run=run, course=course, joined_at=now)
    except IntegrityError:  # joined in another tab at the same moment
        return Enrolment.objects.get(user=user, course=course)
    CourseRun.objects.filter(pk=run.pk).update(learner_count=F("learner_count") + 1)
    tally.add(JoinTally, {"run": run, "day": timezone.localdate(now)}, joiners=1)
    return enrolment


@transaction.atomic
def leave(*, enrolment: Enrolment, reason: str = "") -> None:
    """Leaves the course; progress, visits and completions are kept for a rejoin. With a
    reason (a LeavingReason), records why, for the course team's research data. Leaving twice
    (a double submit) changes nothing and records no second reason."""
    surveys.check_leaving_reason(reason)
    now = timezone.now()
    left = Enrolment.objects.filter(pk=enrolment.pk, left_at__isnull=True).update(left_at=now)
    if left:
        CourseRun.objects.filter(pk=enrolment.run_id).update(learner_count=F("learner_count") - 1)
        if reason:
            surveys.record_leaving(enrolment=enrolment, reason=reason, left_at=now)


# A learner back on the step they were on a moment ago (a reload, the page after marking it
# complete, a second tab) changes nothing anyone reads: within this window no row is written.
VISIT_WINDOW = datetime.timedelta(minutes=10)


def record_visit(*, enrolment: Enrolment, step: Step) -> bool:
    """Records that the learner opened the step: the visit's times, where to continue, and
    the dashboard's tallies (a first visit of the step; a first visit in a new week).
    Returns whether it wrote anything.

    Decided from the enrolment as the page loaded it, without a transaction: a return to the
    step the learner is on, within VISIT_WINDOW and the same week of the run, writes nothing
    and so takes no write lock (which on SQLite every writer waits for)."""
    now = timezone.now()
    week = enrolment.run.week_of(timezone.localdate(now))
    if (
        enrolment.last_step_id == step.pk
        and enrolment.active_week == week
        and enrolment.last_activity_at is not None
        and now - enrolment.last_activity_at < VISIT_WINDOW
    ):
        return False
    _write_visit(enrolment=enrolment, step=step, now=now, week=week)
    return True


@transaction.atomic
def _write_visit(*, enrolment: Enrolment, step: Step, now: datetime.datetime, week: int) -> None:
    first_visit = False
    updated = StepVisit.objects.filter(enrolment=enrolment, step=step).update(last_visited_at=now)
    if not updated:
        try:
            with transaction.atomic():
                StepVisit.objects.create(
                    enrolment=enrolment, step=step, first_visited_at=now, last_visited_at=now
                )
        except IntegrityError:  # the same learner opened the step twice at once
            StepVisit.objects.filter(enrolment=enrolment, step=step).update(last_visited_at=now)
        else:
            first_visit = True
    learner = Enrolment.objects.filter(pk=enrolment.pk)
    enrolment.last_step_id, enrolment.last_activity_at = step.pk, now
    # The first visit of a week counts the learner in it: the enrolment as loaded says
    # whether it may be, and the filtered UPDATE decides, so two tabs count once.
    new_week = enrolment.active_week != week and bool(
        learner.exclude(active_week=week).update(
            last_step=step, last_activity_at=now, active_week=week
        )
    )
    if new_week:
        enrolment.active_week = week
    else:
        learner.update(last_step=step, last_activity_at=now)
    # The tallies last: each is one row that every learner's visit of the step (or week)
    # locks until the commit, so they are held for as short a time as can be.
    if first_visit:
        tally.add(StepTally, {"run_id": enrolment.run_id, "step": step}, visitors=1)
    if new_week:
        tally.add(ActivityTally, {"run_id": enrolment.run_id, "week": week}, learners=1)


@transaction.atomic
@transaction.atomic
def complete_step(*, enrolment: Enrolment, step: Step) -> bool:
    """Marks the step complete. Idempotent: double clicks, two tabs and replays store one
    completion. Returns whether this call completed it.

    Written as SQL, since every learner does it for every step: the completion is inserted
    unless it is there already (no savepoint to catch the duplicate), and the learner's record
    grows and is read back in one UPDATE ... RETURNING (SQLite 3.35 and PostgreSQL)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StepCompletion._meta.db_table} (enrolment_id, step_id, completed_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (enrolment_id, step_id) DO NOTHING RETURNING id",
            [enrolment.pk, step.pk, now],
        )
        if cursor.fetchone() is None:
            return False
        cursor.execute(
            f"UPDATE {Enrolment._meta.db_table} "
            "SET last_activity_at = %s, completed_count = completed_count + 1 "
            f"WHERE id = %s RETURNING {', '.join(LearnerRecord.OWN_COLUMNS)}",
            [now, enrolment.pk],
        )
        own = cursor.fetchone()
    if progress_hooks():
        # The course's counts as the step's structure holds them: they change only with it.
        record = LearnerRecord.of(own, course=step.week.course)
        for hook in progress_hooks():
            hook(record)
    # The step's one tally row last, locked until the commit (see _write_visit).
    tally.add(StepTally, {"run_id": enrolment.run_id, "step": step}, completers=1)
    return True


@transaction.atomic
def uncomplete_step(*, enrolment: Enrolment, step: Step) -> bool:
    """Undoes a completion. Returns whether there was one to undo."""
    deleted, _ = StepCompletion.objects.filter(enrolment=enrolment, step=step).delete()
    if deleted:
        Enrolment.objects.filter(pk=enrolment.pk).update(
            last_activity_at=timezone.now(), completed_count=F("completed_count") - 1
        )
        tally.add(StepTally, {"run_id": enrolment.run_id, "step": step}, completers=-1)
    return bool(deleted)


@transaction.atomic
def record_test_progress(
    *, enrolment: Enrolment, questions_done: int = 0, tests_done: int = 0, score_change: int = 0
) -> None:
    """Adds to the learner's test record (see Enrolment): the assessments call it in the
    transaction of the answer that changed it."""
    Enrolment.objects.filter(pk=enrolment.pk).update(
        test_questions_done=F("test_questions_done") + questions_done,
        tests_done=F("tests_done") + tests_done,
        test_score_sum=F("test_score_sum") + score_change,
    )
    after_progress(enrolment.pk)


def after_progress(enrolment_id: int) -> None:
    """Tells the apps named in settings.STOA_PROGRESS_HOOKS (certificates) that the learner's
    record grew, inside the transaction that grew it, with the record as it now stands:
    one query, whatever the course's size."""
    hooks = progress_hooks()
    if not hooks:
        return
    record = LearnerRecord.read(enrolment_id)
    for hook in hooks:
        hook(record)


def note_full_participation(record: LearnerRecord) -> None:
    """Sets when the learner first fully participated (the research data's
    fully_participated_at: more than half of the steps completed and every test question
    finished), once and never cleared: a hook of settings.STOA_PROGRESS_HOOKS, called in the
    transaction of the write that grew the record. One conditional UPDATE, and only for a
    record that qualifies: the first write to qualify sets it (and counts the learner in the
    dashboard's ParticipationTally), later ones match no row."""
    if record.completed * 2 <= record.step_count:
        return
    if record.test_questions_done < record.test_question_count:
        return
    now = timezone.now()
    reached = Enrolment.objects.filter(
        pk=record.enrolment_id, fully_participated_at__isnull=True
    ).update(fully_participated_at=now)
    if reached:
        tally.add(
            ParticipationTally,
            {"run_id": record.run_id, "day": timezone.localdate(now)},
            learners=1,
        )
