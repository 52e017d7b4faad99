"""Stored XSS: hostile comments posted through the real form must never come back as active
HTML, on the step page, on the comment's own page, in the edit form or in htmx responses."""

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from stoa.conversation.comments import services
from stoa.conversation.models import Comment
from stoa.lib.markdown import COMMENT_TAGS
from stoa.testing import HTMX, comments_url, make_comment, step_url

pytestmark = pytest.mark.django_db

PAYLOADS = [
    # script
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\x20type='text/javascript'>alert(1);</script>",
    "</p><script>alert(1)</script><p>",
    "`<script>alert(1)</script>`",
    "    <script>alert('indented code')</script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=# onmouseover=\"alert('xss')\">",
    "<body onload=alert(1)>",
    "<div onclick=alert(1)>click</div>",
    '<a href="https://example.org" onmouseover="alert(1)">hover</a>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<p/onmouseover=alert(1)>x</p>",
    # javascript:, data: and vbscript: links
    '<a href="javascript:alert(1)">x</a>',
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[click me](  javascript:alert(1))",
    "[click me](java\tscript:alert(1))",
    "[click me](javascript&colon;alert(1))",
    "[click me](&#106;avascript:alert(1))",
    "[click me](%6a%61%76%61script:alert(1))",
    "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click me](vbscript:msgbox(1))",
    "[a](<javascript:alert(1)>)",
    "[ref link][x]\n\n[x]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<https://example.org/"onmouseover="alert(1)>',
    "![img](javascript:alert(1))",
    '![x](https://example.org/x.png"onerror="alert(1))',
    '[x](https://example.org/" onclick="alert(1))',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # CSS
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>body{background:red}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # frames and objects
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    # broken and unclosed markup
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)"',
    "<<script>alert(1)//<</script>",
    "<div <script>alert(1)</script>>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<p>unclosed <em>emphasis <strong>and more",
    # entity-encoded tricks
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\<script\\>alert(1)\\</script\\>",
    # nested quotes and markdown around markup
    "> <script>alert(1)</script>",
    "> > [x](javascript:alert(1))",
    "- <img src=x onerror=alert(1)>\n- [x](javascript:alert(1))",
    "*<img src=x onerror=alert(1)>*",
    "**[x](javascript:alert(1))**",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "{{ request.user.password }} {% debug %}",
]

DANGEROUS_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base",
    "form", "input", "img", "video", "source", "frame", "frameset", "applet", "details",
}  # fmt: skip
# Never in the main content of these pages, comment or not (the page has its own forms).
ACTIVE_ANYWHERE = {
    "script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base",
    "frame", "frameset", "applet", "img",
}  # fmt: skip
BAD_SCHEMES = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


class BodyChecker(HTMLParser):
    """Collects what is wrong inside the comment bodies of a page, and anywhere in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside a comment body
        self.bodies = 0
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"} and (
                value and BAD_SCHEMES.match(value)
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in {"style", "srcdoc"}:
                self.problems.append(f"<{tag} {name}=...>")
        if self.depth:
            if tag in DANGEROUS_TAGS or tag not in COMMENT_TAGS:
                self.problems.append(f"<{tag}> in a comment body")
            if names - {"href", "rel"}:
                self.problems.append(f"<{tag} {names}> in a comment body")
            if tag not in {"br"}:
                self.depth += 1
        elif tag == "div" and "comment__body" in (dict(attrs).get("class") or ""):
            self.depth, self.bodies = 1, self.bodies + 1
        elif tag in ACTIVE_ANYWHERE:
            self.problems.append(f"<{tag}> on the page")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in {"br"}:
            self.depth -= 1


def problems_in(html: str) -> tuple[int, list[str]]:
    checker = BodyChecker()
    checker.feed(html)
    checker.close()
    return checker.bodies, checker.problems


def main_of(html: str) -> str:
    """The page's main content: the site's own scripts and forms live outside it."""
    return html[html.index('<main id="main"') : html.index("</main>")]


@pytest.fixture(autouse=True)
def no_posting_limit(monkeypatch):
    """The posting rate limit is not what these tests are about."""
    monkeypatch.setattr(
        services, "POSTS_PER_MINUTE", replace(services.POSTS_PER_MINUTE, limit=10**6)
    )
    monkeypatch.setattr(services, "POSTS_PER_DAY", replace(services.POSTS_PER_DAY, limit=10**6))


@pytest.fixture
def posted(client, course, learner, enrolled):
    """Every payload posted through the real form, by a learner on the course."""
    client.force_login(learner)
    for payload in PAYLOADS:
        response = client.post(comments_url("post", course), {"body": payload})
        assert response.status_code == 302, payload
    assert Comment.objects.count() == len(PAYLOADS)
    return Comment.objects.order_by("pk")


def test_there_are_at_least_50_payloads():
    assert len(PAYLOADS) >= 50


def test_no_payload_renders_as_active_html_on_the_step_page(client, course, posted):
    bodies, problems, next_url = 0, [], step_url(course)
    while next_url:
        html = client.get(next_url).content.decode()
        counted, found = problems_in(main_of(html))
        bodies, problems = bodies + counted, problems + found
        more = re.search(r'href="([^"]*after=[^"#]*)', html)
        next_url = more.group(1).replace("&amp;", "&") if more else None
    assert bodies == len(PAYLOADS)
    assert problems == []


def test_no_payload_renders_as_active_html_on_its_own_page_or_in_htmx_parts(
    client, course, posted, other_learner
):
    for comment in posted:
        own_page = client.get(comments_url("comment", course, comment.pk)).content.decode()
        part = client.get(
            comments_url("comment", course, comment.pk), headers=HTMX
        ).content.decode()
        edit = client.get(comments_url("edit", course, comment.pk), headers=HTMX).content.decode()
        for html in (main_of(own_page), part, edit):
            assert problems_in(html)[1] == [], comment.body
    client.force_login(other_learner)
    response = client.post(comments_url("post", course), {"body": PAYLOADS[0]}, headers=HTMX)
    assert problems_in(response.content.decode())[1] == []


def test_the_text_typed_is_kept_as_text(client, course, posted):
    edit = client.get(comments_url("edit", course, posted[0].pk)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in edit
    assert "{{ request.user.password }}" in client.get(step_url(course)).content.decode()


def test_the_checker_sees_active_html_when_there_is_some():
    body = '<div class="comment__body"><p onclick="x">a</p><a href=" JavaScript:x">b</a>%s</div>'
    for inner in ("<script>x</script>", "<svg></svg>", "<span style='x'>c</span>", "<img>"):
        assert len(problems_in(body % inner)[1]) >= 3, inner
    assert problems_in('<iframe src="https://example.org"></iframe>')[1]


def test_hostile_names_and_reasons_stay_text(client, course, learner, other_learner, enrolled):
    hostile = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    for person in (learner, other_learner):
        person.display_name = hostile
        person.save()
    mine = make_comment(learner, course, "Mine")
    make_comment(other_learner, course, "Theirs", parent=mine)
    Comment.objects.filter(pk=mine.pk).update(hidden_at=timezone.now(), hidden_reason=hostile)
    client.force_login(learner)
    for html in (
        client.get(step_url(course)).content.decode(),
        client.get(comments_url("comment", course, mine.pk)).content.decode(),
        client.get(step_url(course) + "?filter=mine").content.decode(),
    ):
        assert problems_in(main_of(html))[1] == []
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
