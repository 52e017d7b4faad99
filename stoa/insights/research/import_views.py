"""The workspace's import: a run's datasets from the reference platform (a ZIP, or its CSV
files) read into one of the course's runs, for the members of the course team who may import
research data (Can.IMPORT_DATA) and staff. The page shows what was imported, or every error
and that nothing was. Large runs are better imported with `stoa data import`, which reports
its progress: here the request waits for the whole import."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.insights.research.import_forms import ImportForm
from stoa.insights.research.importer import ImportRefused, import_uploads
from stoa.lib.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.IMPORT_DATA)
    runs = list(course.runs.order_by("-starts_on", "-pk"))
    posted = request.method == "POST"
    form = ImportForm(runs, request.POST if posted else None, request.FILES if posted else None)
    report, errors = None, None
    if posted and form.is_valid():
        run = form.cleaned_data["run"]
        try:
            report = import_uploads(
                user=request.user, run=run, uploads=form.cleaned_data["datasets"]
            )
        except ImportRefused as refused:
            errors = refused.errors
    return render(
        request,
        "insights/research/import.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "data",
            "runs": runs,
            "form": form,
            "report": report,
            "rows": _report_rows(report) if report else [],
            "errors": errors,
        },
        status=400 if form.errors or errors else 200,
    )


def _report_rows(report) -> list[tuple[str, int, int]]:
    """Each dataset the files held: rows imported, rows found already there."""
    names = dict.fromkeys([*report.counts, *report.unchanged])
    return [(name, report.counts.get(name, 0), report.unchanged.get(name, 0)) for name in names]
