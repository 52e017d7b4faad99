import os

import pytest
from django.core.management import call_command

from stoa.accounts.models import User
from stoa.conversation.models import Comment
from stoa.courses.management.commands.demo import DEMO_DIR
from stoa.courses.models import Course, CourseRun, Step, StepType
from stoa.courses.package import read_package
from stoa.insights.management.commands.demo_insights import COHORT
from stoa.insights.services import recount_tallies
from stoa.insights.tests.test_dashboard import tallies

pytestmark = pytest.mark.django_db


def test_demo_package_is_valid_and_uses_every_step_type():
    package, problems = read_package(next(DEMO_DIR.glob("*/course.yaml")).parent)
    assert problems == []
    assert len(package.course.weeks) >= 3
    types = {step.type for week in package.course.weeks for step in week.steps}
    assert types == {choice.value for choice in StepType}


def test_demo_command_sets_up_course_run_and_accounts_and_keeps_data(media_root, capsys):
    call_command("demo")
    output = capsys.readouterr().out
    for email in ("learner@example.com", "educator@example.com", "admin@example.com"):
        assert email in output
    course = Course.objects.get()
    assert course.week_count >= 3
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.check_password("admin-with-stoa")
    educator = User.objects.get(email="educator@example.com")
    assert course.team.filter(user=educator).exists()
    media_steps = Step.objects.filter(type__in=["video", "audio"])
    assert all(step.media_file_id and step.cues.exists() for step in media_steps)

    step_ids = set(Step.objects.values_list("pk", flat=True))
    call_command("demo")
    assert set(Step.objects.values_list("pk", flat=True)) == step_ids
    assert CourseRun.objects.count() == 1
    # The three demo logins, the three learners of the demo conversation and the dashboard's
    # cohort, once.
    assert User.objects.count() == 6 + COHORT
    assert Comment.objects.count() == 7


def test_the_demo_dashboard_has_a_cohort_to_show(media_root):
    call_command("demo")
    run = CourseRun.objects.get()
    kept = tallies(run)
    assert len(kept["joins"]) > 3 and len(kept["weeks"]) == 3
    assert max(visitors for _, visitors, _ in kept["steps"]) >= COHORT  # all saw step 1.1
    assert kept["questions"] and kept["certificates"]
    recount_tallies(run)  # the cohort's tallies are what their rows say
    assert tallies(run) == kept


def test_demo_conversation_has_threads_replies_likes_and_the_educator_s_badge(media_root):
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    step = Step.objects.filter(type="discussion").order_by("week__number", "position").first()
    threads = Comment.objects.filter(step=step, parent=None).order_by("-created_at")
    assert [thread.author.display_name for thread in threads] == [
        "Jo Lindqvist",
        "Priya Natarajan",
        "Sam Okafor",
        "Dr Julian Marsh",  # the demo educator, as the package's lead educator
    ]
    sam = threads.get(author__email="sam@example.com")
    assert (sam.reply_count, sam.like_count) == (2, 3)
    assert threads.get(author__email="educator@example.com").team_role == "lead-educator"
    assert not User.objects.get(email="sam@example.com").has_usable_password()
