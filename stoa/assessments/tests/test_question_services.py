import datetime
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from stoa.assessments.models import Answer, AnswerSheet
from stoa.assessments.questions.services import answer_question, reset_test
from stoa.courses.models import Course, StepType
from stoa.courses.services import import_package
from stoa.learning.models import Enrolment, StepCompletion
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed, NotFound, TooMany
from stoa.lib.shared import shared_dir
from stoa.testing import RIGHT, WRONG, enrol_in, make_questions_step, make_run, step_of

pytestmark = pytest.mark.django_db


def answer(user, step, position, choices, attempt):
    return answer_question(
        user=user, step=step, position=position, choices=choices, attempt=attempt
    )


def sheet_of(user, step) -> AnswerSheet:
    return AnswerSheet.objects.get(enrolment__user=user, step=step)


def is_complete(user, step) -> bool:
    return StepCompletion.objects.filter(enrolment__user=user, step=step).exists()


@pytest.fixture
def quiz(course):
    return make_questions_step(course, type=StepType.QUIZ, questions=2)


@pytest.fixture
def test_step(course):
    return make_questions_step(course, type=StepType.TEST, questions=3)


# Quizzes


def test_a_quiz_answer_is_stored_with_its_run_options_and_correctness(learner, enrolled, quiz):
    stored = answer(learner, quiz, 2, [3, 1], 1)

    assert (stored.run_id, stored.step_id, stored.question.position) == (
        Enrolment.objects.get(user=learner).run_id,
        quiz.pk,
        2,
    )
    assert (stored.choices, stored.correct, stored.sitting, stored.attempt) == ("1,3", True, 1, 1)
    assert stored.positions == [1, 3]


def test_a_quiz_is_complete_once_every_question_was_answered_correctly(learner, enrolled, quiz):
    answer(learner, quiz, 1, WRONG["one"], 1)
    answer(learner, quiz, 1, RIGHT["one"], 2)
    assert not is_complete(learner, quiz)
    assert sheet_of(learner, quiz).questions_done == 1

    answer(learner, quiz, 2, RIGHT["many"], 1)
    answer(learner, quiz, 2, WRONG["many"], 2)  # trying again after a right answer is free

    assert is_complete(learner, quiz)
    sheet = sheet_of(learner, quiz)
    assert (sheet.questions_done, sheet.finished_at is not None) == (2, True)
    assert Answer.objects.filter(user=learner, step=quiz).count() == 4


def test_the_same_try_sent_twice_stores_one_answer(learner, enrolled, quiz):
    first = answer(learner, quiz, 1, WRONG["one"], 1)
    again = answer(learner, quiz, 1, RIGHT["one"], 1)  # a second tab, replaying try 1

    assert again.pk == first.pk and not again.correct
    assert Answer.objects.filter(user=learner, step=quiz).count() == 1


def test_a_try_beyond_the_next_is_refused(learner, enrolled, quiz):
    with pytest.raises(Invalid):
        answer(learner, quiz, 1, RIGHT["one"], 3)
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "choices, message",
    [
        ([], "Choose an option"),
        ([1, 2], "Choose only one option"),
        ([3], "Choose from the options shown"),
        ([0], "Choose from the options shown"),
    ],
)
def test_choices_that_make_no_answer_are_refused_with_a_reason(
    learner, enrolled, quiz, choices, message
):
    with pytest.raises(Invalid, match=message):
        answer(learner, quiz, 1, choices, 1)


def test_a_question_the_step_does_not_have_is_not_found(learner, enrolled, quiz, course):
    with pytest.raises(NotFound):
        answer(learner, quiz, 9, [1], 1)
    with pytest.raises(NotFound):
        answer(learner, step_of(course, 1, 1), 1, [1], 1)  # a video step


# Who may answer


def test_only_an_active_learner_of_the_course_answers(
    quiz, outsider, educator, other_course_educator, learner, enrolled
):
    for person in (outsider, educator, other_course_educator):
        with pytest.raises(NotAllowed):
            answer(person, quiz, 1, [1], 1)
    Enrolment.objects.filter(user=learner).update(left_at=timezone.now())
    with pytest.raises(NotAllowed):
        answer(learner, quiz, 1, [1], 1)
    assert not Answer.objects.exists()


def test_a_learner_answers_in_their_own_run(other_run_learner, course, second_run):
    quiz = make_questions_step(course, week=1)
    second_run.starts_on = timezone.localdate()
    second_run.save()

    stored = answer(other_run_learner, quiz, 1, [1], 1)

    assert stored.run_id == second_run.pk


