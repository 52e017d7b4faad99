"""Quizzes and tests below their step: answering without JavaScript, what each person sees,
answers that must not reach a page early, refusals, and a page cost that does not grow."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.assessments.models import Answer, AnswerSheet
from stoa.courses.models import StepType
from stoa.learning.models import Enrolment
from stoa.testing import (
    RIGHT,
    WRONG,
    expect_queries,
    make_answers,
    make_learners,
    make_questions_step,
    signed_in,
    step_of,
)

pytestmark = pytest.mark.django_db


def answer_url(step, number: int) -> str:
    return reverse(
        "questions:answer",
        args=[step.week.course.slug, step.week.number, step.position, number],
    )


def reset_url(step) -> str:
    return reverse("questions:reset", args=[step.week.course.slug, step.week.number, step.position])


def post_answer(client, step, number, choices, attempt):
    return client.post(
        answer_url(step, number), {"choice": [str(c) for c in choices], "attempt": str(attempt)}
    )


@pytest.fixture
def quiz(course):
    return make_questions_step(course, type=StepType.QUIZ, questions=2)


@pytest.fixture
def test_step(course):
    return make_questions_step(course, type=StepType.TEST, questions=3)


def test_a_quiz_shows_one_question_at_a_time_with_an_overview(enrolled, learner, quiz):
    page = signed_in(learner).get(quiz.get_absolute_url()).content.decode()

    assert "Question 1 of 2" in page
    assert 'aria-label="Questions"' in page and "not answered" in page
    assert 'type="radio" name="choice" value="2"' in page
    assert 'name="attempt" value="1"' in page
    assert "Next" in page and "Back" not in page
    assert "Mark as complete" not in page  # the quiz completes itself

    second = signed_in(learner).get(quiz.get_absolute_url() + "?question=2").content.decode()
    assert "Question 2 of 2" in second and 'type="checkbox"' in second and "Back" in second


def test_a_quiz_answered_wrong_then_right_shows_feedback_and_explanation(enrolled, learner, quiz):
    client = signed_in(learner)

    response = post_answer(client, quiz, 1, WRONG["one"], 1)

    assert response["Location"] == quiz.get_absolute_url() + "?question=1#question"
    page = client.get(response["Location"]).content.decode()
    assert "Not quite." in page
    assert "SECRET feedback 1.2" in page and "SECRET explanation 1" in page
    assert "Try again" in page and 'name="choice"' not in page

    retry = client.get(quiz.get_absolute_url() + "?question=1&again=1").content.decode()
    assert 'value="2" id="choice-2" checked' in retry  # the last answer, to change
    assert 'name="attempt" value="2"' in retry
    post_answer(client, quiz, 1, RIGHT["one"], 2)
    page = client.get(quiz.get_absolute_url() + "?question=1").content.decode()
    assert "Correct." in page and "SECRET feedback 1.1" in page
    assert "answered correctly" in page


def test_a_quiz_comes_back_at_the_learner_s_last_answer(enrolled, learner, quiz):
    client = signed_in(learner)
    post_answer(client, quiz, 2, [2], 1)

    page = client.get(quiz.get_absolute_url() + "?question=2").content.decode()

    assert re.search(
        r'question__option--chosen">\s*<span class="question__option-text">Option 2', page
    )
    assert "Your answer" in page


def test_a_double_submit_stores_one_answer(enrolled, learner, quiz):
    client = signed_in(learner)
    for _ in range(2):
        assert post_answer(client, quiz, 1, RIGHT["one"], 1).status_code == 302
    assert Answer.objects.count() == 1


def test_a_test_never_puts_answers_in_the_page_before_they_are_due(enrolled, learner, test_step):
    client = signed_in(learner)
    pages = [client.get(test_step.get_absolute_url() + f"?question={n}") for n in (1, 2, 3)]
    post_answer(client, test_step, 1, WRONG["one"], 1)
    pages.append(client.get(test_step.get_absolute_url() + "?question=1"))

    for page in pages:
        html = page.content.decode()
        assert "SECRET" not in html
        assert "Correct answer" not in html and "question__option--correct" not in html
    assert "Not quite. You have 2 tries left." in pages[-1].content.decode()

    post_answer(client, test_step, 1, RIGHT["one"], 2)
    finished = client.get(test_step.get_absolute_url() + "?question=1").content.decode()
    assert "SECRET explanation 1" in finished and "Correct answer" in finished
    assert "SECRET" not in client.get(test_step.get_absolute_url() + "?question=2").content.decode()


def test_a_finished_test_opens_on_its_score(enrolled, learner, test_step):
    client = signed_in(learner)
    post_answer(client, test_step, 1, RIGHT["one"], 1)
    post_answer(client, test_step, 2, WRONG["many"], 1)
    post_answer(client, test_step, 2, RIGHT["many"], 2)
    for attempt in (1, 2, 3):
        post_answer(client, test_step, 3, WRONG["one"], attempt)

    page = client.get(test_step.get_absolute_url()).content.decode()

    assert 'id="score"' in page and "<strong>56%</strong>" in page
    assert "(5 of 9 points)" in page
    assert [
        cell.strip() for cell in re.findall(r"<td class=\"test-score__number\">([^<]+)<", page)
    ] == [
        "3 / 3",
        "2 / 3",
        "0 / 3",
        "5 / 9",
    ]
    assert "The pass mark is 70%" in page and "8 hours after your last answer" in page
    assert 'action="' + reset_url(test_step) not in page  # not yet: 8 hours


def test_the_reset_button_appears_8_hours_after_the_last_answer(enrolled, learner, test_step):
    client = signed_in(learner)
    for position in (1, 2, 3):
        for attempt in (1, 2, 3):
            post_answer(client, test_step, position, [2], attempt)
    AnswerSheet.objects.update(last_answered_at=timezone.now() - timezone.timedelta(hours=8))

    page = client.get(test_step.get_absolute_url()).content.decode()
    assert "Reset and retake the test" in page

    response = client.post(reset_url(test_step))
    assert response["Location"] == test_step.get_absolute_url() + "?question=1#question"
    assert AnswerSheet.objects.get().sitting == 2
    page = client.get(test_step.get_absolute_url() + "?question=1").content.decode()
    assert 'name="attempt" value="1"' in page and "3 tries" in page


def test_a_reset_too_early_says_when(enrolled, learner, test_step):
    client = signed_in(learner)
    for position in (1, 2, 3):
        for attempt in (1, 2, 3):
            post_answer(client, test_step, position, [2], attempt)

    response = client.post(reset_url(test_step), follow=True)

    assert "You can reset this test and take it again from" in response.content.decode()
    assert AnswerSheet.objects.get().sitting == 1


def test_a_visitor_sees_the_questions_and_is_invited_to_join(test_step, quiz):
    for step in (test_step, quiz):
        page = Client().get(step.get_absolute_url()).content.decode()
        assert "Question 1 of" in page and "Option 1 of question 1" in page
        assert 'name="choice"' not in page and "SECRET" not in page
        assert "to answer these questions" in page and "Sign in" in page
    response = Client().post(answer_url(quiz, 1), {"choice": "1", "attempt": "1"})
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert not Answer.objects.exists()


def test_the_course_team_previews_with_answers_but_does_not_answer(educator, test_step):
    client = signed_in(educator)
    page = client.get(test_step.get_absolute_url()).content.decode()

    assert "SECRET explanation 1" in page and "Correct answer" in page
    assert 'name="choice"' not in page
    assert post_answer(client, test_step, 1, [1], 1).status_code == 403


@pytest.mark.parametrize("person", ["outsider", "other_course_educator"])
def test_people_outside_the_course_cannot_answer(request, quiz, person):
    client = signed_in(request.getfixturevalue(person))
    assert post_answer(client, quiz, 1, [1], 1).status_code == 403
    assert client.post(reset_url(quiz)).status_code == 404  # a quiz has no reset
    assert not Answer.objects.exists()


def test_a_locked_test_shows_no_questions_and_takes_no_answers(enrolled, learner, course):
    locked = make_questions_step(course, type=StepType.TEST, week=2)
    client = signed_in(learner)

    assert 'id="questions"' not in client.get(locked.get_absolute_url()).content.decode()
    assert post_answer(client, locked, 1, [1], 1).status_code == 403
    assert client.post(reset_url(locked)).status_code == 403
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"choice": "x", "attempt": "1"},
        {"choice": "1", "attempt": "one"},
        {"choice": "1"},
        {"choice": "99999999999999999999", "attempt": "1"},
        {"choice": ["1", "2"], "attempt": "1"},
        {"attempt": "1"},
    ],
)
def test_garbage_answers_are_refused_with_a_message_and_store_nothing(
    enrolled, learner, quiz, data
):
    response = signed_in(learner).post(answer_url(quiz, 1), data, follow=True)
    assert response.status_code == 200
    assert "Choose" in response.content.decode() or "out of date" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_garbage_question_number_is_a_400(enrolled, learner, quiz):
    client = signed_in(learner)
    assert client.get(quiz.get_absolute_url() + "?question=abc").status_code == 400
    assert client.get(quiz.get_absolute_url() + "?question=99999").status_code == 400
    assert "Question 2 of 2" in client.get(quiz.get_absolute_url() + "?question=9").content.decode()
    assert post_answer(client, quiz, 9, [1], 1).status_code == 404


def test_answering_is_post_only(enrolled, learner, quiz):
    assert signed_in(learner).get(answer_url(quiz, 1)).status_code == 405


def test_a_test_page_costs_the_same_with_3_or_300_questions_answered(
    enrolled, learner, course, django_assert_num_queries
):
    few = make_questions_step(course, type=StepType.TEST, questions=3)
    many = make_questions_step(course, type=StepType.TEST, questions=300)
    enrolment = Enrolment.objects.get(user=learner)
    make_answers(few, enrolment)
    make_answers(many, enrolment)
    client = signed_in(learner)
    for step, count in ((few, 3), (many, 300)):
        client.get(step.get_absolute_url())  # the visit; returns to the step write nothing
        page = expect_queries(
            client, django_assert_num_queries, step.get_absolute_url(), TEST_SCORE_QUERIES
        )
        assert f"({3 * count} of {3 * count} points)" in page.content.decode()
        page = expect_queries(
            client,
            django_assert_num_queries,
            step.get_absolute_url() + "?question=2",
            TEST_PAGE_QUERIES,
        )
        assert f"Question 2 of {count}" in page.content.decode()


@pytest.mark.parametrize("kind", [StepType.QUIZ, StepType.TEST])
def test_a_quiz_or_test_page_costs_the_same_for_1_learner_as_for_10000(
    enrolled, learner, course, django_assert_num_queries, kind
):
    step = make_questions_step(course, type=kind, questions=2)
    client = signed_in(learner)
    post_answer(client, step, 1, RIGHT["one"], 1)
    url = step.get_absolute_url()
    client.get(url)
    expected = QUIZ_PAGE_QUERIES if kind == StepType.QUIZ else TEST_PAGE_QUERIES
    expect_queries(client, django_assert_num_queries, url, expected)

    run = course.runs.get()
    enrolments = make_learners(run, 10_000)
    question = step.questions.get(position=1)
    Answer.objects.bulk_create(
        Answer(
            user_id=enrolment.user_id,
            run_id=run.pk,
            step=step,
            question=question,
            attempt=1,
            choices="1",
            correct=True,
            submitted_at=timezone.now(),
        )
        for enrolment in enrolments
    )
    page = expect_queries(client, django_assert_num_queries, url, expected)
    assert "Question 2 of 2" in page.content.decode()


# The step page (with its conversation on a quiz; a test has none), and four for the
# questions: the learner's sheet, the questions, their answers in this sitting, the shown
# question's options. A test's score page shows no question, so it needs three.
QUIZ_PAGE_QUERIES = 8
TEST_PAGE_QUERIES = 7
TEST_SCORE_QUERIES = 6


def test_the_questions_of_an_article_step_are_not_answerable(enrolled, learner, course):
    article = step_of(course, 1, 2)
    assert post_answer(signed_in(learner), article, 1, [1], 1).status_code == 404


# The to-do list and the progress page


def test_the_to_do_list_shows_each_quiz_and_test_s_state_and_score(
    enrolled, learner, course, quiz, test_step
):
    client = signed_in(learner)
    todo_url = reverse("learning:todo", args=[course.slug])
    page = client.get(todo_url).content.decode()
    assert page.count("Not started") == 5  # with week 2's quiz and test, week 3's peer review

    post_answer(client, quiz, 1, RIGHT["one"], 1)
    for position, choose in ((1, "one"), (2, "many"), (3, "one")):
        post_answer(client, test_step, position, RIGHT[choose] if position < 3 else [2], 1)
    page = client.get(todo_url).content.decode()
    assert page.count("In progress") == 2 and page.count("Not started") == 3

    post_answer(client, test_step, 3, [2], 2)
    post_answer(client, test_step, 3, [2], 3)
    page = client.get(todo_url).content.decode()
    assert "Completed · best score 67%" in page


def test_the_progress_page_shows_each_test_s_best_score_and_the_average(
    enrolled, learner, course, django_assert_num_queries
):
    first = make_questions_step(course, type=StepType.TEST, questions=3)
    second = make_questions_step(course, type=StepType.TEST, questions=3)
    make_questions_step(course, type=StepType.TEST, questions=3)
    enrolment = Enrolment.objects.get(user=learner)
    make_answers(first, enrolment)
    AnswerSheet.objects.filter(step=first).update(best_percent=100, finished_at=timezone.now())
    make_answers(second, enrolment, count=1)
    AnswerSheet.objects.filter(step=second).update(best_percent=50, finished_at=timezone.now())
    url = reverse("learning:progress", args=[course.slug])
    client = signed_in(learner)
    client.get(url)  # the course's first page in this process builds its structure

    page = expect_queries(client, django_assert_num_queries, url, PROGRESS_QUERIES)

    html = page.content.decode()
    assert "<strong>75%</strong> average test score so far" in html
    assert [
        cell.strip() for cell in re.findall(r'<td class="test-score__number">(.*?)</td>', html)
    ] == [
        "100%",
        "50%",
        '<span class="muted">none yet</span>',
        '<span class="muted">none yet</span>',  # the course's own test, step 2.3
    ]


# The progress page's own, and one of the tests: the learner's sheets (the tests come from the
# course's structure, as the page read it).
PROGRESS_QUERIES = 5


def test_a_course_without_tests_shows_no_test_scores(enrolled, learner, course):
    page = signed_in(learner).get(reverse("learning:progress", args=[course.slug]))
    assert "average test score" not in page.content.decode()
