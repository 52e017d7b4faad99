"""What other apps add to learning about a learner, named in settings so that learning imports
none of them: their state on a step for the to-do list (STOA_STEP_STATES, functions
states(enrolment, steps) -> {step id: StepState} for the steps they know of, in a fixed number
of queries); sections of the progress page (STOA_PROGRESS_PANELS, functions
panel(request, enrolment, structure) -> StepPanel | None, the structure being the
course's as the page read it); and what happens when a learner's record grows
(STOA_PROGRESS_HOOKS, functions hook(record: LearnerRecord) called inside the transaction of
the write, as certificates are issued the moment they are earned). Step pages have theirs in
access.py."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from stoa.courses.models import Course, Step
from stoa.learning.models import Enrolment

if TYPE_CHECKING:
    from stoa.courses.structure import CourseStructure
    from stoa.learning.access import StepPanel


@dataclass(frozen=True)
class StepState:
    """What another app says of a learner's work on a step: "In progress", and a detail such
    as "Best score 78%"."""

    label: str
    detail: str = ""
    done: bool = False


def step_states(enrolment: Enrolment, steps: list[Step]) -> dict[int, StepState]:
    states: dict[int, StepState] = {}
    for read_states in named_in_settings("STOA_STEP_STATES"):
        states.update(read_states(enrolment, steps))
    return states


def progress_panels(
    request: HttpRequest, enrolment: Enrolment, structure: "CourseStructure"
) -> list["StepPanel"]:
    panels = (
        make_panel(request, enrolment, structure)
        for make_panel in named_in_settings("STOA_PROGRESS_PANELS")
    )
    return [panel for panel in panels if panel is not None]


@dataclass(frozen=True)
class LearnerRecord:
    """A learner's record as it stands, with what the course asks of it: read in one query
    from the counters that the writes keep on the enrolment and the course."""

    enrolment_id: int
    user_id: int
    course_id: int
    run_id: int
    completed: int
    test_questions_done: int
    tests_done: int
    test_score_sum: int  # hundredths of a percent, summed over the tests' best scores
    step_count: int
    test_count: int
    test_question_count: int
    # What the course asks for its certificates (None: the format's default)
    offers_achievement: bool
    steps_percent: int | None
    tests_percent: int | None
    participation_percent: int | None

    # The enrolment's own columns, in the record's order: for SQL that reads them back.
    OWN_COLUMNS = (
        "id",
        "user_id",
        "course_id",
        "run_id",
        "completed_count",
        "test_questions_done",
        "tests_done",
        "test_score_sum",
    )
    FIELDS = (
        *OWN_COLUMNS,
        "course__step_count",
        "course__test_count",
        "course__test_question_count",
        "course__certificate_achievement",
        "course__certificate_steps_completed_percent",
        "course__certificate_tests_score_percent",
        "course__certificate_participation_percent",
    )

    @classmethod
    def read(cls, enrolment_id: int) -> "LearnerRecord":
        return cls(*Enrolment.objects.values_list(*cls.FIELDS).get(pk=enrolment_id))

    @classmethod
    def of_enrolment(cls, enrolment: Enrolment) -> "LearnerRecord":
        """The record from an enrolment as loaded, with its course (which learning's
        selectors give it from the course's structure)."""
        own = [getattr(enrolment, column) for column in cls.OWN_COLUMNS]
        return cls.of(own, course=enrolment.course)

    @classmethod
    def of(cls, own: Sequence[Any], *, course: Course) -> "LearnerRecord":
        """The record from the enrolment's OWN_COLUMNS and its course."""
        enrolment_id, user_id, course_id, run_id, completed, questions, tests, score_sum = own
        return cls(
            enrolment_id=enrolment_id,
            user_id=user_id,
            course_id=course_id,
            run_id=run_id,
            completed=completed,
            test_questions_done=questions,
            tests_done=tests,
            test_score_sum=score_sum,
            step_count=course.step_count,
            test_count=course.test_count,
            test_question_count=course.test_question_count,
            offers_achievement=course.certificate_achievement,
            steps_percent=course.certificate_steps_completed_percent,
            tests_percent=course.certificate_tests_score_percent,
            participation_percent=course.certificate_participation_percent,
        )

    @property
    def test_average(self) -> int | None:
        """The average of the tests' best scores so far, in hundredths of a percent."""
        return self.test_score_sum // self.tests_done if self.tests_done else None


def progress_hooks() -> list[Callable[[LearnerRecord], None]]:
    return named_in_settings("STOA_PROGRESS_HOOKS")


@functools.cache
def named_in_settings(setting: str) -> list[Callable[..., Any]]:
    """The functions a setting lists by dotted path, imported once: how apps built on another
    plug into it without that app importing them."""
    return [import_string(path) for path in getattr(settings, setting, [])]
