import dataclasses

import pytest
from django.core import mail

from stoa.assessments.questions.services import answer_question
from stoa.certificates.models import Certificate
from stoa.certificates.services import Requirements, earned_kinds, restore, revoke
from stoa.conversation.models import Notification
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning
from stoa.learning.extensions import LearnerRecord
from stoa.learning.models import Enrolment
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed
from stoa.testing import RIGHT, WRONG, make_course, make_questions_step, make_user

pytestmark = pytest.mark.django_db

RECORD = LearnerRecord(
    enrolment_id=1,
    user_id=1,
    course_id=1,
    run_id=1,
    completed=900,
    test_questions_done=30,
    tests_done=3,
    test_score_sum=21_000,  # an average of 70.00%
    step_count=1000,
    test_count=3,
    test_question_count=30,
    offers_achievement=True,
    steps_percent=None,
    tests_percent=None,
    participation_percent=None,
)


def kinds(**changes) -> list[str]:
    record = dataclasses.replace(RECORD, **changes)
    return earned_kinds(record, Requirements.of(record))


def test_achievement_needs_90_percent_of_steps_not_89_9():
    assert kinds() == ["achievement"]
    assert kinds(completed=899) == []


def test_achievement_needs_every_test_question_answered():
    assert kinds(test_questions_done=29) == []


def test_achievement_needs_a_70_percent_average_not_69_99():
    assert kinds(test_score_sum=20_999) == []  # 69.99% on average
    assert kinds(test_score_sum=21_000, tests_done=3) == ["achievement"]
    assert kinds(tests_done=2) == []  # a test not finished


def test_a_course_without_tests_needs_only_the_steps():
    assert kinds(test_count=0, test_question_count=0, tests_done=0, test_score_sum=0) == [
        "achievement"
    ]


def test_a_course_s_own_percentages_apply():
    assert kinds(completed=800, steps_percent=80, tests_percent=60, test_score_sum=18_000) == [
        "achievement"
    ]


def test_participation_is_earned_at_its_own_share_of_steps():
    assert kinds(completed=499, participation_percent=50, test_questions_done=0) == []
    assert kinds(completed=500, participation_percent=50, test_questions_done=0) == [
        "participation"
    ]
    assert kinds(participation_percent=50) == ["achievement", "participation"]


def test_a_participation_only_course_issues_no_achievement():
    assert kinds(offers_achievement=False, participation_percent=50) == ["participation"]
    assert kinds(offers_achievement=False) == []


def test_an_empty_course_issues_nothing():
    assert kinds(step_count=0, completed=0) == []


# Issued by the learner's own writes


@pytest.fixture
def small_course(db):
    """Four article steps and one two-question test, open now."""
    course = make_course("small", weeks=1, steps_per_week=4, title="Small Course")
    Step.objects.filter(week__course=course).update(type=StepType.ARTICLE)
    test = make_questions_step(course, type=StepType.TEST, questions=2)
    Course.objects.filter(pk=course.pk).update(certificate_participation_percent=40)
    return Course.objects.get(pk=course.pk), test


def complete(enrolment, course, count):
    for step in Step.objects.filter(week__course=course, type=StepType.ARTICLE)[:count]:
        learning.complete_step(enrolment=enrolment, step=step)


def test_the_write_that_crosses_the_line_issues_the_certificate(small_course, learner):
    course, test = small_course
    enrolment = learning.enrol(user=learner, course=course)
    complete(enrolment, course, 1)  # 1 of 5 steps: 20%
    assert not Certificate.objects.exists()

    complete(enrolment, course, 2)  # 40%: participation
    assert list(Certificate.objects.values_list("kind", flat=True)) == ["participation"]

    complete(enrolment, course, 4)  # 80% of steps, but 90% are needed
    answer_question(user=learner, step=test, position=1, choices=RIGHT["one"], attempt=1)
    answer_question(user=learner, step=test, position=2, choices=RIGHT["many"], attempt=1)
    # The test is now complete too: 5 of 5 steps, every question right.
    achievement = Certificate.objects.get(kind="achievement")
    assert (achievement.steps_completed, achievement.step_count) == (5, 5)
    assert achievement.test_average == 10_000
    assert achievement.holder_name == "Lee Learner"
    assert achievement.organisations == ["Harbour University"]
    assert achievement.lead_educator == "Dr Ana Lima"
    assert achievement.weeks == ["Week 1 topic"]
    record = Enrolment.objects.get(pk=enrolment.pk)
    assert (record.completed_count, record.test_questions_done, record.tests_done) == (5, 2, 1)