def test_nobody_answers_on_a_week_not_open_in_their_run(learner, enrolled, course):
    locked = make_questions_step(course, type=StepType.TEST, week=2)
    with pytest.raises(NotAllowed, match="opens on"):
        answer(learner, locked, 1, [1], 1)
    assert not Answer.objects.exists()


# Tests


def test_test_points_are_3_2_1_by_the_try_that_was_right(learner, enrolled, test_step):
    answer(learner, test_step, 1, RIGHT["one"], 1)  # 3
    answer(learner, test_step, 2, WRONG["many"], 1)
    answer(learner, test_step, 2, RIGHT["many"], 2)  # 2
    for attempt in (1, 2, 3):
        answer(learner, test_step, 3, WRONG["one"], attempt)  # 0

    sheet = sheet_of(learner, test_step)
    assert (sheet.points, sheet.questions_done) == (5, 3)
    assert sheet.best_percent == round(100 * 5 / 9)
    assert is_complete(learner, test_step)


def test_a_test_question_takes_no_more_tries_than_allowed_even_replayed(learner, enrolled, course):
    step = make_questions_step(course, type=StepType.TEST, questions=1, attempts=2)
    answer(learner, step, 1, WRONG["one"], 1)
    answer(learner, step, 1, WRONG["one"], 2)

    assert answer(learner, step, 1, RIGHT["one"], 2).correct is False  # a replay of try 2
    with pytest.raises(AlreadyDone, match="used all your tries"):
        answer(learner, step, 1, RIGHT["one"], 3)
    assert Answer.objects.filter(user=learner).count() == 2
    assert sheet_of(learner, step).points == 0


def test_a_right_test_answer_cannot_be_answered_again(learner, enrolled, test_step):
    answer(learner, test_step, 1, RIGHT["one"], 1)
    with pytest.raises(AlreadyDone, match="correctly already"):
        answer(learner, test_step, 1, WRONG["one"], 2)


def test_a_test_is_complete_only_when_every_question_is_finished(learner, enrolled, test_step):
    answer(learner, test_step, 1, RIGHT["one"], 1)
    answer(learner, test_step, 2, RIGHT["many"], 1)
    answer(learner, test_step, 3, WRONG["one"], 1)
    assert not is_complete(learner, test_step)
    assert sheet_of(learner, test_step).finished_at is None


# Resetting a test


def finish(user, step, *, right: int):
    """Answers all three questions: the first `right` correctly, the others wrong 3 times."""
    for position in range(1, 4):
        choose = "one" if position % 2 else "many"
        if position <= right:
            answer(user, step, position, RIGHT[choose], 1)
        else:
            for attempt in (1, 2, 3):
                answer(user, step, position, WRONG[choose], attempt)


def hours_later(user, step, hours: float):
    """Moves the learner's last answer `hours` into the past."""
    AnswerSheet.objects.filter(enrolment__user=user, step=step).update(
        last_answered_at=timezone.now() - datetime.timedelta(hours=hours)
    )


def test_a_test_is_reset_only_once_finished(learner, enrolled, test_step):
    answer(learner, test_step, 1, WRONG["one"], 1)
    with pytest.raises(Invalid, match="Finish the test"):
        reset_test(user=learner, step=test_step)


def test_a_test_at_the_pass_mark_is_not_reset(learner, enrolled, test_step):
    finish(learner, test_step, right=3)
    hours_later(learner, test_step, 9)
    with pytest.raises(Invalid, match="pass mark"):
        reset_test(user=learner, step=test_step)


def test_below_the_pass_mark_a_test_is_reset_8_hours_after_the_last_answer(
    learner, enrolled, test_step
):
    finish(learner, test_step, right=1)  # 33%
    hours_later(learner, test_step, 7.9)
    with pytest.raises(TooMany, match="from"):
        reset_test(user=learner, step=test_step)

    hours_later(learner, test_step, 8)
    sheet = reset_test(user=learner, step=test_step)

    assert (sheet.sitting, sheet.points, sheet.questions_done, sheet.finished_at) == (2, 0, 0, None)
    assert sheet.best_percent == 33
    assert Answer.objects.filter(user=learner, sitting=1).count() == 7  # kept as data


