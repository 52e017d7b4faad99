"""Writes of quizzes and tests: answering a question, and resetting a test to take it again.

A quiz is practice: any number of tries, and the step is complete once every question has
been answered correctly. A test is scored: each question allows the step's tries (3 by
default) and earns 3, 2 or 1 points for a correct first, second or third try; the step is
complete once every question is finished (correct, or out of tries). A learner below the
course's pass mark may reset a finished test 8 hours after their last answer and take it
again; the best finished sitting counts.

Every try is one Answer row. The form names the try it answers, so a double click, a
second tab or a replay finds that try taken and stores nothing more; and each answer takes
the learner's AnswerSheet row for update first, so that two answers to the same test queue
instead of both spending the last try.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.assessments.models import Answer, AnswerSheet, QuestionTally
from stoa.assessments.rules import clean_choices, require_learner
from stoa.courses.models import Course, Option, Step, StepType
from stoa.learning import services as learning_services
from stoa.learning.models import Enrolment
from stoa.lib import tally
from stoa.lib.refusals import AlreadyDone, Invalid, NotFound, TooMany

POINTS_FOR_TRY = {1: 3, 2: 2, 3: 1}  # and 0 for a later try, or none correct
MAX_POINTS = 3
RESET_AFTER = datetime.timedelta(hours=8)
PASS_PERCENT_DEFAULT = 70


def points_for(tries: list[Answer]) -> int:
    """A test question's points from its tries, in order: by the first correct one."""
    for answer in tries:
        if answer.correct:
            return POINTS_FOR_TRY.get(answer.attempt, 0)
    return 0


def is_finished(tries: list[Answer], *, max_attempts: int | None) -> bool:
    """Done with: a quiz question once answered correctly; a test question once correct or
    out of tries."""
    if any(answer.correct for answer in tries):
        return True
    return max_attempts is not None and len(tries) >= max_attempts


def pass_percent(course: Course) -> int:
    return course.certificate_tests_score_percent or PASS_PERCENT_DEFAULT


def percent(points: int, question_count: int) -> int:
    return round(100 * points / (MAX_POINTS * question_count)) if question_count else 0


@dataclass(frozen=True)
class Reset:
    allowed: bool
    opens_at: datetime.datetime | None = None  # when a learner below the pass mark may reset


def reset_for(sheet: AnswerSheet | None, *, course: Course, now: datetime.datetime) -> Reset:
    """Whether the learner may reset their test now, or from when: only a finished sitting,
    only below the pass mark, only 8 hours after the last answer."""
    if sheet is None or sheet.finished_at is None:
        return Reset(allowed=False)
    if (sheet.best_percent or 0) >= pass_percent(course):
        return Reset(allowed=False)
    opens_at = sheet.last_answered_at + RESET_AFTER
    return Reset(allowed=now >= opens_at, opens_at=opens_at)


def _require_questions_step(step: Step) -> None:
    if step.type not in (StepType.QUIZ, StepType.TEST):
        raise NotFound(_("This step has no questions."))


