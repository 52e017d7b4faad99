import pytest
from django.core.management import call_command

from stoa.accounts.models import User
from stoa.courses.management.commands.demo import DEMO_DIR
from stoa.courses.models import Course, CourseRun, Step, StepType
from stoa.courses.package import read_package

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
    assert User.objects.count() == 3
