"""Markdown to safe HTML: CommonMark (with tables) for steps, a small subset for comments.

Raw HTML is never trusted: markdown-it escapes it, and nh3 then removes anything outside an
allow-list, so a bug in either layer alone does not let script through.
"""

import functools
from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

STEP_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
COMMENT_TAGS = {"a", "br", "code", "em", "li", "ol", "p", "strong", "ul"}
URL_SCHEMES = {"http", "https", "mailto"}
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}


def _adapt_step_tokens(state: StateCore) -> None:
    """Fits package Markdown into a step page.

    The page's own title is its only h1, so "# Heading" becomes h2; table alignment becomes a
    class because the Content Security Policy forbids inline styles; links and images to the
    package's media/ folder point at media storage.
    """
    media_urls: Mapping[str, str] = state.env.get("media_urls", {})
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"} and token.tag == "h1":
            token.tag = "h2"
        elif token.type in {"th_open", "td_open"}:
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))
        for child in token.children or ():
            for attr in ("src", "href"):
                value = child.attrGet(attr)
                if isinstance(value, str) and value in media_urls:
                    child.attrSet(attr, media_urls[value])


_step_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_step_parser.core.ruler.push("stoa_step", _adapt_step_tokens)

# Comments: paragraphs, emphasis, links and lists. Headings, images, tables, code blocks and
# the rest stay as the plain text the learner typed.
_comment_parser = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "link", "list", "newline", "backticks", "autolink", "escape", "entity"]
)


def render_step_markdown(text: str, *, media_urls: Mapping[str, str] | None = None) -> str:
    """Renders a step body; `media_urls` maps package paths ("media/a.png") to their URLs."""
    return _render_step(text, tuple(sorted((media_urls or {}).items())))


# Step bodies change only on import, and every learner reads the same few: keep each
# rendering, keyed by the text itself, so a page view does not parse Markdown again.
@functools.lru_cache(maxsize=256)
def _render_step(text: str, media_urls: tuple[tuple[str, str], ...]) -> str:
    html = _step_parser.render(text, {"media_urls": dict(media_urls)})
    return nh3.clean(
        html,
        tags=STEP_TAGS,
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt", "title"},
            "ol": {"start"},
        },
        allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_comment_markdown(text: str) -> str:
    html = _comment_parser.render(text)
    return nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
    )
