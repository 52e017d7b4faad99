"""Request types for view annotations: what middleware and decorators add to a request, which
a plain HttpRequest does not tell the type checker. For annotations only: views still receive
Django's own request objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
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
