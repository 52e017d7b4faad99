import os

import pytest
from django.core.management import call_command

from stoa.accounts.models import User
from stoa.assessments.questions.services import answer_question
from stoa.courses.models import Step, StepType
from stoa.learning import services as learning

pytestmark = pytest.mark.django_db


def test_the_demo_learner_can_take_the_demo_quizzes_and_its_test_at_once(media_root):
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    learner = User.objects.get(email="learner@example.com")
    steps = Step.objects.filter(type__in=[StepType.QUIZ, StepType.TEST]).select_related(
        "week__course"
    )
    assert {step.type for step in steps} == {StepType.QUIZ, StepType.TEST}
    learning.enrol(user=learner, course=steps[0].week.course)

    for step in steps:
        question = step.questions.order_by("position").first()
        right = [option.position for option in question.options.all() if option.correct]
        stored = answer_question(user=learner, step=step, position=1, choices=right, attempt=1)
        assert stored.correct, step
