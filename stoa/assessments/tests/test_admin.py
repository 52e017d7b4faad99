import pytest
from django.urls import reverse

from stoa.assessments.models import Answer
from stoa.assessments.questions.services import answer_question
from stoa.testing import make_questions_step

pytestmark = pytest.mark.django_db


def test_admin_lists_every_assessment_model_and_changes_none(
    client, course, enrolled, learner, admin_user
):
    quiz = make_questions_step(course)
    answer_question(user=learner, step=quiz, position=1, choices=[2], attempt=1)
    client.force_login(admin_user)
    for model in (
        "answer",
        "answersheet",
        "pollvote",
        "peersubmission",
        "peerreview",
        "peerreport",
    ):
        assert client.get(reverse(f"admin:assessments_{model}_changelist")).status_code == 200
    answers = client.get(reverse("admin:assessments_answer_changelist")).content.decode()
    assert "Lee Learner" in answers
    assert client.get(reverse("admin:assessments_answer_add")).status_code == 403
    delete = reverse("admin:assessments_answer_delete", args=[Answer.objects.get().pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Answer.objects.exists()
