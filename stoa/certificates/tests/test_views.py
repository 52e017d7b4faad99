"""The learner's certificates on the progress and achievements pages, the public verification
page, the holder's downloads, the team's revocation, and who may see what."""

import io
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from stoa.certificates.models import Certificate
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning
from stoa.learning.models import Enrolment
from stoa.testing import (
    expect_queries,
    make_course,
    make_learners,
    make_questions_step,
    make_user,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_course(db):
    """Four article steps and a one-question test; participation at 40% of steps."""
    course = make_course("small", weeks=1, steps_per_week=4, title="Small Course")
    Step.objects.filter(week__course=course).update(type=StepType.ARTICLE)
    make_questions_step(course, type=StepType.TEST, questions=1)
    Course.objects.filter(pk=course.pk).update(certificate_participation_percent=40)
    return Course.objects.get(pk=course.pk)


def complete(enrolment, course, count):
    for step in Step.objects.filter(week__course=course, type=StepType.ARTICLE)[:count]:
        learning.complete_step(enrolment=enrolment, step=step)


@pytest.fixture
def team(small_course):
    """The small course's lead educator."""
    from stoa.testing import make_user

    user = make_user("lead@example.org", name="Dr Ana Lima")
    small_course.team.filter(position=1).update(user=user)
    return user


@pytest.fixture
def earned(small_course, learner):
    """The learner's Certificate of Participation (2 of 5 steps)."""
    complete(learning.enrol(user=learner, course=small_course), small_course, 2)
    return Certificate.objects.get()


def progress_url(course) -> str:
    return reverse("learning:progress", args=[course.slug])


def test_the_progress_page_says_what_is_left_for_each_certificate(small_course, learner):
    enrolment = learning.enrol(user=learner, course=small_course)
    complete(enrolment, small_course, 1)

    page = signed_in(learner).get(progress_url(small_course)).content.decode()

    achievement = page.split("Certificate of Achievement")[1].split("Certificate of Participation")[
        0
    ]
    assert "Mark 4 more steps complete" in achievement  # 90% of 5 steps is 5
    assert "Answer 1 more test question" in achievement
    assert "Mark 1 more step complete" in page.split("Certificate of Participation")[1]


def test_the_progress_page_asks_to_raise_a_low_test_average(small_course, learner):
    enrolment = learning.enrol(user=learner, course=small_course)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        tests_done=1, test_score_sum=6400, test_questions_done=1
    )
    page = signed_in(learner).get(progress_url(small_course)).content.decode()
    assert "Raise your test average from 64% to 70%" in page
    assert "more test question" not in page


def test_an_earned_certificate_is_linked_from_progress_and_achievements(earned, learner):
    client = signed_in(learner)
    page = client.get(progress_url(earned.course)).content.decode()
    assert "Earned on" in page and earned.get_absolute_url() in page

    achievements = client.get(reverse("certificates:achievements")).content.decode()
    assert "Certificate of Participation" in achievements and earned.code in achievements
    assert reverse("certificates:pdf", args=[earned.code]) in achievements


def test_achievements_need_signing_in_and_show_only_one_s_own(earned, other_learner, client):
    assert client.get(reverse("certificates:achievements")).status_code == 302
    page = signed_in(other_learner).get(reverse("certificates:achievements")).content.decode()
    assert earned.code not in page and "No certificates yet" in page


def test_anyone_verifies_a_certificate_by_its_code(earned, client):
    page = client.get(earned.get_absolute_url()).content.decode()

    assert "Valid" in page and "Lee Learner" in page and "Small Course" in page
    assert "Harbour University" in page and earned.code in page
    assert "Download PDF" not in page and "Revoke" not in page
    lower = client.get(reverse("certificates:verify", args=[earned.code.lower()]))
    assert lower.status_code == 200


