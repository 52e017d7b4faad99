"""Writing, previewing and sending an announcement in Debian's Chromium, with axe."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from stoa.testing import enrol_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_educator_previews_then_sends_an_announcement(
    live_server, page: Page, course, educator, learner, sign_in, check_page
):
    enrol_in(learner, course.runs.get())
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/{course.slug}/announcements/")
    page.get_by_role("link", name="Write an announcement").click()
    page.get_by_label("Subject").fill("Week 2 is open")
    page.get_by_label("Announcement").fill("See **the charts** <script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_role("region", name="Preview")
    expect(preview.get_by_role("heading", name="Week 2 is open")).to_be_visible()
    expect(preview.locator(".prose strong")).to_have_text("the charts")
    expect(page.get_by_label("Subject")).to_have_value("Week 2 is open")
    check_page(page, "announcement-preview")

    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your announcement is on its way.")).to_be_visible()
    row = page.get_by_role("row", name="Week 2 is open")
    expect(row).to_contain_text("1 of 1")
    expect(row).to_contain_text("Sent")
    check_page(page, "announcements")
    assert [m.to for m in mail.outbox] == [[learner.email]]
