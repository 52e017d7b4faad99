"""What other apps add to learning's pages about a learner, named in settings so that learning
imports none of them: their state on a step for the to-do list (STOA_STEP_STATES, functions
states(enrolment, steps) -> {step id: StepState} for the steps they know of, in a fixed number
of queries), and sections of the progress page (STOA_PROGRESS_PANELS, functions
panel(request, enrolment) -> StepPanel | None). Step pages have theirs in access.py."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from stoa.courses.models import Step
from stoa.learning.models import Enrolment

if TYPE_CHECKING:
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
    for read_states in _imported("STOA_STEP_STATES"):
        states.update(read_states(enrolment, steps))
    return states


def progress_panels(request: HttpRequest, enrolment: Enrolment) -> list["StepPanel"]:
    panels = (make_panel(request, enrolment) for make_panel in _imported("STOA_PROGRESS_PANELS"))
    return [panel for panel in panels if panel is not None]


@functools.cache
def _imported(setting: str) -> list[Callable[..., Any]]:
    return [import_string(path) for path in getattr(settings, setting)]
