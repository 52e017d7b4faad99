"""The conversation's HTML, built in Python rather than templates for speed."""

import datetime
from dataclasses import dataclass
from functools import cached_property
from html import escape

from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from stoa.conversation.comments.selectors import ShownComment
from stoa.lib.urls import reverse

# Built here rather than in templates for speed: a step page shows up to a hundred comments
# and replies, and Django's template engine spends about 0.3 ms on each (seventy variables,
# twenty conditions, an include per thread), and format_html's escaping of every argument
# half as much again. The bar is that a step with 100,000 comments serves 90% of the
# throughput of one with 10, so the 25 comments of a full page must cost little more than 10.
#
# How this stays safe: the markup is plain strings, and what goes into it is of three kinds.
# Numbers and fixed words (ids, counts, class names, dates) need no escaping. Text from people
# (display names, hidden reasons) and from the request (the return URL, the CSRF token, URLs
# with the course's slug) goes through escape() exactly once: per comment here, or once per
# page in Links. escape is the standard library's, as Django's is with the lazy-string check
# left out. body_html was sanitised by render_comment_markdown when it was written. The
# whole is marked safe once, at the end (SafeString, as mark_safe makes of a str). Never put
# a value of the second kind in unescaped.


@dataclass(frozen=True)
class Links:
    """What a comment's HTML needs from the page it is on."""

    comments_url: str  # the step's comments/; a comment's URL is comments/<id>/
    return_to: str  # where its forms return without JavaScript
    csrf_token: str
    report_url: str  # with "{}" in place of the comment's id
    reply_in_place: bool  # whether Reply opens a form in the thread (htmx) or its page
    # For those who may pin (Can.PIN): a comment's pinning URL with "{}" in place of its id,
    # to which "pin/" or "unpin/" is added; "" draws no pin buttons.
    pin_url: str = ""

    # The same, escaped for HTML once per page rather than once per comment.
    @cached_property
    def comments_url_html(self) -> str:
        return escape(self.comments_url)

    @cached_property
    def return_to_html(self) -> str:
        return escape(self.return_to)

    @cached_property
    def csrf_token_html(self) -> str:
        return escape(self.csrf_token)

    @cached_property
    def next_query_html(self) -> str:
        return escape(urlencode({"next": self.return_to}))

    @cached_property
    def timezone(self) -> datetime.tzinfo:
        return timezone.get_current_timezone()

    @cached_property
    def pin_url_html(self) -> tuple[str, str]:
        """The pinning URL before and after the comment's id."""
        before, _, after = self.pin_url.partition("{}")
        return escape(before), escape(after)

    @cached_property
    def report_url_html(self) -> tuple[str, str]:
        """The report URL before and after the comment's id."""
        before, _, after = self.report_url.partition("{}")
        return escape(before), escape(after)


def report_url(slug: str) -> str:
    # One reverse() per page rather than one per comment; the id is a stand-in.
    return reverse("moderation:report", args=[slug, 4242]).replace("/4242/", "/{}/")


def pin_url(slug: str) -> str:
    # As report_url: one reverse() per page.
    return reverse("inbox:pin", args=[slug, 4242]).replace("/4242/pin/", "/{}/")


def render_comments(
    items: list[ShownComment], links: Links, *, focus_first: bool = False, flat: bool = False
) -> None:
    """Renders each thread's comment and its replies (item.html, reply.html), and the thread
    as an item of the conversation's list (item.thread_html); flat for the filtered lists,
    where comments and replies stand alone."""
    for index, item in enumerate(items):
        item.html = comment_html(item, links, focus=focus_first and index == 0)
        closed = item.comment.is_deleted
        for reply in (*item.replies, *item.later_replies):
            reply.html = comment_html(reply, links, thread_closed=closed)
        item.thread_html = SafeString(_thread(item, links, flat=flat))


def _plural(count: int) -> str:
    return f"{count} repl{'y' if count == 1 else 'ies'}"


