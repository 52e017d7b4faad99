"""The team's inbox and pinning in Debian's Chromium, with axe at phone and desktop widths:
an educator answers a learner's question from the inbox, in place, then pins a comment."""

import pytest
from playwright.sync_api import Page, expect

from stoa.conversation.comments import services as conversation
from stoa.conversation.models import Comment
from stoa.testing import step_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_educator_answers_a_question_from_the_inbox_and_pins_a_comment(
    live_server, page: Page, course, enrolled, learner, educator, sign_in, check_page
):
    step, run = step_of(course, 1, 2), course.runs.get()
    question = conversation.post_comment(
        author=learner, step=step, run=run, text="Why does the axis start at 40?"
    )
    conversation.post_comment(author=learner, step=step, run=run, text="A later remark.")
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/{course.slug}/inbox/")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.get_by_text("2 comments waiting in this run.")).to_be_visible()
    check_page(page, "inbox")

    item = page.locator(f"#inbox-item-{question.pk}")
    expect(item.get_by_text("Question")).to_be_visible()
    item.get_by_label("Reply to Lee Learner").fill("It is cut on purpose; see the note.")
    item.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply posted.")
    assert Comment.objects.filter(parent=question, author=educator).exists()
    assert not Comment.objects.get(pk=question.pk).waiting

    page.goto(live_server.url + step.get_absolute_url())
    page.locator(f"#pin-{question.pk}").click()
    pinned = page.locator(f"#comment-{question.pk}")
    expect(pinned.get_by_text("Pinned by the course team")).to_be_visible()
    expect(page.locator(f"#unpin-{question.pk}")).to_be_visible()
    check_page(page, "step-pinned")