def test_the_best_sitting_counts(learner, enrolled, test_step):
    finish(learner, test_step, right=2)  # 67%
    hours_later(learner, test_step, 8)
    reset_test(user=learner, step=test_step)

    finish(learner, test_step, right=1)  # 33% second time
    assert sheet_of(learner, test_step).best_percent == 67

    hours_later(learner, test_step, 8)
    reset_test(user=learner, step=test_step)
    finish(learner, test_step, right=3)
    sheet = sheet_of(learner, test_step)
    assert (sheet.sitting, sheet.best_percent) == (3, 100)
    assert Answer.objects.filter(user=learner, sitting=3, attempt=1, correct=True).count() == 3


def test_the_pass_mark_is_the_course_s(learner, enrolled, test_step, course):
    Course.objects.filter(pk=course.pk).update(certificate_tests_score_percent=30)
    test_step = step_of(course, test_step.week.number, test_step.position)
    finish(learner, test_step, right=1)  # 33%
    hours_later(learner, test_step, 9)
    with pytest.raises(Invalid, match="pass mark"):
        reset_test(user=learner, step=test_step)


# Re-importing a changed test


@pytest.fixture
def imported(tmp_path: Path, media_root):
    package = tmp_path / "qi-basics"
    shutil.copytree(shared_dir() / "examples" / "qi-basics", package)
    for path in package.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    course = import_package(root=package).course
    return package, course


def test_a_reimport_keeps_answers_to_unchanged_questions_and_reports_the_rest(imported, learner):
    package, course = imported
    enrolled = enrol_in(learner, make_run(course, started_days_ago=7))
    test = step_of(course, 2, 3)
    answer(learner, test, 1, [1], 1)  # right: "Six or more"
    answer(learner, test, 2, [3], 1)  # wrong
    test_file = package / "week-2" / "03-test.md"
    text = test_file.read_text()
    # The second question now asks something else, and a new first question comes before.
    text = text.replace("Which are parts of a PDSA cycle?", "Which are steps of a PDSA cycle?")
    text = text.replace(
        "questions:\n",
        "questions:\n  - prompt: What does PDSA stand for?\n    choose: one\n    options:\n"
        "      - text: Plan, Do, Study, Act\n        correct: true\n"
        "      - text: Plan, Do, Stop, Ask\n",
        1,
    )
    test_file.write_text(text)

    output = io.StringIO()
    call_command("course", "import", str(package), stdout=output)
    result_text = output.getvalue()
    result = import_package(root=package)  # again: nothing more is lost
    assert result.lost_answers == ()
    assert (
        "Step 2.3, question 2 changed (\u201cWhich are parts of a PDSA cycle?\u201d): "
        "1 answer to it was removed" in result_text
    )
    kept = Answer.objects.get(user=learner)
    assert (kept.question.position, kept.correct) == (2, True)  # moved down, still answered
    # The learner's sheet is counted again on their next answer.
    AnswerSheet.objects.filter(enrolment=enrolled).update(points=99)
    test = step_of(course, 2, 3)  # as the next request reads it
    answer(learner, test, 1, [1], 1)
    sheet = AnswerSheet.objects.get(enrolment=enrolled, step=test)
    assert (sheet.questions_done, sheet.points) == (2, 6)


def test_a_finished_test_given_a_new_question_is_open_again_and_scored_with_it(imported, learner):
    package, course = imported
    enrolled = enrol_in(learner, make_run(course, started_days_ago=7))
    test = step_of(course, 2, 3)
    answer(learner, test, 1, [1], 1)
    answer(learner, test, 2, [1, 2], 1)
    assert AnswerSheet.objects.get(enrolment=enrolled).best_percent == 100
    test_file = package / "week-2" / "03-test.md"
    test_file.write_text(
        test_file.read_text().replace(
            "---\nTwo scored",
            "  - prompt: What does PDSA stand for?\n    choose: one\n    options:\n"
            "      - text: Plan, Do, Study, Act\n        correct: true\n"
            "      - text: Plan, Do, Stop, Ask\n---\nTwo scored",
        )
    )
    assert import_package(root=package).lost_answers == ()
    test = step_of(course, 2, 3)  # as the next request reads it

    answer(learner, test, 3, [2], 1)

    sheet = AnswerSheet.objects.get(enrolment=enrolled)
    assert (sheet.questions_done, sheet.points, sheet.finished_at is None) == (2, 6, True)
    answer(learner, test, 3, [1], 2)
    sheet.refresh_from_db()
    assert (sheet.questions_done, sheet.points, sheet.best_percent) == (3, 8, 100)
