from django.http import HttpRequest

from stoa.learning.access import StepAccess, StepPanel


def questions_panel(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    return None
