"""Reads of the learning domain shared by pages and the API. Each runs a fixed number of
queries, whatever the size of the course or the number of learners."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import Course, CourseRun, CourseTeamMember, Step, Week
from stoa.courses.structure import CourseStructure, structure_at, structure_of
from stoa.learning.extensions import StepState, step_states
from stoa.learning.models import Enrolment, SentimentResponse, StepCompletion
from stoa.lib.prepared import PreparedQuery, columns, instance
from stoa.lib.refusals import NotFound


def _enrolment_query(values):
    enrolments = Enrolment.objects.filter(
        user_id=values.user, course_id=values.course, left_at__isnull=True
    )
    return enrolments.values(*columns(Enrolment), *columns(CourseRun, "run__"))[:1]


# Read on every page a learner opens: compiled once (stoa.lib.prepared).
_ENROLMENT = PreparedQuery(_enrolment_query)


def enrolment_for(*, user: User | AnonymousUser, course: Course) -> Enrolment | None:
    """The user's active enrolment in the course, with its run and that course."""
    if not user.is_authenticated:
        return None
    rows = _ENROLMENT.run(user=user.pk, course=course.pk)
    if not rows:
        return None
    return _enrolment_in(rows[0], "", course)


def _enrolment_in(row: dict, prefix: str, course: Course) -> Enrolment:
    """The enrolment in a row read with columns(Enrolment, prefix) and its run's columns
    (prefix + "run__"), with its run and course set."""
    enrolment = instance(Enrolment, row, prefix)
    enrolment.run = instance(CourseRun, row, f"{prefix}run__")
    enrolment.course = course
    return enrolment


def _course_enrolment_query(values, at_step: bool):
    mine = FilteredRelation(
        "enrolments",
        condition=Q(enrolments__user_id=values.user, enrolments__left_at__isnull=True),
    )
    courses = Course.objects.filter(slug=values.text("slug")).annotate(mine=mine)
    names = ["id", "version", *columns(Enrolment, "mine__"), *columns(CourseRun, "mine__run__")]
    if at_step:
        completed = StepCompletion.objects.filter(
            enrolment_id=OuterRef("mine__id"),
            step__week__course_id=OuterRef("pk"),
            step__week__number=values.week,
            step__position=values.position,
        )
        # Whether they told how the step's week was (stoa.learning.surveys), for the question
        # on the week's last step: read here, so that it costs no query of its own.
        answered = SentimentResponse.objects.filter(
            enrolment_id=OuterRef("mine__id"), week=values.week
        )
        courses = courses.annotate(step_completed=Exists(completed), week_answered=Exists(answered))
        names += ["step_completed", "week_answered"]
    return courses.order_by().values(*names)


# The course's version with the learner's enrolment: every page a learner opens reads both.
_COURSE_ENROLMENT = PreparedQuery(_course_enrolment_query)


def course_and_enrolment(
    *, user: User | AnonymousUser, slug: str, at: tuple[int, int] | None = None
) -> tuple[CourseStructure, Enrolment | None]:
    """The course's structure (stoa.courses.structure) and the user's active enrolment in it
    (with its run and course), in one query: the course's version is read with the
    enrolment. At a step (at=(week, position)) the enrolment also says whether they completed
    it (.step_completed), and whether they answered the question at the end of its week
    (.week_answered). NotFound if there is no such course."""
    if not user.is_authenticated:
        return structure_of(slug), None
    values = {"user": user.pk, "slug": slug}
    if at is not None:
        values["week"], values["position"] = at
    rows = _COURSE_ENROLMENT.run((at is not None,), **values)
    if not rows:
        raise NotFound("No such course")
    row = rows[0]
    structure = structure_at(row["id"], row["version"])
    if row["mine__id"] is None:
        return structure, None
    enrolment = _enrolment_in(row, "mine__", structure.course)
    if at is not None:
        enrolment.step_completed = bool(row["step_completed"])  # type: ignore[attr-defined]
        enrolment.week_answered = bool(row["week_answered"])  # type: ignore[attr-defined]
    return structure, enrolment