def _thread(item: ShownComment, links: Links, *, flat: bool) -> str:
    """A comment with its first replies, as one item of the conversation. In the filtered lists
    comments and replies stand alone, each with a line leading to its thread."""
    comment, key, url = item.comment, item.key, links.comments_url_html
    if not flat:
        return f'<li class="thread" id="thread-{key}">{item.html}{_replies(item, links)}</li>'
    context = ""
    if comment.parent_id:
        context = (
            f'<p class="thread__context">In reply to <a href="{url}{comment.parent_id}/">'
            f"{escape(comment.parent_author_name or '')}</a></p>"
        )
    count = ""
    if comment.reply_count:
        count = (
            f'<p class="thread__context"><a href="{url}{key}/">'
            f"{_plural(comment.reply_count)}</a></p>"
        )
    return f'<li class="thread thread--flat" id="thread-{key}">{context}{item.html}{count}</li>'


def replies_html(item: ShownComment, links: Links) -> SafeString:
    """A thread's first replies, oldest first, and the place where a reply form opens."""
    return SafeString(_replies(item, links))


def _replies(item: ShownComment, links: Links) -> str:
    # On the step page the first few replies show and "Show all" loads the rest in place.
    key, url, count = item.key, links.comments_url_html, item.comment.reply_count
    listed = ""
    if item.replies or item.later_replies:
        shown = "".join(
            f'<li class="thread thread--reply" id="thread-{reply.key}">{reply.html}</li>'
            for reply in item.replies
        )
        if item.more_replies:
            shown += (
                f'<li class="replies__more"><a href="{url}{key}/" hx-get="{url}{key}/replies/" '
                f'hx-target="#reply-list-{key}" hx-swap="outerHTML">'
                f"Show all {count} replies</a></li>"
            )
        shown += "".join(
            f'<li class="thread thread--reply" id="thread-{reply.key}">{reply.html}</li>'
            for reply in item.later_replies
        )
        listed = f'<ol class="reply-list" id="reply-list-{key}">{shown}</ol>'
    return (
        f'<div class="replies" id="replies-{key}">'
        f'<p class="replies__count" id="reply-count-{key}">{_plural(count) if count else ""}</p>'
        f'{listed}<div class="replies__slot" id="reply-slot-{key}"></div></div>'
    )


def comment_html(
    item: ShownComment, links: Links, *, thread_closed: bool = False, focus: bool = False
) -> SafeString:
    comment, key = item.comment, item.key
    if comment.is_deleted:
        return SafeString(
            f'<article class="comment comment--deleted" id="comment-{key}" aria-label="Deleted '
            'comment"><p class="comment__deleted">This comment was deleted.</p></article>'
        )
    name = escape(comment.author_name)
    modifiers = (
        (" comment--following" if item.follows_author else "")
        + (" comment--team" if comment.team_role else "")
        + (" comment--hidden" if comment.is_hidden else "")
        + (" comment--pinned" if comment.pinned_at else "")
    )
    focused = ' tabindex="-1" autofocus' if focus else ""
    return SafeString(
        f'<article class="comment{modifiers}" id="comment-{key}" '
        f'aria-labelledby="comment-{key}-author"{focused}>'
        f"{_header(item, name, links)}{_note(item)}"
        # sanitised by render_comment_markdown when written
        f'<div class="comment__body">{comment.body_html}</div>'
        f'<footer class="comment__footer">{_likes(comment.like_count)}'
        f"{_actions(item, name, links, thread_closed=thread_closed)}{_pin(item, name, links)}"
        "</footer></article>"
    )


def _header(item: ShownComment, name: str, links: Links) -> str:
    comment, key = item.comment, item.key
    level = 4 if comment.parent_id else 3
    badges = ""
    if comment.pinned_at:
        badges += '<span class="badge badge--warn">Pinned by the course team</span>'
    if label := item.role_label:
        badges += f'<span class="badge badge--team">{escape(label)}</span>'
    if item.follows_author:
        badges += '<span class="badge badge--following">Following</span>'
    if comment.is_hidden:
        badges += '<span class="badge badge--hidden">Hidden</span>'
    created = comment.created_at.astimezone(links.timezone)
    return (
        f'<header class="comment__header"><h{level} class="comment__author" '
        f'id="comment-{key}-author">{name}</h{level}>{badges}'
        f'<span class="comment__meta"><a class="comment__time" '
        f'href="{links.comments_url_html}{key}/"><time datetime="{created.isoformat()}" '
        f'title="{created.day} {created:%B %Y, %H:%M}">{escape(item.posted_ago)}</time></a>'
        f"{' · edited' if comment.edited_at else ''}</span></header>"
    )


