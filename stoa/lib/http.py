"""Requests: the types views annotate them with, and the one safe-redirect helper.

The request types say what middleware and decorators add to a request, which a plain
HttpRequest does not tell the type checker. For annotations only: views still receive
Django's own request objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
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
