"""The learner's journey in Debian's Chromium, with and without JavaScript."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from stoa.courses.models import Course, Step
from stoa.learning import services
from stoa.learning.models import StepCompletion
from stoa.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path):
    """The demo course, as `make run` serves it: its run started two weeks ago."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Course.objects.get()


def url_of(live_server, step: Step) -> str:
    return live_server.url + step.get_absolute_url()


def first_step(course: Course, **filters) -> Step:
    return (
        Step.objects.select_related("week__course")
        .filter(week__course=course, **filters)
        .order_by("week__number", "position")
        .first()
    )


def test_visitor_signs_up_joins_watches_completes_and_sees_progress(
    live_server, page: Page, demo, check_page
):
    article = first_step(demo, type="article")
    page.goto(url_of(live_server, article))
    banner = page.get_by_role("complementary", name="Want to keep learning?")
    expect(banner).to_contain_text("This step is taken from the course")
    expect(page.get_by_role("button", name="Mark as complete")).to_have_count(0)

    banner.get_by_role("link", name="Join course").click()
    page.get_by_label("Email address").fill("mo@example.org")
    page.get_by_label("Display name").fill("Mo Learner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.title)
    page.get_by_role("button", name="Join course").click()
    expect(page.get_by_text(f"You have joined {demo.title}.")).to_be_visible()

    video = first_step(demo, type="video")
    page.goto(url_of(live_server, video))
    expect(page.get_by_text(f"Week {video.week.number} · Step {video.number}")).to_be_visible()
    player = page.locator("video#player")
    expect(player).to_have_js_property("readyState", 4, timeout=10_000)
    cue = video.cues.order_by("position")[2]
    seconds = cue.start_ms / 1000
    page.get_by_role("link", name=re.compile(r"^Skip to 0 minutes and \d+ seconds$")).nth(2).click()
    page.wait_for_function(
        "s => Math.abs(document.querySelector('#player').currentTime - s) < 1.5", arg=seconds
    )
    expect(page.locator(".cue--current")).to_contain_text(cue.text[:30])

    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("status").filter(has_text="Completed")).to_be_visible()
    assert (
        StepCompletion.objects.filter(step=video, enrolment__user__email="mo@example.org").count()
        == 1
    )

    last_of_week_one = Step.objects.filter(week__course=demo, week__number=1).order_by("-position")[
        0
    ]
    page.goto(url_of(live_server, last_of_week_one))
    page.get_by_role("link", name=re.compile(r"^Next 2\.1 ")).click()
    expect(page.get_by_text("Week 2 · Step 2.1")).to_be_visible()

    page.goto(f"{live_server.url}/courses/{demo.slug}/todo/")
    row = page.get_by_role("listitem").filter(has_text=video.title)
    expect(row).to_contain_text("Completed")
    page.get_by_role("link", name="Progress").first.click()
    expect(page.get_by_text(f"(1 of {demo.step_count})").first).to_be_visible()


def test_completing_works_without_javascript(live_server, browser: Browser, demo, learner):
    services.enrol(user=learner, course=demo)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    article = first_step(demo, type="article")
    page.goto(url_of(live_server, article))
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("status").filter(has_text="Completed")).to_be_visible()
    assert StepCompletion.objects.filter(step=article, enrolment__user=learner).exists()
    page.get_by_role("button", name="Mark as not complete").click()
    expect(page.get_by_role("button", name="Mark as complete")).to_be_visible()
    context.close()


def test_every_page_type_is_accessible(live_server, page: Page, demo, learner, check_page):
    page.goto(live_server.url)
    check_page(page, "catalogue")
    page.goto(live_server.url + demo.get_absolute_url())
    check_page(page, "course-page")
    page.goto(url_of(live_server, first_step(demo, type="article")))
    check_page(page, "step-visitor")

    enrolment = services.enrol(user=learner, course=demo)
    services.complete_step(enrolment=enrolment, step=first_step(demo))
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for kind in ("video", "audio", "article", "discussion", "quiz", "test", "peer-review"):
        page.goto(url_of(live_server, first_step(demo, type=kind)))
        check_page(page, f"step-{kind}")
    page.goto(f"{live_server.url}/courses/{demo.slug}/todo/")
    check_page(page, "todo")
    page.goto(f"{live_server.url}/courses/{demo.slug}/progress/")
    check_page(page, "progress")
    page.goto(f"{live_server.url}/my-courses/")
    check_page(page, "my-courses")