def test_a_low_test_average_holds_the_achievement_back(small_course, learner):
    course, test = small_course
    enrolment = learning.enrol(user=learner, course=course)
    complete(enrolment, course, 4)
    for attempt in (1, 2, 3):
        answer_question(user=learner, step=test, position=1, choices=WRONG["one"], attempt=attempt)
    answer_question(user=learner, step=test, position=2, choices=RIGHT["many"], attempt=1)

    assert not Certificate.objects.filter(kind="achievement").exists()
    assert Enrolment.objects.get(pk=enrolment.pk).test_score_sum == 5000  # 3 of 6 points


def test_earning_notifies_on_the_activity_page_and_by_email(
    small_course, learner, django_capture_on_commit_callbacks
):
    course, _ = small_course
    enrolment = learning.enrol(user=learner, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(enrolment, course, 2)

    notification = Notification.objects.get(recipient=learner, kind="certificate")
    assert "Certificate of Participation for Small Course" in notification.text
    assert len(mail.outbox) == 1
    code = Certificate.objects.get().code
    assert code in mail.outbox[0].body and "/certificates/" in mail.outbox[0].body


def test_issuing_twice_gives_one_certificate(small_course, learner):
    course, _ = small_course
    enrolment = learning.enrol(user=learner, course=course)
    complete(enrolment, course, 2)
    from stoa.certificates.services import issue_for_enrolment

    assert issue_for_enrolment(enrolment) == []
    assert Certificate.objects.count() == 1
    enrolment.refresh_from_db()
    assert enrolment.certificates_held == 1  # kept with the issuing, for the progress page


def test_a_certificate_stays_when_the_learner_undoes_steps_or_the_course_changes(
    small_course, learner
):
    course, _ = small_course
    enrolment = learning.enrol(user=learner, course=course)
    complete(enrolment, course, 2)
    for step in Step.objects.filter(week__course=course):
        learning.uncomplete_step(enrolment=enrolment, step=step)
    Course.objects.filter(pk=course.pk).update(title="Renamed")

    certificate = Certificate.objects.get()
    assert (certificate.course_title, certificate.steps_completed) == ("Small Course", 2)
    assert Enrolment.objects.get(pk=enrolment.pk).completed_count == 0


# Revoking


@pytest.fixture
def certificate(small_course, learner):
    course, _ = small_course
    complete(learning.enrol(user=learner, course=course), course, 2)
    return Certificate.objects.get()


def test_the_course_team_revokes_with_a_reason_and_restores(certificate, small_course):
    course, _ = small_course
    educator = make_user("lead@example.org", name="Lead")
    course.team.filter(position=1).update(user=educator)

    with pytest.raises(Invalid):
        revoke(certificate=certificate, by=educator, reason="  ")
    decision = revoke(certificate=certificate, by=educator, reason="Work copied from another")
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_reason == "Work copied from another"
    assert (decision.decided_by, decision.kind) == (educator, "revoke")
    with pytest.raises(AlreadyDone):
        revoke(certificate=certificate, by=educator, reason="Again")

    restore(certificate=certificate, by=educator)
    certificate.refresh_from_db()
    assert not certificate.is_revoked
    assert [d.kind for d in certificate.decisions.order_by("decided_at")] == ["revoke", "restore"]


@pytest.mark.parametrize("person", ["learner", "outsider", "other_course_educator"])
def test_only_the_course_team_revokes(certificate, person, request):
    with pytest.raises(NotAllowed):
        revoke(certificate=certificate, by=request.getfixturevalue(person), reason="No")
    assert not Certificate.objects.get().is_revoked
