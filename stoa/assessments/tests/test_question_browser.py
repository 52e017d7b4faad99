"""Taking a quiz and a test in Debian's Chromium, with axe at phone and desktop widths, and
without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from stoa.assessments.models import Answer
from stoa.courses.models import StepType
from stoa.learning.models import StepCompletion
from stoa.testing import PASSWORD, make_questions_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quiz(course):
    return make_questions_step(course, type=StepType.QUIZ, questions=2)


@pytest.fixture
def test_step(course):
    return make_questions_step(course, type=StepType.TEST, questions=3)


def test_a_learner_takes_a_quiz_wrong_then_right_and_sees_feedback(
    live_server, page: Page, enrolled, learner, quiz, sign_in, check_page
):
    url = live_server.url + quiz.get_absolute_url()
    page.goto(url)
    check_page(page, "quiz-visitor")
    panel = page.get_by_role("region", name="Quiz")
    expect(panel.get_by_role("link", name="Join the course")).to_be_visible()

    sign_in(page, learner)
    page.goto(url)
    panel = page.get_by_role("region", name="Quiz")
    expect(panel.get_by_text("Question 1 of 2")).to_be_visible()
    check_page(page, "quiz-question")
    panel.get_by_role("radio", name="Option 2 of question 1").check()
    panel.get_by_role("button", name="Submit").click()

    expect(panel.get_by_role("status")).to_have_text("Not quite.")
    expect(panel).to_contain_text("SECRET feedback 1.2")
    expect(panel).to_contain_text("SECRET explanation 1")
    check_page(page, "quiz-feedback")

    panel.get_by_role("link", name="Try again").click()
    panel.get_by_role("radio", name="Option 1 of question 1").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_have_text("Correct.")
    expect(panel.get_by_role("link", name="Question 1: answered correctly")).to_be_visible()

    panel.get_by_role("link", name="Next").click()
    expect(panel.get_by_text("Question 2 of 2")).to_be_visible()
    panel.get_by_role("checkbox", name="Option 1 of question 2").check()
    panel.get_by_role("checkbox", name="Option 3 of question 2").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_have_text("Correct.")
    assert StepCompletion.objects.filter(step=quiz, enrolment__user=learner).exists()
    assert Answer.objects.filter(user=learner).count() == 3


def test_a_learner_takes_a_test_to_its_score(
    live_server, page: Page, enrolled, learner, test_step, sign_in, check_page
):
    sign_in(page, learner)
    page.goto(live_server.url + test_step.get_absolute_url())
    panel = page.get_by_role("region", name="Test")
    check_page(page, "test-question")

    panel.get_by_role("radio", name="Option 2 of question 1").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_have_text("Not quite. You have 2 tries left.")
    expect(panel).not_to_contain_text("SECRET")
    check_page(page, "test-try-again")
    panel.get_by_role("radio", name="Option 1 of question 1").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_contain_text("Correct. 2 points of 3.")

    panel.get_by_role("link", name="Next").click()
    panel.get_by_role("checkbox", name="Option 1 of question 2").check()
    panel.get_by_role("checkbox", name="Option 3 of question 2").check()
    panel.get_by_role("button", name="Submit").click()
    panel.get_by_role("link", name="Next").click()
    panel.get_by_role("radio", name="Option 1 of question 3").check()
    panel.get_by_role("button", name="Submit").click()

    panel.get_by_role("link", name="See your score").click()
    score = panel.get_by_role("table", name="Points for each question")
    expect(panel.get_by_text("(8 of 9 points)")).to_be_visible()
    expect(score.get_by_role("row").nth(1)).to_contain_text("2 / 3")
    expect(panel).to_contain_text("You have reached the pass mark of 70%.")
    check_page(page, "test-score")
    assert StepCompletion.objects.filter(step=test_step, enrolment__user=learner).exists()


def test_quizzes_and_tests_work_without_javascript(
    live_server, browser: Browser, enrolled, learner, quiz, test_step
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_server.url + quiz.get_absolute_url())
    panel = page.get_by_role("region", name="Quiz")
    panel.get_by_role("button", name="Submit").click()  # nothing chosen: the browser asks
    panel.get_by_role("radio", name="Option 1 of question 1").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_have_text("Correct.")

    page.goto(live_server.url + test_step.get_absolute_url() + "?question=2")
    panel = page.get_by_role("region", name="Test")
    panel.get_by_role("button", name="Submit").click()  # a checkbox question: refused, kept
    expect(page.get_by_text("Choose at least one option.")).to_be_visible()
    panel.get_by_role("checkbox", name="Option 2 of question 2").check()
    panel.get_by_role("button", name="Submit").click()
    expect(panel.get_by_role("status")).to_have_text("Not quite. You have 2 tries left.")
    assert Answer.objects.filter(user=learner).count() == 2
    context.close()
