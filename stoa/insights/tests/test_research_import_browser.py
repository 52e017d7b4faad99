"""The workspace's import page in Debian's Chromium: an educator imports a run's files and
reads the report, then sends a broken file and reads why nothing was imported; axe-core at
phone and desktop widths on the form, the report and the errors."""

import pytest
from playwright.sync_api import FilePayload, Page, expect

from stoa.insights.research.schema import DATASETS
from stoa.learning.models import Enrolment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANA = "0c0c0c0c-0000-4000-8000-000000000001"


def csv_file(name: str, header, rows) -> FilePayload:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    text = "\n".join(lines) + "\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_an_educator_imports_a_run_and_reads_the_report(
    live_server, page: Page, course, educator, sign_in, check_page
):
    enrolments = csv_file(
        "reading-data_enrolments.csv",
        DATASETS["enrolments"],
        [[ANA, "2026-01-01 10:00:00 UTC", "", "learner", "", "", *["Unknown"] * 6, ""]],
    )
    activity = csv_file(
        "reading-data_step-activity.csv",
        DATASETS["step-activity"],
        [
            [ANA, "1.1", "1", "1", "2026-01-02 10:00:00 UTC", ""],
            [ANA, "7.1", "7", "1", "2026-01-02 11:00:00 UTC", ""],
        ],
    )
    sign_in(page, educator)
    page.goto(f"{live_server.url}/teach/{course.slug}/data/import/")
    expect(page.get_by_role("heading", name="Import research data", level=1)).to_be_visible()
    check_page(page, "research-import")

    page.get_by_label("Dataset files").set_input_files([enrolments, activity])
    page.get_by_role("button", name="Import").click()
    report = page.get_by_role("status")
    expect(report.get_by_role("heading", name="Imported into the run starting")).to_be_visible()
    expect(report.get_by_role("row", name="enrolments")).to_contain_text("1")
    expect(report).to_contain_text("on a step this course does not have (7.1)")
    check_page(page, "research-import-report")
    assert Enrolment.objects.filter(run__course=course).count() == 1

    broken = csv_file(
        "reading-data_step-activity.csv",
        DATASETS["step-activity"],
        [[ANA, "1.2", "1", "2", "soon", ""]],
    )
    page.get_by_label("Dataset files").set_input_files([broken])
    page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(alert).to_contain_text("reading-data_step-activity.csv:2: first_visited_at")
    check_page(page, "research-import-errors")
