"""Site-wide error pages that Django's defaults do not cover."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stoa.lib.refusals import Refused


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A 400 that says what was wrong with the request: Django's own shows no reason. Only
    Stoa's refusals (stoa.lib.refusals.Invalid) carry a message meant for people; other bad
    requests get the general wording."""
    reason = exception.message if isinstance(exception, Refused) else ""
    return render(request, "400.html", {"reason": reason}, status=400)
