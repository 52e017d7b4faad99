import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from stoa.accounts.models import User
from stoa.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def site_nav(page: Page):
    return page.get_by_role("navigation", name="Site")


def test_visitor_signs_up_signs_out_and_signs_in_again(live_server, page: Page, check_page):
    page.goto(live_server.url)
    site_nav(page).get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    check_page(page, "accounts-signup")

    page.get_by_label("Email address").fill("lin@example.org")
    page.get_by_label("Display name").fill("Lin Wei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(site_nav(page).get_by_role("link", name="Lin Wei")).to_be_visible()
    expect(page.get_by_text("Welcome to Stoa, Lin Wei.")).to_be_visible()
    assert User.objects.get(email="lin@example.org").password.startswith("argon2")

    site_nav(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    site_nav(page).get_by_role("link", name="Sign in").click()
    check_page(page, "accounts-signin")
    page.get_by_label("Email address").fill("LIN@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(site_nav(page).get_by_role("link", name="Lin Wei")).to_be_visible()


def test_sign_up_errors_are_announced_and_linked_to_their_fields(
    live_server, page: Page, check_page
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email address").fill("lin@example.org")
    page.get_by_label("Display name").fill("Lin Wei")
    page.get_by_label("Password").fill("12345678")
    page.get_by_role("button", name="Create account").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("This password is too common.")
    expect(page.get_by_label("Email address")).to_have_value("lin@example.org")
    expect(page.get_by_label("Password")).to_have_value("")
    check_page(page, "accounts-signup-errors")
    summary.get_by_role("link", name="This password is too common.").click()
    expect(page.get_by_label("Password")).to_be_focused()


def test_learner_who_forgot_their_password_resets_it_by_email(
    live_server, page: Page, check_page, learner
):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password").fill("not-it-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    check_page(page, "accounts-signin-errors")

    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    check_page(page, "accounts-password-reset")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page, "accounts-password-reset-done")

    link = re.search(r"http://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check_page(page, "accounts-password-reset-confirm")
    page.get_by_label("New password", exact=True).fill("lanterns-over-the-water")
    page.get_by_label("New password again").fill("lanterns-over-the-water")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is reset")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password").fill("lanterns-over-the-water")
    page.get_by_role("button", name="Sign in").click()
    expect(site_nav(page).get_by_role("link", name="Lee Learner")).to_be_visible()


def test_learner_edits_their_profile(live_server, page: Page, check_page, learner):
    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/signin/\?next=/accounts/profile/$"))
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    page.get_by_label("Bio").fill("Engines and notes.")
    expect(page.get_by_text("(18 used)")).to_be_visible()
    page.get_by_label("Display name").fill("Lee Lovelace")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(site_nav(page).get_by_role("link", name="Lee Lovelace")).to_be_visible()
    check_page(page, "accounts-profile")
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    check_page(page, "accounts-password-change")
