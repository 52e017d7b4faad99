"""The workspace's import page (stoa.insights.research.import_views): who may use it, a ZIP
or CSV files imported into the chosen run with the report shown, refusals with every error
and nothing written, garbage answered with 400, and a bounded cost."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from stoa.courses.models import CourseTeamMember, TeamRole
from stoa.insights.research.schema import DATASETS
from stoa.learning.models import Enrolment, StepVisit
from stoa.testing import expect_queries, make_run, make_user, signed_in

pytestmark = pytest.mark.django_db

ANA = "0b0b0b0b-0000-4000-8000-000000000001"
BEN = "0b0b0b0b-0000-4000-8000-000000000002"


def url(course) -> str:
    return reverse("data_import:upload", args=[course.slug])


def csv_file(name: str, header, rows) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def enrolments() -> SimpleUploadedFile:
    rows = [
        [ANA, "2026-01-01 10:00:00 UTC", *[""] * 4, *["Unknown"] * 6, ""],
        [BEN, "2026-01-02 10:00:00 UTC", *[""] * 4, *["Unknown"] * 6, ""],
    ]
    return csv_file("reading-data_enrolments.csv", DATASETS["enrolments"], rows)


def activity() -> SimpleUploadedFile:
    rows = [[ANA, "1.1", "1", "1", "2026-01-03 10:00:00 UTC", "2026-01-03 10:05:00 UTC"]]
    return csv_file("reading-data_step-activity.csv", DATASETS["step-activity"], rows)


@pytest.fixture
def mentor(course):
    user = make_user("mo@example.org", name="Mo Mentor")
    CourseTeamMember.objects.create(
        course=course, position=5, name="Mo Mentor", role=TeamRole.MENTOR, user=user
    )
    return user


def test_visitors_sign_in_first_and_others_are_refused(
    course, learner, other_course_educator, mentor
):
    response = Client().get(url(course))
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
    for user in (learner, other_course_educator, mentor):
        assert signed_in(user).get(url(course)).status_code == 403
        posted = signed_in(user).post(
            url(course), {"run": course.runs.get().pk, "datasets": [enrolments()]}
        )
        assert posted.status_code == 403
    assert not Enrolment.objects.exists()


def test_the_team_and_staff_see_the_form(course, educator, admin_user):
    for user in (educator, admin_user):
        response = signed_in(user).get(url(course))
        assert response.status_code == 200
        assert b'enctype="multipart/form-data"' in response.content


def test_csv_files_are_imported_into_the_chosen_run_and_reported(course, educator):
    other = make_run(course, started_days_ago=-30)
    response = signed_in(educator).post(
        url(course), {"run": other.pk, "datasets": [enrolments(), activity()]}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Imported into the run starting" in text
    assert '<th scope="row">enrolments</th><td class="number">2</td>' in text
    assert Enrolment.objects.filter(run=other).count() == 2
    assert StepVisit.objects.filter(enrolment__run=other).count() == 1
    again = signed_in(educator).post(
        url(course), {"run": other.pk, "datasets": [enrolments(), activity()]}
    )
    assert '<td class="number">0</td><td class="number">2</td>' in again.content.decode()
    assert Enrolment.objects.filter(run=other).count() == 2


def test_a_zip_of_the_datasets_is_imported(course, admin_user):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for upload in (enrolments(), activity()):
            out.writestr(f"export/{upload.name}", upload.read())
    upload = SimpleUploadedFile("export.zip", archive.getvalue(), content_type="application/zip")
    run = course.runs.get()
    response = signed_in(admin_user).post(url(course), {"run": run.pk, "datasets": [upload]})
    assert response.status_code == 200
    assert Enrolment.objects.filter(run=run).count() == 2


def test_a_broken_file_is_refused_with_its_errors_and_nothing_written(course, educator):
    broken = csv_file(
        "reading-data_step-activity.csv",
        DATASETS["step-activity"],
        [[ANA, "1.1", "1", "1", "last tuesday", ""]],
    )
    run = course.runs.get()
    response = signed_in(educator).post(
        url(course), {"run": run.pk, "datasets": [enrolments(), broken]}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was imported" in text
    assert (
        "reading-data_step-activity.csv:2: first_visited_at is not a time like "
        "2016-09-05 11:41:07 UTC: &#x27;last tuesday&#x27;" in text
    )
    assert not Enrolment.objects.exists()


def test_files_that_are_not_datasets_are_refused(course, educator):
    run = course.runs.get()
    notes = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    not_zip = SimpleUploadedFile("run.zip", b"not a zip", content_type="application/zip")
    response = signed_in(educator).post(url(course), {"run": run.pk, "datasets": [notes, not_zip]})
    assert response.status_code == 400
    text = response.content.decode()
    assert "notes.txt is not a dataset file" in text
    assert "is not a folder or a ZIP file that can be read" in text


@pytest.mark.parametrize(
    "data",
    [
        {"run": "999999"},
        {"run": "garbage"},
        {"run": ""},
        {},
    ],
    ids=["another run", "garbage", "empty", "nothing"],
)
def test_garbage_is_answered_with_400(course, educator, data):
    response = signed_in(educator).post(url(course), {**data, "datasets": [enrolments()]})
    assert response.status_code == 400
    assert b"There is a problem" in response.content
    assert not Enrolment.objects.exists()


def test_no_files_is_a_400(course, educator):
    response = signed_in(educator).post(url(course), {"run": course.runs.get().pk})
    assert response.status_code == 400


def test_an_unknown_course_is_a_404(educator):
    assert signed_in(educator).get("/teach/no-such-course/data/import/").status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(course, educator, django_assert_num_queries):
    client = signed_in(educator)
    client.get(url(course))  # warm up
    expect_queries(client, django_assert_num_queries, url(course), 5)
    for days in (7, 14, 21):
        make_run(course, started_days_ago=days)
    expect_queries(client, django_assert_num_queries, url(course), 5)
