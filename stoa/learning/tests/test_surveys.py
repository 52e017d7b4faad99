"""The learner surveys of the research data (stoa.learning.surveys): why learners leave, how
they found each week, what brings them to the course; and when they first fully participated
(services.note_full_participation)."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from stoa.learning import selectors, services, surveys
from stoa.learning.extensions import LearnerRecord
from stoa.learning.models import (
    Archetype,
    ArchetypeResponse,
    Enrolment,
    LeavingReason,
    LeavingResponse,
    ParticipationTally,
    Sentiment,
    SentimentResponse,
    StepCompletion,
)
from stoa.lib.refusals import NotAllowed
from stoa.testing import HTMX, enrol_in, expect_queries, make_course, step_of

pytestmark = pytest.mark.django_db


def step_url(course, week, position, name="step"):
    return reverse(f"learning:{name}", args=[course.slug, week, position])


@pytest.fixture
def enrolment(client, course, learner):
    """The learner's enrolment on the course (its run started today: week 1 is open), the
    client signed in as them."""
    enrolment = services.enrol(user=learner, course=course)
    client.force_login(learner)
    return enrolment


# --- Leaving ---------------------------------------------------------------------------------


def leave_url(course):
    return reverse("learning:leave", args=[course.slug])


def test_leaving_with_a_reason_records_it_with_the_last_completed_step(client, enrolment, course):
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 2))
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    earlier = timezone.now() - datetime.timedelta(days=1)
    StepCompletion.objects.filter(step=step_of(course, 1, 2)).update(completed_at=earlier)

    response = client.post(leave_url(course), {"reason": LeavingReason.TOO_HARD})

    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.left_at is not None
    answer = LeavingResponse.objects.get()
    assert (answer.enrolment, answer.reason, answer.left_at) == (
        enrolment,
        "The course was too hard",
        enrolment.left_at,
    )
    last = StepCompletion.objects.get(step=step_of(course, 1, 1))
    assert (answer.last_completed_step, answer.last_completed_step_at) == (
        last.step,
        last.completed_at,
    )


def test_leaving_before_completing_a_step_records_no_last_step(client, enrolment, course):
    client.post(leave_url(course), {"reason": LeavingReason.NO_TIME})

    answer = LeavingResponse.objects.get()
    assert answer.last_completed_step is None and answer.last_completed_step_at is None


def test_leaving_without_a_reason_records_no_answer(client, enrolment, course):
    client.post(leave_url(course), {})

    enrolment.refresh_from_db()
    assert enrolment.left_at is not None
    assert not LeavingResponse.objects.exists()


def test_leaving_twice_records_one_answer(client, enrolment, course):
    client.post(leave_url(course), {"reason": LeavingReason.OTHER})
    response = client.post(leave_url(course), {"reason": LeavingReason.TOO_EASY})

    assert response.status_code == 302
    assert list(LeavingResponse.objects.values_list("reason", flat=True)) == ["Other"]
    assert course.runs.get().learner_count == 0


def test_leaving_with_a_reason_not_offered_is_refused_and_keeps_the_learner(
    client, enrolment, course
):
    response = client.post(leave_url(course), {"reason": "Because"})

    assert response.status_code == 400
    enrolment.refresh_from_db()
    assert enrolment.left_at is None
    assert not LeavingResponse.objects.exists()


def test_the_answer_is_written_in_the_leaves_transaction(enrolment, monkeypatch):
    def failing(**kwargs):
        raise IntegrityError("the disk is full")

    monkeypatch.setattr(surveys, "record_leaving", failing)
    with pytest.raises(IntegrityError):
        services.leave(enrolment=enrolment, reason=LeavingReason.OTHER)

    enrolment.refresh_from_db()
    assert enrolment.left_at is None


def test_visitor_leaving_is_sent_to_sign_in(client, course):
    response = client.post(leave_url(course), {"reason": LeavingReason.OTHER})

    assert response["Location"].startswith(reverse("accounts:signin"))


def test_the_course_page_asks_why_in_the_leave_form(
    client, enrolment, course, django_assert_num_queries
):
    client.get(course.get_absolute_url())
    page = expect_queries(client, django_assert_num_queries, course.get_absolute_url(), 4)

    content = page.content.decode()
    assert "Why are you leaving?" in content
    for reason in LeavingReason:
        assert f'value="{reason.value}"'.replace("'", "&#x27;") in content


# --- The end of each week --------------------------------------------------------------------

QUESTION = "How was week 1 for you?"


def sentiment_url(course, week=1, position=3):
    return step_url(course, week, position, "week_sentiment")


def test_the_weeks_last_step_asks_how_the_week_was_and_no_other_step_does(
    client, enrolment, course
):
    assert QUESTION in client.get(step_url(course, 1, 3)).content.decode()
    assert "How was week" not in client.get(step_url(course, 1, 2)).content.decode()
    assert "How was week" not in client.get(step_url(course, 1, 1)).content.decode()


def test_visitors_and_the_team_are_not_asked(client, course, educator):
    assert "How was week" not in client.get(step_url(course, 1, 3)).content.decode()
    client.force_login(educator)
    assert "How was week" not in client.get(step_url(course, 1, 3)).content.decode()


def test_the_question_costs_the_step_page_no_query(
    client, enrolment, course, django_assert_num_queries
):
    # Return visits (nothing written): the session, the user, the course's version with the
    # enrolment (and whether the step's week was answered), the step's conversation (1.2 is an
    # article, 1.3 a discussion: one query each while it is empty).
    client.get(step_url(course, 1, 2))
    expect_queries(client, django_assert_num_queries, step_url(course, 1, 2), 4)
    client.get(step_url(course, 1, 3))
    page = expect_queries(client, django_assert_num_queries, step_url(course, 1, 3), 4)
    assert QUESTION in page.content.decode()
    client.post(sentiment_url(course), {"week-rating": Sentiment.OK})
    page = expect_queries(client, django_assert_num_queries, step_url(course, 1, 3), 4)
    assert "Thank you for your answer." in page.content.decode()


def test_the_answer_is_read_with_the_enrolment_of_the_weeks_step_only(enrolment, course, learner):
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    surveys.answer_week(user=learner, step=step_of(course, 1, 3), rating=Sentiment.GOOD)

    for at, answered in (((1, 3), True), ((1, 1), True), ((2, 3), False)):
        _structure, read = selectors.course_and_enrolment(user=learner, slug=course.slug, at=at)
        assert read.week_answered is answered
    assert read.step_completed is False


def test_answering_records_it_once_and_the_step_thanks_instead_of_asking(client, enrolment, course):
    response = client.post(
        sentiment_url(course), {"week-rating": Sentiment.GOOD, "week-reason": " Clear videos. "}
    )

    assert response.status_code == 302
    assert response["Location"] == step_url(course, 1, 3) + "#week-question"
    answer = SentimentResponse.objects.get()
    assert (answer.run, answer.enrolment, answer.week, answer.rating, answer.reason) == (
        course.runs.get(),
        enrolment,
        1,
        3,
        "Clear videos.",
    )
    page = client.get(step_url(course, 1, 3)).content.decode()
    assert "Thank you for your answer." in page
    assert 'name="week-rating"' not in page


def test_answering_twice_changes_nothing(client, enrolment, course):
    client.post(sentiment_url(course), {"week-rating": Sentiment.BAD})
    response = client.post(sentiment_url(course), {"week-rating": Sentiment.GOOD})

    assert response.status_code == 302
    assert list(SentimentResponse.objects.values_list("rating", flat=True)) == [1]


def test_with_htmx_the_thanks_replace_the_question(client, enrolment, course):
    response = client.post(sentiment_url(course), {"week-rating": Sentiment.OK}, headers=HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith("<section") and 'id="week-question"' in content
    assert "Thank you for your answer." in content
    assert SentimentResponse.objects.get().rating == 2


def test_with_htmx_an_answer_without_a_rating_comes_back_with_what_was_typed(
    client, enrolment, course
):
    response = client.post(sentiment_url(course), {"week-reason": "Too long."}, headers=HTMX)

    content = response.content.decode()
    assert "Choose how the week was for you." in content
    assert "Too long.</textarea>" in content
    assert not SentimentResponse.objects.exists()


@pytest.mark.parametrize("rating", ["", "9", "good", "1.5"])
def test_a_rating_not_offered_writes_nothing_and_says_so(client, enrolment, course, rating):
    response = client.post(sentiment_url(course), {"week-rating": rating}, follow=True)

    assert response.redirect_chain[-1][0] == step_url(course, 1, 3) + "#week-question"
    assert not SentimentResponse.objects.exists()
    assert "notice--error" in response.content.decode()


def test_a_reason_over_the_limit_writes_nothing(client, enrolment, course):
    client.post(sentiment_url(course), {"week-rating": "3", "week-reason": "x" * 2001})

    assert not SentimentResponse.objects.exists()


def test_visitor_answering_is_sent_to_sign_in(client, course):
    response = client.post(sentiment_url(course), {"week-rating": "3"})

    assert response["Location"].startswith(reverse("accounts:signin"))


def test_people_not_on_the_course_may_not_answer(client, course, outsider, other_course_educator):
    for person in (outsider, other_course_educator):
        client.force_login(person)
        assert client.post(sentiment_url(course), {"week-rating": "3"}).status_code == 403
    assert not SentimentResponse.objects.exists()


def test_a_week_not_open_yet_cannot_be_answered(client, enrolment, course):
    response = client.post(sentiment_url(course, week=2), {"week-rating": "3"})

    assert response.status_code == 403
    assert not SentimentResponse.objects.exists()


def test_a_learner_who_left_may_not_answer(client, enrolment, course):
    services.leave(enrolment=enrolment)

    assert client.post(sentiment_url(course), {"week-rating": "3"}).status_code == 403


def test_answers_count_in_the_learners_own_run(client, course, other_run_learner):
    client.force_login(other_run_learner)
    client.post(sentiment_url(course, week=3), {"week-rating": "2"})

    answer = SentimentResponse.objects.get()
    assert (answer.run, answer.week) == (other_run_learner.enrolments.get().run, 3)


def test_answering_a_step_that_is_not_there_is_not_found(client, enrolment, course):
    assert client.post(sentiment_url(course, 9, 9), {"week-rating": "3"}).status_code == 404


def test_answering_takes_a_post(client, enrolment, course):
    assert client.get(sentiment_url(course)).status_code == 405


# --- Joining ---------------------------------------------------------------------------------

WHY = "What brings you to this course?"


def welcome_url(course):
    return reverse("learning:welcome", args=[course.slug])


def test_joining_lands_on_the_question_and_skipping_is_one_click(client, course, learner):
    client.force_login(learner)

    response = client.post(reverse("learning:join", args=[course.slug]), follow=True)

    assert response.redirect_chain[-1][0] == welcome_url(course)
    content = response.content.decode()
    assert WHY in content and f"You have joined {course.title}." in content
    skip = reverse("learning:continue", args=[course.slug])
    assert f'href="{skip}">Skip this question and start</a>' in content
    assert client.get(skip, follow=True).redirect_chain[-1][0] == step_url(course, 1, 1)
    assert not ArchetypeResponse.objects.exists()


def test_answering_records_it_and_starts_the_course(client, enrolment, course):
    response = client.post(welcome_url(course), {"archetype": Archetype.EXPLORERS}, follow=True)

    assert response.redirect_chain[-1][0] == step_url(course, 1, 1)
    answer = ArchetypeResponse.objects.get()
    assert (answer.enrolment, answer.archetype) == (enrolment, "Explorers")


def test_sending_no_answer_records_nothing_and_starts_the_course(client, enrolment, course):
    response = client.post(welcome_url(course), {})

    assert response["Location"] == reverse("learning:continue", args=[course.slug])
    assert not ArchetypeResponse.objects.exists()


def test_the_question_is_answered_once(client, enrolment, course):
    client.post(welcome_url(course), {"archetype": Archetype.FIXERS})
    client.post(welcome_url(course), {"archetype": Archetype.HOBBYISTS})

    assert list(ArchetypeResponse.objects.values_list("archetype", flat=True)) == ["Fixers"]
    response = client.get(welcome_url(course))
    assert response["Location"] == reverse("learning:continue", args=[course.slug])


def test_an_answer_not_offered_is_refused(client, enrolment, course):
    assert client.post(welcome_url(course), {"archetype": "Wanderers"}).status_code == 400
    assert not ArchetypeResponse.objects.exists()


def test_people_not_on_the_course_are_sent_to_its_page(client, course, outsider):
    assert client.get(welcome_url(course))["Location"].startswith(reverse("accounts:signin"))
    client.force_login(outsider)
    response = client.post(welcome_url(course), {"archetype": Archetype.FIXERS})
    assert response["Location"] == course.get_absolute_url()
    assert not ArchetypeResponse.objects.exists()


def test_the_service_refuses_people_not_on_the_course(course, outsider):
    with pytest.raises(NotAllowed):
        surveys.answer_archetype(user=outsider, course=course, archetype=Archetype.FIXERS)


def test_the_welcome_page_reads_the_enrolment_and_whether_it_was_answered(
    client, enrolment, course, django_assert_num_queries
):
    # the session, the user, the course, the enrolment, the answer
    expect_queries(client, django_assert_num_queries, welcome_url(course), 5)


# --- Fully participated ----------------------------------------------------------------------


def fully_participated_at(enrolment):
    return Enrolment.objects.values_list("fully_participated_at", flat=True).get(pk=enrolment.pk)


def test_fully_participated_is_set_by_the_write_that_gets_there_and_never_cleared(course, learner):
    enrolment = services.enrol(user=learner, course=course)  # 9 steps, one test question
    for week, position in ((1, 1), (1, 2), (1, 3), (2, 1), (2, 2)):
        services.complete_step(enrolment=enrolment, step=step_of(course, week, position))
    assert fully_participated_at(enrolment) is None  # more than half, but the test's not done

    services.record_test_progress(enrolment=enrolment, questions_done=1, tests_done=1)
    reached = fully_participated_at(enrolment)
    assert reached is not None

    services.uncomplete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    services.complete_step(enrolment=enrolment, step=step_of(course, 3, 1))
    assert fully_participated_at(enrolment) == reached


def test_half_of_the_steps_is_not_more_than_half(learner):
    course = make_course(weeks=1, steps_per_week=4)  # video, article, discussion, quiz: no test
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 2))
    assert fully_participated_at(enrolment) is None

    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 3))
    assert fully_participated_at(enrolment) is not None


def test_the_hook_is_one_conditional_update_and_only_when_the_record_qualifies(
    course, learner, django_assert_num_queries
):
    """Writes only for a record that qualifies: the UPDATE, and the first time the count in
    the dashboard's tally (one UPDATE, or its first row's insert in a savepoint)."""
    enrolment = enrol_in(learner, course.runs.get())
    record = LearnerRecord.read(enrolment.pk)
    with django_assert_num_queries(0):
        services.note_full_participation(record)  # nothing completed
    Enrolment.objects.filter(pk=enrolment.pk).update(completed_count=5, test_questions_done=1)
    record = LearnerRecord.read(enrolment.pk)
    ParticipationTally.objects.create(run_id=record.run_id, day=timezone.localdate(), learners=4)
    with django_assert_num_queries(2):
        services.note_full_participation(record)
    assert fully_participated_at(enrolment) is not None
    assert ParticipationTally.objects.get(run_id=record.run_id).learners == 5
    with django_assert_num_queries(1):
        services.note_full_participation(record)  # already set: the UPDATE matches no row
    assert ParticipationTally.objects.get(run_id=record.run_id).learners == 5


def test_the_hook_is_registered(settings):
    assert "stoa.learning.services.note_full_participation" in settings.STOA_PROGRESS_HOOKS
