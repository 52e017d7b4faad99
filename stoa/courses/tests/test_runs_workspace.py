"""The Runs tab of the course team's workspace: creating and editing runs through the pages,
who may, and the rules the run's dates then set for joining, weeks and the conversation."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from stoa.courses import services
from stoa.courses.models import CourseRun, CourseTeamMember, Release, TeamRole
from stoa.lib.refusals import Invalid, NotAllowed
from stoa.testing import enrol_in, expect_queries, make_learners, make_run, make_user, signed_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def member(course, role: TeamRole):
    user = make_user(f"{role}@example.org", name=f"{role.label} person")
    CourseTeamMember.objects.create(
        course=course, position=9, name=user.display_name, role=role, user=user
    )
    return user


def form_data(**fields) -> dict:
    data = {
        "starts_on": days(14).isoformat(),
        "joining_closes_on": "",
        "release": "weekly",
        "conversation_closes_on": "",
    }
    return {**data, **fields}


# --- The pages -------------------------------------------------------------------------------


def test_an_educator_creates_a_run_through_the_page(course, educator):
    client = signed_in(educator)
    page = client.get(reverse("runs:new", args=[course.slug])).content.decode()
    assert 'type="date"' in page and "Start date" in page
    response = client.post(
        reverse("runs:new", args=[course.slug]),
        form_data(
            joining_closes_on=days(20).isoformat(),
            release="all",
            conversation_closes_on=days(60).isoformat(),
        ),
        follow=True,
    )
    run = course.runs.get(starts_on=days(14))
    assert (run.joining_closes_on, run.release, run.conversation_closes_on) == (
        days(20),
        Release.ALL,
        days(60),
    )
    assert run.ends_on == days(14 + 21 - 1)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("runs:list", args=[course.slug])
    assert "All at once" in page and "Upcoming" in page
    assert run.week_open_emails is False  # unless ticked


def test_an_educator_asks_for_week_open_emails_when_creating_a_run(course, educator):
    client = signed_in(educator)
    page = client.get(reverse("runs:new", args=[course.slug])).content.decode()
    assert 'type="checkbox" name="week_open_emails"' in page
    assert "Email learners on the day each week opens" in page
    response = client.post(
        reverse("runs:new", args=[course.slug]), form_data(week_open_emails="on"), follow=True
    )
    assert course.runs.get(starts_on=days(14)).week_open_emails is True
    assert "As each week opens" in response.content.decode()


def test_an_educator_turns_week_open_emails_on_and_off_for_an_upcoming_run(course, educator):
    run = make_run(course, started_days_ago=-7)
    url = reverse("runs:edit", args=[course.slug, run.pk])
    client = signed_in(educator)
    fields = form_data(starts_on=days(7).isoformat())
    assert client.post(url, {**fields, "week_open_emails": "on"}).status_code == 302
    run.refresh_from_db()
    assert run.week_open_emails is True
    page = client.get(url).content.decode()
    assert re.search(r'<input type="checkbox" name="week_open_emails"[^>]* checked', page)
    assert client.post(url, fields).status_code == 302  # an unticked box is not sent
    run.refresh_from_db()
    assert run.week_open_emails is False
    assert run.starts_on == days(7)


def test_a_refused_date_does_not_save_week_open_emails(course, educator):
    run = make_run(course, started_days_ago=-7)
    url = reverse("runs:edit", args=[course.slug, run.pk])
    data = form_data(starts_on=TODAY().isoformat(), week_open_emails="on")  # the fixture's day
    response = signed_in(educator).post(url, data)
    assert "already has a run starting" in response.content.decode()
    run.refresh_from_db()
    assert run.week_open_emails is False


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(course, educator):
    response = signed_in(educator).post(
        reverse("runs:new", args=[course.slug]),
        form_data(joining_closes_on=days(100).isoformat(), conversation_closes_on="soon"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the day the conversation closes as a date" in page
    assert f'value="{days(14).isoformat()}"' in page
    assert course.runs.count() == 1  # only the fixture's

    response = signed_in(educator).post(
        reverse("runs:new", args=[course.slug]), form_data(joining_closes_on=days(100).isoformat())
    )
    page = response.content.decode()
    assert "Joining must close by the run&#x27;s last day" in page
    assert f'value="{days(100).isoformat()}"' in page
    assert course.runs.count() == 1


def test_an_educator_edits_an_upcoming_run(course, educator):
    run = make_run(course, started_days_ago=-7)
    url = reverse("runs:edit", args=[course.slug, run.pk])
    client = signed_in(educator)
    assert f'value="{days(7).isoformat()}"' in client.get(url).content.decode()
    response = client.post(url, form_data(starts_on=days(10).isoformat(), release="all"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.starts_on, run.ends_on, run.release) == (days(10), days(30), Release.ALL)


def test_a_started_run_cannot_be_edited(course, educator):
    run = course.runs.get()  # started today
    url = reverse("runs:edit", args=[course.slug, run.pk])
    response = signed_in(educator).post(url, form_data(), follow=True)
    assert "its dates can no longer change" in response.content.decode()
    run.refresh_from_db()
    assert run.starts_on == TODAY()
    page = signed_in(educator).get(reverse("runs:list", args=[course.slug])).content.decode()
    assert url not in page and "Running" in page
    with pytest.raises(Invalid, match=r"This run started on .*: its dates can no longer change"):
        services.update_run(
            run=run,
            by=None,
            starts_on=days(3),
            joining_closes_on=None,
            release=Release.WEEKLY,
            conversation_closes_on=None,
        )


@pytest.mark.parametrize("role", [TeamRole.MENTOR, TeamRole.HOST])
def test_mentors_and_hosts_may_not_manage_runs(course, role):
    user = member(course, role)
    run = make_run(course, started_days_ago=-7)
    client = signed_in(user)
    for url in (
        reverse("runs:list", args=[course.slug]),
        reverse("runs:new", args=[course.slug]),
        reverse("runs:edit", args=[course.slug, run.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("runs:new", args=[course.slug]), form_data()).status_code == 403
    with pytest.raises(NotAllowed):
        services.create_run(course=course, by=user, starts_on=days(30))
    assert course.runs.count() == 2


@pytest.mark.parametrize("role", [TeamRole.MENTOR, TeamRole.HOST])
def test_mentors_and_hosts_may_not_turn_on_week_open_emails(course, learner, role):
    run = make_run(course, started_days_ago=-7)
    on = form_data(starts_on=days(7).isoformat(), week_open_emails="on")
    for user in (member(course, role), learner):
        client = signed_in(user)
        assert client.post(reverse("runs:new", args=[course.slug]), on).status_code == 403
        assert client.post(reverse("runs:edit", args=[course.slug, run.pk]), on).status_code == 403
    assert Client().post(reverse("runs:edit", args=[course.slug, run.pk]), on).status_code == 302
    assert not CourseRun.objects.filter(week_open_emails=True).exists()


def test_learners_other_educators_and_visitors_may_not_manage_runs(
    course, learner, other_course_educator
):
    run = make_run(course, started_days_ago=-7)
    edit = reverse("runs:edit", args=[course.slug, run.pk])
    new = reverse("runs:new", args=[course.slug])
    for user in (learner, other_course_educator):
        assert signed_in(user).get(edit).status_code == 403
        assert signed_in(user).post(new, form_data()).status_code == 403
    assert Client().post(new, form_data()).status_code == 302  # to sign in
    assert Client().get(edit).status_code == 302
    assert course.runs.count() == 2


def test_another_course_s_run_is_not_found_under_this_course(course, educator):
    from stoa.courses.models import Course

    other = Course.objects.create(slug="other", title="Other", summary="x", week_count=1)
    run = CourseRun.objects.create(course=other, starts_on=days(7))
    url = reverse("runs:edit", args=[course.slug, run.pk])
    assert signed_in(educator).get(url).status_code == 404


def test_the_runs_page_costs_the_same_with_1_or_1000_learners(
    course, educator, django_assert_num_queries
):
    make_run(course, started_days_ago=-7)
    client = signed_in(educator)
    url = reverse("runs:list", args=[course.slug])
    make_learners(course.runs.get(starts_on=TODAY()), 1)
    response = expect_queries(client, django_assert_num_queries, url, 5)
    assert '<td class="number">1</td>' in response.content.decode()
    make_learners(course.runs.get(starts_on=TODAY()), 999, prefix="more")
    response = expect_queries(client, django_assert_num_queries, url, 5)
    assert '<td class="number">1000</td>' in response.content.decode()


# --- The service's rules -----------------------------------------------------------------------


def test_the_page_refuses_a_start_in_the_past_but_the_command_line_may(course, educator):
    with pytest.raises(Invalid, match="today or later"):
        services.create_run(course=course, by=educator, starts_on=days(-1))
    assert services.create_run(course=course, by=None, starts_on=days(-100)).pk


def test_two_runs_cannot_start_on_the_same_day(course, educator):
    with pytest.raises(Invalid, match="already has a run starting"):
        services.create_run(course=course, by=educator, starts_on=TODAY())


def test_the_conversation_cannot_close_before_the_start(course, educator):
    with pytest.raises(Invalid, match="on the start date"):
        services.create_run(
            course=course, by=educator, starts_on=days(7), conversation_closes_on=days(6)
        )
    run = services.create_run(
        course=course, by=educator, starts_on=days(7), joining_closes_on=days(1)
    )
    assert run.joining_closes_on == days(1)  # joining may close before the start


# --- What the dates do ---------------------------------------------------------------------


def test_a_run_whose_joining_closed_takes_no_one(course, learner):
    """Joining goes through learning.services.enrol, which finds no open run (NoOpenRun) and
    the join page says so. (Courses' tests reach learning through its pages only: the import
    contract keeps courses below learning.)"""
    run = course.runs.get()
    run.joining_closes_on = days(-1)
    run.save()
    assert not CourseRun.objects.open_for_joining(today=TODAY()).exists()
    client = signed_in(learner)
    response = client.post(reverse("learning:join", args=[course.slug]), follow=True)
    assert "no run open for joining" in response.content.decode()
    assert not learner.enrolments.exists()
    run.joining_closes_on = TODAY()  # open until the end of that day
    run.save()
    client.post(reverse("learning:join", args=[course.slug]))
    assert learner.enrolments.get().run == run


def test_release_all_opens_every_week_on_the_first_day(course, educator):
    run = services.create_run(course=course, by=educator, starts_on=days(7), release="all")
    assert not run.is_week_open(1, today=days(6))
    assert all(run.is_week_open(number, today=days(7)) for number in (1, 2, 3))
    assert run.week_opens_on(3) == days(7)
    weekly = course.runs.get(starts_on=TODAY())
    assert weekly.is_week_open(1, today=TODAY()) and not weekly.is_week_open(2, today=TODAY())


def test_a_learner_reads_week_3_on_day_one_of_a_run_released_all_at_once(course, learner):
    run = course.runs.get()
    enrol_in(learner, run)
    url = reverse("learning:step", args=[course.slug, 3, 1])
    closed = signed_in(learner).get(url).content.decode()
    assert "Body of step 3.1" not in closed  # weekly: week 3 opens in two weeks
    run.release = Release.ALL
    run.save()
    response = signed_in(learner).get(url)
    assert response.status_code == 200
    assert "Body of step 3.1" in response.content.decode()


# The conversation's side (a closed conversation refuses a post; the page still reads) is
# tested in stoa/conversation/tests/test_read_only_runs.py.


def test_the_command_line_creates_runs_through_the_same_rules(course, capsys):
    from django.core.management import CommandError, call_command

    call_command("run", "create", course.slug, "--starts", days(30).isoformat())
    assert course.runs.get(starts_on=days(30)).week_open_emails is False
    call_command(
        "run", "create", course.slug, "--starts", days(40).isoformat(), "--week-open-emails"
    )
    assert course.runs.get(starts_on=days(40)).week_open_emails is True
    assert "emailing learners as weeks open" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already has a run"):
        call_command("run", "create", course.slug, "--starts", days(30).isoformat())


# --- In the browser ----------------------------------------------------------------------------


def _create_a_run(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("link", name="Runs").click()
    page.get_by_role("link", name="Create a run").click()
    page.get_by_label("Start date").fill(days(14).isoformat())
    page.get_by_label("Conversation closes on").fill(days(10).isoformat())
    page.get_by_role("button", name="Create the run").click()
    # Closing the conversation before the start is refused, and what was typed stays.
    expect(page.get_by_role("alert")).to_contain_text("The conversation can close on the start")
    expect(page.get_by_label("Start date")).to_have_value(days(14).isoformat())
    page.get_by_label("Conversation closes on").fill(days(60).isoformat())
    page.get_by_label("Joining closes on").fill(days(21).isoformat())
    page.get_by_role("radio", name="All at once").check()
    page.get_by_label("Email learners on the day each week opens").check()
    page.get_by_role("button", name="Create the run").click()
    expect(page.get_by_text("created")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Upcoming")
    expect(row).to_contain_text("All at once")
    expect(row).to_contain_text("On the first day")
    expect(row.get_by_role("link", name="Edit")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_educator_creates_a_run_in_the_browser(
    live_server, page: Page, course, educator, sign_in, check_page
):
    sign_in(page, educator)
    page.goto(live_server.url + reverse("runs:new", args=[course.slug]))
    check_page(page, "run-form")
    _create_a_run(page, live_server.url + reverse("dashboard:overview", args=[course.slug]))
    check_page(page, "runs")
    run = course.runs.get(starts_on=days(14))
    assert (run.release, run.joining_closes_on, run.week_open_emails) == (
        Release.ALL,
        days(21),
        True,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_educator_creates_a_run_without_javascript(
    live_server, browser: Browser, course, educator, sign_in
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, educator)
    _create_a_run(page, live_server.url + reverse("dashboard:overview", args=[course.slug]))
    assert course.runs.filter(starts_on=days(14), release=Release.ALL).exists()
    context.close()
