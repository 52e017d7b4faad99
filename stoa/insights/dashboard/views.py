"""The workspace's Overview tab: the course's runs, and for those who may read it the chosen
run's dashboard, each chart downloadable as CSV."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.courses.selectors import chosen_run
from stoa.insights.dashboard import selectors
from stoa.insights.downloads import cell, csv_response
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import NotFound


@login_required
@require_GET
def overview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.SEE_WORKSPACE)
    runs = list(course.runs.order_by("-starts_on"))
    dashboard = None
    if Can.SEE_DASHBOARD in allowed:
        run = chosen_run(course, request.GET.get("run"))
        dashboard = selectors.dashboard(run) if run is not None else None
    return render(
        request,
        "insights/overview.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "overview",
            "runs": runs,
            "dashboard": dashboard,
        },
    )


@login_required
@require_GET
def chart_csv(request: AuthenticatedHttpRequest, slug: str, chart: str) -> StreamingHttpResponse:
    """One chart's numbers, as its table shows them."""
    course = get_object_or_404(Course, slug=slug)
    require(user=request.user, course=course, action=Can.SEE_DASHBOARD)
    run = chosen_run(course, request.GET.get("run"))
    found = selectors.dashboard(run).chart(chart) if run is not None else None
    if run is None or found is None:
        raise NotFound(_("This course has no such run or chart."))
    rows: list[list] = [
        found.columns,
        *([_csv_value(value) for value in row] for row in found.rows),
    ]
    return csv_response(rows, filename=f"{course.slug}_run-{run.pk}_{found.slug}.csv")


def _csv_value(value) -> str | int | float:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return cell(value) if isinstance(value, str) else value
