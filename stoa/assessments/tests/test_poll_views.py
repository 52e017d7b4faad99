"""The poll below its step: voting without JavaScript, results as a table, refusals."""

import pytest
from django.urls import reverse

from stoa.assessments.models import PollVote
from stoa.testing import expect_queries, make_poll_votes, signed_in, step_of

pytestmark = pytest.mark.django_db


def vote_url(step) -> str:
    return reverse("polls:vote", args=[step.week.course.slug, step.week.number, step.position])


def test_a_learner_votes_with_a_plain_form_and_is_sent_back_to_the_results(enrolled, learner, poll):
    client = signed_in(learner)
    page = client.get(poll.get_absolute_url())
    assert b'action="' + vote_url(poll).encode() in page.content
    assert b'type="radio" name="choice" value="2"' in page.content

    response = client.post(vote_url(poll), {"choice": "2"})

    assert response.status_code == 302
    assert response["Location"] == poll.get_absolute_url() + "#poll"
    assert PollVote.objects.get(user=learner).choices == "2"
    results = client.get(poll.get_absolute_url()).content.decode()
    assert "<table" in results and "1 person has voted" in results
    assert '<td class="poll-results__number">100%</td>' in results
    assert "Your vote" in results and "Change your vote" in results
    assert 'name="choice"' not in results  # the form gives way to the results


def test_change_your_vote_shows_the_form_with_the_vote_checked(enrolled, learner, poll):
    client = signed_in(learner)
    client.post(vote_url(poll), {"choice": "3"})

    page = client.get(poll.get_absolute_url() + "?poll=change").content.decode()

    assert 'value="3" id="poll-choice-3" checked' in page
    assert "Change my vote" in page and "Keep my vote" in page
    client.post(vote_url(poll), {"choice": "1"})
    assert PollVote.objects.get(user=learner).choices == "1"


def test_a_double_submit_stores_one_vote(enrolled, learner, poll):
    client = signed_in(learner)

    for _ in range(2):
        assert client.post(vote_url(poll), {"choice": "1"}).status_code == 302

    assert PollVote.objects.filter(step=poll).count() == 1


def test_choices_that_do_not_make_a_vote_show_the_form_again_with_why(enrolled, learner, poll):
    client = signed_in(learner)

    for data in ({}, {"choice": ["1", "2"]}, {"choice": "nine"}):
        response = client.post(vote_url(poll), data, follow=True)
        assert response.redirect_chain[-1][0] == poll.get_absolute_url() + "?poll=change#poll"
        assert b'class="notice notice--error"' in response.content
        assert b'type="radio" name="choice"' in response.content
    assert not PollVote.objects.exists()


def test_a_visitor_sees_the_question_and_is_invited_to_join_but_cannot_vote(client, poll):
    page = client.get(poll.get_absolute_url()).content.decode()

    assert "Where do you most often meet numbers in the news?" in page
    assert "<li>On television or the radio</li>" in page
    assert "to vote in this poll and see how others voted" in page
    assert 'name="choice"' not in page and "<table" not in page

    response = client.post(vote_url(poll), {"choice": "1"})
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
    assert not PollVote.objects.exists()


def test_someone_not_on_the_course_is_refused(outsider, poll):
    client = signed_in(outsider)
    assert "Join the course to vote" in client.get(poll.get_absolute_url()).content.decode()

    response = client.post(vote_url(poll), {"choice": "1"})

    assert response.status_code == 403
    assert b"Join the course to take part in this step." in response.content


def test_the_course_team_sees_results_without_voting(educator, enrolled, learner, poll):
    signed_in(learner).post(vote_url(poll), {"choice": "1"})
    client = signed_in(educator)

    page = client.get(poll.get_absolute_url()).content.decode()

    assert "How learners of this run voted" in page and "1 person has voted" in page
    assert 'name="choice"' not in page and "Change your vote" not in page
    assert client.post(vote_url(poll), {"choice": "1"}).status_code == 403


def test_a_locked_poll_shows_nothing_and_takes_no_votes(enrolled, learner, locked_poll):
    client = signed_in(learner)

    page = client.get(locked_poll.get_absolute_url()).content.decode()

    assert 'id="poll"' not in page
    assert client.post(vote_url(locked_poll), {"choice": "1"}).status_code == 403
    assert not PollVote.objects.exists()


def test_a_step_that_is_not_a_poll_has_no_poll(enrolled, learner, course):
    client = signed_in(learner)
    article = step_of(course, 1, 2)

    assert 'id="poll"' not in client.get(article.get_absolute_url()).content.decode()
    assert client.post(vote_url(article), {"choice": "1"}).status_code == 404


def test_voting_is_post_only(enrolled, learner, poll):
    assert signed_in(learner).get(vote_url(poll)).status_code == 405


def test_the_poll_page_runs_the_same_queries_for_1_vote_as_for_10000(
    enrolled, learner, poll, course, django_assert_num_queries
):
    client = signed_in(learner)
    client.post(vote_url(poll), {"choice": "1"})
    url = poll.get_absolute_url()
    client.get(url)  # the first visit also writes the visit's row

    page = expect_queries(client, django_assert_num_queries, url, STEP_PAGE_QUERIES)
    assert "1 person has voted" in page.content.decode()

    make_poll_votes(poll, course.runs.get(), 9_999, choices="2")
    page = expect_queries(client, django_assert_num_queries, url, STEP_PAGE_QUERIES)
    assert "10000 people have voted" in page.content.decode()
    assert '<td class="poll-results__number">9999</td>' in page.content.decode()


# The step page with its conversation, and the poll's two: the viewer's vote, then the options
# with their run's tallies and turnout. None of them counts votes.
STEP_PAGE_QUERIES = 6
