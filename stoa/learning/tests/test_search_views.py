"""The course's search page, /courses/<slug>/search/?q=, and its box on the to-do page."""

import pytest
from django.test import Client
from django.urls import reverse

from stoa.courses import search
from stoa.courses.models import Course, StepType
from stoa.learning import services as learning
from stoa.testing import expect_queries, make_course, signed_in, step_of

pytestmark = pytest.mark.django_db

TRANSCRIPT = """WEBVTT

00:00:00.000 --> 00:00:05.000
Hello, and welcome.

00:01:12.500 --> 00:01:20.000
Week {week} starts with the harbour lantern &lt;and&gt; a "quote".
"""


def give_transcripts(course: Course) -> None:
    """A video in the first step of every week that speaks of the lantern at 1:12.5, and
    the index as the import would have made it."""
    for week in range(1, course.week_count + 1):
        step = step_of(course, week, 1)
        step.type = StepType.VIDEO
        step.media_url = "https://media.example.org/clip.webm"
        step.transcript_source = TRANSCRIPT.format(week=week)
        step.save()
    search.index_course(course=course)


@pytest.fixture
def searchable(course: Course) -> Course:
    give_transcripts(course)
    return course


def search_url(course: Course, q: str | None = None) -> str:
    url = reverse("learning:search", args=[course.slug])
    return url if q is None else f"{url}?q={q}"


def weeks_found(response) -> list[int]:
    return [result.step.week.number for result in response.context["results"]]


def test_a_result_shows_the_step_the_time_and_the_marked_words_and_links_to_that_second(
    client: Client, searchable
):
    response = client.get(search_url(searchable, "lantern"))
    assert response.status_code == 200
    first = step_of(searchable, 1, 1)
    html = response.content.decode()
    assert f"Step 1.1 · 1:12: {first.title}" in html
    assert f'href="{first.get_absolute_url()}?t=72.5#t-72500"' in html
    assert "<mark>lantern</mark>" in html
    assert "&lt;and&gt;" in html


def test_a_step_text_result_links_to_the_step_without_a_time(client: Client, searchable):
    response = client.get(search_url(searchable, "body"))
    (result,) = [r for r in response.context["results"] if r.step.number == "1.2"]
    assert result.at == ""
    assert result.url == step_of(searchable, 1, 2).get_absolute_url()


def test_visitors_search_the_weeks_open_in_the_run_they_would_join(client: Client, searchable):
    # The course's run started today: its first week is open.
    assert weeks_found(client.get(search_url(searchable, "lantern"))) == [1]


def test_learners_do_not_see_steps_of_weeks_not_yet_open_in_their_run(
    searchable, learner, other_run_learner
):
    learning.enrol(user=learner, course=searchable)
    assert weeks_found(signed_in(learner).get(search_url(searchable, "lantern"))) == [1]
    # The other run started three weeks ago: all three weeks are open.
    found = weeks_found(signed_in(other_run_learner).get(search_url(searchable, "lantern")))
    assert sorted(found) == [1, 2, 3]


def test_the_team_searches_every_week(searchable, educator):
    found = weeks_found(signed_in(educator).get(search_url(searchable, "lantern")))
    assert sorted(found) == [1, 2, 3]


def test_a_course_with_no_run_open_is_searched_whole(client: Client, db):
    course = make_course("no-run", run_started_days_ago=None)
    give_transcripts(course)
    assert sorted(weeks_found(client.get(search_url(course, "lantern")))) == [1, 2, 3]


def test_an_upcoming_run_shows_visitors_nothing_yet(client: Client, db):
    course = make_course("upcoming", run_started_days_ago=-7)
    give_transcripts(course)
    response = client.get(search_url(course, "lantern"))
    assert weeks_found(response) == []
    assert "Nothing in this course" in response.content.decode()


def test_without_a_query_the_page_shows_the_box(client: Client, searchable):
    response = client.get(search_url(searchable))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="course-search-q">' in html
    assert 'id="results-heading"' not in html


@pytest.mark.parametrize("q", ["***", "%22%22", "-:^()", "%00%00", "%E2%80%8B"])
def test_a_query_without_words_gets_a_calm_message(client: Client, searchable, q):
    response = client.get(search_url(searchable, q))
    assert response.status_code == 200
    assert "Type a word or two" in response.content.decode()


def test_no_match_gets_a_calm_message(client: Client, searchable):
    response = client.get(search_url(searchable, "penguin"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing in this course" in html
    assert "penguin" in html


def test_a_query_of_search_syntax_is_harmless(client: Client, searchable):
    response = client.get(search_url(searchable, 'lantern" NEAR(* ^:'))
    assert response.status_code == 200


def test_a_very_long_query_is_refused(client: Client, searchable):
    response = client.get(search_url(searchable, "lantern " * 30))
    assert response.status_code == 400


def test_the_query_is_escaped_on_the_page(client: Client, searchable):
    response = client.get(search_url(searchable, "%3Cscript%3Ex%3C/script%3E"))
    html = response.content.decode()
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html


def test_an_unknown_course_is_not_found(client: Client, db):
    assert client.get("/courses/no-such-course/search/?q=lantern").status_code == 404


def test_the_to_do_page_has_a_search_box(searchable, learner):
    learning.enrol(user=learner, course=searchable)
    response = signed_in(learner).get(reverse("learning:todo", args=[searchable.slug]))
    html = response.content.decode()
    assert f'action="{search_url(searchable)}"' in html
    assert 'role="search"' in html
    assert '<label for="course-search-q">' in html


def test_queries_are_as_many_for_a_big_course_as_for_a_small_one(
    client: Client, searchable, django_assert_num_queries
):
    big = make_course("big-course", weeks=12, steps_per_week=12)
    give_transcripts(big)
    for course in (searchable, big):
        client.get(search_url(course, "lantern"))  # the process builds the structure
        response = expect_queries(
            client, django_assert_num_queries, search_url(course, "lantern"), 3
        )
        assert response.context["results"]


def test_a_learner_search_takes_four_queries(searchable, learner, django_assert_num_queries):
    learning.enrol(user=learner, course=searchable)
    client = signed_in(learner)
    client.get(search_url(searchable, "lantern"))
    expect_queries(client, django_assert_num_queries, search_url(searchable, "lantern"), 4)
    expect_queries(client, django_assert_num_queries, search_url(searchable, "***"), 3)
