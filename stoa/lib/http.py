"""Requests: the types views annotate them with, and the one safe-redirect helper.

The request types say what middleware and decorators add to a request, which a plain
HttpRequest does not tell the type checker. For annotations only: views still receive
Django's own request objects."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
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
    """The request's CSRF token, masked once per request: a page has several forms, and one
    mask per response is all that BREACH asks. Templates get the same token as
    {% csrf_token %} (stoa.context_processors.site)."""
    secret = request.META.get("CSRF_COOKIE")
    held = getattr(request, "_stoa_csrf_token", None)
    if held is not None and held[0] == secret and secret is not None:
        return held[1]  # a rotated secret (signing in) masks anew
    if secret is None:
        get_token(request)  # no cookie yet: Django makes the secret and sets the cookie
        secret = request.META["CSRF_COOKIE"]
    else:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token does: renew the cookie
    token = _mask(secret)
    request._stoa_csrf_token = (secret, token)  # type: ignore[attr-defined]
    return token


_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_BASE = len(CSRF_ALLOWED_CHARS)
_UNBIASED = 256 - 256 % _BASE  # bytes at or above this would favour the first characters


def _mask(secret: str) -> str:
    """Django's masking of the CSRF secret (django.middleware.csrf._mask_cipher_secret, which
    its middleware unmasks), with the random mask drawn from one read of the system's random
    source instead of one per character: 5 µs instead of 30 on every page with a form."""
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [byte % _BASE for byte in secrets.token_bytes(48) if byte < _UNBIASED]
    del mask[CSRF_SECRET_LENGTH:]
    chars = CSRF_ALLOWED_CHARS
    pairs = zip(secret, mask, strict=True)
    cipher = "".join(chars[(_INDEX[char] + shift) % _BASE] for char, shift in pairs)
    return "".join(chars[shift] for shift in mask) + cipher
