"""What a learner answers below a step, by the step's type: the one panel learning knows of
(settings.STOA_STEP_PANELS). Nothing on a locked step, or on a step with nothing to answer."""

from collections.abc import Callable

from django.http import HttpRequest

from stoa.assessments.peer.panels import peer_review_panel
from stoa.assessments.polls.panels import poll_panel
from stoa.assessments.questions.panels import questions_panel
from stoa.courses.models import StepType
from stoa.learning.access import StepAccess, StepPanel

_PANELS: dict[str, Callable[[HttpRequest, StepAccess], StepPanel | None]] = {
    StepType.POLL: poll_panel,
    StepType.QUIZ: questions_panel,
    StepType.TEST: questions_panel,
    StepType.PEER_REVIEW: peer_review_panel,
}


def step_assessment(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    panel = _PANELS.get(access.step.type)
    if access.is_locked or panel is None:
        return None
    return panel(request, access)
