"""The workspace's Data tab: each run's research datasets, as one ZIP or file by file, for the
members of the course team who may download them (Can.EXPORT_DATA) and staff. The files are
written as they are sent (export.py), so a large run's download starts at once and the
server's memory stays flat."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.insights.research import export, schema
from stoa.insights.research.services import prepare_export
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import NotFound


@login_required
@require_GET
def data(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.EXPORT_DATA)
    return render(
        request,
        "insights/research/data.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "data",
            "runs": list(course.runs.order_by("-starts_on", "-pk")),
            "datasets": [(name, schema.file_name(course.slug, name)) for name in schema.DATASETS],
        },
    )


@never_cache
@login_required
@require_GET
def download_zip(
    request: AuthenticatedHttpRequest, slug: str, run_id: int
) -> StreamingHttpResponse:
    course = get_object_or_404(Course, slug=slug)
    run = prepare_export(user=request.user, course=course, run_id=run_id)
    response = StreamingHttpResponse(export.zip_chunks(run), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}_run-{run.pk}.zip"'
    return response


@never_cache
@login_required
@require_GET
def download_csv(
    request: AuthenticatedHttpRequest, slug: str, run_id: int, dataset: str
) -> StreamingHttpResponse:
    course = get_object_or_404(Course, slug=slug)
    run = prepare_export(user=request.user, course=course, run_id=run_id)
    if dataset not in schema.DATASETS:
        raise NotFound(_("There is no such dataset."))
    response = StreamingHttpResponse(
        export.csv_chunks(run, dataset), content_type="text/csv; charset=utf-8"
    )
    filename = schema.file_name(course.slug, dataset)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
