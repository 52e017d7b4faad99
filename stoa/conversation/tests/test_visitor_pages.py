"""Step and course pages kept a few seconds for visitors with no cookie at all
(stoa.lib.visitor_pages), and never for anyone else."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stoa.testing import make_comment, signed_in, step_url

pytestmark = pytest.mark.django_db


def visitor() -> Client:
    return Client(enforce_csrf_checks=True)


def test_a_visitor_s_page_is_kept_a_few_seconds_then_made_again(
    course, learner, django_assert_num_queries
):
    make_comment(learner, course, "The first comment.")
    url = step_url(course)
    first = visitor().get(url)
    assert "The first comment." in first.content.decode()

    make_comment(learner, course, "A comment posted since.")
    with django_assert_num_queries(0):
        again = visitor().get(url)
    assert again.content == first.content
    assert again["Content-Security-Policy"]  # the middleware still dresses every answer
    assert again["Content-Type"] == first["Content-Type"]

    cache.clear()  # as VISITOR_PAGE_SECONDS passing would
    assert "A comment posted since." in visitor().get(url).content.decode()


def test_the_course_page_is_kept_for_visitors_too(course, django_assert_num_queries):
    url = course.get_absolute_url()
    first = visitor().get(url)
    assert "Join course" in first.content.decode()  # a link to sign up: the page holds no token
    with django_assert_num_queries(0):
        assert visitor().get(url).content == first.content


def test_people_with_a_cookie_signed_in_or_not_always_see_the_page_as_it_is(course, learner):
    visitor().get(step_url(course))
    make_comment(learner, course, "A comment posted since.")

    with_cookie = visitor()
    with_cookie.cookies["csrftoken"] = "x" * 32
    assert "A comment posted since." in with_cookie.get(step_url(course)).content.decode()
    page = signed_in(learner).get(step_url(course)).content.decode()
    assert "A comment posted since." in page


def test_query_strings_htmx_and_failures_are_never_kept(course):
    url = step_url(course)
    for _ in range(2):
        visitor().get(url + "?filter=liked")
        visitor().get(url, headers={"HX-Request": "true"})
        assert visitor().get(f"/courses/{course.slug}/steps/9.9/").status_code == 404
    for variant in (url + "?filter=liked", url):
        with CaptureQueriesContext(connection) as queries:
            visitor().get(variant)
        assert len(queries) > 0, f"{variant} was answered from the cache"
