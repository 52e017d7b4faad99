from django.http import HttpRequest

from stoa.learning.views import StepAccess, StepPanel


def step_conversation(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    """The conversation below a step."""
    return None
