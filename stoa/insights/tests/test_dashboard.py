"""The dashboard: tallies kept by each write, the charts and their tables drawn from them, a
CSV per chart, the recount, who may read it, and a cost that does not grow with the run."""

import csv
import datetime
import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.assessments.models import QuestionTally
from stoa.certificates.models import CertificateTally
from stoa.conversation.models import CommentTally
from stoa.courses.models import CourseRun, CourseTeamMember, TeamRole
from stoa.insights.dashboard import charts
from stoa.insights.services import recount_tallies
from stoa.learning import services as learning
from stoa.learning.models import (
    ActivityTally,
    Enrolment,
    JoinTally,
    ParticipationTally,
    StepTally,
    StepVisit,
)
from stoa.testing import (
    expect_queries,
    make_learners,
    make_user,
    signed_in,
    step_of,
)

pytestmark = pytest.mark.django_db


def overview_url(course, run=None) -> str:
    url = reverse("dashboard:overview", args=[course.slug])
    return f"{url}?run={run.pk}" if run else url


def csv_url(course, chart, run=None) -> str:
    url = reverse("dashboard:csv", args=[course.slug, chart])
    return f"{url}?run={run.pk}" if run else url


def tallies(run) -> dict:
    return {
        "joins": sorted(JoinTally.objects.filter(run=run).values_list("day", "joiners")),
        "weeks": sorted(ActivityTally.objects.filter(run=run).values_list("week", "learners")),
        "steps": sorted(
            StepTally.objects.filter(run=run)
            .exclude(visitors=0, completers=0)
            .values_list("step__position", "visitors", "completers")
        ),
        "comments": sorted(
            CommentTally.objects.filter(run=run).values_list(
                "step__position", "comments", "replies"
            )
        ),
        "questions": sorted(
            QuestionTally.objects.filter(run=run).values_list(
                "question__position", "first_tries", "first_try_correct"
            )
        ),
        "certificates": sorted(
            CertificateTally.objects.filter(run=run).values_list("day", "kind", "issued")
        ),
        "participation": sorted(
            ParticipationTally.objects.filter(run=run).values_list("day", "learners")
        ),
    }


def test_each_write_keeps_its_tally(busy_course, learner):
    _course, run, test = busy_course
    today = timezone.localdate()
    assert tallies(run) == {
        "joins": [(today, 2)],
        "weeks": [(1, 2)],
        "steps": [(1, 2, 1), (2, 1, 1), (test.position, 0, 1)],  # the test completed itself
        "comments": [(2, 1, 1)],
        "questions": [(1, 1, 0), (2, 1, 1)],  # the second try at question 1 is not a first
        "certificates": [(today, "participation", 1)],
        "participation": [(today, 1)],  # Lee: 3 of 5 steps and both test questions
    }
    lee = Enrolment.objects.get(user=learner)
    assert lee.fully_participated_at is not None


def test_undoing_a_completion_takes_it_off_the_funnel(busy_course, learner):
    course, run, _test = busy_course
    enrolment = Enrolment.objects.get(user=learner)
    learning.uncomplete_step(enrolment=enrolment, step=step_of(course, 1, 2))
    assert StepTally.objects.get(run=run, step=step_of(course, 1, 2)).completers == 0


def test_a_learner_counts_once_in_each_week_they_visit(busy_course, learner):
    course, run, _test = busy_course
    enrolment = Enrolment.objects.select_related("run").get(user=learner)
    learning.record_visit(enrolment=enrolment, step=step_of(course, 1, 3))
    assert ActivityTally.objects.get(run=run, week=1).learners == 2
    # A week later, the same learner's first visit counts them in week 2, once.
    CourseRun.objects.filter(pk=run.pk).update(starts_on=run.starts_on - datetime.timedelta(days=7))
    for _ in range(2):
        enrolment = Enrolment.objects.select_related("run").get(user=learner)
        learning.record_visit(enrolment=enrolment, step=step_of(course, 1, 3))
    assert tallies(run)["weeks"] == [(1, 2), (2, 1)]


