"""Pages for reporting comments and for the course team's moderation queue."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from stoa.conversation import moderation
from stoa.conversation.models import Comment, Report
from stoa.courses.models import Course
from stoa.learning.selectors import enrolment_for
from stoa.lib.http import AuthenticatedHttpRequest


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=moderation.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"At most {moderation.REASON_MAX_LENGTH} characters.",
    )

    def __init__(self, *args, label: str, required_message: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.label = label
        reason.widget.attrs.pop("maxlength", None)  # a clear message beats silent truncation
        reason.error_messages["required"] = required_message
        reason.error_messages["max_length"] = (
            "Keep the reason to %(limit_value)d characters or fewer; it has %(show_value)d."
        )


def _report_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label="Why are you reporting this comment?",
        required_message="Say why you are reporting this comment.",
    )


def _hide_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label="Reason for hiding, shown to the author",
        required_message="Give the author a reason for hiding their comment.",
    )


def _comment_url(comment: Comment) -> str:
    return f"{comment.step.get_absolute_url()}#comment-{comment.pk}"


# --- Reporting -----------------------------------------------------------------------------


@login_required
def report(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(
        Comment.objects.visible().select_related("author", "run__course", "step__week__course"),
        pk=comment_id,
        run__course__slug=slug,
        deleted_at__isnull=True,
    )
    if comment.author_id == request.user.pk:
        raise PermissionDenied("This is your own comment: you can edit or delete it instead.")
    if enrolment_for(user=request.user, course=comment.run.course) is None:
        raise PermissionDenied("Join this course to report its comments.")
    already = Report.objects.filter(reporter=request.user, comment=comment).exists()
    form = _report_form(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if already:
            messages.info(request, "You have already reported this comment.")
            return redirect(_comment_url(comment))
        if form.is_valid():
            try:
                moderation.report_comment(
                    reporter=request.user, comment=comment, reason=form.cleaned_data["reason"]
                )
            except moderation.AlreadyReported:
                messages.info(request, "You have already reported this comment.")
            else:
                messages.success(request, "Thank you. The course team will look at this comment.")
            return redirect(_comment_url(comment))
    return render(
        request,
        "conversation/moderation_report.html",
        {"course": comment.run.course, "comment": comment, "form": form, "already": already},
    )


# --- The course team's queue ---------------------------------------------------------------


def _moderated_course(request: AuthenticatedHttpRequest, slug: str) -> Course:
    """The course, if this person moderates it; checked before any comment is looked up, so
    others learn nothing about the course's comments."""
    course = get_object_or_404(Course, slug=slug)
    if not moderation.may_moderate(user=request.user, course=course):
        raise PermissionDenied("Only this course's team can moderate its conversation.")
    return course


def _moderated_comment(course: Course, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("author", "run__course", "step__week")
        .filter(pk=comment_id, run__course=course)
        .first()
    )
    if comment is None:
        raise Http404("No such comment in this course")
    return comment


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError as exc:
        raise Http404("No such page") from exc


def _back_to_queue(request: HttpRequest, course: Course) -> HttpResponse:
    url = reverse("moderation:queue", args=[course.slug])
    page = _page_number(request.POST.get("page"))
    return redirect(f"{url}?page={page}" if page > 1 else url)


@login_required
def queue(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = _moderated_course(request, slug)
    page = _page_number(request.GET.get("page"))
    return render(
        request,
        "conversation/moderation_queue.html",
        {"course": course, "queue": moderation.moderation_queue(course=course, page=page)},
    )


@login_required
@require_POST
def hide(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    course = _moderated_course(request, slug)
    comment = _moderated_comment(course, comment_id)
    form = _hide_form(request.POST)
    if not form.is_valid():
        context = {"course": course, "comment": comment, "form": form}
        return render(request, "conversation/moderation_hide.html", context)
    try:
        moderation.hide_comment(
            moderator=request.user, comment=comment, reason=form.cleaned_data["reason"]
        )
    except moderation.NothingToDo as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{comment.author}'s comment is hidden; they have been told why.")
    return _back_to_queue(request, course)


@login_required
@require_POST
def restore(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _decide(
        request, slug, comment_id, moderation.restore_comment, "{}'s comment is visible again."
    )


@login_required
@require_POST
def dismiss(request: AuthenticatedHttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _decide(
        request, slug, comment_id, moderation.dismiss_reports, "Reports on {}'s comment dismissed."
    )


def _decide(
    request: AuthenticatedHttpRequest, slug: str, comment_id: int, decision, success: str
) -> HttpResponse:
    """A decision that needs no reason: run it, say what happened, back to the queue."""
    course = _moderated_course(request, slug)
    comment = _moderated_comment(course, comment_id)
    try:
        decision(moderator=request.user, comment=comment)
    except moderation.NothingToDo as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, success.format(comment.author))
    return _back_to_queue(request, course)
