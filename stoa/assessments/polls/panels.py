from django.http import HttpRequest
from django.urls import reverse

from stoa.assessments.polls import selectors
from stoa.learning.access import StepAccess, StepPanel


def poll_panel(request: HttpRequest, access: StepAccess) -> StepPanel:
    """The vote, or the results once voted (the course team sees results, and never votes)."""
    step = access.step
    poll = selectors.poll_for(step=step, user=request.user, run=access.run, is_team=access.is_team)
    may_vote = access.enrolment is not None and not access.is_team
    return StepPanel(
        "assessments/polls/panel.html",
        {
            "poll": poll,
            "may_vote": may_vote,
            # "Change your vote" is a link to the step with ?poll=change: no script needed.
            "show_form": may_vote and (poll.vote is None or request.GET.get("poll") == "change"),
            "vote_url": reverse(
                "polls:vote", args=[access.course.slug, step.week.number, step.position]
            ),
            "step_url": step.get_absolute_url(),
        },
    )
