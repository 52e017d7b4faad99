"""Sharing a page: plain share links, LinkedIn's add-to-profile link, and the short plain-text
description that link previews show.

Every share link is an ordinary link to the network's own share page: no script, button widget
or tracking pixel of theirs is loaded, so nothing is sent to them until a person follows a link.
Used by stoa/templates/_share_links.html and _meta.html (through the `sharing` template tags),
on step, course and certificate pages.
"""

import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

# Mastodon has no central share page: each server has its own /share, and a link to one big
# server's would be wrong for most of the people who follow it. Tootpick is a single static page
# that asks which server (remembering the ones used before) and forwards there. It reads the
# text from the URL's fragment, which browsers never send to its server, so only the person's
# own server learns what is shared. It can be self-hosted by changing this address.
MASTODON_SHARE_PAGE = "https://tootpick.org/"

DESCRIPTION_LIMIT = 200


@dataclass(frozen=True)
class ShareLink:
    label: str  # the link's whole accessible name: "Share on LinkedIn"
    href: str
    kind: str  # "email", "linkedin", "mastodon", "x", "facebook": for styling and tests


def _query(**params: str) -> str:
    # %20 rather than +: mailto: bodies and fragments read + as a plus sign.
    return urlencode(params, quote_via=quote)


def share_links(url: str, title: str, text: str = "") -> list[ShareLink]:
    """Links that share `url` (absolute) under `title`. `text`, a line about it, goes in the
    email only: the networks' previews show the page's own description, and a post's words are
    the sharer's to write."""
    said = f"{title}: {text}" if text else title
    return [
        ShareLink(
            _("Share by email"),
            "mailto:?" + _query(subject=title, body=f"{said}\n\n{url}"),
            "email",
        ),
        ShareLink(
            _("Share on LinkedIn"),
            "https://www.linkedin.com/sharing/share-offsite/?" + _query(url=url),
            "linkedin",
        ),
        ShareLink(
            _("Share on Mastodon"),
            MASTODON_SHARE_PAGE + "#" + _query(text=f"{title} {url}"),
            "mastodon",
        ),
        ShareLink(_("Share on X"), "https://x.com/intent/post?" + _query(url=url, text=title), "x"),
        ShareLink(
            _("Share on Facebook"),
            "https://www.facebook.com/sharer/sharer.php?" + _query(u=url),
            "facebook",
        ),
    ]


def linkedin_add_to_profile_url(
    *,
    name: str,
    organisation: str,
    issued_on: datetime.date,
    certificate_url: str,
    certificate_id: str,
) -> str:
    """LinkedIn's "Add licence or certification" form, filled in: the person checks it and
    saves it to their profile (https://addtoprofile.linkedin.com)."""
    return "https://www.linkedin.com/profile/add?" + _query(
        startTask="CERTIFICATION_NAME",
        name=name,
        organizationName=organisation,
        issueYear=str(issued_on.year),
        issueMonth=str(issued_on.month),
        certUrl=certificate_url,
        certId=certificate_id,
    )


# Parsing only, never rendering: raw HTML becomes tokens of its own, which are left out.
_parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# A sentence ends at . ! ? or …, perhaps followed by a closing quote or bracket, then a space.
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]]*(?=\\s)")


@functools.lru_cache(maxsize=256)
def plain_excerpt(markdown_text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The opening of a Markdown text as plain text of at most `limit` characters: its first
    paragraphs' words without markup, headings, images, code blocks, tables or HTML tags, cut
    after the last whole sentence that fits (or, when even the first does not, after a word,
    with an ellipsis). Cached, as step pages render their body's description on every view."""
    paragraphs: list[str] = []
    length = 0
    in_paragraph = False
    for token in _parser.parse(markdown_text):
        if token.type == "paragraph_open":
            in_paragraph = True
        elif token.type == "paragraph_close":
            in_paragraph = False
        elif token.type == "inline" and in_paragraph and token.children:
            words = "".join(
                " " if child.type in {"softbreak", "hardbreak"} else child.content
                for child in token.children
                if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
            )
            paragraphs.append(words)
            length += len(words)
            if length > limit:
                break
    plain = " ".join(" ".join(paragraphs).split())
    if len(plain) <= limit:
        return plain
    sentences = [m.end() for m in _SENTENCE_END.finditer(plain, 0, limit + 1) if m.end() <= limit]
    if sentences:
        return plain[: sentences[-1]]
    cut = plain[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-\u2013\u2014") + "…"


def partners_phrase(partners: Sequence[str]) -> str:
    """ "University A, College B and University C" (translated "and")."""
    return str(get_text_list(list(partners), _("and")))


def course_description(summary: str, *, partners: Sequence[str]) -> str:
    """A course page's description: the opening of its summary, then who made it."""
    byline = (
        _("A free online course by %(partners)s.") % {"partners": partners_phrase(partners)}
        if partners
        else ""
    )
    return " ".join(part for part in (plain_excerpt(summary), byline) if part)


def step_description(body: str, *, course: str, partners: Sequence[str]) -> str:
    """A step page's description: the opening of its body (empty for a step not open to the
    reader, so that a preview shows nothing the page does not), then its course and makers."""
    if partners:
        byline = _("From “%(course)s”, a free online course by %(partners)s.") % {
            "course": course,
            "partners": partners_phrase(partners),
        }
    else:
        byline = _("From “%(course)s”, a free online course.") % {"course": course}
    return " ".join(part for part in (plain_excerpt(body), byline) if part)
