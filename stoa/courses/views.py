from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from stoa.courses import selectors
from stoa.courses.models import Course
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


@login_required
def overview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.SEE_WORKSPACE)
    return render(
        request,
        "courses/workspace/overview.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "overview",
            "runs": selectors.runs_of(course=course),
        },
    )
