"""An educator's day in the course team's workspace, in Debian's Chromium, as one journey
through the real pages: create a run, invite a team member, answer a learner's question from
the inbox, pin a comment, send an announcement that a learner then finds by email and on
their Activity page, and read the dashboard. Once with JavaScript (htmx replies in place),
once without (every action a plain form).

The learners join through the root conftest's `enrolled` fixture (learning's service); they
then read the steps and comment through the pages, as the educator does everything, found by
role and label. Being courses' tests, these import nothing of learning or conversation (the
layers contract in pyproject.toml), so they check what the pages show rather than those
apps' rows."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from stoa.courses.models import Release, TeamInvitation, TeamRole
from stoa.testing import step_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Why does the axis start at 40?"
REMARK = "The second chart hides its baseline too."
ANSWER = "It is cut on purpose: read the note under the chart."
SUBJECT = "Week 2 opens on Monday"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def long_date(day: datetime.date) -> str:
    """A date as the workspace writes it ("j F Y")."""
    return f"{day.day} {day:%B %Y}"


def comment_on_step_1_2(
    live_server, browser: Browser, sign_in, course, user, text: str, *, javascript: bool
):
    """The learner, in a browser of their own, reads step 1.1, goes on to 1.2 and comments
    there; returns their browser context and page, still open."""
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, user)
    page.goto(live_server.url + step_of(course, 1, 1).get_absolute_url())
    page.get_by_role("link", name="Next 1.2 Step 1.2").click()
    conversation = page.get_by_role("region", name="Comments")
    conversation.get_by_text("Add a comment").click()
    conversation.get_by_label("Your comment").fill(text)
    conversation.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("article", name=user.display_name)).to_contain_text(text)
    return context, page


@pytest.fixture
def learners_ask(live_server, browser: Browser, sign_in, course, enrolled, learner, other_learner):
    """Both learners on the run open now. Lee asks a question on step 1.2 and Robin leaves a
    remark there; both then wait in the team's inbox. Lee's browser stays open."""

    def ask(*, javascript: bool):
        lee = comment_on_step_1_2(
            live_server, browser, sign_in, course, learner, QUESTION, javascript=javascript
        )
        robin, _page = comment_on_step_1_2(
            live_server, browser, sign_in, course, other_learner, REMARK, javascript=javascript
        )
        robin.close()
        return lee

    return ask


def open_workspace(page: Page, course) -> None:
    """From any page: the header's Teach link, then the course."""
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Teach").click()
    expect(page.get_by_role("heading", name="Teach", level=1)).to_be_visible()
    page.get_by_role("link", name=course.title).click()
    expect(page.get_by_role("heading", name=course.title, level=1)).to_be_visible()


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name=name).click()


def create_a_run(page: Page) -> None:
    open_tab(page, "Runs")
    expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
    page.get_by_role("link", name="Create a run").click()
    page.get_by_label("Start date").fill(days(14).isoformat())
    page.get_by_label("Joining closes on").fill(days(20).isoformat())
    page.get_by_role("radio", name="All at once").check()
    page.get_by_label("Conversation closes on").fill(days(60).isoformat())
    page.get_by_label("Email learners on the day each week opens").check()
    page.get_by_role("button", name="Create the run").click()
    expect(page.get_by_role("status")).to_contain_text("created")
    row = page.get_by_role("row").filter(has_text=long_date(days(14)))
    for text in ("Upcoming", "All at once", f"Until {long_date(days(20))}", "On the first day"):
        expect(row).to_contain_text(text)
    expect(
        row.get_by_role("link", name=f"Edit the run starting {long_date(days(14))}")
    ).to_be_visible()


def invite_a_mentor(page: Page) -> None:
    open_tab(page, "Team")
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("mentor@example.org")
    invite.get_by_label("Role").select_option(label="Mentor")
    invite.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_have_text(
        "An invitation is on its way to mentor@example.org."
    )
    invitations = page.get_by_role("region", name="Invitations")
    row = invitations.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="mentor@example.org")
    )
    expect(row).to_contain_text("Mentor")


