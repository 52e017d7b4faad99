"""The conversation beside a step: posting, replying, editing, deleting, liking, saving,
following, and the pieces htmx swaps in place.

Every form works without JavaScript (a post, then a redirect or a page with the errors); with
htmx the same view answers with just the part of the page that changed. Anyone may read a
conversation on an open step; only enrolled learners and the course team take part.
"""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from stoa.conversation import rules
from stoa.conversation.comments import selectors, services
from stoa.conversation.comments.forms import CommentForm, EditForm
from stoa.conversation.comments.rendering import (
    Links,
    comment_html,
    pin_url,
    render_comments,
    replies_html,
    report_url,
)
from stoa.conversation.comments.selectors import Filter
from stoa.conversation.models import Comment
from stoa.conversation.rules import Viewer, viewer_at
from stoa.courses.models import CourseRun
from stoa.courses.permissions import Can, may
from stoa.learning.access import StepAccess, step_access
from stoa.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest, csrf_token, safe_next
from stoa.lib.keyset import cursor_from
from stoa.lib.refusals import NotAllowed, NotFound, TooMany
from stoa.lib.urls import reverse

# --- Access --------------------------------------------------------------------------------
# Pages find the step and the comment as the person may see them; the services check again,
# from the database, before any write.


def _readable(request: HttpRequest, slug: str, week: int, position: int) -> StepAccess:
    """The step, if it has a conversation this person may read: one on an open week of a run."""
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    if not rules.has_conversation(access.step):
        raise NotFound(_("This step has no conversation."))
    if access.run is None:
        raise NotFound(_("This step has no conversation: the course has no run open."))
    if access.is_locked:
        raise NotAllowed(
            _("This step opens on %(date)s; its conversation opens then too.")
            % {"date": f"{access.opens_on:%-d %B %Y}"}
        )
    return access


def _run(access: StepAccess) -> CourseRun:
    """The run of a step that _readable let through, which always has one."""
    return cast(CourseRun, access.run)


def _comment(access: StepAccess, viewer: Viewer, comment_id: int) -> Comment:
    return selectors.comment_for(pk=comment_id, step=access.step, viewer=viewer)


# --- Forms ---------------------------------------------------------------------------------
# Each form on a page has its own field ids, so labels and error links find their field.


def composer_form(data=None) -> CommentForm:
    return CommentForm(data, auto_id="composer-%s")


def reply_form(parent: Comment, data=None, *, autofocus: bool = False) -> CommentForm:
    label = _("Reply to %(name)s") % {"name": parent.author.public_name}
    form = CommentForm(data, label=label, auto_id=f"reply-{parent.pk}-%s")
    if autofocus:  # htmx moves focus into a form it has just put in place
        form.fields["body"].widget.attrs["autofocus"] = True
    return form


def edit_form(comment: Comment, data=None) -> EditForm:
    form = EditForm(data, initial={"body": comment.body}, auto_id=f"edit-{comment.pk}-%s")
    form.fields["body"].widget.attrs["autofocus"] = True
    return form


# --- Rendering helpers ---------------------------------------------------------------------


# Made once: lazy() makes a class each time it is called.
_lazy_token = lazy(csrf_token, str)


def conversation_context(
    request: HttpRequest,
    access: StepAccess,
    *,
    return_to: str = "",
    reply_in_place: bool = True,
    **extra,
) -> dict:
    """What every conversation template needs, with the links comments are rendered with."""
    step = access.step
    args = [access.course.slug, step.week.number, step.position]
    comments_url = reverse("comments:comments", args=args)
    return_to = return_to or safe_next(request, step.get_absolute_url())
    links = Links(
        comments_url=comments_url,
        return_to=return_to,
        # Made when a form first shows it: a visitor's page, which has none, then sets no
        # cookie and can be kept for other visitors (stoa.lib.visitor_pages).
        csrf_token=_lazy_token(request),
        report_url=report_url(access.course.slug),
        reply_in_place=reply_in_place,
        # A query, for the team only: learners' pages cost what they did.
        pin_url=pin_url(access.course.slug)
        if access.is_team and may(user=request.user, course=access.course, action=Can.PIN)
        else "",
    )
    return {
        "access": access,
        "course": access.course,
        "step": step,
        "step_url": step.get_absolute_url(),
        "comments_url": comments_url,
        "return_to": return_to,
        "links": links,
        **extra,
    }


