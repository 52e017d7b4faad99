"""Refusals: the one error type a service raises when someone may not do what they asked.

Services decide who may see and do what; views, commands, tasks and the API only turn the
refusal into their kind of answer. The message is for the person who tried, so it says what
happened and, where it can, what to do instead.

NotFound, NotAllowed and Invalid are also Django's Http404, PermissionDenied and BadRequest,
so a view that lets one through answers 404, 403 or 400 with the message (the 403 page shows
it). TooMany and AlreadyDone need the view's own answer: the form again with what was typed
and a Retry-After, or the page with a note that nothing changed.
"""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.utils.functional import Promise


class Refused(Exception):
    """Someone may not do this; str() is the reason, for them to read."""

    def __init__(self, message: str | Promise) -> None:
        message = str(message)  # a lazy translation, in the language of the request
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(Refused, Http404):
    """What they asked for is not there for them: missing, or not theirs to see. The two look
    the same, so a refusal tells nobody what exists behind it."""


class NotAllowed(Refused, PermissionDenied):
    """They can see it, but may not do this to it (yet)."""


class Invalid(Refused, BadRequest):
    """What they sent cannot be used: an empty comment, a reason too long."""


class TooMany(Refused):
    """Over a rate limit; retry_after is in seconds, for the Retry-After header."""

    def __init__(self, message: str | Promise, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AlreadyDone(Refused):
    """It is done already (a double submit, a second report): nothing changed."""