def test_a_stale_enrolment_cannot_count_a_learner_twice(busy_course, learner):
    """Two tabs load the enrolment before either visit is written: the UPDATE decides."""
    course, run, _test = busy_course
    Enrolment.objects.filter(user=learner).update(active_week=None)
    ActivityTally.objects.filter(run=run).update(learners=1)
    tabs = [Enrolment.objects.select_related("run").get(user=learner) for _ in range(2)]
    for enrolment in tabs:
        learning.record_visit(enrolment=enrolment, step=step_of(course, 1, 1))
    assert ActivityTally.objects.get(run=run, week=1).learners == 2


def test_the_recount_rebuilds_what_the_writes_kept(busy_course):
    _course, run, _test = busy_course
    kept = tallies(run)
    for model in (
        JoinTally,
        ActivityTally,
        StepTally,
        CommentTally,
        QuestionTally,
        ParticipationTally,
    ):
        model.objects.filter(run=run).delete()
    CertificateTally.objects.filter(run=run).update(issued=99)
    recount_tallies(run)
    assert tallies(run) == kept
    assert set(Enrolment.objects.filter(run=run).values_list("active_week", flat=True)) == {1}


def test_the_recount_command_reports_each_run(busy_course):
    course, _run, _test = busy_course
    out, err = StringIO(), StringIO()
    call_command("insights", "recount", course.slug, stdout=out, stderr=err)
    assert "Recounted the tallies of the run" in out.getvalue()
    assert "100%" in err.getvalue()
    with pytest.raises(Exception, match="no run 0"):
        call_command("insights", "recount", course.slug, "--run", "0")


def test_the_dashboard_draws_each_chart_with_its_numbers(busy_course, educator):
    course, run, _test = busy_course
    CourseTeamMember.objects.filter(user=educator).update(course=course)
    page = signed_in(educator).get(overview_url(course)).content.decode()
    for title in (
        "Joiners per day",
        "Active learners per week",
        "Step funnel",
        "Comments per step",
        "Right at the first try",
        "Certificates issued",
        "Learners who fully participated",
    ):
        assert title in page
    assert page.count("<title id=") == 7
    assert page.count('<svg class="chart" role="img"') == 7
    assert 'aria-labelledby="chart-funnel-title" aria-describedby="chart-funnel-desc"' in page
    assert "2 people have joined the run; 2 in the last seven days." in page
    assert "2 visited the first step" in page
    assert "The busiest step is 1.2, with 2." in page
    assert "The hardest is 1.5.1: 0% right first." in page
    assert "1 certificate issued so far" in page
    assert "1 learner has fully participated" in page
    assert "50% of the run&#x27;s learners" in page or "50% of the run's learners" in page
    # The numbers beneath: the funnel's first row, with its completion share.
    assert re.search(
        r'<th scope="row">1\.1</th><td>Step 1\.1</td><td class="number">2</td>'
        r'<td class="number">1</td><td class="number">50(\.0)?</td>',
        page,
    ), page[page.index("chart-funnel") :][:3000]
    for slug in (
        "joiners",
        "active",
        "funnel",
        "participation",
        "comments",
        "questions",
        "certificates",
    ):
        assert csv_url(course, slug, run).replace("&", "&amp;") in page


def test_a_new_run_says_there_is_nothing_yet(course, educator):
    page = signed_in(educator).get(overview_url(course)).content.decode()
    assert "Nobody has joined this run yet." in page
    assert "<svg" not in page


