"""Sharing steps and courses: share links, link-preview tags, and what a shared link opens."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from stoa.courses.models import CourseOrganisation, Organisation
from stoa.learning import services
from stoa.testing import HTMX, make_course, step_of

pytestmark = pytest.mark.django_db

HOSTILE = 'Say "hello" <script>alert(1)</script>'
SHARE_NAMES = [
    "Share by email",
    "Share on LinkedIn",
    "Share on Mastodon",
    "Share on X",
    "Share on Facebook",
]


class Parsed(HTMLParser):
    """The parts of a page these tests read, with attribute values unescaped as a browser
    (or a link-preview robot) reads them."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.scripts: list[str] = []
        self.inputs: dict[str, str] = {}
        self._href: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        key = attrs.get("property") or attrs.get("name") or ""
        if tag == "meta" and (key == "description" or key.startswith(("og:", "twitter:"))):
            assert key not in self.meta, f"{key} given twice"
            self.meta[key] = attrs["content"]
        elif tag == "script":
            self.scripts.append(attrs.get("src") or "")
        elif tag == "input" and "id" in attrs:
            self.inputs[attrs["id"]] = attrs.get("value", "")
        elif tag == "a":
            self._href, self._text = attrs.get("href"), ""

    def handle_data(self, data):
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links[" ".join(self._text.split())] = self._href
            self._href = None


def read(client, url: str) -> Parsed:
    response = client.get(url)
    assert response.status_code == 200
    return Parsed(response.content.decode())


@pytest.fixture
def hostile_course():
    """A course whose names would break out of an attribute if they were not escaped, made by
    two partners listed in their order on the course, not alphabetically."""
    course = make_course(title=HOSTILE)
    second = Organisation.objects.create(name='Alder "College" <i>')
    CourseOrganisation.objects.create(course=course, organisation=second, position=2)
    step = step_of(course, 1, 2)
    step.title = "Means & <medians>"
    step.body = (
        "## Why it matters\n\n"
        "The **mean** hides <b>outliers</b>. See [the chart](https://example.org).\n\n"
        + ("More words follow here. " * 20)
    )
    step.save()
    return course


# --- link previews ---


