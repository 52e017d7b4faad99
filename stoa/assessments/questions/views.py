"""Answering a quiz's or test's questions. Each form works without JavaScript: a POST, then
a redirect back to the step at that question, where the panel (panels.py) shows the outcome.
NotFound and NotAllowed from the services answer 404 and 403 with their message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stoa.assessments.questions import services
from stoa.learning.access import find_step
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import AlreadyDone, Invalid, TooMany


def _numbers(values: list[str]) -> list[int]:
    if any(not value.isascii() or not value.isdigit() or len(value) > 4 for value in values):
        raise Invalid(_("Choose from the options shown."))
    return [int(value) for value in values]


@login_required
@require_POST
def answer(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, number: int
) -> HttpResponse:
    step = find_step(slug=slug, week=week, position=position)
    at_question = f"{step.get_absolute_url()}?question={number}"
    try:
        (attempt,) = _numbers([request.POST.get("attempt", "")])
        services.answer_question(
            user=request.user,
            step=step,
            position=number,
            choices=_numbers(request.POST.getlist("choice")),
            attempt=attempt,
        )
    except Invalid as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{at_question}&again=1#question")
    except AlreadyDone as refusal:
        messages.info(request, str(refusal))
    return redirect(f"{at_question}#question")


@login_required
@require_POST
def reset(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    step = find_step(slug=slug, week=week, position=position)
    try:
        services.reset_test(user=request.user, step=step)
    except (Invalid, TooMany) as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{step.get_absolute_url()}#score")
    messages.success(request, _("The test is reset: your best score so far still counts."))
    return redirect(f"{step.get_absolute_url()}?question=1#question")
