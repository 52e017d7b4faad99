import datetime
import uuid

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import Course, Step
from stoa.courses.structure import structure_of
from stoa.learning import services
from stoa.learning.models import Enrolment, StepCompletion, StepVisit
from stoa.testing import HTMX, expect_queries, make_course, step_of

pytestmark = pytest.mark.django_db


def step_url(course, week, position, name="step"):
    return reverse(f"learning:{name}", args=[course.slug, week, position])


@pytest.fixture
def enrolment(client, course, learner):
    """The learner's enrolment on the course, the client signed in as them."""
    enrolment = services.enrol(user=learner, course=course)
    client.force_login(learner)
    return enrolment


# --- reading steps ---


def test_visitor_reads_a_step_with_the_join_banner(client, course):
    response = client.get(step_url(course, 1, 2))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This step is taken from the course" in content
    assert "Week 1 · Step 1.2" in content
    assert "Mark as complete" not in content


def test_learner_sees_the_step_with_completion_controls_and_no_banner(client, enrolment, course):
    response = client.get(step_url(course, 1, 2))
    content = response.content.decode()
    assert "Mark as complete" in content
    assert "This step is taken from the course" not in content


def test_visiting_a_step_records_the_visit(client, enrolment, course):
    client.get(step_url(course, 1, 2))
    client.get(step_url(course, 1, 2))
    visit = StepVisit.objects.get()
    assert visit.step == step_of(course, 1, 2)
    assert visit.enrolment == enrolment


def test_a_visit_the_database_is_too_busy_to_record_still_shows_the_page(
    client, enrolment, course, monkeypatch, caplog
):
    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "record_visit", locked)
    response = client.get(step_url(course, 1, 1))
    assert response.status_code == 200
    assert "Mark as complete" in response.content.decode()
    assert "not recorded: the database was busy" in caplog.text


def test_video_step_has_captions_and_a_transcript_with_skip_links(client, course):
    content = client.get(step_url(course, 1, 1)).content.decode()
    assert '<track kind="captions"' in content
    assert "Skip to 1 minute and 12 seconds" in content
    assert "Skip to 0 minutes and 0 seconds" in content
    assert 'data-seek="72000"' in content


def test_transcript_downloads_as_webvtt_and_text(client, course):
    vtt = client.get(step_url(course, 1, 1, "transcript_vtt"))
    assert vtt["Content-Type"].startswith("text/vtt")
    assert vtt.content.decode().startswith("WEBVTT")
    text = client.get(step_url(course, 1, 1, "transcript_text"))
    assert "Hello.\n\nLater on." in text.content.decode()


TEAMS_TRANSCRIPT = (
    "WEBVTT\n\n"
    "0:0:0.0 --> 0:0:4.500\n<v Adrian Petrescu>Welcome to the week &amp; its questions.</v>\n\n"
    "0:0:4.500 --> 0:0:9.0\n<v Adrian Petrescu>We start with <i>rates</i>.</v>\n\n"
    "0:1:12.0 --> 0:1:16.0\n<v Mira Osei>Thanks, Adrian.</v>\n"
)


def test_the_transcript_reads_like_text_with_speakers_and_anchors(client, course):
    """A Teams transcript: loose timings, voices, a styling tag and an entity. Learners read
    paragraphs with the speaker named where their turn begins, no tags, entities decoded
    once; each paragraph is an anchor (#t-<ms>) for links that land on it without a player."""
    Step.objects.filter(pk=step_of(course, 1, 1).pk).update(transcript_source=TEAMS_TRANSCRIPT)
    Course.objects.filter(pk=course.pk).update(version=uuid.uuid4())  # as an import would

    content = client.get(step_url(course, 1, 1)).content.decode()
    assert '<strong class="cue__speaker">Adrian Petrescu:</strong>' in content
    assert "Welcome to the week &amp; its questions. We start with rates." in content
    assert '<strong class="cue__speaker">Mira Osei:</strong>' in content
    assert 'id="t-0"' in content and 'id="t-72000"' in content
    assert "Skip to 1 minute and 12 seconds" in content
    assert "&lt;i&gt;" not in content and "<v " not in content
    text = client.get(step_url(course, 1, 1, "transcript_text")).content.decode()
    assert "Adrian Petrescu: Welcome to the week & its questions. We start with rates." in text
    assert "Mira Osei: Thanks, Adrian." in text
    # Browsers skip Teams' timings: the player gets the cues as WebVTT they read.
    vtt = client.get(step_url(course, 1, 1, "transcript_vtt")).content.decode()
    assert "00:01:12.000 --> 00:01:16.000" in vtt


def test_a_step_without_media_has_no_transcript(client, course):
    assert client.get(step_url(course, 1, 2, "transcript_vtt")).status_code == 404


def test_step_body_is_sanitised_markdown(client, course):
    step = step_of(course, 1, 2)
    step.body = "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    step.save()
    content = client.get(step_url(course, 1, 2)).content.decode()
    assert "<strong>Bold</strong>" in content
    assert "<script>alert(1)" not in content
    assert 'href="javascript:' not in content


