from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stoa.courses import selectors


def catalogue(request: HttpRequest) -> HttpResponse:
    courses = selectors.catalogue_courses(today=timezone.localdate())
    return render(request, "courses/catalogue.html", {"courses": courses})