def test_each_chart_downloads_as_csv(busy_course, educator):
    course, run, _test = busy_course
    CourseTeamMember.objects.filter(user=educator).update(course=course)
    response = signed_in(educator).get(csv_url(course, "funnel", run))
    assert response["Content-Disposition"] == f'attachment; filename="busy_run-{run.pk}_funnel.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Step", "Title", "Visited", "Completed", "Completed (%)"]
    assert rows[1] == ["1.1", "Step 1.1", "2", "1", "50.0"]
    joiners = signed_in(educator).get(csv_url(course, "joiners", run))
    rows = list(csv.reader(io.StringIO(b"".join(joiners.streaming_content).decode())))
    assert rows[1] == [timezone.localdate().isoformat(), "2", "2"]


def test_garbage_charts_and_runs_are_not_found(course, educator, other_course_educator):
    client = signed_in(educator)
    other_run = CourseTeamMember.objects.get(user=other_course_educator).course.runs.get()
    assert client.get(csv_url(course, "nonsense")).status_code == 404
    assert client.get(csv_url(course, "funnel", other_run)).status_code == 404
    assert client.get(csv_url(course, "funnel") + "?run=x").status_code == 404
    assert client.get(overview_url(course) + "?run=99999999999999999999").status_code == 404


def test_mentors_see_the_runs_but_not_the_dashboard(course, educator):
    mentor = make_user("mo@example.org", name="Mo Mentor")
    CourseTeamMember.objects.create(
        course=course, position=7, name="Mo Mentor", role=TeamRole.MENTOR, user=mentor
    )
    page = signed_in(mentor).get(overview_url(course)).content.decode()
    assert "Runs" in page and "Step funnel" not in page
    assert signed_in(mentor).get(csv_url(course, "funnel")).status_code == 403


@pytest.mark.parametrize("person", ["learner", "other_course_educator", "outsider"])
def test_people_outside_the_team_cannot_read_it(course, person, request):
    user = request.getfixturevalue(person)
    assert signed_in(user).get(overview_url(course)).status_code == 403
    assert signed_in(user).get(csv_url(course, "funnel")).status_code == 403
    assert Client().get(overview_url(course)).status_code == 302
    assert Client().get(csv_url(course, "funnel")).status_code == 302


def test_the_dashboard_costs_the_same_with_1_or_1000_learners(
    busy_course, educator, django_assert_num_queries
):
    course, run, _test = busy_course
    CourseTeamMember.objects.filter(user=educator).update(course=course)
    client = signed_in(educator)
    expect_queries(client, django_assert_num_queries, overview_url(course), DASHBOARD_QUERIES)
    make_learners(run, 1000)
    recount_tallies(run)
    expect_queries(client, django_assert_num_queries, overview_url(course), DASHBOARD_QUERIES)
    expect_queries(client, django_assert_num_queries, csv_url(course, "funnel", run), 14)


# Session, user, course, capabilities, the runs for the picker, the run shown, the steps, the
# six tallies and the questions (the header's unread count is kept on the user).
DASHBOARD_QUERIES = 15


def test_nice_ceilings_round_up_to_one_two_or_five():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 180, 999_999)] == [
        1,
        1,
        5,
        10,
        20,
        200,
        1_000_000,
    ]


def test_chart_text_is_escaped():
    svg = charts.bars([("<b>", (3,))], label_id="x", title="<script>", description="a & b")
    assert "<script>" not in svg and "&lt;b&gt;" in svg and "a &amp; b" in svg


def test_the_recount_of_a_run_long_over_stops_at_its_last_visit(
    busy_course, django_assert_max_num_queries
):
    """A run imported from years ago: its weeks of activity end with its last visit, so the
    recount counts those, not one week at a time up to today."""
    _course, run, _test = busy_course
    long_ago = run.starts_on - datetime.timedelta(days=3 * 365)
    CourseRun.objects.filter(pk=run.pk).update(starts_on=long_ago)
    run.refresh_from_db()
    at = timezone.make_aware(datetime.datetime.combine(long_ago, datetime.time(12)))
    StepVisit.objects.filter(enrolment__run=run).update(first_visited_at=at, last_visited_at=at)
    with django_assert_max_num_queries(40):
        recount_tallies(run)
    assert tallies(run)["weeks"] == [(1, 2)]
