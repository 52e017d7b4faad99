"""The conversation beside a step: posting, replying, editing, deleting, liking, saving,
following, and the pieces htmx swaps in place.

Every form works without JavaScript (a post, then a redirect or a page with the errors); with
htmx the same view answers with just the part of the page that changed. Anyone may read a
conversation on an open step; only enrolled learners and the course team take part.
"""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from stoa.accounts.limits import Refusal
from stoa.conversation import selectors, services
from stoa.conversation.forms import CommentForm, EditForm
from stoa.conversation.models import Comment
from stoa.conversation.rendering import (
    Links,
    _report_url,
    comment_html,
    render_comments,
    replies_html,
)
from stoa.conversation.selectors import Cursor, Filter, Viewer
from stoa.courses.models import CourseRun
from stoa.learning.views import StepAccess, step_access
from stoa.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest

# --- Access --------------------------------------------------------------------------------


def viewer_of(request: HttpRequest, access: StepAccess) -> Viewer:
    return Viewer(request.user, is_team=access.is_team, is_enrolled=access.enrolment is not None)


def _readable(request: HttpRequest, slug: str, week: int, position: int) -> StepAccess:
    """The step, if it has a conversation this person may read: one on an open week of a run."""
    access = step_access(request, slug, week, position)
    if access.run is None:
        raise Http404("This step has no conversation: the course has no run open.")
    if access.is_locked:
        raise PermissionDenied(
            f"This step opens on {access.opens_on:%-d %B %Y}; its conversation opens then too."
        )
    return access


def _run(access: StepAccess) -> CourseRun:
    """The run of a step that _readable let through, which always has one."""
    return cast(CourseRun, access.run)


def _participant(request: HttpRequest, slug: str, week: int, position: int) -> StepAccess:
    """As _readable, for writes: only enrolled learners and the course team take part."""
    access = _readable(request, slug, week, position)
    if access.enrolment is None and not access.is_team:
        raise PermissionDenied("Join this course to take part in the conversation.")
    return access


def _comment(access: StepAccess, viewer: Viewer, comment_id: int) -> Comment:
    comment = selectors.comment_for(
        pk=comment_id, run=_run(access), step=access.step, viewer=viewer
    )
    if comment is None:
        raise Http404("No such comment")
    return comment


def _own(comment: Comment, request: HttpRequest, what: str) -> None:
    if comment.author_id != request.user.pk:
        raise PermissionDenied(f"You can only {what} your own comments.")


# --- Forms ---------------------------------------------------------------------------------
# Each form on a page has its own field ids, so labels and error links find their field.


def composer_form(data=None) -> CommentForm:
    return CommentForm(data, auto_id="composer-%s")


def reply_form(parent: Comment, data=None, *, autofocus: bool = False) -> CommentForm:
    label = f"Reply to {parent.author.display_name}"
    form = CommentForm(data, label=label, auto_id=f"reply-{parent.pk}-%s")
    if autofocus:  # htmx moves focus into a form it has just put in place
        form.fields["body"].widget.attrs["autofocus"] = True
    return form


def edit_form(comment: Comment, data=None) -> EditForm:
    form = EditForm(data, initial={"body": comment.body}, auto_id=f"edit-{comment.pk}-%s")
    form.fields["body"].widget.attrs["autofocus"] = True
    return form


