from django.http import HttpRequest
from django.urls import reverse

from stoa.assessments import selectors
from stoa.courses.models import StepType
from stoa.learning.access import StepAccess, StepPanel


def step_assessment(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    """What a learner answers below a step: a poll's vote and results now; quizzes, tests and
    peer review will come here too. Nothing on a locked step, or on a step with nothing to
    answer."""
    if access.is_locked or access.step.type != StepType.POLL:
        return None
    step = access.step
    poll = selectors.poll_for(step=step, user=request.user, run=access.run, is_team=access.is_team)
    may_vote = access.enrolment is not None and not access.is_team
    return StepPanel(
        "assessments/poll_panel.html",
        {
            "poll": poll,
            "may_vote": may_vote,
            # "Change your vote" is a link to the step with ?poll=change: no script needed.
            "show_form": may_vote and (poll.vote is None or request.GET.get("poll") == "change"),
            "vote_url": reverse(
                "assessments:vote", args=[access.course.slug, step.week.number, step.position]
            ),
            "step_url": step.get_absolute_url(),
        },
    )