def test_a_step_of_a_week_not_open_yet_shows_when_it_opens(client, enrolment, course):
    response = client.get(step_url(course, 2, 1))
    content = response.content.decode()
    opens = enrolment.run.week_opens_on(2)
    assert f"This step opens on {opens:%A} {opens.day} {opens:%B %Y}" in content
    assert "Body of step 2.1" not in content
    assert not StepVisit.objects.exists()


def test_course_team_previews_unopened_weeks(client, course, educator):
    client.force_login(educator)
    content = client.get(step_url(course, 3, 1)).content.decode()
    assert "Body of step 3.1" in content


def test_admin_previews_unopened_weeks(client, course, admin_user):
    client.force_login(admin_user)
    assert "Body of step 3.1" in client.get(step_url(course, 3, 1)).content.decode()


def test_unknown_steps_are_not_found(client, course):
    assert client.get(step_url(course, 9, 1)).status_code == 404
    assert client.get("/courses/no-such-course/steps/1.1/").status_code == 404


# --- completing ---


def test_learner_marks_a_step_complete_and_undoes_it(client, enrolment, course):
    response = client.post(step_url(course, 1, 2, "complete"))
    assert response.status_code == 302
    assert response["Location"] == step_url(course, 1, 2)
    assert StepCompletion.objects.filter(enrolment=enrolment).count() == 1
    assert "Completed" in client.get(step_url(course, 1, 2)).content.decode()
    client.post(step_url(course, 1, 2, "uncomplete"))
    assert not StepCompletion.objects.exists()


def test_double_submitting_complete_stores_one_completion(client, enrolment, course):
    client.post(step_url(course, 1, 2, "complete"))
    client.post(step_url(course, 1, 2, "complete"))
    assert StepCompletion.objects.count() == 1


