"""Reporting and moderating in Debian's Chromium: a learner reports a comment, an educator
hides it from the moderation queue, and its author reads why."""

import pytest
from playwright.sync_api import Page, expect

from stoa.conversation.models import ModerationAction, Report
from stoa.testing import make_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_learner_reports_educator_hides_and_author_reads_why(
    live_server, sign_in, page: Page, course, learner, other_learner, educator, enrolled, check_page
):
    text = "Anyone who believes this chart is *an idiot*."
    comment = make_comment(other_learner, course, text)

    sign_in(page, learner)
    page.goto(f"{live_server.url}/courses/{course.slug}/comments/{comment.pk}/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a comment")
    expect(page.get_by_text("Anyone who believes this chart is")).to_be_visible()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why you are reporting this comment.")
    check_page(page, "moderation-report")
    page.get_by_label("Why are you reporting this comment?").fill("Calls people names.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("The course team will look at this comment.")).to_be_visible()
    assert Report.objects.get().reason == "Calls people names."
    sign_out(page)

    sign_in(page, educator)
    page.goto(f"{live_server.url}/courses/{course.slug}/moderation/")
    item = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Comment by Robin Other")
    )
    expect(item).to_contain_text("1 open report")
    expect(item).to_contain_text("Calls people names.")
    check_page(page, "moderation-queue")
    item.get_by_label("Reason for hiding, shown to the author").fill(
        "Please disagree with the chart, not with people."
    )
    item.get_by_role("button", name="Hide comment").click()
    expect(page.get_by_text("Robin Other's comment is hidden")).to_be_visible()
    expect(page.get_by_text("No comments are waiting for review.")).to_be_visible()
    hidden = page.locator(f"#hidden-{comment.pk}")
    expect(hidden).to_contain_text("Please disagree with the chart, not with people.")
    expect(hidden.get_by_role("button", name="Restore comment")).to_be_visible()
    check_page(page, "moderation-queue-after")
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.HIDE
    sign_out(page)

    sign_in(page, other_learner)
    page.goto(f"{live_server.url}/activity/")
    expect(page.get_by_text("Please disagree with the chart, not with people.")).to_be_visible()
