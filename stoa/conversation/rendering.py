"""A comment's HTML, built in Python rather than a template for speed."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from stoa.conversation.selectors import ShownComment

# Built here rather than in a template for speed: a step page shows up to a hundred comments
# and replies, and Django's template engine spends about 0.3 ms on each (seventy variables,
# twenty conditions), a fifth of the page's time; this spends a sixth of that. The bar
# is that a step with 100,000 comments serves 90% of the throughput of one with 10, so the 25
# comments of a full page must cost little more than 10. Everything from people goes through
# format_html's escaping; body_html was sanitised when the comment was written.


@dataclass(frozen=True)
class Links:
    """What a comment's HTML needs from the page it is on."""

    comments_url: str  # the step's comments/; a comment's URL is comments/<id>/
    return_to: str  # where its forms return without JavaScript
    csrf_token: str
    report_url: str  # with "{}" in place of the comment's id
    reply_in_place: bool  # whether Reply opens a form in the thread (htmx) or its page


def _report_url(slug: str) -> str:
    # One reverse() per page rather than one per comment; the id is a stand-in.
    return reverse("moderation:report", args=[slug, 4242]).replace("/4242/", "/{}/")


def render_comments(items: list[ShownComment], links: Links, *, focus_first: bool = False) -> None:
    """Renders each thread's comment and its replies, for templates to show as item.html."""
    for index, item in enumerate(items):
        item.html = comment_html(item, links, focus=focus_first and index == 0)
        for reply in (*item.replies, *item.later_replies):
            reply.html = comment_html(reply, links, thread_closed=item.comment.is_deleted)


def comment_html(
    item: ShownComment, links: Links, *, thread_closed: bool = False, focus: bool = False
) -> SafeString:
    comment = item.comment
    if comment.is_deleted:
        return format_html(
            '<article class="comment comment--deleted" id="comment-{}" aria-label="Deleted '
            'comment"><p class="comment__deleted">This comment was deleted.</p></article>',
            item.key,
        )
    modifiers = [
        (item.follows_author, " comment--following"),
        (bool(comment.team_role), " comment--team"),
        (comment.is_hidden, " comment--hidden"),
    ]
    return format_html(
        '<article class="comment{}" id="comment-{}" aria-labelledby="comment-{}-author"{}>'
        '{}{}<div class="comment__body">{}</div><footer class="comment__footer">{}{}</footer>'
        "</article>",
        "".join(name for present, name in modifiers if present),
        item.key,
        item.key,
        mark_safe(' tabindex="-1" autofocus') if focus else "",
        _header(item, links),
        _note(item),
        mark_safe(comment.body_html),  # sanitised by render_comment_markdown when written
        _likes(comment.like_count),
        _actions(item, links, thread_closed=thread_closed),
    )


def _header(item: ShownComment, links: Links) -> SafeString:
    comment = item.comment
    level = 4 if comment.parent_id else 3
    badges = [
        (item.role_label, "badge--team", item.role_label),
        (item.follows_author, "badge--following", "Following"),
        (comment.is_hidden, "badge--hidden", "Hidden"),
    ]
    created = timezone.localtime(comment.created_at)
    return format_html(
        '<header class="comment__header"><h{} class="comment__author" id="comment-{}-author">'
        "{}</h{}>{}"
        '<span class="comment__meta"><a class="comment__time" href="{}{}/">'
        '<time datetime="{}" title="{}">{}</time></a>{}</span></header>',
        level,
        item.key,
        comment.author.display_name,
        level,
        format_html_join(
            "", '<span class="badge {}">{}</span>', ((k, t) for on, k, t in badges if on)
        ),
        links.comments_url,
        item.key,
        created.isoformat(),
        f"{created.day} {created:%B %Y, %H:%M}",
        item.posted_ago,
        " · edited" if comment.edited_at else "",
    )


def _note(item: ShownComment) -> SafeString | str:
    if item.shows_hidden_reason:
        return format_html(
            '<p class="comment__note">Only you can see this comment: the course team hid it '
            "from other learners. Their reason: {}</p>",
            item.comment.hidden_reason,
        )
    if item.comment.is_hidden:
        return mark_safe('<p class="comment__note">Hidden from learners by the course team.</p>')
    return ""


def _likes(count: int) -> SafeString | str:
    if not count:
        return ""
    return format_html(
        '<span class="comment__likes">{} like{}</span>', count, "" if count == 1 else "s"
    )


def _actions(item: ShownComment, links: Links, *, thread_closed: bool) -> SafeString | str:
    """One form for the comment's buttons, each posting to its formaction (htmx follows the
    clicked button's formaction too); links for what opens a form."""
    if not (item.can_respond or item.can_edit or item.can_delete or item.can_report):
        return ""
    url = f"{links.comments_url}{item.key}/"
    parts: list[SafeString] = []
    if item.can_like:
        parts.append(_toggle(url, "like", item, item.liked, "Like", " action--like"))
    if item.can_respond and not thread_closed:
        parts.append(_reply_link(item, links))
    if item.can_respond:
        parts.append(_toggle(url, "bookmark", item, item.bookmarked, "Bookmark"))
    if item.can_follow:
        label = format_html(
            'Follow<span class="visually-hidden"> {}</span>', item.comment.author.display_name
        )
        parts.append(_toggle(url, "follow", item, item.follows_author, label))
    for allowed, action, label in (
        (item.can_edit, "edit", "Edit"),
        (item.can_delete, "delete", "Delete"),
    ):
        if allowed:
            target = f"{url}{action}/?{urlencode({'next': links.return_to})}"
            parts.append(
                format_html(
                    '<a class="action" href="{}" hx-get="{}" hx-swap="outerHTML">{}</a>',
                    target,
                    target,
                    label,
                )
            )
    if item.can_report:
        parts.append(
            format_html(
                '<a class="action action--quiet" href="{}">Report</a>',
                links.report_url.format(item.key),
            )
        )
    return format_html(
        '<form class="comment__actions" method="post" action="{}like/" hx-post="{}like/" '
        'hx-target="#comment-{}" hx-swap="outerHTML">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form>',
        url,
        url,
        item.key,
        links.csrf_token,
        links.return_to,
        mark_safe("".join(parts)),
    )


def _toggle(
    url: str, action: str, item: ShownComment, pressed: bool, label: str, extra: str = ""
) -> SafeString:
    return format_html(
        '<button type="submit" class="action{}" id="{}-{}" formaction="{}{}/" '
        'aria-pressed="{}">{}</button>',
        extra,
        action,
        item.key,
        url,
        action,
        "true" if pressed else "false",
        label,
    )


def _reply_link(item: ShownComment, links: Links) -> SafeString:
    thread_url = f"{links.comments_url}{item.thread_key}/#reply"
    if not links.reply_in_place:
        return format_html('<a class="action" href="{}">Reply</a>', thread_url)
    return format_html(
        '<a class="action" href="{}" hx-get="{}{}/reply/" hx-target="#reply-slot-{}" '
        'hx-swap="innerHTML">Reply</a>',
        thread_url,
        links.comments_url,
        item.key,
        item.thread_key,
    )