def test_a_step_carries_escaped_preview_tags_with_its_course_and_partners(client, hostile_course):
    step = step_of(hostile_course, 1, 2)
    response = client.get(step.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert '<i>"' not in html
    meta = Parsed(html).meta
    title = f"Means & <medians> · {HOSTILE}"
    description = (
        "The mean hides outliers. See the chart. "
        + "More words follow here. " * 6
        + f"From “{HOSTILE}”, a free online course by Harbour University"
        ' and Alder "College" <i>.'
    )
    assert meta == {
        "description": description,
        "og:type": "article",
        "og:site_name": "Stoa",
        "og:title": title,
        "og:description": description,
        "og:url": "http://testserver" + step.get_absolute_url(),
        "twitter:card": "summary",
        "twitter:title": title,
        "twitter:description": description,
    }
    # The body's part stays within 200 characters, cut after a whole sentence.
    assert len(description.split(" From “")[0]) <= 200


def test_a_course_page_carries_preview_tags_with_its_summary_and_partners(client, hostile_course):
    meta = read(client, hostile_course.get_absolute_url()).meta
    description = (
        "How to read the numbers in a news story. A free online course by Harbour University"
        ' and Alder "College" <i>.'
    )
    assert meta["og:title"] == meta["twitter:title"] == HOSTILE
    assert meta["description"] == meta["og:description"] == description
    assert meta["og:type"] == "website"
    assert meta["og:url"] == "http://testserver" + hostile_course.get_absolute_url()
    assert "og:image" not in meta  # a course has no image yet


def test_a_step_not_open_yet_shows_none_of_its_body_in_its_preview(client, course):
    step = step_of(course, 2, 1)  # week 2 of a run that started today
    step.body = "The answer to the test is 42."
    step.save()
    meta = read(client, step.get_absolute_url()).meta
    assert "42" not in meta["description"]
    assert meta["description"] == (
        "From “Reading Data in the News”, a free online course by Harbour University."
    )


def test_pages_without_their_own_preview_have_no_description(client):
    meta = read(client, reverse("courses:catalogue")).meta
    assert "description" not in meta and "og:title" not in meta


# --- share links ---


def test_a_step_offers_plain_share_links_to_its_public_address(client, course):
    step = step_of(course, 1, 2)
    address = "http://testserver" + step.get_absolute_url()
    page = read(client, step.get_absolute_url())
    links = {name: page.links[name] for name in SHARE_NAMES}
    assert parse_qs(urlsplit(links["Share on LinkedIn"]).query) == {"url": [address]}
    assert parse_qs(urlsplit(links["Share on Facebook"]).query) == {"u": [address]}
    assert parse_qs(urlsplit(links["Share on X"]).query) == {
        "url": [address],
        "text": ["Step 1.2 · Reading Data in the News"],
    }
    assert links["Share on Mastodon"].startswith("https://tootpick.org/#text=Step%201.2%20")
    email = parse_qs(links["Share by email"].removeprefix("mailto:?"))
    assert email["subject"] == ["Step 1.2 · Reading Data in the News"]
    assert address in email["body"][0]
    # Without JavaScript the address is there to copy.
    assert page.inputs["share-url"] == address


def test_share_links_load_no_third_party_script(client, course, learner):
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    for url in (step_of(course, 1, 2).get_absolute_url(), course.get_absolute_url()):
        scripts = read(client, url).scripts
        assert "/static/stoa/share.js" in scripts
        assert all(src.startswith("/static/") for src in scripts), scripts


def test_a_learner_shares_the_same_public_address(client, course, learner):
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    step = step_of(course, 1, 2)
    page = read(client, step.get_absolute_url())
    assert page.inputs["share-url"] == "http://testserver" + step.get_absolute_url()
    assert "Share this step" in client.get(step.get_absolute_url()).content.decode()


def test_a_shared_link_opens_the_step_for_a_visitor_with_the_invitation_to_join(
    client, course, learner
):
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    step = step_of(course, 1, 2)
    shared = read(client, step.get_absolute_url()).inputs["share-url"]
    client.logout()
    response = client.get(urlsplit(shared).path)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Want to keep learning?" in content
    assert "This step is taken from the course" in content
    assert f"{reverse('accounts:signup')}?next={course.get_absolute_url()}" in content
    assert "Body of step 1.2." in content


def test_completing_over_htmx_returns_no_share_links_or_tags(client, course, learner):
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    url = reverse("learning:complete", args=[course.slug, 1, 2])
    content = client.post(url, headers=HTMX).content.decode()
    assert "og:title" not in content and "Share this step" not in content


# --- in the browser ---


def step_address(live_server, course) -> str:
    return live_server.url + step_of(course, 1, 2).get_absolute_url()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_visitor_copies_a_step_link_and_hears_it_was_copied(
    live_server, browser: Browser, course, check_page
):
    address = step_address(live_server, course)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(address)
    expect(page.get_by_role("complementary", name="Want to keep learning?")).to_be_visible()

    share = page.get_by_role("region", name="Share this step")
    for name in SHARE_NAMES:
        expect(share.get_by_role("link", name=name)).to_be_visible()
    expect(share.get_by_role("link", name="Share on LinkedIn")).to_have_attribute(
        "href", re.compile(r"^https://www\.linkedin\.com/sharing/share-offsite/\?url=http")
    )
    expect(share.get_by_label("Link to share")).to_have_value(address)
    status = share.get_by_role("status")
    expect(status).to_have_text("")

    share.get_by_role("button", name="Copy link").click()
    expect(status).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == address
    check_page(page, "step-share")
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_link_to_share_is_in_a_field(live_server, browser: Browser, course):
    address = step_address(live_server, course)
    context = browser.new_context(java_script_enabled=False)
    page: Page = context.new_page()
    page.goto(address)
    share = page.get_by_role("region", name="Share this step")
    for name in SHARE_NAMES:
        expect(share.get_by_role("link", name=name)).to_be_visible()
    field = share.get_by_role("textbox", name="Link to share")
    expect(field).to_have_value(address)
    expect(field).to_have_attribute("readonly", "")
    expect(share.get_by_role("button", name="Copy link")).to_have_count(0)
    context.close()
