"""Searching a course in Debian's Chromium: a result opens the step with the player at that
second, or without JavaScript on that paragraph of the transcript."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, Route, expect

from stoa.courses.models import Course, SearchEntry
from stoa.learning.search import clock_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHRASE = "calm questions"


@pytest.fixture
def seekable_media(page: Page, settings):
    """Media answered with byte ranges, as stoa.media.serve_media and production storage
    answer them: players seek only in media served so, and the live server answers media
    URLs itself (Django's LiveServerThread, with django.views.static.serve), whole."""

    def serve(route: Route) -> None:
        name = unquote(urlsplit(route.request.url).path).removeprefix(settings.MEDIA_URL)
        data = (Path(settings.MEDIA_ROOT) / name.lstrip("/")).read_bytes()
        headers = {"Accept-Ranges": "bytes", "Content-Type": "video/webm"}
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", route.request.headers.get("range", ""))
        if asked is None:
            route.fulfill(status=200, body=data, headers=headers)
            return
        start = int(asked[1])
        end = int(asked[2]) if asked[2] else len(data) - 1
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        route.fulfill(status=206, body=data[start : end + 1], headers=headers)

    page.route(re.compile(r".*/media/.*\.webm$"), serve)


@pytest.fixture
def demo(settings, tmp_path):
    """The demo course, as `make run` serves it (its import indexes it for search)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Course.objects.get()


def paragraph_saying(phrase: str) -> SearchEntry:
    return SearchEntry.objects.select_related("step__week").get(
        text__contains=phrase, start_ms__isnull=False
    )


def result_link(page: Page, entry: SearchEntry):
    name = f"Step {entry.step.number} · {clock_time(entry.start_ms)}: {entry.step.title}"
    return page.get_by_role("link", name=name)


def test_a_result_opens_the_step_with_the_player_at_that_second(
    live_server, page: Page, demo, check_page, seekable_media
):
    entry = paragraph_saying(PHRASE)
    page.goto(f"{live_server.url}/courses/{demo.slug}/search/")
    page.get_by_label("Search the steps and transcripts of this course").fill(f'"{PHRASE}"')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.locator("mark").first).to_have_text(re.compile("calm", re.IGNORECASE))
    check_page(page, "course-search")

    result_link(page, entry).click()
    expect(page).to_have_url(re.compile(rf"\?t=[\d.]+#t-{entry.start_ms}$"))
    player = page.locator("#player")
    expect(player).to_have_js_property("readyState", 4, timeout=10_000)
    page.wait_for_function(
        "s => Math.abs(document.querySelector('#player').currentTime - s) < 0.01",
        arg=entry.start_ms / 1000,
    )
    current = page.locator(".cue--current")
    expect(current).to_have_attribute("id", f"t-{entry.start_ms}")
    expect(current).to_contain_text(PHRASE)


def test_without_javascript_a_result_lands_on_the_paragraph(live_server, browser: Browser, demo):
    entry = paragraph_saying(PHRASE)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/courses/{demo.slug}/search/?q=%22{PHRASE}%22")
    result_link(page, entry).click()
    expect(page).to_have_url(re.compile(rf"#t-{entry.start_ms}$"))
    paragraph = page.locator(f"#t-{entry.start_ms}")
    expect(paragraph).to_contain_text(PHRASE)
    expect(paragraph).to_be_in_viewport()
    context.close()


def test_the_to_do_page_searches_the_course(live_server, page: Page, demo, learner, sign_in):
    from stoa.learning import services

    services.enrol(user=learner, course=demo)
    sign_in(page, learner)
    page.goto(f"{live_server.url}/courses/{demo.slug}/todo/")
    page.get_by_role("search").get_by_label("Search the steps and transcripts of this course").fill(
        PHRASE
    )
    page.get_by_role("button", name="Search").click()
    expect(result_link(page, paragraph_saying(PHRASE))).to_be_visible()
