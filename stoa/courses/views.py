import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.courses import selectors, services
from stoa.courses.forms import RunForm
from stoa.courses.models import Course, CourseRun
from stoa.courses.permissions import Can, courses_taught, flags, require
from stoa.lib.http import AuthenticatedHttpRequest


def catalogue(request: HttpRequest) -> HttpResponse:
    courses = selectors.catalogue_courses(today=timezone.localdate())
    return render(request, "courses/catalogue.html", {"courses": courses})


@login_required
def teach(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The courses whose workspace the user may open."""
    return render(
        request, "courses/workspace/teach.html", {"courses": courses_taught(user=request.user)}
    )


# --- Runs ----------------------------------------------------------------------------------


def _runs_course(request: AuthenticatedHttpRequest, slug: str) -> tuple[Course, frozenset[Can]]:
    """The course, if this person manages its runs; NotAllowed (403) otherwise."""
    course = get_object_or_404(Course, slug=slug)
    return course, require(user=request.user, course=course, action=Can.MANAGE_RUNS)


@login_required
def runs(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed = _runs_course(request, slug)
    today = timezone.localdate()
    rows = [(run, run.status(today=today)) for run in selectors.runs_of(course=course)]
    return render(
        request,
        "courses/workspace/runs.html",
        {"course": course, "can": flags(allowed), "tab": "runs", "rows": rows},
    )


@login_required
def run_new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed = _runs_course(request, slug)
    form = RunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.create_run(course=course, by=request.user, **form.cleaned_data)
        except services.RunInvalid as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(
                request, _("Run starting %(date)s created.") % {"date": _day(run.starts_on)}
            )
            return redirect("runs:list", course.slug)
    return _run_form(request, course, allowed, form, run=None)


@login_required
def run_edit(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    course, allowed = _runs_course(request, slug)
    run = get_object_or_404(CourseRun, course=course, pk=run_id)
    if run.status(today=timezone.localdate()) != "upcoming":
        messages.error(
            request,
            _("This run started on %(date)s: its dates can no longer change.")
            % {"date": _day(run.starts_on)},
        )
        return redirect("runs:list", course.slug)
    form = RunForm.for_run(run, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.update_run(run=run, by=request.user, **form.cleaned_data)
        except services.RunInvalid as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(
                request, _("Run starting %(date)s saved.") % {"date": _day(run.starts_on)}
            )
            return redirect("runs:list", course.slug)
    return _run_form(request, course, allowed, form, run=run)


def _run_form(
    request: AuthenticatedHttpRequest,
    course: Course,
    allowed: frozenset[Can],
    form: RunForm,
    *,
    run: CourseRun | None,
) -> HttpResponse:
    return render(
        request,
        "courses/workspace/run_form.html",
        {"course": course, "can": flags(allowed), "tab": "runs", "form": form, "run": run},
    )


def _day(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"