def is_course_team(*, user: User | AnonymousUser, course: Course) -> bool:
    """Admins and the course's team members see every step at any time."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return CourseTeamMember.objects.filter(course=course, user=user).exists()


def next_open_run(*, course: Course, today: datetime.date | None = None) -> CourseRun | None:
    today = today or timezone.localdate()
    return CourseRun.objects.filter(course=course).open_for_joining(today=today).first()


def step_at(*, course_slug: str, week: int, position: int) -> Step:
    """The step numbered week.position, with its week, course and media; raises DoesNotExist."""
    return Step.objects.select_related("week__course", "media_file").get(
        week__course__slug=course_slug, week__number=week, position=position
    )


def neighbours(*, step: Step) -> tuple[Step | None, Step | None]:
    """The steps before and after this one in the course, across week boundaries."""
    in_course = Step.objects.select_related("week").filter(week__course_id=step.week.course_id)
    week, position = step.week.number, step.position
    before = Q(week__number__lt=week) | Q(week__number=week, position__lt=position)
    after = Q(week__number__gt=week) | Q(week__number=week, position__gt=position)
    previous = in_course.filter(before).order_by("-week__number", "-position").first()
    following = in_course.filter(after).order_by("week__number", "position").first()
    return previous, following


@dataclass
class TodoStep:
    step: Step
    completed: bool
    state: StepState | None = None  # what an assessment says of it: "In progress", a score


@dataclass
class TodoActivity:
    title: str
    steps: list[TodoStep] = field(default_factory=list)


@dataclass
class TodoWeek:
    week: Week
    opens_on: datetime.date | None
    is_open: bool
    activities: list[TodoActivity] = field(default_factory=list)

    @property
    def steps(self) -> list[TodoStep]:
        return [item for activity in self.activities for item in activity.steps]

    @property
    def completed_count(self) -> int:
        return sum(item.completed for item in self.steps)


@dataclass
class Todo:
    weeks: list[TodoWeek]
    current_week: int


def todo_for(
    *, structure: CourseStructure, enrolment: Enrolment | None, today: datetime.date
) -> Todo:
    """The course's weeks, activities and steps with this learner's completion state.

    The course's structure, then one query (completions) and those of the apps' step states.
    """
    weeks = structure.weeks
    completed = completed_step_ids(enrolment)
    run = enrolment.run if enrolment else None
    by_number: dict[int, TodoWeek] = {}
    todo_weeks = []
    for week in weeks:
        opens_on = run.week_opens_on(week.number) if run else None
        todo_week = TodoWeek(
            week=week, opens_on=opens_on, is_open=not opens_on or opens_on <= today
        )
        by_number[week.number] = todo_week
        todo_weeks.append(todo_week)
    for step in structure.steps:
        todo_week = by_number[step.week.number]
        activities = todo_week.activities
        if not activities or activities[-1].title != step.activity:
            activities.append(TodoActivity(title=step.activity))
        activities[-1].steps.append(TodoStep(step=step, completed=step.pk in completed))
    if enrolment is not None:
        items = [item for week in todo_weeks for item in week.steps]
        states = step_states(enrolment, [item.step for item in items])
        for item in items:
            item.state = states.get(item.step.pk)
    current = run.current_week_number(today=today, week_count=len(weeks)) if run else 1
    return Todo(weeks=todo_weeks, current_week=current)


def completed_step_ids(enrolment: Enrolment | None) -> set[int]:
    if enrolment is None:
        return set()
    return {row["step_id"] for row in _COMPLETED.run(enrolment=enrolment.pk)}


_COMPLETED = PreparedQuery(
    lambda values: StepCompletion.objects.filter(enrolment_id=values.enrolment).values("step_id")
)


def continue_step(*, enrolment: Enrolment) -> Step | None:
    """Where "Continue" leads: the step after the last one completed, else the last visited
    step, else the first step."""
    last_completion = (
        StepCompletion.objects.filter(enrolment=enrolment)
        .select_related("step__week")
        .order_by("-completed_at", "-pk")
        .first()
    )
    if last_completion is not None:
        _, following = neighbours(step=last_completion.step)
        return following or last_completion.step
    if enrolment.last_step_id:
        return Step.objects.select_related("week").filter(pk=enrolment.last_step_id).first()
    return (
        Step.objects.select_related("week")
        .filter(week__course_id=enrolment.course_id)
        .order_by("week__number", "position")
        .first()
    )


@dataclass
class WeekProgress:
    week: Week
    total: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass
class Progress:
    weeks: list[WeekProgress]
    completed_this_week: int
    last_activity_at: datetime.datetime | None

    @property
    def total(self) -> int:
        return sum(week.total for week in self.weeks)

    @property
    def completed(self) -> int:
        return sum(week.completed for week in self.weeks)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


# The progress page's one read of completions: by week, and how many since the week began.
_COMPLETED_BY_WEEK = PreparedQuery(
    lambda values: (
        StepCompletion.objects.filter(enrolment_id=values.enrolment)
        .values("step__week_id")
        .annotate(
            count=Count("pk"),
            this_week=Count("pk", filter=Q(completed_at__gte=values.time("since"))),
        )
        .values("step__week_id", "count", "this_week")
    )
)


def progress_for(
    *, structure: CourseStructure, enrolment: Enrolment, today: datetime.date
) -> Progress:
    """Share of steps completed overall and per week. The course's structure, then one
    query."""
    weeks = structure.weeks
    totals = Counter(step.week_id for step in structure.steps)
    run = enrolment.run
    week_started = run.week_opens_on(run.current_week_number(today=today, week_count=len(weeks)))
    since = timezone.make_aware(datetime.datetime.combine(week_started, datetime.time.min))
    rows = _COMPLETED_BY_WEEK.run(enrolment=enrolment.pk, since=since)
    completed_by_week = {row["step__week_id"]: row["count"] for row in rows}
    completed_this_week = sum(row["this_week"] for row in rows)
    return Progress(
        weeks=[
            WeekProgress(
                week=week, total=totals[week.pk], completed=completed_by_week.get(week.pk, 0)
            )
            for week in weeks
        ],
        completed_this_week=completed_this_week,
        last_activity_at=enrolment.last_activity_at,
    )


@dataclass
class MyCourse:
    enrolment: Enrolment
    completed: int

    @property
    def percent(self) -> int:
        total = self.enrolment.course.step_count
        return round(100 * self.completed / total) if total else 0


def my_courses(*, user: User) -> list[MyCourse]:
    """The learner's current courses with progress. Two queries."""
    enrolments = list(
        Enrolment.objects.filter(user=user, left_at__isnull=True)
        .select_related("course", "run")
        .order_by("-last_activity_at", "-joined_at")
    )
    counts = dict(
        StepCompletion.objects.filter(enrolment__in=enrolments)
        .values_list("enrolment_id")
        .annotate(count=Count("pk"))
    )
    return [MyCourse(enrolment=e, completed=counts.get(e.pk, 0)) for e in enrolments]
