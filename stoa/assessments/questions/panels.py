"""A quiz's or test's questions below its step, one at a time (?question=N), as on the
reference platform; a finished test opens on its score. Every state is a page of its own, so
no script is needed: answering is a form that posts and comes back here."""

from html import escape

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop

from stoa.assessments.questions import selectors
from stoa.courses.structure import CourseStructure
from stoa.learning.access import StepAccess, StepPanel
from stoa.learning.models import Enrolment
from stoa.lib.i18n import Words
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


def progress_panel(
    request: HttpRequest, enrolment: Enrolment, structure: CourseStructure
) -> StepPanel | None:
    """The learner's test scores on their progress page, when the course has tests."""
    scores = selectors.scored_tests(enrolment=enrolment, structure=structure)
    if not scores.tests:
        return None
    return StepPanel(html=_scores_html(scores))


# Fixed words, translated once per language (stoa.lib.i18n).
WORDS = Words(
    no_test=gettext_noop("No test finished yet."),
    asks=gettext_noop("(the certificate asks for %(pass)s%% on average over your best scores)"),
    none_yet=gettext_noop("none yet"),
    tests=gettext_noop("Tests"),
    caption=gettext_noop("Your best score in each test"),
    test=gettext_noop("Test"),
    state=gettext_noop("State"),
    best=gettext_noop("Best score"),
)
MARKUP = Words(average=gettext_noop("<strong>%(average)s%%</strong> average test score so far"))


def _scores_html(scores: selectors.ScoredTests) -> SafeString:
    """The learner's tests, built here rather than in a template: the progress page is one
    every learner opens. Step titles are escaped; the rest is numbers and fixed words."""
    words = WORDS.html()
    if scores.average is not None:
        figure = MARKUP.now()["average"] % {"average": scores.average}
    else:
        figure = words["no_test"]
    asks = words["asks"] % {"pass": scores.pass_percent}
    none_yet = f'<span class="muted">{words["none_yet"]}</span>'
    rows = []
    for test in scores.tests:
        best = test.sheet.best_percent if test.sheet else None
        score = f"{best}%" if best is not None else none_yet
        rows.append(
            f'<tr><th scope="row"><a href="{escape(test.step.get_absolute_url())}">'
            f"{test.step.number} {escape(test.step.title)}</a></th>"
            f'<td>{escape(test.state)}</td><td class="test-score__number">{score}</td></tr>'
        )
    return SafeString(
        '<section class="test-scores" aria-labelledby="tests-heading">'
        f'<h2 id="tests-heading">{words["tests"]}</h2>'
        f'<p class="progress-figure">{figure} <span class="muted">{asks}</span></p>'
        '<table class="test-score__table"><caption class="visually-hidden">'
        f"{words['caption']}</caption><thead><tr>"
        f'<th scope="col">{words["test"]}</th><th scope="col">{words["state"]}</th>'
        f'<th scope="col" class="test-score__number">{words["best"]}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
