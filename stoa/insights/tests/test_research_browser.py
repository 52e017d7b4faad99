"""The Data tab in Debian's Chromium: a member of the course team downloads a run's research
data as a ZIP, and the page is axe-clean at phone and desktop widths."""

import zipfile

import pytest
from playwright.sync_api import Page, expect

from stoa.insights.models import Pseudonym
from stoa.insights.research.schema import DATASETS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_team_downloads_a_run_s_research_data(
    live_server, page: Page, course, educator, enrolled, learner, sign_in, check_page, tmp_path
):
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/")
    page.get_by_role("link", name=course.title).click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Data").click()
    expect(page.get_by_role("heading", name="Research data", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=f"{course.slug}_comments.csv")).to_be_visible()
    check_page(page, "research-data")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download all (ZIP)").click()
    run = course.runs.get()
    assert download.value.suggested_filename == f"{course.slug}_run-{run.pk}.zip"
    saved = tmp_path / "data.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.namelist() == [f"{course.slug}_{dataset}.csv" for dataset in DATASETS]
        enrolments = archive.read(f"{course.slug}_enrolments.csv").decode().splitlines()
    pseudonym = str(Pseudonym.objects.get(course=course, user=learner).learner_id)
    assert len(enrolments) == 3 and enrolments[1].startswith(pseudonym + ",")
