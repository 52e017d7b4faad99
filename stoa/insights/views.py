"""The course team's Learners tab: a run's learners, searchable, in keyset pages, and as CSV."""

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.courses.selectors import chosen_run
from stoa.insights import selectors
from stoa.insights.downloads import cell, csv_response
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.keyset import cursor_from
from stoa.lib.refusals import NotFound


def _course_and_run(request: AuthenticatedHttpRequest, slug: str):
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.SEE_LEARNERS)
    return course, allowed, chosen_run(course, request.GET.get("run"))


@login_required
@require_GET
def learners(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed, run = _course_and_run(request, slug)
    search = request.GET.get("q", "")
    page = None
    if run is not None:
        page = selectors.learners_page(run=run, search=search, cursor=cursor_from(request.GET))
    return render(
        request,
        "insights/learners.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "learners",
            "run": run,
            "runs": list(course.runs.order_by("-starts_on")),
            "search": search,
            "page": page,
            "rows": [_row(enrolment) for enrolment in page.learners] if page else [],
        },
    )


def _row(enrolment) -> dict:
    certificates = list(enrolment.certificates.all())
    return {
        "name": enrolment.user.public_name,
        "email": enrolment.user.email,
        "joined_at": enrolment.joined_at,
        "left_at": enrolment.left_at,
        "last_activity_at": enrolment.last_activity_at,
        "completed": enrolment.completed_count,
        "test_average": selectors.average_test_score(enrolment),
        "certificates": [c.get_kind_display() for c in certificates if not c.is_revoked],
    }


CSV_HEADER = [
    "name",
    "email",
    "joined_at",
    "left_at",
    "last_activity_at",
    "steps_completed",
    "test_average_percent",
    "certificates",
]


@login_required
@require_GET
def learners_csv(request: AuthenticatedHttpRequest, slug: str) -> StreamingHttpResponse:
    course, _allowed, run = _course_and_run(request, slug)
    if run is None:
        raise NotFound(_("This course has no runs yet."))
    search = request.GET.get("q", "")

    def rows() -> Iterator[list]:
        yield CSV_HEADER
        for enrolment in selectors.all_learners(run=run, search=search):
            row = _row(enrolment)
            yield [
                cell(row["name"]),
                cell(row["email"]),
                _iso(row["joined_at"]),
                _iso(row["left_at"]),
                _iso(row["last_activity_at"]),
                row["completed"],
                "" if row["test_average"] is None else f"{row['test_average']:.2f}",
                cell("; ".join(row["certificates"])),
            ]

    return csv_response(rows(), filename=f"{course.slug}_run-{run.pk}_learners.csv")


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""
