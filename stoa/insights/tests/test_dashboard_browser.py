"""The Overview's dashboard and the Learners tab in Debian's Chromium: axe at phone and
desktop widths, a screenshot of the page and of each chart, the numbers behind each chart
opened by keyboard, and the pages whole without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from stoa.courses.models import CourseTeamMember
from stoa.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = [
    "Joiners per day",
    "Active learners per week",
    "Step funnel",
    "Comments per step",
    "Right at the first try",
    "Certificates issued",
]


def test_an_educator_reads_the_dashboard(
    live_server,
    page: Page,
    busy_course,
    educator,
    sign_in,
    check_page,
):
    course, _run, _test = busy_course
    CourseTeamMember.objects.filter(user=educator).update(course=course)
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/")
    page.get_by_role("link", name=course.title).click()
    expect(page.get_by_role("heading", name=course.title, level=1)).to_be_visible()
    for title in CHARTS:
        chart = page.get_by_role("region", name=title)
        expect(chart.get_by_role("img", name=title)).to_be_visible()
    check_page(page, "dashboard")
    page.set_viewport_size({"width": 1280, "height": 900})
    for title in CHARTS:
        slug = title.lower().replace(" ", "-")
        page.get_by_role("region", name=title).locator("figure").screenshot(
            path=f"test-output/screenshots/dashboard-chart-{slug}.png"
        )

    # The numbers behind a chart open from the keyboard.
    funnel = page.get_by_role("region", name="Step funnel")
    funnel.get_by_text("Step funnel: the numbers").focus()
    page.keyboard.press("Enter")
    table = funnel.get_by_role("table", name="Step funnel")
    expect(table.get_by_role("row").nth(1)).to_contain_text("1.1")
    check_page(page, "dashboard-numbers")

    with page.expect_download() as download:
        funnel.get_by_role("link", name="Download “Step funnel” as CSV").click()
    assert download.value.suggested_filename.endswith("_funnel.csv")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Learners").click()
    expect(page.get_by_role("heading", name="Learners", level=1)).to_be_visible()
    check_page(page, "learners")
    page.goto(f"{live_server.url}/teach/")
    check_page(page, "teach")


def test_the_dashboard_without_javascript(
    live_server,
    browser: Browser,
    busy_course,
    educator,
):
    course, _run, _test = busy_course
    CourseTeamMember.objects.filter(user=educator).update(course=course)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill(educator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/teach/{course.slug}/")
    for title in CHARTS:
        expect(
            page.get_by_role("region", name=title).get_by_role("img", name=title)
        ).to_be_visible()
    page.get_by_role("region", name="Comments per step").get_by_text(
        "Comments per step: the numbers"
    ).click()
    expect(page.get_by_role("table", name="Comments per step")).to_be_visible()
    page.get_by_label("Run", exact=True).select_option(index=0)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=course.title, level=1)).to_be_visible()
    context.close()