def inbox_item(page: Page, author: str):
    """The inbox's entry for a comment, found by its heading."""
    waiting = page.get_by_role("region", name="Waiting")
    return waiting.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=re.compile(rf"^{author} on step 1\.2"))
    )


def announce(page: Page, learners: int) -> None:
    open_tab(page, "Announcements")
    page.get_by_role("link", name="Write an announcement").click()
    # The form offers the newest run first: the upcoming one, which has no one to tell yet.
    page.get_by_label("Run").select_option(
        label=f"Starting {long_date(days(0))} ({learners} learners)"
    )
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Announcement").fill("Bring **a newspaper** to the live session.")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(preview.get_by_text("a newspaper")).to_be_visible()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Your announcement is on its way.")
    row = page.get_by_role("row").filter(has_text=SUBJECT)
    expect(row).to_contain_text("Sent")
    expect(row).to_contain_text(f"{learners} of {learners}")


def read_the_dashboard(page: Page, *, comments: int) -> None:
    open_tab(page, "Overview")
    expect(
        page.get_by_role("heading", name=f"The run starting {long_date(days(0))}")
    ).to_be_visible()
    glance = page.locator(".glance > div").filter(has_text="Comments and replies")
    expect(glance.get_by_role("definition")).to_have_text(str(comments))
    for title in ("Step funnel", "Comments per step"):
        chart = page.get_by_role("region", name=title)
        expect(chart.get_by_role("img", name=title)).to_be_visible()
    expect(page.get_by_role("region", name="Comments per step")).to_contain_text(
        f"{comments} in all. The busiest step is 1.2, with {comments}."
    )
    expect(page.get_by_role("region", name="Step funnel")).to_contain_text(
        "2 visited the first step"
    )


def learner_sees_the_announcement(page: Page, learner) -> None:
    """Back in the learner's browser: the announcement is on their Activity page, beside the
    team's reply to their question, and in their email, with a one-click unsubscribe."""
    page.reload()  # the page they left on the step, which the header's count was drawn with
    page.get_by_role("navigation", name="Site").get_by_role(
        "link", name="Activity (2 unread)"
    ).click()
    expect(page.get_by_role("heading", name="Activity", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=f"Announcement: {SUBJECT}")).to_be_visible()
    expect(page.get_by_role("link", name="Dr Ana Lima replied to your comment")).to_be_visible()

    emails = [message for message in mail.outbox if message.to == [learner.email]]
    assert [message.subject for message in emails] == [f"Reading Data in the News: {SUBJECT}"]
    headers = emails[0].extra_headers
    assert re.fullmatch(
        r"<https?://[^>]+/announcements/unsubscribe/[^/>]+/>", headers["List-Unsubscribe"]
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_educator_runs_a_course_in_the_browser(
    page: Page, course, educator, learner, learners_ask, sign_in, check_page
):
    learner_context, learner_page = learners_ask(javascript=True)
    sign_in(page, educator)
    open_workspace(page, course)

    create_a_run(page)
    run = course.runs.get(starts_on=days(14))
    assert (run.release, run.joining_closes_on, run.conversation_closes_on) == (
        Release.ALL,
        days(20),
        days(60),
    )
    assert run.week_open_emails

    invite_a_mentor(page)
    assert TeamInvitation.objects.get().role == TeamRole.MENTOR
    assert mail.outbox[-1].to == ["mentor@example.org"]

    # The inbox: the question comes first, and is answered in place.
    open_tab(page, "Inbox")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.get_by_text("2 comments waiting in this run.")).to_be_visible()
    first = page.get_by_role("region", name="Waiting").get_by_role("listitem").first
    expect(first).to_contain_text(QUESTION)
    expect(first.get_by_text("Question", exact=True)).to_be_visible()
    item = inbox_item(page, "Lee Learner")
    item.get_by_label("Reply to Lee Learner").fill(ANSWER)
    item.get_by_role("button", name="Post reply to Lee Learner").click()
    answered = page.get_by_role("region", name="Waiting").get_by_role("status")
    expect(answered).to_have_text("Reply posted. See the thread")
    expect(inbox_item(page, "Robin Other")).to_be_visible()
    check_page(page, "journey-inbox-replied")

    # The thread shows the answer; the step's conversation offers the team a Pin button.
    answered.get_by_role("link", name="See the thread").click()
    expect(page.get_by_role("heading", name="Comment by Lee Learner", level=1)).to_be_visible()
    expect(page.get_by_role("article", name="Dr Ana Lima")).to_contain_text(ANSWER)
    page.get_by_role("link", name="Back to step 1.2: Step 1.2").click()
    asked = page.get_by_role("article", name="Lee Learner")
    expect(asked).to_contain_text(QUESTION)
    page.get_by_role("button", name="Pin the comment by Lee Learner").click()
    expect(asked.get_by_text("Pinned by the course team")).to_be_visible()
    expect(page.get_by_role("button", name="Unpin the comment by Lee Learner")).to_be_visible()

    # On the next look at the inbox, the question is no longer waiting; the remark still is.
    open_workspace(page, course)
    open_tab(page, "Inbox")
    expect(page.get_by_text("1 comment waiting in this run.")).to_be_visible()
    expect(inbox_item(page, "Lee Learner")).to_have_count(0)
    expect(inbox_item(page, "Robin Other")).to_be_visible()

    announce(page, learners=2)

    learner_sees_the_announcement(learner_page, learner)
    check_page(learner_page, "journey-activity")
    learner_page.get_by_role("link", name=f"Announcement: {SUBJECT}").click()
    expect(learner_page.get_by_role("heading", name=course.title, level=1)).to_be_visible()
    learner_context.close()

    read_the_dashboard(page, comments=3)
    check_page(page, "journey-overview")


