"""Peer review in Debian's Chromium: writing and submitting work, reviewing another learner's,
reading the reviews of one's own; axe at phone and desktop widths, and without JavaScript."""

import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from stoa.assessments.models import PeerReview, PeerSubmission
from stoa.assessments.peer import services
from stoa.learning.models import StepCompletion
from stoa.testing import PASSWORD, make_peer_reviews, make_peer_submission, peer_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_submits_work_reviews_another_s_and_reads_the_reviews_of_theirs(
    live_server, page: Page, enrolled, learner, other_learner, peer_step, sign_in, check_page
):
    theirs = make_peer_submission(other_learner, peer_step, ago=datetime.timedelta(hours=1))
    url = live_server.url + peer_step.get_absolute_url()
    page.goto(url)
    check_page(page, "peer-visitor")
    expect(page.get_by_role("link", name="Join the course")).to_be_visible()

    sign_in(page, learner)
    page.goto(url)
    work = page.get_by_role("region", name="Your work", exact=True)
    box = work.get_by_label("Write your work here")
    box.fill("Too short — for now.")
    expect(work.get_by_text("4 words (at least 20)")).to_be_visible()  # counted as it is typed
    check_page(page, "peer-write")
    work.get_by_role("button", name="Submit for review").click()

    # Refused, with the text as typed and why.
    expect(page.get_by_role("alert")).to_contain_text("Your work has 4 words; write at least 20")
    expect(page.get_by_label("Write your work here")).to_have_value("Too short — for now.")
    check_page(page, "peer-write-error")
    page.get_by_label("Write your work here").fill(peer_text(24, topic="unemployment"))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft is saved")).to_be_visible()
    page.get_by_role("region", name="Your work", exact=True).get_by_role(
        "button", name="Submit for review"
    ).click()

    work = page.get_by_role("region", name="Your work", exact=True)
    expect(work.get_by_text("Submitted on")).to_be_visible()
    expect(work.get_by_role("textbox")).to_have_count(0)
    reviewing = page.get_by_role("region", name="Review others' work")
    expect(reviewing).to_contain_text("0 of 2 reviews given")
    reviewing.get_by_role("button", name="Review someone's work").click()

    reviewing = page.get_by_role("region", name="Review others' work")
    expect(reviewing.get_by_role("heading", name="Work by Robin Other")).to_be_visible()
    expect(reviewing).to_contain_text(theirs.text)
    check_page(page, "peer-reviewing")
    reviewing.get_by_label("Is the claim clear?").fill("Yes: the first sentence says it.")
    reviewing.get_by_label("Is the number put in context?").fill("Say what it is out of.")
    reviewing.get_by_role("button", name="Submit review").click()

    reviewing = page.get_by_role("region", name="Review others' work")
    expect(reviewing).to_contain_text("1 of 2 reviews given")
    expect(reviewing).to_contain_text("No work is waiting for review right now; come back later.")
    assert PeerReview.objects.get().answers == [
        "Yes: the first sentence says it.",
        "Say what it is out of.",
    ]

    make_peer_reviews(PeerSubmission.objects.get(user=learner), 2)
    page.reload()
    received = page.get_by_role("region", name="Reviews of your work")
    expect(received.get_by_role("article")).to_have_count(2)
    expect(received.get_by_role("link", name="Report this review").first).to_be_visible()
    check_page(page, "peer-received")


def test_the_course_team_reads_every_submission_with_its_reviews(
    live_server, page: Page, enrolled, learner, peer_step, educator, sign_in, check_page
):
    work = make_peer_submission(learner, peer_step)
    reviews = make_peer_reviews(work, 2)
    services.hide_review(moderator=educator, review=reviews[0], reason="Unkind.")

    sign_in(page, educator)
    page.goto(live_server.url + peer_step.get_absolute_url())
    team = page.get_by_role("region", name="Learners' work")
    card = team.get_by_role("listitem").filter(has_text="Work by Lee Learner")
    card.get_by_text("Read the work").click()
    expect(card.get_by_role("article")).to_have_count(2)
    expect(card).to_contain_text("Reason shown to the reviewer: Unkind.")
    check_page(page, "peer-team")

    # Reported work and a reported review wait in the moderation queue, below the comments.
    services.report(reporter=reviews[1].reviewer, submission=work, reason="Copied from a paper.")
    services.report(reporter=learner, submission=work, review=reviews[1], reason="Dismissive.")
    page.get_by_role("link", name="Reported work is in the moderation queue.").click()
    section = page.get_by_role("region", name="Peer review: reported work")
    expect(section.get_by_role("heading", name="Work by Lee Learner")).to_be_visible()
    expect(section.get_by_role("heading", name="of Lee Learner's work").first).to_be_visible()
    check_page(page, "peer-moderation")
    reported = section.locator("li").filter(
        has=page.get_by_role("heading", name="Work by Lee Learner")
    )
    reported.get_by_label("Reason for hiding, shown to the author").fill("Not the learner's own.")
    reported.get_by_role("button", name="Hide work").click()
    expect(page.get_by_text("Lee Learner's work is hidden")).to_be_visible()
    expect(section.get_by_role("button", name="Restore work by Lee Learner")).to_be_visible()


def test_submitting_and_reviewing_work_without_javascript(
    live_server, browser: Browser, enrolled, learner, other_learner, peer_step
):
    make_peer_submission(other_learner, peer_step, ago=datetime.timedelta(hours=1))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_server.url + peer_step.get_absolute_url())
    work = page.get_by_role("region", name="Your work", exact=True)
    work.get_by_label("Write your work here").fill(peer_text(21))
    work.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("region", name="Your work", exact=True)).to_contain_text("21 words")

    page.get_by_role("button", name="Review someone's work").click()
    reviewing = page.get_by_role("region", name="Review others' work")
    reviewing.get_by_label("Is the claim clear?").fill("Clear enough.")
    reviewing.get_by_label("Is the number put in context?").fill("Give the rate too.")
    reviewing.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("region", name="Review others' work")).to_contain_text(
        "1 of 2 reviews given"
    )
    assert PeerReview.objects.filter(reviewer=learner).count() == 1
    assert not StepCompletion.objects.filter(step=peer_step).exists()  # one review still to give
    context.close()
