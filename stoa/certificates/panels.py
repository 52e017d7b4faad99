from django.http import HttpRequest

from stoa.certificates import selectors
from stoa.learning.access import StepPanel
from stoa.learning.models import Enrolment


def progress_panel(request: HttpRequest, enrolment: Enrolment) -> StepPanel | None:
    """The certificates on the learner's progress page: what is left, or the link."""
    standing = selectors.standing_for(enrolment=enrolment)
    if not standing.goals:
        return None
    return StepPanel("certificates/progress_panel.html", {"standing": standing})
