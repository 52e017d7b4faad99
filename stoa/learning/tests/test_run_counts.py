import pytest

from stoa.learning import services as learning

pytestmark = pytest.mark.django_db


def test_leaving_takes_a_learner_off_the_run_s_count(course, learner):
    enrolment = learning.enrol(user=learner, course=course)
    learning.leave(enrolment=enrolment)
    learning.leave(enrolment=enrolment)
    assert course.runs.get().learner_count == 0
    learning.enrol(user=learner, course=course)
    assert course.runs.get().learner_count == 1
