"""Reads of quizzes and tests for pages (and the API to come). A step's questions as one
person sees them, in four queries however many questions and answers there are: the sheet,
the questions, the shown question's options, and the person's answers in their sitting.

What a learner may see of a test is decided here, not in templates: a test question's
correct options, feedback and explanation are only read once that question is finished
(correct, or out of tries), so they cannot leak into the page before.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from stoa.assessments.models import Answer, AnswerSheet
from stoa.assessments.questions.services import (
    MAX_POINTS,
    Reset,
    is_finished,
    pass_percent,
    percent,
    points_for,
    reset_for,
)
from stoa.courses.models import ChoiceMode, Option, Question, Step, StepType
from stoa.courses.structure import CourseStructure, structure_of
from stoa.learning.extensions import StepState
from stoa.learning.models import Enrolment
from stoa.lib.i18n import Words
from stoa.lib.prepared import PreparedQuery


@dataclass
class ShownOption:
    position: int
    text: str
    chosen: bool = False  # in the learner's last try
    correct: bool | None = None  # None while the answer is not due
    feedback: str = ""  # of a chosen option, once due


@dataclass
class QuestionState:
    position: int
    prompt: str
    choose: str
    tries: list[Answer] = field(default_factory=list)
    finished: bool = False
    points: int = 0

    @property
    def answered(self) -> bool:
        return bool(self.tries)

    @property
    def correct(self) -> bool:
        return any(answer.correct for answer in self.tries)

    @property
    def last(self) -> Answer | None:
        return self.tries[-1] if self.tries else None

    @property
    def choose_one(self) -> bool:
        return self.choose == ChoiceMode.ONE


@dataclass
class QuestionSet:
    """A quiz or test step as one person sees it, at one of its questions."""

    step: Step
    is_test: bool
    questions: list[QuestionState]
    shown: QuestionState | None  # the question on screen; None on a test's score page
    options: list[ShownOption]
    reveals: bool  # the shown question's correct options, feedback and explanation are due
    explanation: str
    max_attempts: int | None
    sheet: AnswerSheet | None
    pass_percent: int
    reset: Reset

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def finished_count(self) -> int:
        return sum(question.finished for question in self.questions)

    @property
    def all_finished(self) -> bool:
        return bool(self.questions) and self.finished_count == len(self.questions)

    @property
    def points(self) -> int:
        return sum(question.points for question in self.questions)

    @property
    def max_points(self) -> int:
        return MAX_POINTS * len(self.questions)

    @property
    def percent(self) -> int:
        return percent(self.points, len(self.questions))

    @property
    def best_percent(self) -> int | None:
        return self.sheet.best_percent if self.sheet else None

    @property
    def passed(self) -> bool:
        return (self.best_percent or 0) >= self.pass_percent

    @property
    def tries_left(self) -> int | None:
        if self.shown is None or self.max_attempts is None:
            return None
        return max(0, self.max_attempts - len(self.shown.tries))

    @property
    def previous_position(self) -> int | None:
        if self.shown is None or self.shown.position == 1:
            return None
        return self.shown.position - 1

    @property
    def next_position(self) -> int | None:
        if self.shown is None or self.shown.position >= len(self.questions):
            return None
        return self.shown.position + 1


def question_set(
    *,
    step: Step,
    enrolment: Enrolment | None,
    is_team: bool,
    position: int | None,
    now: datetime.datetime,
) -> QuestionSet:
    """The step's questions for this person, showing question `position` (clamped to the
    questions there are), or for a test with no position given, the score page once every
    question is finished. The course team sees every answer; visitors and learners see a
    test's answers only when due."""
    is_test = step.type == StepType.TEST
    max_attempts = step.max_attempts
    sheet = learner_id = None
    if enrolment is not None and not is_team:
        sheet = AnswerSheet.objects.filter(enrolment=enrolment, step=step).first()
        learner_id = enrolment.user_id
    sitting = sheet.sitting if sheet else 1
    rows = list(
        Question.objects.filter(step=step)
        .order_by("position")
        .values_list("pk", "position", "prompt", "choose")
    )
    tries: dict[int, list[Answer]] = {}
    if sheet is not None and learner_id is not None:
        answers = Answer.objects.filter(user_id=learner_id, step=step, sitting=sitting)
        for answer in answers.order_by("question_id", "attempt"):
            tries.setdefault(answer.question_id, []).append(answer)
    questions = []
    for pk, question_position, prompt, choose in rows:
        question_tries = tries.get(pk, [])
        questions.append(
            QuestionState(
                position=question_position,
                prompt=prompt,
                choose=choose,
                tries=question_tries,
                finished=is_finished(question_tries, max_attempts=max_attempts),
                points=points_for(question_tries) if is_test else 0,
            )
        )
    pk_at = {question_position: pk for pk, question_position, _, _ in rows}

    shown = None
    if questions:
        if position is None:
            finished = all(question.finished for question in questions)
            # A test's score page once it is done; else the first question not yet done.
            if not (is_test and finished):
                shown = next((q for q in questions if not q.finished), questions[0])
        else:
            shown = questions[min(max(position, 1), len(questions)) - 1]

    options: list[ShownOption] = []
    explanation = ""
    reveals = False
    if shown is not None:
        # A quiz tells all as soon as it is answered; a test once the question is finished.
        reveals = is_team or (shown.finished if is_test else shown.answered)
        rows_shown = list(
            Option.objects.filter(question_id=pk_at[shown.position])
            .select_related("question")
            .order_by("position")
        )
        chosen = set(shown.last.positions) if shown.last else set()
        for option in rows_shown:
            options.append(
                ShownOption(
                    position=option.position,
                    text=option.text,
                    chosen=option.position in chosen,
                    correct=option.correct if reveals else None,
                    feedback=option.feedback if reveals and option.position in chosen else "",
                )
            )
        explanation = rows_shown[0].question.explanation if reveals and rows_shown else ""

    course = step.week.course
    return QuestionSet(
        step=step,
        is_test=is_test,
        questions=questions,
        shown=shown,
        options=options,
        reveals=reveals,
        explanation=explanation,
        max_attempts=max_attempts,
        sheet=sheet,
        pass_percent=pass_percent(course),
        reset=reset_for(sheet, course=course, now=now) if is_test else Reset(allowed=False),
    )


