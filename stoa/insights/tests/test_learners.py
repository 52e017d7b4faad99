"""The Learners tab: a run's learners with their record, search, keyset pages, CSV, and who
may see them."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from stoa.courses.models import CourseTeamMember, TeamRole
from stoa.learning import services as learning
from stoa.learning.models import Enrolment
from stoa.testing import expect_queries, make_learners, make_user, signed_in

pytestmark = pytest.mark.django_db


def url(course, name="list") -> str:
    return reverse(f"learners:{name}", args=[course.slug])


@pytest.fixture
def learners(course, learner):
    """60 learners, then Lee, the newest, with a record."""
    others = make_learners(course.runs.get(), 60)
    enrolment = learning.enrol(user=learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        completed_count=4, tests_done=2, test_score_sum=15_050
    )
    return others


def test_the_team_sees_each_learner_s_record(course, educator, learners):
    page = signed_in(educator).get(url(course)).content.decode()
    assert "Lee Learner" in page and "lee@example.org" in page
    assert '<td class="number">4</td>' in page and "75.3%" in page
    assert page.count("<tr>") == 1 + 50  # a page of 50
    assert "Older learners" in page


def test_pages_follow_by_key_and_end(course, educator, learners):
    client = signed_in(educator)
    first = client.get(url(course)).content.decode()
    after = first.split("after=")[1].split('"')[0]
    second = client.get(url(course) + f"?after={after}").content.decode()
    assert second.count("<tr>") == 1 + 11 and "Older learners" not in second
    assert client.get(url(course) + "?after=garbage").status_code == 400


def test_search_by_name_part_or_whole_email(course, educator, learners):
    client = signed_in(educator)
    assert "Lee Learner" in client.get(url(course) + "?q=lee").content.decode()
    page = client.get(url(course) + "?q=LEE@example.org").content.decode()
    assert "Lee Learner" in page and page.count("<tr>") == 2
    assert "No learner of this run matches" in client.get(url(course) + "?q=zz").content.decode()


def test_the_csv_lists_every_learner_and_defuses_formulas(course, educator, learners):
    make_learners(course.runs.get(), 1, prefix="=cmd")
    Enrolment.objects.filter(user__email__startswith="=cmd").update(completed_count=1)
    response = signed_in(educator).get(url(course, "csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["name", "email", "joined_at"]
    assert len(rows) == 1 + 62
    lee = next(row for row in rows if row[1] == "lee@example.org")
    assert lee[5:7] == ["4", "75.25"]
    assert any(row[1].startswith("'=cmd") for row in rows)


@pytest.mark.parametrize("person", ["learner", "other_course_educator", "host"])
def test_people_outside_the_workspace_cannot_see_learners(course, learners, person, request):
    if person == "host":
        user = make_user("host@example.org", name="Host")
        CourseTeamMember.objects.create(
            course=course, position=9, name="Host", role=TeamRole.HOST, user=user
        )
    else:
        user = request.getfixturevalue(person)
    for name in ("list", "csv"):
        assert signed_in(user).get(url(course, name)).status_code == 403
    assert Client().get(url(course)).status_code == 302


def test_a_run_that_is_not_the_course_s_is_not_found(course, educator, other_course_educator):
    other_run = CourseTeamMember.objects.get(user=other_course_educator).course.runs.get()
    assert signed_in(educator).get(url(course) + f"?run={other_run.pk}").status_code == 404
    assert signed_in(educator).get(url(course) + "?run=x").status_code == 404


def test_the_list_costs_the_same_with_1_or_1000_learners(
    course, educator, learner, django_assert_num_queries
):
    learning.enrol(user=learner, course=course)
    client = signed_in(educator)
    expect_queries(client, django_assert_num_queries, url(course), LIST_QUERIES)
    make_learners(course.runs.get(), 1000)
    expect_queries(client, django_assert_num_queries, url(course), LIST_QUERIES)
    expect_queries(client, django_assert_num_queries, url(course) + "?q=lee", LIST_QUERIES)


# Session, user, course, capabilities, the run, the runs for the picker, the learners with
# their accounts and their certificates (the header's unread count is kept on the user).
LIST_QUERIES = 8