def test_an_educator_runs_a_course_without_javascript(
    browser: Browser, course, educator, learner, learners_ask, sign_in
):
    learner_context, learner_page = learners_ask(javascript=False)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, educator)
    open_workspace(page, course)

    create_a_run(page)
    assert course.runs.filter(starts_on=days(14), release=Release.ALL).exists()

    invite_a_mentor(page)
    assert TeamInvitation.objects.get().email == "mentor@example.org"

    # Replying posts the plain form and comes back to the inbox, without the question.
    open_tab(page, "Inbox")
    item = inbox_item(page, "Lee Learner")
    item.get_by_label("Reply to Lee Learner").fill(ANSWER)
    item.get_by_role("button", name="Post reply to Lee Learner").click()
    expect(page.get_by_role("status")).to_have_text("Reply posted. See the thread")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(inbox_item(page, "Lee Learner")).to_have_count(0)
    expect(page.get_by_text("1 comment waiting in this run.")).to_be_visible()

    # Pinning, from the step's conversation, reached through the thread just answered.
    page.get_by_role("status").get_by_role("link", name="See the thread").click()
    page.get_by_role("link", name="Back to step 1.2: Step 1.2").click()
    expect(page.get_by_role("article", name="Dr Ana Lima")).to_contain_text(ANSWER)
    page.get_by_role("button", name="Pin the comment by Lee Learner").click()
    asked = page.get_by_role("article", name="Lee Learner")
    expect(asked.get_by_text("Pinned by the course team")).to_be_visible()
    expect(page.get_by_role("button", name="Unpin the comment by Lee Learner")).to_be_visible()

    # The remark needs no answer: marked as handled, it leaves the inbox.
    open_workspace(page, course)
    open_tab(page, "Inbox")
    inbox_item(page, "Robin Other").get_by_role("button", name="Mark as handled").click()
    expect(page.get_by_role("status")).to_have_text("Marked as handled. See the thread")
    expect(page.get_by_text("No comments are waiting for the team here.")).to_be_visible()
    expect(page.get_by_text("No step has comments waiting.")).to_be_visible()

    announce(page, learners=2)

    learner_sees_the_announcement(learner_page, learner)
    learner_context.close()

    read_the_dashboard(page, comments=3)
    page.get_by_role("region", name="Comments per step").get_by_text(
        "Comments per step: the numbers"
    ).click()
    table = page.get_by_role("table", name="Comments per step")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="1.2"))
    expect(row.get_by_role("cell")).to_have_text(["Step 1.2", "2", "1", "3"])
    context.close()
