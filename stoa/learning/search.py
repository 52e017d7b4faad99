"""Search a course: /courses/<slug>/search/?q= finds words in every transcript and step of the
course that this person may read (stoa.courses.search does the finding; the open weeks are
step_access's rule, stoa.learning.access.open_weeks)."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from stoa.courses import search as course_search
from stoa.courses.models import Step
from stoa.courses.structure import CourseStructure
from stoa.learning import rendering, selectors
from stoa.learning.access import open_weeks
from stoa.lib.refusals import Invalid
from stoa.lib.urls import reverse


@dataclass(frozen=True)
class Result:
    step: Step
    at: str  # "1:12" for a transcript's paragraph, "" for the step's own text
    url: str  # the step, at that second and paragraph
    snippet: SafeString


def search(request: HttpRequest, slug: str) -> HttpResponse:
    structure, enrolment = selectors.course_and_enrolment(user=request.user, slug=slug)
    text = request.GET.get("q", "")
    if len(text) > course_search.MAX_QUERY_CHARS:
        raise Invalid(
            _("Search for at most %(count)d characters.") % {"count": course_search.MAX_QUERY_CHARS}
        )
    terms = course_search.parse_query(text)
    results = []
    if terms:
        weeks = open_weeks(user=request.user, structure=structure, enrolment=enrolment)
        hits = course_search.find(course=structure.course, terms=terms, open_weeks=weeks)
        steps = _steps_by_id(structure)
        results = [_result(steps[hit.step_id], hit) for hit in hits if hit.step_id in steps]
    return render(
        request,
        "learning/search.html",
        {
            "course": structure.course,
            "tabs": rendering.course_tabs(structure.course, active="search"),
            "q": text,
            "searched": bool(text.strip()),
            "understood": bool(terms),
            "results": results,
            "limit": course_search.RESULT_LIMIT,
        },
    )


def _steps_by_id(structure: CourseStructure) -> dict[int, Step]:
    return structure.memo("steps-by-id", lambda: {step.pk: step for step in structure.steps})


def _result(step: Step, hit: course_search.Hit) -> Result:
    url = reverse("learning:step", args=[step.week.course.slug, step.week.number, step.position])
    if hit.start_ms is None:
        return Result(step=step, at="", url=url, snippet=hit.snippet)
    seconds = f"{hit.start_ms / 1000:.3f}".rstrip("0").rstrip(".")
    return Result(
        step=step,
        at=clock_time(hit.start_ms),
        url=f"{url}?t={seconds}#t-{hit.start_ms}",
        snippet=hit.snippet,
    )


def clock_time(ms: int) -> str:
    """A time in a recording as players show it: 1:12, 1:02:03."""
    hours, rest = divmod(ms // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