# The to-do list's read of the learner's sheets, compiled once (stoa.lib.prepared).
_SHEETS = PreparedQuery(
    lambda values: AnswerSheet.objects.filter(enrolment_id=values.enrolment).values(
        "step_id", "finished_at", "best_percent"
    )
)


STATE_WORDS = Words(
    not_started=gettext_noop("Not started"),
    done=gettext_noop("Done"),
    in_progress=gettext_noop("In progress"),
)


def step_states(enrolment: Enrolment, steps: list[Step]) -> dict[int, StepState]:
    """The learner's state on each quiz and test among `steps`, for the to-do list: not
    started, in progress or done, and a test's best score. One query, of their sheets."""
    ids = [step.pk for step in steps if step.type in (StepType.QUIZ, StepType.TEST)]
    # All the learner's sheets (they are of this course's steps): the same one query whether
    # or not the course has quizzes.
    sheets = {sheet["step_id"]: sheet for sheet in _SHEETS.run(enrolment=enrolment.pk)}
    states = {}
    words = STATE_WORDS.now()
    for step_id in ids:
        sheet = sheets.get(step_id)
        if sheet is None:
            states[step_id] = StepState(label=words["not_started"])
            continue
        done = sheet["finished_at"] is not None
        detail = ""
        if sheet["best_percent"] is not None:
            detail = _("best score %(percent)d%%") % {"percent": sheet["best_percent"]}
        states[step_id] = StepState(
            label=words["done"] if done else words["in_progress"], detail=detail, done=done
        )
    return states


@dataclass(frozen=True)
class SheetSummary:
    """What the to-do list and the progress page show of a learner's sheet."""

    step_id: int
    finished_at: datetime.datetime | None
    best_percent: int | None


@dataclass
class ScoredTest:
    step: Step
    sheet: SheetSummary | None

    @property
    def state(self) -> str:
        if self.sheet is None:
            return _("Not started")
        return _("Done") if self.sheet.finished_at else _("In progress")


@dataclass
class ScoredTests:
    tests: list[ScoredTest]
    pass_percent: int

    @property
    def scored(self) -> list[int]:
        return [
            test.sheet.best_percent
            for test in self.tests
            if test.sheet is not None and test.sheet.best_percent is not None
        ]

    @property
    def average(self) -> int | None:
        """The average of the best scores of the tests finished so far."""
        return round(sum(self.scored) / len(self.scored)) if self.scored else None


def scored_tests(*, enrolment: Enrolment, structure: CourseStructure | None = None) -> ScoredTests:
    """The course's tests with the learner's best scores, and their average so far: the tests
    from the course's structure, then one query for the learner's sheets (as summaries)."""
    structure = structure or structure_of(enrolment.course.slug)
    tests = [step for step in structure.steps if step.type == StepType.TEST]
    sheets = {row["step_id"]: SheetSummary(**row) for row in _SHEETS.run(enrolment=enrolment.pk)}
    course = tests[0].week.course if tests else None
    return ScoredTests(
        tests=[ScoredTest(step=step, sheet=sheets.get(step.pk)) for step in tests],
        pass_percent=pass_percent(course) if course else 0,
    )
