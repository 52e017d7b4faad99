"""Earning the demo course's certificate in Debian's Chromium: the last step, the progress
page, the verification page with its share links, and the PDF; axe at 390 and 1280 px."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from stoa.assessments.questions.services import answer_question
from stoa.certificates.models import Certificate
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Course.objects.get()


@pytest.fixture
def all_but_one_step(demo, learner):
    """The learner is one step short of the demo's Certificate of Achievement: every test
    question right, and one step fewer complete than 90% of the course's. Returns the article
    step whose completion crosses the line."""
    enrolment = learning.enrol(user=learner, course=demo)
    steps = list(
        Step.objects.filter(week__course=demo)
        .select_related("week__course")
        .order_by("week__number", "position")
    )
    for step in steps:
        if step.type == StepType.TEST:
            for question in step.questions.prefetch_related("options").order_by("position"):
                right = [option.position for option in question.options.all() if option.correct]
                answer_question(
                    user=learner, step=step, position=question.position, choices=right, attempt=1
                )
    needed = -(-90 * len(steps) // 100)
    articles = [step for step in steps if step.type == StepType.ARTICLE]
    last = articles[-1]
    others = [step for step in steps if step.type != StepType.TEST and step != last]
    for step in others[: needed - 2]:  # the test is complete already; `last` will be the last
        learning.complete_step(enrolment=enrolment, step=step)
    assert not Certificate.objects.filter(kind="achievement").exists()
    return last


def test_a_learner_completes_the_demo_course_and_downloads_the_certificate(
    live_server, page: Page, learner, all_but_one_step, sign_in, check_page
):
    sign_in(page, learner)
    page.goto(live_server.url + all_but_one_step.get_absolute_url())
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("status").filter(has_text="Completed")).to_be_visible()

    page.get_by_role("link", name="Progress").first.click()
    goals = page.get_by_role("region", name="Certificates")
    expect(goals).to_contain_text("Certificate of Achievement")
    check_page(page, "certificate-progress")
    goals.get_by_role("link", name="View your certificate").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of Achievement")
    expect(page.get_by_role("status").filter(has_text="Valid")).to_be_visible()
    expect(page.get_by_role("link", name="Add to LinkedIn profile")).to_be_visible()
    share = page.get_by_role("region", name="Share this certificate")
    for name in ("LinkedIn", "Facebook", "Mastodon", "X", "email"):
        expect(
            share.get_by_role("link", name=f"Share on {name}").or_(
                share.get_by_role("link", name=f"Share by {name}")
            )
        ).to_be_visible()
    check_page(page, "certificate-verify")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    path = download.value.path()
    assert path.read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.endswith(".pdf")

    page.goto(live_server.url + "/achievements/")
    expect(page.get_by_role("heading", name="Achievements")).to_be_visible()
    check_page(page, "achievements")


def test_a_visitor_checks_a_certificate_without_javascript(
    live_server, browser: Browser, learner, all_but_one_step
):
    enrolment = learning.enrol(user=learner, course=all_but_one_step.week.course)
    learning.complete_step(enrolment=enrolment, step=all_but_one_step)
    code = Certificate.objects.get(kind="achievement").code
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{live_server.url}/certificates/{code}/")

    expect(page.get_by_role("status").filter(has_text="Valid")).to_be_visible()
    expect(page.get_by_text(code).first).to_be_visible()
    expect(page.get_by_role("link", name="Download PDF")).to_have_count(0)
    expect(page.get_by_label("Link to share")).to_have_value(
        f"{live_server.url}/certificates/{code}/"
    )
    context.close()
