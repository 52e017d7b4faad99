"""Pages for reporting comments and for the course team's moderation queue."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stoa.conversation import rules
from stoa.conversation.models import Comment, ModerationAction, Report
from stoa.conversation.moderation import selectors, services
from stoa.conversation.moderation.forms import hide_form, report_form
from stoa.conversation.notifications.selectors import comment_url
from stoa.courses.models import Course
from stoa.courses.permissions import capabilities, flags
from stoa.learning.access import StepPanel
from stoa.learning.extensions import named_in_settings
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import AlreadyDone, NotFound

# --- Reporting -----------------------------------------------------------------------------


def _reportable(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> Comment:
    """The comment, if this person may report it. Found only where its own page finds it:
    in the run and on the weeks the person sees, so nobody reaches other runs' comments or
    locked weeks through here."""
    course = get_object_or_404(Course, slug=slug)
    viewer = rules.viewer_of(user=request.user, course=course)
    comment = (
        Comment.objects.filter(rules.visible_comments(viewer), pk=comment_id)
        .select_related("author", "run__course", "step__week__course")
        .first()
    )
    if comment is None:
        raise NotFound(_("No such comment."))
    services.require_reporter(reporter=request.user, comment=comment)
    return comment


@login_required
@require_http_methods(["GET", "POST"])
def report(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    comment = _reportable(request, slug, comment_id)
    already = Report.objects.filter(reporter=request.user, comment=comment).exists()
    form = report_form(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if already:
            messages.info(request, _("You have already reported this comment."))
            return redirect(comment_url(comment))
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _tell(
                request,
                lambda: services.report_comment(
                    reporter=request.user, comment=comment, reason=reason
                ),
                _("Thank you. The course team will look at this comment."),
            )
            return redirect(comment_url(comment))
    return render(
        request,
        "conversation/moderation/report.html",
        {"course": comment.run.course, "comment": comment, "form": form, "already": already},
    )


# --- The course team's queue ---------------------------------------------------------------


def _moderated_course(request: AuthenticatedHttpRequest, slug: str) -> Course:
    """The course, if this person moderates it; checked before any comment is looked up, so
    others learn nothing about the course's comments."""
    course = get_object_or_404(Course, slug=slug)
    rules.require_moderator(user=request.user, course=course)
    return course


def _moderated_comment(course: Course, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("author", "run__course", "step__week")
        .filter(pk=comment_id, run__course=course)
        .first()
    )
    if comment is None:
        raise NotFound(_("No such comment in this course."))
    return comment


def _page_number(value: str | None) -> int:
    """A queue page from the address: a whole number from 1 up to the last page we serve."""
    value = value or "1"
    digits = len(str(selectors.QUEUE_MAX_PAGE))
    if not (value.isascii() and value.isdigit() and len(value) <= digits):
        raise NotFound(_("There is no such page of the queue."))
    if not 1 <= int(value) <= selectors.QUEUE_MAX_PAGE:
        raise NotFound(_("There is no such page of the queue."))
    return int(value)


def _back_to_queue(request: HttpRequest, course: Course) -> HttpResponse:
    url = reverse("moderation:queue", args=[course.slug])
    page = _page_number(request.POST.get("page"))
    return redirect(f"{url}?page={page}" if page > 1 else url)


def moderation_panels() -> list[Callable[[HttpRequest, Course], StepPanel | None]]:
    """The functions named in settings.STOA_MODERATION_PANELS, each (request, course) ->
    StepPanel | None: sections that apps built on the conversation (peer review's reported
    work) add to the queue, so that this app imports none of them."""
    return named_in_settings("STOA_MODERATION_PANELS")


@login_required
@require_GET
def queue(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = _moderated_course(request, slug)
    page = _page_number(request.GET.get("page"))
    # The other apps' sections only beside the first page: they have their own bounds.
    panels = (
        [p for make in moderation_panels() if (p := make(request, course))] if page == 1 else []
    )
    context = {
        "course": course,
        "queue": selectors.moderation_queue(course=course, page=page),
        "panels": panels,
        # The workspace's tabs (the queue is its Moderation tab).
        "can": flags(capabilities(user=request.user, course=course)),
        "tab": "moderation",
    }
    return render(request, "conversation/moderation/queue.html", context)


@login_required
@require_POST
def hide(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    course = _moderated_course(request, slug)
    comment = _moderated_comment(course, comment_id)
    form = hide_form(request.POST)
    if not form.is_valid():
        context = {"course": course, "comment": comment, "form": form}
        return render(request, "conversation/moderation/hide.html", context)
    reason = form.cleaned_data["reason"]
    _tell(
        request,
        lambda: services.hide_comment(moderator=request.user, comment=comment, reason=reason),
        _("%(name)s's comment is hidden; they have been told why.") % {"name": comment.author},
    )
    return _back_to_queue(request, course)


@login_required
@require_POST
def restore(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _decide(
        request,
        slug,
        comment_id,
        services.restore_comment,
        _("%(name)s's comment is visible again."),
    )


@login_required
@require_POST
def dismiss(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _decide(
        request,
        slug,
        comment_id,
        services.dismiss_reports,
        _("Reports on %(name)s's comment dismissed."),
    )


def _decide(
    request: AuthenticatedHttpRequest,
    slug: str,
    comment_id: int,
    decision: Callable[..., ModerationAction],
    success: str,
) -> HttpResponse:
    """A decision that needs no reason: run it, say what happened, back to the queue."""
    course = _moderated_course(request, slug)
    comment = _moderated_comment(course, comment_id)
    _tell(
        request,
        lambda: decision(moderator=request.user, comment=comment),
        success % {"name": comment.author},
    )
    return _back_to_queue(request, course)


def _tell(request: HttpRequest, write: Callable[[], object], success: str) -> None:
    """Makes the write and says what came of it: done, or done already (nothing changed)."""
    try:
        write()
    except AlreadyDone as done:
        messages.info(request, str(done))
    else:
        messages.success(request, success)
