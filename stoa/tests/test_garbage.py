"""Garbage in any parameter gets a 400 or a 404, never a server error.

Walks every route of Stoa's own apps (Django's admin is Django's), fills each path parameter
with real and absurd values, and feeds hostile values to every query parameter the pages read,
as the people who use the site: a visitor, a learner of the course and its educator."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from stoa.conversation.models import Notification
from stoa.testing import HTMX, make_comment

pytestmark = pytest.mark.django_db

# Every query parameter a page of Stoa reads.
QUERY_PARAMETERS = [
    "after",
    "before",
    "page",
    "filter",
    "next",
    "cancel",
    "question",
    "again",
    "poll",
    "q",
]
HOSTILE_VALUES = [
    "%C2%B2.1",  # a superscript two: a digit to str.isdigit(), not to int()
    "300000000000000000.1",  # microseconds past the year 9999
    "9" * 5000,  # past Python's limit for converting digits to an int
    "99999999999999999999",  # past a 64-bit integer
    "1." + "9" * 5000,
    "-1",
    "https://evil.example/",
    "",
]
PATH_IDS = ["1", "0", "9" * 18]
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(patterns=None, prefix: str = "") -> list[str]:
    """The route strings of every URL of Stoa's apps, e.g. "people/<id:user_id>/"."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or not isinstance(entry.pattern, RoutePattern):
                continue
            found += routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            found.append(prefix + str(entry.pattern))
    return found


def fill(route: str, *, slug: str, number: str) -> str:
    def value(match: re.Match) -> str:
        return slug if match["converter"] == "slug" else number

    return "/" + PARAMETER.sub(value, route)


@pytest.fixture
def site(course, learner, other_learner, educator, enrolled):
    """A course with a conversation, a notification and the personas on it."""
    comment = make_comment(other_learner, course)
    make_comment(learner, course, parent=comment)
    Notification.objects.create(
        recipient=learner,
        kind=Notification.Kind.REPLY,
        comment=comment,
        created_at=comment.created_at,
    )
    return course


def test_the_walk_finds_every_app(site):
    found = routes()
    for expected in ("comments/", "moderation/", "activity/", "bookmarks/", "people/", "todo/"):
        assert any(expected in route for route in found), expected


@pytest.mark.parametrize("persona", ["visitor", "learner", "educator"])
def test_absurd_path_values_are_refused_cleanly(client, site, persona, request):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))
    for route in routes():
        for slug in (site.slug, "no-such-course"):
            for number in PATH_IDS:
                url = fill(route, slug=slug, number=number)
                for method in (client.get, client.post):
                    response = method(url)
                    assert response.status_code < 500, (method.__name__, url)
    # Numbers too long for an id do not match a route at all.
    assert client.get(f"/people/{'9' * 5000}/").status_code == 404
    assert client.post(f"/bookmarks/{2**63}/remove/").status_code == 404


@pytest.mark.parametrize("name", QUERY_PARAMETERS)
@pytest.mark.parametrize("persona", ["visitor", "learner", "educator"])
def test_hostile_query_values_are_refused_cleanly(client, site, persona, name, request):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))
    for route in routes():
        url = fill(route, slug=site.slug, number="1")
        for value in HOSTILE_VALUES:
            # htmx asks for parts of pages: the learner's requests try both.
            for headers in ({}, HTMX) if persona == "learner" else ({},):
                response = client.get(f"{url}?{name}={value}", headers=headers)
                assert response.status_code < 500, (url, name, value[:40], headers)
