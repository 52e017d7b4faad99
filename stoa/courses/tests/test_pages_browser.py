import pytest
from playwright.sync_api import Page, expect

from stoa.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_browses_the_catalogue_to_a_course(live_server, page: Page, course, check_page):
    page.goto(live_server.url)
    check_page(page, "catalogue")
    page.get_by_role("link", name="Reading Data in the News").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading Data in the News")
    expect(page.get_by_text("Harbour University").first).to_be_visible()
    check_page(page, "course-page")


def test_admin_signs_in_to_django_admin(live_server, page: Page, admin_user):
    page.goto(f"{live_server.url}/admin/")
    # The admin sends staff to Stoa's own sign-in page, and back once they are signed in.
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Courses").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/courses/course/")
    expect(page.get_by_role("heading", name="Select course to change")).to_be_visible()
