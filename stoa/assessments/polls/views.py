"""Answering on a step. Each form works without JavaScript: a POST, then a redirect back to
the step, where the panel (panels.py) shows the outcome."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stoa.assessments.polls import services
from stoa.learning.access import find_step
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import Invalid


@login_required
@require_POST
def vote(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    """Votes in the step's poll, or changes the vote. NotFound and NotAllowed from the service
    answer 404 and 403 with their message; a vote that cannot be used shows the form again."""
    step = find_step(slug=slug, week=week, position=position)
    step_url = step.get_absolute_url()
    try:
        choices = [int(value) for value in request.POST.getlist("choice")]
        services.vote_in_poll(user=request.user, step=step, choices=choices)
    except ValueError:
        messages.error(request, _("Choose from the options shown."))
        return redirect(f"{step_url}?poll=change#poll")
    except Invalid as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{step_url}?poll=change#poll")
    return redirect(f"{step_url}#poll")
