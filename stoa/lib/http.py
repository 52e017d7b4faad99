"""Requests: the types views annotate them with, and the one safe-redirect helper.

The request types say what middleware and decorators add to a request, which a plain
HttpRequest does not tell the type checker. For annotations only: views still receive
Django's own request objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    # Only for the annotation: at run time lib imports nothing from the apps.
    from stoa.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """A request that has been through django-htmx's HtmxMiddleware."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view behind login_required, so from a signed-in person."""

    user: User


def safe_next(request: HttpRequest, default: str = "") -> str:
    """Where a form goes back to: the `next` address it was given (form first, then query
    string), if it is a path on this site; else default. Never another site, so a crafted link
    cannot send people elsewhere after they sign in or post."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe and url.startswith("/") else default


def csrf_token(request: HttpRequest) -> str:
    """The request's CSRF token, masked once per request. Django masks it anew at each
    get_token(), drawing 32 characters from the operating system's random source (0.03 ms),
    and a page has several forms; one mask per response is all that BREACH asks. Templates get
    the same token as {% csrf_token %} (stoa.context_processors.site)."""
    secret = request.META.get("CSRF_COOKIE")  # a rotated secret (signing in) masks anew
    held = getattr(request, "_stoa_csrf_token", None)
    if held is not None and held[0] == secret and secret is not None:
        return held[1]
    token = get_token(request)
    request._stoa_csrf_token = (request.META.get("CSRF_COOKIE"), token)  # type: ignore[attr-defined]
    return token
