"""Fixtures of the insights tests."""

import pytest

from stoa.assessments.questions.services import answer_question
from stoa.conversation.comments.services import post_comment
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning
from stoa.testing import RIGHT, WRONG, make_course, make_questions_step, step_of


@pytest.fixture
def busy_course(db, learner, other_learner):
    """A course with a test, a certificate at 40% of steps, and two learners who did things:
    Lee visited and completed two steps, answered both test questions (one wrong at first),
    commented and got a reply from Robin; Robin only visited the first step."""
    course = make_course("busy", weeks=1, steps_per_week=4, title="Busy Course")
    Step.objects.filter(week__course=course).update(type=StepType.ARTICLE)
    test = make_questions_step(course, type=StepType.TEST, questions=2)
    Course.objects.filter(pk=course.pk).update(certificate_participation_percent=40)
    course.refresh_from_db()
    run = course.runs.get()
    lee = learning.enrol(user=learner, course=course)
    robin = learning.enrol(user=other_learner, course=course)
    lee.refresh_from_db()
    robin.refresh_from_db()
    first, second = step_of(course, 1, 1), step_of(course, 1, 2)
    for step in (first, second, first):  # the second visit of a step counts once
        learning.record_visit(enrolment=lee, step=step)
        lee.refresh_from_db()
    learning.record_visit(enrolment=robin, step=first)
    learning.complete_step(enrolment=lee, step=first)
    learning.complete_step(enrolment=lee, step=second)  # 2 of 5 steps: participation
    learning.complete_step(enrolment=lee, step=second)  # a double click counts once
    answer_question(user=learner, step=test, position=1, choices=WRONG["one"], attempt=1)
    answer_question(user=learner, step=test, position=1, choices=RIGHT["one"], attempt=2)
    answer_question(user=learner, step=test, position=2, choices=RIGHT["many"], attempt=1)
    thread = post_comment(author=learner, step=second, run=run, text="Is the axis at zero?")
    post_comment(author=other_learner, step=second, run=run, text="Yes.", parent=thread)
    return course, run, test
