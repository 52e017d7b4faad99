"""What one person may see of one step: the contract between learning and the apps that add
to a step page (the conversation now; assessments next).

step_access(user=, slug=, week=, position=) finds the step, or raises NotFound, and decides
for that user:

- enrolment: the person's active enrolment in the course; None for visitors and people who
  have not joined (or have left). is_completed says whether they completed the step.
- run: the run whose calendar and conversation the person sees: their enrolment's run, else
  the course's next open run (what a visitor would join), else None.
- is_team: on the course's team, or staff. The team sees every week of every run.
- opens_on: while the step's week is not open for this person in that run, the day it opens;
  None when it is open. is_locked says the same.

It never raises for a step that exists: a locked step is still a page (saying when it opens).
Apps beside the step are named in settings.STOA_STEP_PANELS as functions
panel(request, access) -> StepPanel | None. They get this decision and must not widen it: a
panel shows nothing of a locked step, and anything it lets people do is checked again by its
own services, which decide from the database and not from this object.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import ALL_WEEKS, Course, CourseRun, Step
from stoa.courses.structure import CourseStructure, structure_of
from stoa.learning import selectors
from stoa.learning.extensions import named_in_settings
from stoa.learning.models import Enrolment


@dataclass
class StepAccess:
    user: User | AnonymousUser
    step: Step
    course: Course
    enrolment: Enrolment | None
    run: CourseRun | None
    is_team: bool
    opens_on: datetime.date | None  # set while the step's week is not open yet
    structure: CourseStructure  # shared by the process: read, never change

    @property
    def is_locked(self) -> bool:
        return self.opens_on is not None

    @property
    def is_completed(self) -> bool:
        return bool(self.enrolment and getattr(self.enrolment, "step_completed", False))


def find_step(*, slug: str, week: int, position: int) -> Step:
    """The step, with its week and course, or NotFound: for views whose services decide who
    may act on it, so that nothing is decided twice. From the course's structure, which the
    process shares: read it, never change it."""
    return structure_of(slug).step(week, position)


def step_access(*, user: User | AnonymousUser, slug: str, week: int, position: int) -> StepAccess:
    """Finds the step and decides what this person may see of it (see the module's contract)."""
    structure, enrolment = selectors.course_and_enrolment(user=user, slug=slug, at=(week, position))
    step = structure.step(week, position)
    course = structure.course
    run, is_team = _run_and_team(user, structure, enrolment)
    opens_on = None
    if week > _open_weeks(run, is_team):
        opens_on = run.week_opens_on(week) if run is not None else None
    return StepAccess(
        user=user,
        step=step,
        course=course,
        enrolment=enrolment,
        run=run,
        is_team=is_team,
        opens_on=opens_on,
        structure=structure,
    )


def open_weeks(
    *, user: User | AnonymousUser, structure: CourseStructure, enrolment: Enrolment | None
) -> int:
    """How many of the course's weeks this person may read today (week N is open when N is at
    most this): step_access's rule, for pages that list steps of many weeks (search). One
    query for people not on the course (their next open run), none otherwise."""
    return _open_weeks(*_run_and_team(user, structure, enrolment))


def _run_and_team(
    user: User | AnonymousUser, structure: CourseStructure, enrolment: Enrolment | None
) -> tuple[CourseRun | None, bool]:
    is_team = user.is_authenticated and (user.is_staff or user.pk in structure.team_user_ids)
    run = enrolment.run if enrolment else selectors.next_open_run(course=structure.course)
    return run, is_team


def _open_weeks(run: CourseRun | None, is_team: bool) -> int:
    # The team reads every week; so does everyone when no run gives a calendar.
    if run is None or is_team:
        return ALL_WEEKS
    return run.open_week_count(today=timezone.localdate())


@dataclass
class StepPanel:
    """A section another app adds to a page: a template and its context, or the section's
    HTML already made (for sections of pages every learner opens, built in Python for speed)."""

    template_name: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    html: str = ""


def step_panels() -> list[Callable[[HttpRequest, StepAccess], StepPanel | None]]:
    """The panel functions named in settings.STOA_STEP_PANELS, so this app imports none of
    the apps built on it."""
    return named_in_settings("STOA_STEP_PANELS")