@pytest.mark.parametrize("code", ["NOSUCHCODE234567ABCD", "x" * 41, "%C2%B2", "a-b"])
def test_an_unknown_code_is_not_found(client, code):
    assert client.get(f"/certificates/{code}/").status_code == 404


def test_look_ups_are_rate_limited(earned, client, monkeypatch):
    # The limit counts in fixed windows: one moment for every look-up keeps them in one
    # window, however slow the machine (a window ending mid-loop would start the count anew).
    monkeypatch.setattr("stoa.lib.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    for _ in range(60):
        client.get(earned.get_absolute_url())
    response = client.get(earned.get_absolute_url())
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_the_holder_gets_downloads_and_a_linkedin_link(earned, learner):
    page = signed_in(learner).get(earned.get_absolute_url()).content.decode()
    assert reverse("certificates:pdf", args=[earned.code]) in page
    assert "https://www.linkedin.com/profile/add?" in page
    assert f"certId={earned.code}" in page


@pytest.mark.parametrize("person", [None, "other_learner", "educator", "admin_user"])
def test_nobody_downloads_another_learner_s_certificate(earned, person, request):
    client = signed_in(request.getfixturevalue(person)) if person else Client()
    for name in ("pdf", "credential"):
        response = client.get(reverse(f"certificates:{name}", args=[earned.code]))
        assert response.status_code in (302, 404), (name, person)
        if person is None:
            assert "/accounts/" in response["Location"]


def test_the_team_revokes_from_the_page_and_the_page_says_so(earned, team, client):
    team = signed_in(team)
    page = team.get(earned.get_absolute_url()).content.decode()
    assert "Revoke this certificate" in page

    team.post(reverse("certificates:revoke", args=[earned.code]), {"reason": "Copied work"})

    public = client.get(earned.get_absolute_url()).content.decode()
    assert "Revoked" in public and "Copied work" in public and "Valid" not in public
    history = team.get(earned.get_absolute_url()).content.decode()
    assert "Revoked by Dr Ana Lima" in history and "Restore this certificate" in history
    team.post(reverse("certificates:restore", args=[earned.code]))
    assert not Certificate.objects.get().is_revoked


@pytest.mark.parametrize("person", ["learner", "other_learner", "educator", "mentor", "host"])
def test_only_the_course_team_revokes(earned, small_course, person, request):
    if person in ("mentor", "host"):  # on the team, but the table gives them no revoking
        user = make_user(f"{person}@example.org", name=person.title())
        small_course.team.create(position=9, name=user.display_name, role=person, user=user)
    else:
        user = request.getfixturevalue(person)
    client = signed_in(user)
    response = client.post(reverse("certificates:revoke", args=[earned.code]), {"reason": "x"})
    assert response.status_code == 403
    assert not Certificate.objects.get().is_revoked


def test_a_revoked_certificate_cannot_be_downloaded(earned, learner, team):
    signed_in(team).post(reverse("certificates:revoke", args=[earned.code]), {"reason": "No"})
    response = signed_in(learner).get(reverse("certificates:pdf", args=[earned.code]))
    assert response.status_code == 404


def test_pages_cost_the_same_for_one_learner_as_for_10000(
    earned, learner, small_course, django_assert_num_queries
):
    client = signed_in(learner)
    urls = [
        (progress_url(small_course), PROGRESS_QUERIES),
        (reverse("certificates:achievements"), ACHIEVEMENTS_QUERIES),
        (earned.get_absolute_url(), VERIFY_QUERIES),
    ]
    client.get(progress_url(small_course))  # the course's first page builds its structure
    for url, expected in urls:
        expect_queries(client, django_assert_num_queries, url, expected)
    enrolments = make_learners(small_course.runs.get(), 10_000)
    Certificate.objects.bulk_create(
        Certificate(
            kind="participation",
            enrolment=enrolment,
            user_id=enrolment.user_id,
            course=small_course,
            run_id=enrolment.run_id,
            issued_at=earned.issued_at,
            holder_name="Someone",
            course_title="Small Course",
            week_count=1,
            steps_completed=2,
            step_count=5,
        )
        for enrolment in enrolments
    )
    for url, expected in urls:
        expect_queries(client, django_assert_num_queries, url, expected)


# The progress page's own and the tests' (see test_question_views), and one of certificates:
# the learner's certificates (they hold one; their record is the enrolment as loaded,
# which says so). Achievements: session,
# user, certificates. Verification: session, user, the certificate with its course, the team
# check; the rate limit's counter is in the cache (the header's unread count is kept on the
# user).
PROGRESS_QUERIES = 6
ACHIEVEMENTS_QUERIES = 3
VERIFY_QUERIES = 4


# Commands


def test_issue_re_checks_a_run_and_is_idempotent(small_course, learner, other_learner):
    for person, steps in ((learner, 2), (other_learner, 1)):
        enrolment = learning.enrol(user=person, course=small_course)
        complete(enrolment, small_course, steps)
    Certificate.objects.all().delete()  # as if issued before certificates existed
    run = small_course.runs.get()
    out, err = io.StringIO(), io.StringIO()

    call_command("certificate", "issue", "small", "--run", str(run.pk), stdout=out, stderr=err)
    call_command("certificate", "issue", "small", "--run", str(run.pk), stdout=out, stderr=err)

    assert out.getvalue().splitlines() == ["Issued 1 certificate.", "Issued 0 certificates."]
    assert "[" in err.getvalue() and "100%" in err.getvalue()
    assert Certificate.objects.get().user == learner


def test_list_and_revoke_from_the_command_line(earned):
    out = io.StringIO()
    call_command("certificate", "list", "small", stdout=out)
    assert re.search(rf"{earned.code}\s+\S+\s+participation\s+valid\s+Lee Learner", out.getvalue())

    call_command("certificate", "revoke", earned.code, "--reason", "Duplicate account", stdout=out)
    earned.refresh_from_db()
    assert earned.revoked_reason == "Duplicate account"
    decision = earned.decisions.get()
    assert decision.decided_by is None


def test_the_holder_downloads_a_credential_that_verifies_until_revoked(
    earned, learner, team, client, settings, tmp_path
):
    import json

    from stoa.certificates.credentials import verify_file

    settings.DATA_DIR = tmp_path
    response = signed_in(learner).get(reverse("certificates:credential", args=[earned.code]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert verify_file(data).valid

    key = client.get(reverse("certificates:site_key")).json()
    assert key["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    status = client.get(reverse("certificates:status", args=[earned.code])).json()
    assert status["status"] == "valid"

    signed_in(team).post(reverse("certificates:revoke", args=[earned.code]), {"reason": "Copied"})
    assert client.get(reverse("certificates:status", args=[earned.code])).json()["status"] == (
        "revoked"
    )
    assert not verify_file(data).valid


def test_verify_checks_a_credential_file_from_the_command_line(
    earned, learner, team, settings, tmp_path
):
    from django.core.management.base import CommandError

    settings.DATA_DIR = tmp_path
    response = signed_in(learner).get(reverse("certificates:credential", args=[earned.code]))
    credential = tmp_path / "credential.json"
    credential.write_bytes(response.content)
    out = io.StringIO()

    call_command("certificate", "verify", str(credential), stdout=out)
    assert "valid" in out.getvalue().lower()

    tampered = tmp_path / "tampered.json"
    tampered.write_text(credential.read_text().replace("Lee Learner", "Lee Learnor"))
    with pytest.raises(CommandError, match="does not verify"):
        call_command("certificate", "verify", str(tampered), stdout=io.StringIO())
    signed_in(team).post(reverse("certificates:revoke", args=[earned.code]), {"reason": "Copied"})
    with pytest.raises(CommandError, match="does not verify"):
        call_command("certificate", "verify", str(credential), stdout=io.StringIO())