# --- Rendering helpers ---------------------------------------------------------------------


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
    comments_url = reverse("conversation:comments", args=args)
    return_to = return_to or _return_to(request, step.get_absolute_url())
    links = Links(
        comments_url=comments_url,
        return_to=return_to,
        csrf_token=get_token(request),
        report_url=_report_url(access.course.slug),
        reply_in_place=reply_in_place,
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


def _return_to(request: HttpRequest, default: str) -> str:
    """Where a form without JavaScript goes back to: the page it was on."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return url if safe and url.startswith("/") else default


def _thread_url(access: StepAccess, comment: Comment) -> str:
    step = access.step
    args = [access.course.slug, step.week.number, step.position, comment.pk]
    return reverse("conversation:comment", args=args)


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
    item = selectors.shown_comment(comment, viewer_of(request, access))
    context = conversation_context(request, access, item=item, status_message=status_message)
    closed = comment.parent_id is not None and _thread_closed(comment)
    item.html = comment_html(item, context["links"], thread_closed=closed, focus=focus)
    return render(request, "conversation/_comment_response.html", context)


def _thread_closed(reply: Comment) -> bool:
    parent_id = cast(int, reply.parent_id)  # a reply has a parent
    return Comment.objects.filter(pk=parent_id, deleted_at__isnull=False).exists()


def _refused(response: HttpResponse, refusal: Refusal) -> HttpResponse:
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
    viewer = viewer_of(request, access)
    chosen = Filter.parse(request.GET.get("filter"), personal=viewer.takes_part)
    page = selectors.conversation_page(
        run=_run(access),
        step=access.step,
        viewer=viewer,
        chosen=chosen,
        cursor=Cursor.parse(request.GET.get("after")),
    )
    context = conversation_context(request, access, page=page, reply_in_place=not page.is_flat)
    render_comments(page.items, context["links"], focus_first=True, flat=page.is_flat)
    return render(request, "conversation/_items.html", context)


@require_GET
def comment(
    request: HtmxHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    """A comment's own page, with its replies; for htmx, the comment alone (after Cancel)."""
    access = _readable(request, slug, week, position)
    viewer = viewer_of(request, access)
    found = _comment(access, viewer, comment_id)
    if request.htmx:  # back from editing or deleting: focus returns to the comment
        return _comment_part(request, access, found, focus=True)
    if found.parent_id is not None:
        url = reverse("conversation:comment", args=[slug, week, position, found.parent_id])
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
    viewer = viewer_of(request, access)
    cursor = Cursor.parse(request.GET.get("after"))
    item = selectors.thread(comment=found, viewer=viewer, cursor=cursor)
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
    return render(request, "conversation/thread.html", context, status=status)


@require_GET
def replies(
    request: HtmxHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    """All of a comment's replies ("Show all"), a page at a time, for htmx."""
    access = _readable(request, slug, week, position)
    viewer = viewer_of(request, access)
    parent = _comment(access, viewer, comment_id)
    url = reverse("conversation:comment", args=[slug, week, position, parent.pk])
    if not request.htmx:
        return redirect(url)
    cursor = Cursor.parse(request.GET.get("after"))
    items, next_cursor = selectors.replies_after(parent=parent, viewer=viewer, cursor=cursor)
    context = conversation_context(
        request, access, parent=parent, replies=items, next_cursor=next_cursor
    )
    for item in items:
        item.html = comment_html(item, context["links"], thread_closed=parent.is_deleted)
    template = "_reply_items.html" if cursor else "_reply_list.html"
    return render(request, f"conversation/{template}", context)


# --- Posting -------------------------------------------------------------------------------


@login_required
@require_POST
def post(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _participant(request, slug, week, position)
    form = composer_form(request.POST)
    if not form.is_valid():
        return _composer_again(request, access, form, status=400)
    if earlier := _submitted_before(request, form):
        return _posted(request, access, earlier)
    if refusal := services.check_posting_rate(author=request.user):
        return _refused(_composer_again(request, access, form, 429, refusal.message), refusal)
    comment = services.post_comment(
        author=request.user,
        step=access.step,
        run=_run(access),
        text=form.cleaned_data["body"],
        submission_token=form.cleaned_data["submission_token"],
    )
    return _posted(request, access, comment)


def _submitted_before(request: AuthenticatedHttpRequest, form: CommentForm) -> Comment | None:
    """The comment this form stored already, if it was submitted twice."""
    token = form.cleaned_data.get("submission_token")
    if not token:
        return None
    return Comment.objects.filter(author=request.user, submission_token=token).first()


def _composer_again(
    request: HtmxHttpRequest, access: StepAccess, form: CommentForm, status: int, refusal: str = ""
) -> HttpResponse:
    """The composer with what was typed and why it was not posted."""
    context = conversation_context(request, access, form=form, refusal=refusal)
    if request.htmx:  # htmx swaps only successful responses
        return render(request, "conversation/_composer.html", context)
    return render(request, "conversation/compose.html", context, status=status)


def _posted(request: HtmxHttpRequest, access: StepAccess, comment: Comment) -> HttpResponse:
    if not request.htmx:
        messages.success(request, "Comment posted.")
        return redirect(_anchor(access.step.get_absolute_url(), comment.pk))
    item = selectors.shown_comment(comment, viewer_of(request, access))
    context = conversation_context(request, access, form=composer_form(), posted=item)
    render_comments([item], context["links"])
    return render(request, "conversation/_composer.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reply(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _participant(request, slug, week, position)
    viewer = viewer_of(request, access)
    parent = _comment(access, viewer, comment_id)
    thread = parent if parent.parent_id is None else _comment(access, viewer, parent.parent_id)
    # A deleted or hidden comment's thread takes no more replies.
    if not all(selectors.ShownComment.of(c, viewer).can_respond for c in (thread, parent)):
        raise PermissionDenied("This comment can no longer be replied to.")
    if request.method == "GET":
        if request.GET.get("cancel"):
            return HttpResponse("")
        return _reply_form(request, access, thread, parent, reply_form(parent, autofocus=True))
    form = reply_form(parent, request.POST)
    if not form.is_valid():
        return _reply_form(request, access, thread, parent, form, status=400)
    if earlier := _submitted_before(request, form):
        return _replied(request, access, thread, earlier)
    if refusal := services.check_posting_rate(author=request.user):
        response = _reply_form(request, access, thread, parent, form, 429, refusal.message)
        return _refused(response, refusal)
    posted = services.post_comment(
        author=request.user,
        step=access.step,
        run=_run(access),
        text=form.cleaned_data["body"],
        parent=parent,
        submission_token=form.cleaned_data["submission_token"],
    )
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
    response = render(request, "conversation/_reply_form.html", context)
    if request.method == "POST":
        return reswap(retarget(response, f"#reply-slot-{thread.pk}"), "innerHTML")
    return response


def _replied(
    request: HtmxHttpRequest, access: StepAccess, thread: Comment, posted: Comment
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, "Reply posted.")
        return redirect(_anchor(_thread_url(access, thread), posted.pk))
    thread.refresh_from_db()
    viewer = viewer_of(request, access)
    item = selectors.thread_with_reply(comment=thread, reply=posted, viewer=viewer)
    context = conversation_context(request, access, item=item, status_message="Reply posted.")
    render_comments([item], context["links"])
    context["replies_html"] = replies_html(item, context["links"])
    return render(request, "conversation/_replies_response.html", context)


# --- Editing and deleting ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def edit(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _participant(request, slug, week, position)
    found = _comment(access, viewer_of(request, access), comment_id)
    _own(found, request, "edit")
    if not selectors.ShownComment.of(found, viewer_of(request, access)).can_edit:
        error = _edit_refusal(found)
        if request.htmx:  # say why in place (keeping the text), as a 403 would not show
            form = edit_form(found, request.POST or None)
            return _edit_form(request, access, found, form, refusal=error)
        raise PermissionDenied(error)
    if request.method == "GET":
        return _edit_form(request, access, found, edit_form(found))
    form = edit_form(found, request.POST)
    if not form.is_valid():
        return _edit_form(request, access, found, form, status=400)
    services.edit_comment(comment=found, editor=request.user, text=form.cleaned_data["body"])
    if not request.htmx:
        messages.success(request, "Comment updated.")
        return redirect(_anchor(_return_to(request, access.step.get_absolute_url()), found.pk))
    return _comment_part(request, access, found, status_message="Comment updated.", focus=True)


def _edit_refusal(comment: Comment) -> str:
    if comment.is_deleted or comment.is_hidden:
        return "This comment can no longer be edited."
    minutes = int(services.EDIT_WINDOW.total_seconds() // 60)
    return (
        f"Comments can be edited for {minutes} minutes after posting, and that time has passed. "
        "You can delete it and post again."
    )


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
        return render(request, "conversation/edit.html#form", context)
    return render(request, "conversation/edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access = _participant(request, slug, week, position)
    viewer = viewer_of(request, access)
    found = _comment(access, viewer, comment_id)
    _own(found, request, "delete")
    if request.method == "GET":
        context = conversation_context(request, access, comment=found)
        template = (
            "conversation/delete.html#confirm" if request.htmx else "conversation/delete.html"
        )
        return render(request, template, context)
    services.delete_comment(comment=found, user=request.user)
    if not request.htmx:
        messages.success(request, "Comment deleted.")
        return redirect(_return_to(request, access.step.get_absolute_url()) + "#conversation")
    return _deleted(request, access, found, viewer)


def _deleted(
    request: HttpRequest, access: StepAccess, found: Comment, viewer: Viewer
) -> HttpResponse:
    """What is left of a deleted comment in the page: a placeholder while it has replies,
    otherwise nothing (and a deleted parent goes with its last reply)."""
    context = conversation_context(request, access, status_message="Comment deleted.")
    if found.parent_id is None and found.reply_count:
        return _comment_part(request, access, found, status_message="Comment deleted.")
    parent = None
    if found.parent_id is not None:
        parent = selectors.comment_for(
            pk=found.parent_id, run=_run(access), step=access.step, viewer=viewer
        )
    context["parent"] = parent
    response = render(request, "conversation/_deleted_response.html", context)
    gone = found.parent_id if found.parent_id and parent is None else found.pk
    return reswap(retarget(response, f"#thread-{gone}"), "outerHTML")


# --- Likes, bookmarks, follows -------------------------------------------------------------


def _toggled(request: HtmxHttpRequest, access: StepAccess, found: Comment) -> HttpResponse:
    if not request.htmx:
        return redirect(_anchor(_return_to(request, access.step.get_absolute_url()), found.pk))
    found.refresh_from_db()
    return _comment_part(request, access, found)


def _responding_to(
    request: HttpRequest, slug: str, week: int, position: int, comment_id: int
) -> tuple[StepAccess, Comment]:
    access = _participant(request, slug, week, position)
    found = _comment(access, viewer_of(request, access), comment_id)
    if found.is_deleted or found.is_hidden:
        raise PermissionDenied("This comment can no longer be liked, saved or replied to.")
    return access, found


@login_required
@require_POST
def like(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access, found = _responding_to(request, slug, week, position, comment_id)
    try:
        services.toggle_like(user=request.user, comment=found)
    except services.ConversationError as exc:
        raise PermissionDenied(str(exc)) from exc
    return _toggled(request, access, found)


@login_required
@require_POST
def bookmark(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access, found = _responding_to(request, slug, week, position, comment_id)
    services.toggle_bookmark(user=request.user, comment=found)
    return _toggled(request, access, found)


@login_required
@require_POST
def follow(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, comment_id: int
) -> HttpResponse:
    access, found = _responding_to(request, slug, week, position, comment_id)
    try:
        services.toggle_follow(follower=request.user, followed=found.author)
    except services.ConversationError as exc:
        raise PermissionDenied(str(exc)) from exc
    return _toggled(request, access, found)
