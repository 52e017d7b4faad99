"""Voting in a poll in Debian's Chromium, with axe at phone and desktop widths, and without
JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from stoa.assessments.models import PollVote
from stoa.learning.models import StepCompletion
from stoa.testing import PASSWORD, make_poll_votes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_votes_sees_the_results_as_bars_and_numbers_and_changes_their_vote(
    live_server, page: Page, enrolled, learner, poll, course, sign_in, check_page
):
    make_poll_votes(poll, course.runs.get(), 3, choices="1")
    url = live_server.url + poll.get_absolute_url()
    page.goto(url)
    check_page(page, "poll-visitor")
    expect(page.get_by_role("link", name="Join the course")).to_be_visible()

    sign_in(page, learner)
    page.goto(url)
    panel = page.get_by_role("region", name="Poll")
    check_page(page, "poll-vote")
    panel.get_by_role("radio", name="In a newspaper").check()
    panel.get_by_role("button", name="Vote").click()

    results = panel.get_by_role("table", name="How your run voted")
    expect(results).to_contain_text("4 people have voted")
    row = results.get_by_role("row").filter(has_text="In a newspaper")
    expect(row).to_contain_text("Your vote")
    expect(row.get_by_role("cell")).to_have_text(["1", "25%"])
    expect(results.get_by_role("row").filter(has_text="television")).to_contain_text("75%")
    expect(row.locator("svg.poll-bar")).to_have_attribute("aria-hidden", "true")
    check_page(page, "poll-results")

    panel.get_by_role("link", name="Change your vote").click()
    expect(panel.get_by_role("radio", name="In a newspaper")).to_be_checked()
    panel.get_by_role("radio", name="On social media").check()
    panel.get_by_role("button", name="Change my vote").click()
    row = results.get_by_role("row").filter(has_text="On social media")
    expect(row.get_by_role("cell")).to_have_text(["1", "25%"])
    expect(results.get_by_role("row").filter(has_text="In a newspaper")).to_contain_text("0%")
    assert PollVote.objects.get(user=learner).choices == "3"
    assert StepCompletion.objects.filter(step=poll, enrolment__user=learner).exists()


def test_voting_works_without_javascript(live_server, browser: Browser, enrolled, learner, poll):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_server.url + poll.get_absolute_url())
    panel = page.get_by_role("region", name="Poll")
    panel.get_by_role("radio", name="On social media").check()
    panel.get_by_role("button", name="Vote").click()
    row = panel.get_by_role("row").filter(has_text="On social media")
    expect(row.get_by_role("cell")).to_have_text(["1", "100%"])

    panel.get_by_role("link", name="Change your vote").click()
    panel.get_by_role("radio", name="On television or the radio").check()
    panel.get_by_role("button", name="Change my vote").click()
    expect(panel.get_by_role("row").filter(has_text="television")).to_contain_text("100%")
    assert PollVote.objects.get(user=learner).choices == "1"
    context.close()
