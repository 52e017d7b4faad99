import datetime

import pytest
from django.core.management import CommandError, call_command

from stoa.courses.models import CourseRun
from stoa.testing import make_course

pytestmark = pytest.mark.django_db


def test_run_create_adds_a_run_ending_after_the_last_week(capsys):
    make_course(weeks=3, run_started_days_ago=None)
    call_command("run", "create", "reading-data", "--starts", "2027-01-11")
    run = CourseRun.objects.get()
    assert run.starts_on == datetime.date(2027, 1, 11)
    assert run.ends_on == datetime.date(2027, 1, 31)
    assert "2027-01-11 to 2027-01-31" in capsys.readouterr().out


def test_run_list_shows_runs_in_order_with_learner_counts(capsys):
    course = make_course(run_started_days_ago=None)
    CourseRun.objects.create(course=course, starts_on=datetime.date(2027, 3, 1))
    CourseRun.objects.create(course=course, starts_on=datetime.date(2027, 1, 4))
    call_command("run", "list", "reading-data")
    lines = capsys.readouterr().out.splitlines()
    assert "2027-01-04" in lines[0] and "2027-03-01" in lines[1]
    assert "0 learner(s)" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "no-such-course", "--starts", "2027-01-11"], "No course with slug"),
        (["create", "reading-data", "--starts", "11/01/2027"], "not a date"),
        (["list", "no-such-course"], "No course with slug"),
    ],
)
def test_run_command_refuses_bad_input_clearly(args, message):
    make_course(run_started_days_ago=None)
    with pytest.raises(CommandError, match=message):
        call_command("run", *args)
    assert not CourseRun.objects.exists()


def test_run_create_refuses_a_second_run_on_the_same_day():
    make_course(run_started_days_ago=None)
    call_command("run", "create", "reading-data", "--starts", "2027-01-11")
    with pytest.raises(CommandError, match="already has a run"):
        call_command("run", "create", "reading-data", "--starts", "2027-01-11")
    assert CourseRun.objects.count() == 1


def test_importing_a_package_creates_no_run(media_root, example_package):
    from stoa.courses.services import import_package

    import_package(root=example_package)
    assert not CourseRun.objects.exists()