def _locked_sheet(*, enrolment: Enrolment, step: Step, now: datetime.datetime) -> AnswerSheet:
    """The learner's sheet for the step, made on their first answer, locked for this answer;
    counted again from the answers if a re-import changed the questions since."""
    AnswerSheet.objects.bulk_create(
        [
            AnswerSheet(
                enrolment=enrolment,
                step=step,
                started_at=now,
                last_answered_at=now,
                counted_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    sheet = AnswerSheet.objects.select_for_update().get(enrolment=enrolment, step=step)
    if step.questions_changed_at and sheet.counted_at < step.questions_changed_at:
        recount(sheet=sheet, step=step, user_id=enrolment.user_id, now=now)
    return sheet


def recount(*, sheet: AnswerSheet, step: Step, user_id: int, now: datetime.datetime) -> None:
    """Takes the sheet's counts again from the answers of its sitting (after a re-import
    removed some questions and their answers). Saves the sheet."""
    max_attempts = step.max_attempts
    tries: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(user_id=user_id, step=step, sitting=sheet.sitting).order_by(
        "question_id", "attempt"
    ):
        tries.setdefault(answer.question_id, []).append(answer)
    question_count = step.questions.count()
    done_before = sheet.questions_done
    sheet.questions_done = sum(
        is_finished(question_tries, max_attempts=max_attempts) for question_tries in tries.values()
    )
    if step.type == StepType.TEST:
        sheet.points = sum(points_for(question_tries) for question_tries in tries.values())
    sheet.counted_at = now
    if sheet.questions_done < question_count:
        sheet.finished_at = None  # questions were added: the sitting is open again
    elif sheet.finished_at is None:
        sheet.finished_at = now
    sheet.save()
    if step.type == StepType.TEST and sheet.sitting == 1 and sheet.questions_done != done_before:
        learning_services.record_test_progress(
            enrolment=Enrolment(pk=sheet.enrolment_id),
            questions_done=sheet.questions_done - done_before,
        )


@transaction.atomic
def answer_question(
    *, user: User, step: Step, position: int, choices: list[int], attempt: int
) -> Answer:
    """Answers question `position` of a quiz or test step with the chosen 1-based option
    positions, as try `attempt` (the form says which try it shows).

    A try already taken returns the answer stored for it, unchanged: a double submit stores
    one answer. A try beyond the next, or beyond what a test allows, is refused.
    """
    _require_questions_step(step)
    enrolment = require_learner(user=user, step=step)
    options = list(
        Option.objects.filter(question__step=step, question__position=position)
        .select_related("question")
        .order_by("position")
    )
    if not options:
        raise NotFound(_("This step has no such question."))
    question = options[0].question
    positions = clean_choices(choices, choose=question.choose, option_count=len(options))

    now = timezone.now()
    sheet = _locked_sheet(enrolment=enrolment, step=step, now=now)
    tries = list(
        Answer.objects.filter(user=user, question=question, sitting=sheet.sitting).order_by(
            "attempt"
        )
    )
    if 1 <= attempt <= len(tries):
        return tries[attempt - 1]
    max_attempts = step.max_attempts
    if step.type == StepType.TEST and is_finished(tries, max_attempts=max_attempts):
        raise AlreadyDone(
            _("You have answered this question correctly already.")
            if any(answer.correct for answer in tries)
            else _("You have used all your tries at this question.")
        )
    if attempt != len(tries) + 1:
        raise Invalid(_("This page was out of date: here is the question as it stands now."))

    correct = positions == [option.position for option in options if option.correct]
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                user=user,
                run=enrolment.run,
                step=step,
                question=question,
                sitting=sheet.sitting,
                attempt=attempt,
                choices=",".join(map(str, positions)),
                correct=correct,
                submitted_at=now,
            )
    except IntegrityError:  # belt and braces: the sheet's lock already queues two tabs
        return Answer.objects.get(
            user=user, question=question, sitting=sheet.sitting, attempt=attempt
        )

    if sheet.sitting == 1 and attempt == 1:
        tally.add(
            QuestionTally,
            {"run_id": enrolment.run_id, "question": question},
            first_tries=1,
            first_try_correct=int(correct),
        )
    was_finished = is_finished(tries, max_attempts=max_attempts)
    tries.append(answer)
    record = TestProgress()
    if not was_finished and is_finished(tries, max_attempts=max_attempts):
        sheet.questions_done += 1
        if step.type == StepType.TEST:
            sheet.points += points_for(tries)
            # A reset sitting only repeats questions its first sitting finished.
            record.questions_done = 1 if sheet.sitting == 1 else 0
    sheet.last_answered_at = now
    fields = ["questions_done", "points", "last_answered_at"]
    if sheet.finished_at is None and sheet.questions_done >= step.questions.count():
        sheet.finished_at = now
        fields.append("finished_at")
        if step.type == StepType.TEST:
            record += _best_score(sheet)
            fields += ["best_percent", "best_score"]
    sheet.save(update_fields=fields)
    if record:
        learning_services.record_test_progress(
            enrolment=enrolment,
            questions_done=record.questions_done,
            tests_done=record.tests_done,
            score_change=record.score_change,
        )
    if sheet.finished_at == now:
        learning_services.complete_step(enrolment=enrolment, step=step)
    return answer


@dataclass
class TestProgress:
    """What an answer adds to the learner's test record on their enrolment."""

    questions_done: int = 0
    tests_done: int = 0
    score_change: int = 0  # hundredths of a percent

    def __bool__(self) -> bool:
        return bool(self.questions_done or self.tests_done or self.score_change)

    def __add__(self, other: "TestProgress") -> "TestProgress":
        return TestProgress(
            self.questions_done + other.questions_done,
            self.tests_done + other.tests_done,
            self.score_change + other.score_change,
        )


def _best_score(sheet: AnswerSheet) -> TestProgress:
    """Sets a finished sitting's score as the sheet's best if it is; what that adds."""
    score = sheet.points * 10_000 // (MAX_POINTS * sheet.questions_done)
    first = sheet.best_score is None
    if sheet.best_score is not None and score <= sheet.best_score:
        return TestProgress()
    change = score - (sheet.best_score or 0)
    sheet.best_score = score
    sheet.best_percent = round(score / 100)
    return TestProgress(tests_done=1 if first else 0, score_change=change)


@transaction.atomic
def reset_test(*, user: User, step: Step) -> AnswerSheet:
    """Starts the next sitting of a finished test, for a learner below the pass mark, from 8
    hours after their last answer. Earlier sittings' answers stay (they are research data)
    and the best finished score still counts."""
    if step.type != StepType.TEST:
        raise NotFound(_("Only a test can be reset."))
    enrolment = require_learner(user=user, step=step)
    sheet = AnswerSheet.objects.select_for_update().filter(enrolment=enrolment, step=step).first()
    now = timezone.now()
    if (
        sheet is not None
        and step.questions_changed_at
        and sheet.counted_at < step.questions_changed_at
    ):
        recount(sheet=sheet, step=step, user_id=user.pk, now=now)
    reset = reset_for(sheet, course=step.week.course, now=now)
    if sheet is None or sheet.finished_at is None:
        raise Invalid(_("Finish the test before you reset it."))
    if reset.opens_at is None:
        raise Invalid(_("Your score has reached the pass mark, so the test stays as it is."))
    if not reset.allowed:
        raise TooMany(
            _("You can reset this test and take it again from %(time)s.")
            % {"time": date_format(timezone.localtime(reset.opens_at), "DATETIME_FORMAT")},
            retry_after=int((reset.opens_at - now).total_seconds()) + 1,
        )
    sheet.sitting += 1
    sheet.questions_done = 0
    sheet.points = 0
    sheet.started_at = sheet.counted_at = now
    sheet.finished_at = None
    sheet.save()
    return sheet
