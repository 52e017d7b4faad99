"""A quiz's or test's questions below its step, one at a time (?question=N), as on the
reference platform; a finished test opens on its score. Every state is a page of its own, so
no script is needed: answering is a form that posts and comes back here."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from stoa.assessments.questions import selectors
from stoa.learning.access import StepAccess, StepPanel
from stoa.learning.models import Enrolment
from stoa.lib.refusals import Invalid


def _position(request: HttpRequest) -> int | None:
    value = request.GET.get("question")
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 4:
        raise Invalid("A question is asked for by its number, such as ?question=2.")
    return int(value)


def questions_panel(request: HttpRequest, access: StepAccess) -> StepPanel:
    step = access.step
    questions = selectors.question_set(
        step=step,
        enrolment=access.enrolment,
        is_team=access.is_team,
        position=_position(request),
        now=timezone.now(),
    )
    may_answer = access.enrolment is not None and not access.is_team
    shown = questions.shown
    show_form = False
    if may_answer and shown is not None:
        if questions.is_test:
            show_form = not shown.finished
        else:  # a quiz shows the learner's last answer until they choose to try again
            show_form = not shown.answered or request.GET.get("again") == "1"
    args = [access.course.slug, step.week.number, step.position]
    return StepPanel(
        "assessments/questions/panel.html",
        {
            "questions": questions,
            "may_answer": may_answer,
            "show_form": show_form,
            "attempt": len(shown.tries) + 1 if shown else 1,
            "answer_url": reverse("questions:answer", args=[*args, shown.position])
            if shown
            else "",
            "reset_url": reverse("questions:reset", args=args),
            "step_url": step.get_absolute_url(),
        },
    )


def progress_panel(request: HttpRequest, enrolment: Enrolment) -> StepPanel | None:
    """The learner's test scores on their progress page, when the course has tests."""
    scores = selectors.scored_tests(enrolment=enrolment)
    if not scores.tests:
        return None
    return StepPanel("assessments/questions/progress_panel.html", {"scores": scores})
