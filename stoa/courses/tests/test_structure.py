"""The course's structure held by each process (stoa.courses.structure): one query of the
course's version while nothing changed, and a new structure after every way the course can
change: the package import, team changes and the admin."""

import pytest
from django.urls import reverse

from stoa.courses.models import Course, CourseTeamMember, Step, TeamRole
from stoa.courses.services import add_team_member, import_package, remove_team_member
from stoa.courses.structure import structure_of
from stoa.lib.refusals import NotFound
from stoa.testing import make_course, make_user, signed_in

pytestmark = pytest.mark.django_db


def test_a_course_s_structure_is_read_once_per_version(django_assert_num_queries):
    course = make_course(weeks=2, steps_per_week=3)
    first = structure_of(course.slug)
    with django_assert_num_queries(1):  # the version
        again = structure_of(course.slug)
    assert again is first
    assert [step.number for step in first.steps] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]
    step = first.step(2, 1)
    assert first.neighbours(step) == (first.step(1, 3), first.step(2, 2))
    assert first.neighbours(first.step(1, 1))[0] is None
    assert first.neighbours(first.step(2, 3))[1] is None
    with django_assert_num_queries(0):  # everything a step page shows of it is in hand
        assert step.week.course.slug == course.slug
        assert step.get_absolute_url() == f"/courses/{course.slug}/steps/2.1/"


def test_unknown_courses_and_steps_are_not_found():
    course = make_course(weeks=1, steps_per_week=2)
    with pytest.raises(NotFound):
        structure_of("no-such-course")
    with pytest.raises(NotFound):
        structure_of(course.slug).step(1, 3)
    with pytest.raises(NotFound):
        structure_of(course.slug).step(2, 1)


def test_a_new_import_of_the_package_is_seen_at_once(package, media_root):
    course = import_package(root=package).course
    before = structure_of(course.slug)
    step_file = next((package / "week-1").glob("01-*.md"))
    step_file.write_text(step_file.read_text().replace("title: ", "title: Renamed ", 1))

    import_package(root=package)

    after = structure_of(course.slug)
    assert after is not before
    assert after.step(1, 1).title.startswith("Renamed ")
    assert not before.step(1, 1).title.startswith("Renamed ")  # what a request held stays


def test_team_changes_are_seen_at_once():
    course = make_course(weeks=1, steps_per_week=1)
    person = make_user("new.educator@example.com")
    assert person.pk not in structure_of(course.slug).team_user_ids

    add_team_member(course=course, user=person, role=TeamRole.EDUCATOR)
    assert person.pk in structure_of(course.slug).team_user_ids

    remove_team_member(course=course, user=person)
    assert person.pk not in structure_of(course.slug).team_user_ids


def test_an_edit_in_the_admin_is_seen_at_once():
    course = make_course(weeks=1, steps_per_week=2)
    step = Step.objects.get(week__course=course, position=2)
    assert structure_of(course.slug).step(1, 2).title != "Edited in the admin"
    admin = make_user("admin@example.com", is_staff=True, is_superuser=True)
    client = signed_in(admin)
    url = reverse("admin:courses_step_change", args=[step.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(title="Edited in the admin", week=step.week_id, media_file="")
    for prefix in ("cues", "questions", "peer_review"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert structure_of(course.slug).step(1, 2).title == "Edited in the admin"


def test_a_version_names_one_state_only():
    """Versions are random: a course made again under the same id (a restored backup, a test's
    rolled-back transaction) never finds another course's structure."""
    course = make_course(weeks=1, steps_per_week=1)
    version = Course.objects.get(pk=course.pk).version
    CourseTeamMember.objects.create(course=course, position=9, name="Host", role=TeamRole.HOST)
    assert Course.objects.get(pk=course.pk).version != version
