"""The Team tab in Debian's Chromium: a lead educator invites people, with axe at phone and
desktop widths, and the same without JavaScript."""

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from stoa.courses.models import CourseTeamMember, TeamInvitation, TeamRole
from stoa.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_educator_invites_a_new_address_and_an_account(
    live_server, page: Page, course, educator, outsider, sign_in, check_page
):
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/{course.slug}/")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    check_page(page, "team")

    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("new@example.org")
    invite.get_by_label("Role").select_option(label="Mentor")
    invite.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_have_text(
        "An invitation is on its way to new@example.org."
    )
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations.get_by_role("rowheader", name="new@example.org")).to_be_visible()
    assert TeamInvitation.objects.get().role == TeamRole.MENTOR
    assert mail.outbox[-1].to == ["new@example.org"]

    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill(outsider.email)
    invite.get_by_label("Role").select_option(label="Educator")
    invite.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_have_text("Olu Outsider is on the team now, as Educator.")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("rowheader", name="Olu Outsider")).to_be_visible()
    check_page(page, "team-invited")

    page.get_by_role("button", name="Cancel invitation to new@example.org").click()
    expect(page.get_by_role("status")).to_contain_text("withdrawn")
    assert not TeamInvitation.objects.exists()


def test_inviting_changing_and_removing_without_javascript(
    live_server, browser: Browser, course, educator, outsider
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill(educator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/teach/{course.slug}/team/")
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill(outsider.email)
    invite.get_by_label("Role").select_option(label="Mentor")
    invite.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_contain_text("Olu Outsider is on the team now")

    page.get_by_label("Role of Olu Outsider").select_option(label="Host")
    page.get_by_role("button", name="Change role of Olu Outsider").click()
    expect(page.get_by_role("status")).to_have_text("Olu Outsider is Host now.")
    assert CourseTeamMember.objects.get(user=outsider).role == TeamRole.HOST

    page.get_by_role("button", name="Remove Dr Ana Lima").click()
    expect(page.get_by_role("status")).to_contain_text("only lead educator")

    page.get_by_role("button", name="Remove Olu Outsider").click()
    expect(page.get_by_role("status")).to_have_text("Olu Outsider is off the team.")
    assert not CourseTeamMember.objects.filter(user=outsider).exists()
    context.close()
