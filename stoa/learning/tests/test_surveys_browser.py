"""The research data's questions and the player's reports in Debian's Chromium: a learner
answers why they leave, how the week was (with and without JavaScript), what brings them and
who they are (the profile's "About you"), each form axe-core clean at both widths; a video
step reports its views and milestones."""

import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from stoa.accounts.models import LearnerProfile
from stoa.courses.models import Course, Step
from stoa.learning import services
from stoa.learning.models import (
    ArchetypeResponse,
    LeavingResponse,
    SentimentResponse,
    StepCompletion,
    VideoTally,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path):
    """The demo course, as `make run` serves it: its run started two weeks ago."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Course.objects.get()


def steps_of(course: Course, **filters):
    return (
        Step.objects.select_related("week__course")
        .filter(week__course=course, **filters)
        .order_by("week__number", "position")
    )


def test_a_learner_says_why_they_leave(live_server, page: Page, demo, learner, sign_in, check_page):
    enrolment = services.enrol(user=learner, course=demo)
    first = steps_of(demo).first()
    services.complete_step(enrolment=enrolment, step=first)
    sign_in(page, learner)
    page.goto(live_server.url + demo.get_absolute_url())

    page.get_by_text("Leave this course").click()
    question = page.get_by_role("group", name="Why are you leaving?")
    expect(question).to_be_visible()
    check_page(page, "leaving-survey")
    question.get_by_label("The course was too hard").check()
    page.get_by_role("button", name="Leave the course").click()

    expect(page.get_by_text(f"You have left {demo.title}.")).to_be_visible()
    answer = LeavingResponse.objects.get()
    assert (answer.reason, answer.last_completed_step_id) == ("The course was too hard", first.pk)
    completion = StepCompletion.objects.get(enrolment=enrolment, step=first)
    assert answer.last_completed_step_at == completion.completed_at


def test_a_learner_says_how_the_week_was_in_place(
    live_server, page: Page, demo, learner, sign_in, check_page
):
    services.enrol(user=learner, course=demo)
    last_of_week_one = steps_of(demo, week__number=1).last()
    sign_in(page, learner)
    page.goto(live_server.url + last_of_week_one.get_absolute_url())

    question = page.get_by_role("group", name="How was week 1 for you?")
    expect(question).to_be_visible()
    check_page(page, "week-question")
    question.get_by_label("Good", exact=True).check()
    page.get_by_label("Why?").fill("The charts made it click.")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("status").filter(has_text="Thank you for your answer.")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_have_count(0)
    answer = SentimentResponse.objects.get()
    assert (answer.week, answer.rating, answer.reason) == (1, 3, "The charts made it click.")
    check_page(page, "week-question-answered")
    page.reload()
    expect(page.get_by_text("Thank you for your answer.")).to_be_visible()
    expect(page.get_by_role("group", name="How was week 1 for you?")).to_have_count(0)


def test_the_weekly_question_works_without_javascript(
    live_server, browser: Browser, demo, learner, sign_in
):
    services.enrol(user=learner, course=demo)
    last_of_week_two = steps_of(demo, week__number=2).last()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, learner)
    page.goto(live_server.url + last_of_week_two.get_absolute_url())

    page.get_by_role("group", name="How was week 2 for you?").get_by_label("Not good").check()
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_url(re.compile(r"#week-question$"))
    expect(page.get_by_text("Thank you for your answer.")).to_be_visible()
    assert SentimentResponse.objects.get().rating == 1
    context.close()


def test_joining_asks_what_brings_the_learner(
    live_server, page: Page, demo, learner, sign_in, check_page
):
    sign_in(page, learner)
    page.goto(live_server.url + demo.get_absolute_url())
    page.get_by_role("button", name="Join course").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Before you start")
    question = page.get_by_role("group", name="What brings you to this course?")
    check_page(page, "joining-question")
    question.get_by_label("I love learning new things").check()
    page.get_by_role("button", name="Answer and start").click()

    first = steps_of(demo).first()
    expect(page.get_by_text(f"Week 1 · Step {first.number}")).to_be_visible()
    assert ArchetypeResponse.objects.get().archetype == "Explorers"


def wait_for(read, expected, *, seconds=15.0):
    """What read() returns once it equals expected, or its last value after `seconds`: the
    beacons are sent in the background."""
    deadline = time.monotonic() + seconds
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


def test_a_video_step_reports_its_view_and_milestones(
    live_server, page: Page, demo, learner, sign_in
):
    services.enrol(user=learner, course=demo)
    video = steps_of(demo, type="video").first()
    sign_in(page, learner)
    page.goto(live_server.url + video.get_absolute_url())
    player = page.locator("video#player")
    expect(player).to_have_js_property("readyState", 4, timeout=10_000)
    height = player.evaluate("video => video.videoHeight")

    page.get_by_role("link", name=re.compile(r"^Skip to \d")).first.click()  # plays: a view
    # To the end at 16 times the speed, through every milestone: Chromium finds the demo's
    # WebM files unseekable (video.seekable is empty), so a jump near the end starts again.
    player.evaluate("video => { video.playbackRate = 16; }")
    page.wait_for_function("() => document.querySelector('#player').ended", timeout=20_000)
    with page.expect_download():
        page.get_by_role("link", name="Download the video").click()
    page.goto(live_server.url + demo.get_absolute_url())  # pagehide sends what is waiting

    fields = (
        "views",
        "desktop_views",
        "reached_5",
        "reached_10",
        "reached_25",
        "reached_50",
        "reached_75",
        "reached_95",
        "reached_100",
        "transcript_views",
        "downloads",
        "hd_views",
        "europe_views",
    )
    expected = (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 if height >= 720 else 0, 0)

    def figures():
        return VideoTally.objects.filter(step=video).values_list(*fields).first()

    assert wait_for(figures, expected) == expected
    # The default captions track shows while the video plays: counted once for the view.
    assert VideoTally.objects.get(step=video).caption_views == 1


def test_a_learner_tells_about_themselves_on_their_profile(
    live_server, page: Page, learner, sign_in, check_page
):
    sign_in(page, learner)
    page.goto(f"{live_server.url}/accounts/profile/")

    about = page.get_by_role("region", name="About you")
    expect(about).to_contain_text("under a pseudonym")
    about.get_by_label("Country you live in").select_option(label="New Zealand")
    about.get_by_label("Age").select_option(label="Prefer not to say")
    check_page(page, "profile-about-you")
    about.get_by_role("button", name="Save answers").click()

    expect(page.get_by_text("Your answers about you are saved.")).to_be_visible()
    expect(page.get_by_label("Country you live in")).to_have_value("NZ")
    profile = LearnerProfile.objects.get(user=learner)
    assert (profile.country, profile.age_range, profile.gender) == ("NZ", "prefer_not_to_say", "")
