"""The course team's inbox (teach/<slug>/inbox/): learners' comments waiting for a reply,
answered in place or marked handled; and pinning a comment to the top of its step.

Every form works without JavaScript (a post, then a redirect back); with htmx, replying and
marking handled swap the comment's item for a line saying what happened.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stoa.conversation.comments import services as comments
from stoa.conversation.comments.forms import CommentForm
from stoa.conversation.inbox import selectors, services
from stoa.conversation.inbox.selectors import WaitingComment
from stoa.conversation.models import Comment
from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest, safe_next
from stoa.lib.keyset import cursor_from
from stoa.lib.refusals import TooMany


def _team_course(request: HttpRequest, slug: str, action: Can) -> tuple[Course, frozenset[Can]]:
    """The course and the person's capabilities on it, if they include `action`: checked
    before any comment is looked up, so others learn nothing of its comments."""
    course = get_object_or_404(Course, slug=slug)
    return course, require(user=request.user, course=course, action=action)


def reply_form(item: WaitingComment, data=None) -> CommentForm:
    label = _("Reply to %(name)s") % {"name": item.author_name}
    return CommentForm(data, label=label, auto_id=f"inbox-{item.pk}-%s")


def _inbox_url(course: Course) -> str:
    return reverse("inbox:inbox", args=[course.slug])


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed = _team_course(request, slug, Can.REPLY)
    chosen = selectors.inbox_filter(course, request.GET)
    after = cursor_from(request.GET, parse=selectors.InboxCursor.parse)
    page, counts = selectors.InboxPage(items=[], next_cursor=None), []
    if chosen:
        page = selectors.waiting_comments(chosen, after=after)
        counts = selectors.waiting_counts(chosen.run)
    context = {
        "course": course,
        "can": flags(allowed),
        "tab": "inbox",
        "chosen": chosen,
        "runs": course.runs.order_by("-starts_on", "-pk") if chosen else [],
        "weeks": range(1, course.week_count + 1),
        "items": [(item, reply_form(item)) for item in page.items],
        "first_page_url": _page_url(chosen) if chosen and after else "",
        "next_page_url": _page_url(chosen, page.next_cursor) if chosen and page.next_cursor else "",
        "counts": counts,
        "total": sum(count.count for count in counts),
        "return_to": request.get_full_path(),
    }
    return render(request, "conversation/inbox/inbox.html", context)


def _page_url(chosen: selectors.InboxFilter, after: selectors.InboxCursor | None = None) -> str:
    """The inbox's page with the same run, week and step, from the first or after `after`."""
    query: dict[str, str | int] = {"run": chosen.run.pk}
    if chosen.week is not None:
        query["week"] = chosen.week
    if chosen.step is not None:
        query["step"] = f"{chosen.step.week.number}.{chosen.step.position}"
    if after is not None:
        query["after"] = str(after)
    return "?" + urlencode(query)


def _done(request: HtmxHttpRequest, course: Course, comment: Comment, message: str):
    """Back to the inbox (without JavaScript) or, for htmx, the line replacing the item."""
    thread_url = _thread_url(comment)
    if not request.htmx:
        link = format_html('{} <a href="{}">{}</a>', message, thread_url, _("See the thread"))
        messages.success(request, link)
        return redirect(safe_next(request, _inbox_url(course)))
    context = {"comment": comment, "message": message, "thread_url": thread_url}
    return render(request, "conversation/inbox/_done.html", context)


def _thread_url(comment: Comment) -> str:
    step = comment.step
    args = [step.week.course.slug, step.week.number, step.position, comment.pk]
    return reverse("comments:comment", args=args)


@login_required
@require_POST
def reply(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    course, allowed = _team_course(request, slug, Can.REPLY)
    comment = selectors.team_comment(course, comment_id)
    item = WaitingComment.of(comment)
    form = reply_form(item, request.POST)
    if not form.is_valid():
        return _item_again(request, course, allowed, item, form, status=400)
    try:
        comments.post_comment(
            author=request.user,
            step=comment.step,
            run=comment.run,
            text=form.cleaned_data["body"],
            parent=comment,
            submission_token=form.cleaned_data["submission_token"],
        )
    except TooMany as refusal:
        response = _item_again(request, course, allowed, item, form, 429, refusal.message)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return _done(request, course, comment, _("Reply posted."))


def _item_again(
    request: HtmxHttpRequest,
    course: Course,
    allowed: frozenset[Can],
    item: WaitingComment,
    form: CommentForm,
    status: int,
    refusal: str = "",
) -> HttpResponse:
    """The comment with its reply form, what was typed and why it was not posted: in place
    (htmx swaps only successful responses), or on a page of its own."""
    context = {
        "course": course,
        "can": flags(allowed),
        "tab": "inbox",
        "item": item,
        "form": form,
        "refusal": refusal,
        "return_to": safe_next(request, _inbox_url(course)),
    }
    if request.htmx:
        return render(request, "conversation/inbox/reply.html#item", context)
    return render(request, "conversation/inbox/reply.html", context, status=status)


@login_required
@require_POST
def handled(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    course, _allowed = _team_course(request, slug, Can.REPLY)
    comment = selectors.team_comment(course, comment_id)
    services.mark_handled(user=request.user, comment=comment)
    return _done(request, course, comment, _("Marked as handled."))


def _pinning(request: AuthenticatedHttpRequest, slug: str, comment_id: int, pin) -> HttpResponse:
    """Pins or unpins, then back to the conversation (a plain post: the order changes)."""
    course, _allowed = _team_course(request, slug, Can.PIN)
    comment = selectors.team_comment(course, comment_id)
    pin(user=request.user, comment=comment)
    back = safe_next(request, comment.step.get_absolute_url()).split("#")[0]
    return redirect(f"{back}#comment-{comment.pk}")


@login_required
@require_POST
def pin(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _pinning(request, slug, comment_id, services.pin_comment)


@login_required
@require_POST
def unpin(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _pinning(request, slug, comment_id, services.unpin_comment)