def _note(item: ShownComment) -> str:
    if item.shows_hidden_reason:
        return (
            '<p class="comment__note">Only you can see this comment: the course team hid it '
            f"from other learners. Their reason: {escape(item.comment.hidden_reason)}</p>"
        )
    if item.comment.is_hidden:
        return '<p class="comment__note">Hidden from learners by the course team.</p>'
    return ""


def _likes(count: int) -> str:
    if not count:
        return ""
    return f'<span class="comment__likes">{count:d} like{"" if count == 1 else "s"}</span>'


def _actions(item: ShownComment, name: str, links: Links, *, thread_closed: bool) -> str:
    """One form for the comment's buttons, each posting to its formaction (htmx follows the
    clicked button's formaction too); links for what opens a form."""
    if not (item.can_respond or item.can_edit or item.can_delete or item.can_report):
        return ""
    key = item.key
    url = f"{links.comments_url_html}{key}/"
    parts = ""
    if item.can_like:
        parts += _toggle(url, "like", key, item.liked, "Like", " action--like")
    if item.can_respond and not thread_closed:
        parts += _reply_link(item, links)
    if item.can_respond:
        parts += _toggle(url, "bookmark", key, item.bookmarked, "Bookmark")
    if item.can_follow:
        label = f'Follow<span class="visually-hidden"> {name}</span>'
        parts += _toggle(url, "follow", key, item.follows_author, label)
    for allowed, action, text in (
        (item.can_edit, "edit", "Edit"),
        (item.can_delete, "delete", "Delete"),
    ):
        if allowed:
            target = f"{url}{action}/?{links.next_query_html}"
            parts += (
                f'<a class="action" href="{target}" hx-get="{target}" hx-swap="outerHTML">'
                f"{text}</a>"
            )
    if item.can_report:
        before, after = links.report_url_html
        parts += f'<a class="action action--quiet" href="{before}{key}{after}">Report</a>'
    return (
        f'<form class="comment__actions" method="post" action="{url}like/" '
        f'hx-post="{url}like/" hx-target="#comment-{key}" hx-swap="outerHTML">'
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{links.csrf_token_html}">'
        f'<input type="hidden" name="next" value="{links.return_to_html}">{parts}</form>'
    )


def _pin(item: ShownComment, name: str, links: Links) -> str:
    """Pin or Unpin, for those who may pin, on a live comment that starts a thread: a form of
    its own, posted without htmx, since pinning reorders the conversation."""
    comment = item.comment
    if not links.pin_url or comment.parent_id or not item.is_live:
        return ""
    before, after = links.pin_url_html
    action, label = ("unpin", "Unpin") if comment.pinned_at else ("pin", "Pin")
    return (
        f'<form class="comment__actions" method="post" action="{before}{item.key}{after}{action}/">'
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{links.csrf_token_html}">'
        f'<input type="hidden" name="next" value="{links.return_to_html}">'
        f'<button type="submit" class="action" id="{action}-{item.key}">{label}'
        f'<span class="visually-hidden"> the comment by {name}</span></button></form>'
    )


def _toggle(url: str, action: str, key: str, pressed: bool, label: str, extra: str = "") -> str:
    # label is fixed words, or markup whose text was escaped already.
    return (
        f'<button type="submit" class="action{extra}" id="{action}-{key}" '
        f'formaction="{url}{action}/" aria-pressed="{"true" if pressed else "false"}">'
        f"{label}</button>"
    )


def _reply_link(item: ShownComment, links: Links) -> str:
    url = links.comments_url_html
    thread_url = f"{url}{item.thread_key}/#reply"
    if not links.reply_in_place:
        return f'<a class="action" href="{thread_url}">Reply</a>'
    return (
        f'<a class="action" href="{thread_url}" hx-get="{url}{item.key}/reply/" '
        f'hx-target="#reply-slot-{item.thread_key}" hx-swap="innerHTML">Reply</a>'
    )
