"""The course team's workspace: the Teach link and page, the workspace's overview, and the
permission table that every team route consults."""

import pytest
from django.test import Client
from django.urls import reverse

from stoa.courses.models import CourseTeamMember, TeamRole
from stoa.courses.permissions import EVERYTHING, PERMISSIONS, Can, capabilities
from stoa.testing import expect_queries, make_learners, make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(course):
    """A member of the course's team in each role."""
    people = {}
    for position, role in enumerate(TeamRole, start=2):
        user = make_user(f"{role}@example.org", name=f"{role.label} person")
        CourseTeamMember.objects.create(
            course=course, position=position, name=user.display_name, role=role, user=user
        )
        people[role] = user
    return people


def test_the_table_gives_each_role_what_the_issue_says():
    assert PERMISSIONS[TeamRole.LEAD_EDUCATOR] == EVERYTHING
    assert Can.MANAGE_TEAM not in PERMISSIONS[TeamRole.EDUCATOR]
    assert {Can.MODERATE, Can.ANNOUNCE, Can.MANAGE_RUNS, Can.SEE_DASHBOARD} <= PERMISSIONS[
        TeamRole.EDUCATOR
    ]
    assert PERMISSIONS[TeamRole.MENTOR] == {Can.SEE_WORKSPACE, Can.REPLY, Can.MODERATE, Can.PIN}
    assert PERMISSIONS[TeamRole.HOST] == frozenset()


def test_capabilities_come_from_the_table_and_staff_may_do_everything(
    course, members, admin_user, learner, other_course_educator
):
    for role, user in members.items():
        assert capabilities(user=user, course=course) == PERMISSIONS[role]
    assert capabilities(user=admin_user, course=course) == EVERYTHING
    assert capabilities(user=learner, course=course) == frozenset()
    assert capabilities(user=other_course_educator, course=course) == frozenset()


def test_the_teach_link_shows_for_the_team_and_staff_only(
    course, members, admin_user, learner, educator
):
    for user in (members[TeamRole.MENTOR], educator, admin_user):
        assert ">Teach</a>" in signed_in(user).get("/").content.decode()
    for user in (learner, members[TeamRole.HOST]):
        assert ">Teach</a>" not in signed_in(user).get("/").content.decode()


def test_losing_one_s_place_on_the_team_takes_the_link_away(course, members):
    mentor = members[TeamRole.MENTOR]
    CourseTeamMember.objects.get(user=mentor).delete()
    mentor.refresh_from_db()
    assert not mentor.teaches


def test_the_teach_page_lists_the_courses_one_teaches(course, educator, other_course_educator):
    page = signed_in(educator).get(reverse("courses:teach")).content.decode()
    assert course.title in page and "Another Course" not in page


def test_the_overview_shows_runs_with_their_learner_counts(course, educator):
    make_learners(course.runs.get(), 4)
    page = signed_in(educator).get(reverse("dashboard:overview", args=[course.slug]))
    assert page.status_code == 200
    assert "(4 learners)" in page.content.decode()
    assert "<dt>Learners</dt><dd>4</dd>" in page.content.decode()


def _run_id(course) -> int:
    return course.runs.get().pk


# Every team route against the table: (URL name, the capability it needs, any arguments
# after the course's slug; a function of the course for those that depend on it).
TEAM_ROUTES = [
    ("dashboard:overview", Can.SEE_WORKSPACE),
    ("dashboard:csv", Can.SEE_DASHBOARD, "funnel"),
    ("runs:list", Can.MANAGE_RUNS),
    ("runs:new", Can.MANAGE_RUNS),
    ("moderation:queue", Can.MODERATE),
    ("learners:list", Can.SEE_LEARNERS),
    ("learners:csv", Can.SEE_LEARNERS),
    ("team:list", Can.SEE_WORKSPACE),
    ("announcements:list", Can.ANNOUNCE),
    ("announcements:new", Can.ANNOUNCE),
    ("research:data", Can.EXPORT_DATA),
    ("research:zip", Can.EXPORT_DATA, _run_id),
    ("research:csv", Can.EXPORT_DATA, _run_id, "enrolments"),
    ("data_import:upload", Can.IMPORT_DATA),
]


@pytest.mark.parametrize("route", TEAM_ROUTES, ids=[route[0] for route in TEAM_ROUTES])
def test_every_team_route_follows_the_table(
    course, members, route, learner, other_course_educator, admin_user
):
    name, needs, *more = route
    args = [arg(course) if callable(arg) else arg for arg in more]
    url = reverse(name, args=[course.slug, *args])
    assert Client().get(url).status_code == 302  # to sign in
    for outsider in (learner, other_course_educator):
        assert signed_in(outsider).get(url).status_code == 403
    assert signed_in(admin_user).get(url).status_code == 200
    for role, user in members.items():
        expected = 200 if needs in PERMISSIONS[role] else 403
        assert signed_in(user).get(url).status_code == expected, (name, role)


def test_the_overview_costs_the_same_with_1_or_1000_learners(
    course, educator, django_assert_num_queries
):
    client = signed_in(educator)
    url = reverse("dashboard:overview", args=[course.slug])
    # With the dashboard: see stoa/insights/tests/test_dashboard.py.
    expect_queries(client, django_assert_num_queries, url, 15)
    make_learners(course.runs.get(), 1000)
    expect_queries(client, django_assert_num_queries, url, 15)
