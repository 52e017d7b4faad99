from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stoa.courses import selectors


def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/catalogue.html", {"courses": selectors.catalogue_courses()})


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(selectors.catalogue_courses(), slug=slug)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "weeks": selectors.course_outline(course),
            "team": course.team.all(),
        },
    )