def _thread_url(access: StepAccess, comment: Comment) -> str:
    step = access.step
    args = [access.course.slug, step.week.number, step.position, comment.pk]
    return reverse("comments:comment", args=args)


def _anchor(url: str, comment_id: int) -> str:
    return f"{url.split('#')[0]}#comment-{comment_id}"


def _comment_part(
    request: HttpRequest,
    access: StepAccess,
    comment: Comment,
    *,
    focus: bool = False,
    status_message: str = "",
) -> HttpResponse:
    """One comment on its own, for htmx to swap in place of the old one."""
    item = selectors.shown_comment(comment, viewer_at(access))
    context = conversation_context(request, access, item=item, status_message=status_message)
    closed = comment.parent_id is not None and _thread_closed(comment)
    item.html = comment_html(item, context["links"], thread_closed=closed, focus=focus)
    return render(request, "conversation/comments/_comment_response.html", context)


def _thread_closed(reply: Comment) -> bool:
    parent_id = cast(int, reply.parent_id)  # a reply has a parent
    return Comment.objects.filter(pk=parent_id, deleted_at__isnull=False).exists()


def _too_many(response: HttpResponse, refusal: TooMany) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


# --- Reading -------------------------------------------------------------------------------


@require_GET
def comments(request: HtmxHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    """The next page of a conversation ("Show more"), for htmx; a link to the step page
    otherwise."""
    access = _readable(request, slug, week, position)
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(f"{access.step.get_absolute_url()}{'?' + query if query else ''}")
    viewer = viewer_at(access)
    chosen = Filter.parse(request.GET.get("filter"), personal=viewer.takes_part)
    page = selectors.conversation_page(
        step=access.step, viewer=viewer, chosen=chosen, cursor=cursor_from(request.GET)
    )
    context = conversation_context(request, access, page=page, reply_in_place=not page.is_flat)
    render_comments(page.items, context["links"], focus_first=True, flat=page.is_flat)
    return render(request, "conversation/comments/_items.html", context)


@require_GET
def comment(
    request: HtmxHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    """A comment's own page, with its replies; for htmx, the comment alone (after Cancel)."""
    access = _readable(request, slug, week, position)
    found = _comment(access, viewer_at(access), comment_id)
    if request.htmx:  # back from editing or deleting: focus returns to the comment
        return _comment_part(request, access, found, focus=True)
    if found.parent_id is not None:
        url = reverse("comments:comment", args=[slug, week, position, found.parent_id])
        return redirect(_anchor(url, found.pk))
    return _thread_page(request, access, found, form=reply_form(found))


def _thread_page(
    request: HttpRequest,
    access: StepAccess,
    found: Comment,
    *,
    form: CommentForm,
    reply_to: Comment | None = None,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    """A comment's own page: the comment, a page of its replies, and the reply form."""
    viewer = viewer_at(access)
    item = selectors.thread(comment=found, viewer=viewer, cursor=cursor_from(request.GET))
    context = conversation_context(
        request,
        access,
        return_to=_thread_url(access, found),
        reply_in_place=False,
        item=item,
        form=form,
        reply_to=reply_to or found,
        refusal=refusal,
    )
    render_comments([item], context["links"])
    return render(request, "conversation/comments/thread.html", context, status=status)


@require_GET
def replies(
    request: HtmxHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    """All of a comment's replies ("Show all"), a page at a time, for htmx."""
    access = _readable(request, slug, week, position)
    viewer = viewer_at(access)
    parent = _comment(access, viewer, comment_id)
    url = reverse("comments:comment", args=[slug, week, position, parent.pk])
    cursor = cursor_from(request.GET)
    if not request.htmx:
        return redirect(url)
    items, next_cursor = selectors.replies_after(parent=parent, viewer=viewer, cursor=cursor)
    context = conversation_context(
        request, access, parent=parent, replies=items, next_cursor=next_cursor
    )
    for item in items:
        item.html = comment_html(item, context["links"], thread_closed=parent.is_deleted)
    template = "_reply_items.html" if cursor else "_reply_list.html"
    return render(request, f"conversation/comments/{template}", context)


# --- Posting -------------------------------------------------------------------------------


@login_required
@require_POST
def post(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _readable(request, slug, week, position)
    form = composer_form(request.POST)
    if not form.is_valid():
        return _composer_again(request, access, form, status=400)
    try:
        comment = services.post_comment(
            author=request.user,
            step=access.step,
            run=_run(access),
            text=form.cleaned_data["body"],
            submission_token=form.cleaned_data["submission_token"],
        )
    except TooMany as refusal:
        return _too_many(_composer_again(request, access, form, 429, refusal.message), refusal)
    return _posted(request, access, comment)


def _composer_again(
    request: HtmxHttpRequest, access: StepAccess, form: CommentForm, status: int, refusal: str = ""
) -> HttpResponse:
    """The composer with what was typed and why it was not posted."""
    context = conversation_context(request, access, form=form, refusal=refusal)
    if request.htmx:  # htmx swaps only successful responses
        return render(request, "conversation/comments/_composer.html", context)
    return render(request, "conversation/comments/compose.html", context, status=status)


def _posted(request: HtmxHttpRequest, access: StepAccess, comment: Comment) -> HttpResponse:
    if not request.htmx:
        messages.success(request, _("Comment posted."))
        return redirect(_anchor(access.step.get_absolute_url(), comment.pk))
    item = selectors.shown_comment(comment, viewer_at(access))
    context = conversation_context(request, access, form=composer_form(), posted=item)
    render_comments([item], context["links"])
    return render(request, "conversation/comments/_composer.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reply(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _readable(request, slug, week, position)
    viewer = viewer_at(access)
    parent = _comment(access, viewer, comment_id)
    thread = parent if parent.parent_id is None else _comment(access, viewer, parent.parent_id)
    # A deleted or hidden comment's thread takes no more replies: say so before the form.
    if not (rules.can_respond(viewer, thread) and rules.can_respond(viewer, parent)):
        rules.require_part(viewer)
        raise NotAllowed(_("This comment can no longer be replied to."))
    if request.method == "GET":
        if request.GET.get("cancel"):
            return HttpResponse("")
        return _reply_form(request, access, thread, parent, reply_form(parent, autofocus=True))
    form = reply_form(parent, request.POST)
    if not form.is_valid():
        return _reply_form(request, access, thread, parent, form, status=400)
    try:
        posted = services.post_comment(
            author=request.user,
            step=access.step,
            run=_run(access),
            text=form.cleaned_data["body"],
            parent=parent,
            submission_token=form.cleaned_data["submission_token"],
        )
    except TooMany as refusal:
        response = _reply_form(request, access, thread, parent, form, 429, refusal.message)
        return _too_many(response, refusal)
    return _replied(request, access, thread, posted)


def _reply_form(
    request: HtmxHttpRequest,
    access: StepAccess,
    thread: Comment,
    parent: Comment,
    form: CommentForm,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    """The reply form in place under the thread (htmx), or the thread's page with it."""
    if not request.htmx:
        if request.method == "GET":
            return redirect(f"{_thread_url(access, thread)}#reply")
        return _thread_page(
            request, access, thread, form=form, reply_to=parent, status=status, refusal=refusal
        )
    context = conversation_context(
        request, access, form=form, parent=parent, thread=thread, refusal=refusal
    )
    response = render(request, "conversation/comments/_reply_form.html", context)
    if request.method == "POST":
        return reswap(retarget(response, f"#reply-slot-{thread.pk}"), "innerHTML")
    return response


def _replied(
    request: HtmxHttpRequest, access: StepAccess, thread: Comment, posted: Comment
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, _("Reply posted."))
        return redirect(_anchor(_thread_url(access, thread), posted.pk))
    thread.refresh_from_db()
    item = selectors.thread_with_reply(comment=thread, reply=posted, viewer=viewer_at(access))
    context = conversation_context(request, access, item=item, status_message=_("Reply posted."))
    render_comments([item], context["links"])
    context["replies_html"] = replies_html(item, context["links"])
    return render(request, "conversation/comments/_replies_response.html", context)


# --- Editing and deleting ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def edit(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _readable(request, slug, week, position)
    found = _comment(access, viewer_at(access), comment_id)
    try:
        services.require_editable(user=request.user, comment=found)
    except NotAllowed as refusal:
        if not (request.htmx and found.author_id == request.user.pk):
            raise
        # Say why in place, keeping the text, where a 403 would not show.
        form = edit_form(found, request.POST or None)
        return _edit_form(request, access, found, form, refusal=refusal.message)
    if request.method == "GET":
        return _edit_form(request, access, found, edit_form(found))
    form = edit_form(found, request.POST)
    if not form.is_valid():
        return _edit_form(request, access, found, form, status=400)
    services.edit_comment(comment=found, editor=request.user, text=form.cleaned_data["body"])
    if not request.htmx:
        messages.success(request, _("Comment updated."))
        return redirect(_anchor(safe_next(request, access.step.get_absolute_url()), found.pk))
    return _comment_part(request, access, found, status_message=_("Comment updated."), focus=True)


def _edit_form(
    request: HtmxHttpRequest,
    access: StepAccess,
    found: Comment,
    form: EditForm,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    context = conversation_context(request, access, form=form, comment=found, refusal=refusal)
    if request.htmx:
        return render(request, "conversation/comments/edit.html#form", context)
    return render(request, "conversation/comments/edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _readable(request, slug, week, position)
    viewer = viewer_at(access)
    found = _comment(access, viewer, comment_id)
    if request.method == "GET":
        services.require_deletable(user=request.user, comment=found)
        context = conversation_context(request, access, comment=found)
        template = "conversation/comments/delete.html"
        return render(request, f"{template}#confirm" if request.htmx else template, context)
    services.delete_comment(comment=found, user=request.user)
    if not request.htmx:
        messages.success(request, _("Comment deleted."))
        return redirect(safe_next(request, access.step.get_absolute_url()) + "#conversation")
    return _deleted(request, access, found, viewer)


def _deleted(
    request: HttpRequest, access: StepAccess, found: Comment, viewer: Viewer
) -> HttpResponse:
    """What is left of a deleted comment in the page: a placeholder while it has replies,
    otherwise nothing (and a deleted parent goes with its last reply)."""
    status_message = _("Comment deleted.")
    context = conversation_context(request, access, status_message=status_message)
    if found.parent_id is None and found.reply_count:
        return _comment_part(request, access, found, status_message=status_message)
    parent = None
    if found.parent_id is not None:
        try:
            parent = selectors.comment_for(pk=found.parent_id, step=access.step, viewer=viewer)
        except NotFound:
            parent = None
    context["parent"] = parent
    response = render(request, "conversation/comments/_deleted_response.html", context)
    gone = found.parent_id if found.parent_id and parent is None else found.pk
    return reswap(retarget(response, f"#thread-{gone}"), "outerHTML")


# --- Likes, bookmarks, follows -------------------------------------------------------------


def _toggle(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int, toggle
) -> HttpResponse:
    """Runs a toggle on a comment, then shows the comment again (htmx) or goes back."""
    access = _readable(request, slug, week, position)
    found = _comment(access, viewer_at(access), comment_id)
    toggle(user=request.user, comment=found)
    if not request.htmx:
        return redirect(_anchor(safe_next(request, access.step.get_absolute_url()), found.pk))
    found.refresh_from_db()
    return _comment_part(request, access, found)


@login_required
@require_POST
def like(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    return _toggle(request, slug, week, position, comment_id, services.toggle_like)


@login_required
@require_POST
def bookmark(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    return _toggle(request, slug, week, position, comment_id, services.toggle_bookmark)


@login_required
@require_POST
def follow(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    return _toggle(request, slug, week, position, comment_id, services.follow_author)