def test_htmx_completion_returns_only_the_control(client, enrolment, course):
    response = client.post(
        step_url(course, 1, 2, "complete"),
        headers={**HTMX, "HX-Target": "completion"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="completion"' in content
    assert "<html" not in content
    assert "Completed" in content


def test_visitor_completing_is_sent_to_sign_in(client, course):
    response = client.post(step_url(course, 1, 2, "complete"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert not StepCompletion.objects.exists()


def test_learner_who_has_not_joined_is_refused_clearly(client, course, learner):
    client.force_login(learner)
    response = client.post(step_url(course, 1, 2, "complete"))
    assert response.status_code == 403
    assert "Join this course to mark its steps complete." in response.content.decode()
    assert not StepCompletion.objects.exists()


def test_completing_a_step_of_a_week_not_open_is_refused(client, enrolment, course):
    response = client.post(step_url(course, 2, 1, "complete"))
    assert response.status_code == 403
    assert not StepCompletion.objects.exists()


def test_completing_a_step_of_another_course_is_refused(client, enrolment):
    other = make_course("other-course", title="Another Course")
    response = client.post(step_url(other, 1, 1, "complete"))
    assert response.status_code == 403
    assert not StepCompletion.objects.exists()


def test_completion_requires_post(client, enrolment, course):
    assert client.get(step_url(course, 1, 2, "complete")).status_code == 405


# --- joining and leaving ---


def test_joining_enrols_and_continues_to_the_first_step(client, course, learner):
    client.force_login(learner)
    response = client.post(reverse("learning:join", args=[course.slug]), follow=True)
    assert Enrolment.objects.get().user == learner
    # First the question of what brings them (stoa.learning.surveys), then on to the course.
    assert response.redirect_chain[-1][0] == reverse("learning:welcome", args=[course.slug])
    response = client.get(reverse("learning:continue", args=[course.slug]), follow=True)
    assert response.redirect_chain[-1][0] == step_url(course, 1, 1)


def test_visitor_joining_is_sent_to_sign_in(client, course):
    response = client.post(reverse("learning:join", args=[course.slug]))
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert not Enrolment.objects.exists()


def test_joining_a_course_without_open_run_explains_why(client, learner):
    course = make_course(run_started_days_ago=None)
    client.force_login(learner)
    response = client.post(reverse("learning:join", args=[course.slug]), follow=True)
    assert "no run open for joining" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_leaving_keeps_the_data_and_rejoining_restores_it(client, enrolment, course):
    client.post(step_url(course, 1, 1, "complete"))
    client.post(reverse("learning:leave", args=[course.slug]))
    enrolment.refresh_from_db()
    assert enrolment.left_at is not None
    assert StepCompletion.objects.count() == 1
    client.post(reverse("learning:join", args=[course.slug]))
    enrolment.refresh_from_db()
    assert enrolment.left_at is None


def test_course_page_shows_join_for_visitors_and_continue_for_learners(client, course, learner):
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Join course" in page
    assert "Dr Ana Lima" in page and "Lead educator" in page
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Continue where you left off" in page


def test_catalogue_lists_courses_with_next_start_date(client):
    course = make_course(run_started_days_ago=-10)
    run = course.runs.get()
    content = client.get(reverse("courses:catalogue")).content.decode()
    assert course.title in content
    assert "Harbour University" in content
    assert f"Starts {run.starts_on.day} {run.starts_on:%B %Y}" in content
    assert "3 weeks · 3 hours per week" in content


# --- to-do, progress, my courses ---


def test_todo_and_progress_need_sign_in_and_enrolment(client, course, learner):
    for name in ("todo", "progress"):
        url = reverse(f"learning:{name}", args=[course.slug])
        assert client.get(url)["Location"].startswith(reverse("accounts:signin"))
    client.force_login(learner)
    for name in ("todo", "progress"):
        url = reverse(f"learning:{name}", args=[course.slug])
        assert client.get(url)["Location"] == course.get_absolute_url()
    assert client.get(reverse("learning:my_courses")).status_code == 200


def test_todo_shows_completion_state_and_current_week_first(client, course, learner):
    course.runs.update(starts_on=timezone.localdate() - datetime.timedelta(days=8))
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 2, 1))
    client.force_login(learner)
    content = client.get(reverse("learning:todo", args=[course.slug])).content.decode()
    assert content.index("Week 2: Week 2 topic") < content.index("Week 1: Week 1 topic")
    assert "1 of 3 steps completed" in content
    assert "Getting started" in content


def test_progress_shows_only_my_own_completions(client, course, learner, other_learner):
    mine = services.enrol(user=learner, course=course)
    theirs = services.enrol(user=other_learner, course=course)
    services.complete_step(enrolment=mine, step=step_of(course, 1, 1))
    for position in (1, 2, 3):
        services.complete_step(enrolment=theirs, step=step_of(course, 1, position))
    client.force_login(learner)
    content = client.get(reverse("learning:progress", args=[course.slug])).content.decode()
    assert "11%" in content and "(1 of 9)" in content
    assert "33% (1 of 3)" in content


def test_my_courses_lists_progress_and_continue(client, course, learner):
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    client.force_login(learner)
    content = client.get(reverse("learning:my_courses")).content.decode()
    assert course.title in content and "11% complete" in content
    assert reverse("learning:continue", args=[course.slug]) in content


# --- bounded queries ---


def _learners(course, count):
    run = course.runs.get()
    users = User.objects.bulk_create(
        [User(email=f"learner{i}@example.org", display_name=f"L{i}") for i in range(count)]
    )
    now = timezone.now()
    Enrolment.objects.bulk_create(
        [Enrolment(user=u, run=run, course=course, joined_at=now) for u in users]
    )


@pytest.mark.parametrize("size", ["small", "large"])
def test_pages_run_the_same_number_of_queries_for_small_and_large_courses(
    client, learner, django_assert_num_queries, size
):
    weeks, steps, learners = (1, 3, 1) if size == "small" else (10, 30, 1000)
    course = make_course(weeks=weeks, steps_per_week=steps, run_started_days_ago=0)
    _learners(course, learners - 1)
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    client.force_login(learner)
    # The course's structure, as each process holds it once per version of the course
    # (stoa.courses.structure): built here, then read by one query of its version per page.
    # Its version, the course, its weeks, steps, team, partners and media files.
    with django_assert_num_queries(7):
        structure_of(course.slug)
    # Then: session, user, the course's version with the enrolment (one query; on a step
    # page, with whether the step is complete), the visit's writes, then each page's reads (the
    # header's unread count is kept on the user); step pages read a page of their conversation
    # (one query when it is empty). A first visit also counts for the dashboard: the step's
    # tally (an UPDATE, and an INSERT in a savepoint for the step's first visitor) and, at the
    # learner's first visit of a week, that week's tally likewise.
    expect_queries(client, django_assert_num_queries, step_url(course, 1, 1), 16)
    expect_queries(client, django_assert_num_queries, step_url(course, 1, 2), 15)
    expect_queries(client, django_assert_num_queries, step_url(course, 1, 2), 4)  # a return visit
    # the to-do list reads the learner's completions (one query), quiz and test sheets (one),
    # their peer-review work with the reviews given (one); the progress page its completions by
    # week, with this week's (one), and the learner's sheets (one: the tests come from the
    # structure the page read); certificates are read only for learners who hold some
    expect_queries(
        client, django_assert_num_queries, reverse("learning:todo", args=[course.slug]), 6
    )
    expect_queries(
        client, django_assert_num_queries, reverse("learning:progress", args=[course.slug]), 5
    )
    expect_queries(client, django_assert_num_queries, reverse("learning:my_courses"), 4)
    expect_queries(client, django_assert_num_queries, course.get_absolute_url(), 4)
    client.logout()
    expect_queries(client, django_assert_num_queries, reverse("courses:catalogue"), 3)
    expect_queries(client, django_assert_num_queries, step_url(course, 1, 2), 3)
