"""Whole pages kept a few seconds for visitors, who come in bursts when a link is shared.

A visitor here is a request that carries no cookie at all: no session, no messages, no CSRF
token, so nothing on the page can be theirs, and everyone who follows the same link sees the
same page. Such a GET without a query string is answered from the cache (Django's default: in
the process on one machine, Redis when scaled out) for VISITOR_PAGE_SECONDS; the first visitor
after that renders it again. Anyone with a cookie, any htmx request, and any page that set a
cookie or used a CSRF token is served as usual and never cached. Only the body, status and
content type are kept: every response still passes through the middleware (security headers,
CSP, compression).

What visitors see may be that many seconds old: a new comment, a week that opened at midnight.
People who have signed in always see the page as it is now.
"""

import functools
import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

VISITOR_PAGE_SECONDS = 10


def cached_for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or request.COOKIES
            or request.GET
            or "HX-Request" in request.headers
        ):
            return view(request, *args, **kwargs)
        address = f"{request.build_absolute_uri()}|{get_language()}"
        key = "visitor-page:" + hashlib.sha256(address.encode()).hexdigest()
        kept = cache.get(key)
        if kept is not None:
            content_type, content = kept
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            cache.set(key, (response["Content-Type"], response.content), VISITOR_PAGE_SECONDS)
        return response

    return wrapper
