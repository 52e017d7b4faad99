"""The demo's peer-review step: work and reviews by the demo conversation's learners, written
once, so that the demo learner has work to review as soon as they submit their own."""

import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from stoa.accounts.models import User
from stoa.assessments.models import PeerReview, PeerSubmission
from stoa.assessments.peer.services import count_words, reserve_work, submit_work
from stoa.courses.models import Step, StepType
from stoa.learning.services import enrol

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_peer_review_step_work_and_reviews_once(media_root):
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    step = Step.objects.select_related("week__course", "peer_review").get(type=StepType.PEER_REVIEW)
    run = step.week.course.runs.get()
    assert run.is_week_open(step.week.number, today=timezone.localdate()), (
        "stoa demo starts its run far enough back that the peer-review step's week is open"
    )

    works = {
        work.user.display_name: work
        for work in PeerSubmission.objects.filter(step=step).select_related("user")
    }
    assert sorted(works) == ["Jo Lindqvist", "Priya Natarajan", "Sam Okafor"]
    for work in works.values():
        assert work.is_submitted and work.run == run
        assert count_words(work.text) == work.word_count >= step.peer_review.min_words
        assert "\n\n" in work.text and "\n" not in work.text.replace("\n\n", "")
    reviews = PeerReview.objects.filter(step=step).select_related("reviewer", "submission__user")
    assert sorted((r.reviewer.display_name, r.submission.user.display_name) for r in reviews) == [
        ("Jo Lindqvist", "Priya Natarajan"),
        ("Priya Natarajan", "Sam Okafor"),
    ]
    assert all(len(r.answers) == len(step.peer_review.rubric) for r in reviews)
    assert works["Sam Okafor"].review_count == works["Priya Natarajan"].review_count == 1

    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert PeerSubmission.objects.count() == 3 and PeerReview.objects.count() == 2

    # The demo learner joins, submits, and is given work to review at once: Jo's, the least
    # reviewed.
    learner = User.objects.get(email="learner@example.com")
    enrol(user=learner, course=step.week.course)
    text = works["Sam Okafor"].text.replace("Harbour Gazette", "Evening Post")
    submit_work(user=learner, step=step, text=text)
    allocation = reserve_work(user=learner, step=step)
    assert allocation is not None and allocation.submission == works["Jo Lindqvist"]
