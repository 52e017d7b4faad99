"""Peer review's forms: writing work, reviewing, reporting, and the course team's decisions.

Each works without JavaScript: a POST, then a redirect back to the step's #peer-review (or
the moderation queue), where the panel shows the outcome. NotFound and NotAllowed from the
services answer 404 and 403 with their message. Text that cannot be used yet (too short, too
long, too often) comes back in a page of its own with the form, what was typed and why, so
nothing typed is lost; a double submit says that nothing changed.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from stoa.assessments.models import PeerReport, PeerReview, PeerSubmission
from stoa.assessments.peer import services
from stoa.assessments.peer.panels import step_urls
from stoa.assessments.peer.selectors import Answer, ShownReview, answers_of
from stoa.conversation.moderation.forms import ReasonForm
from stoa.courses.models import Course
from stoa.learning.access import StepAccess, step_access
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import AlreadyDone, Invalid, Refused, TooMany


def _back(access: StepAccess, section: str = "peer-review") -> HttpResponse:
    return redirect(f"{access.step.get_absolute_url()}#{section}")


def _again(request: HttpRequest, template: str, context: dict, refusal: Refused) -> HttpResponse:
    """The form again, with what was typed and why it was not taken: 400, or 429 with a
    Retry-After when the learner has written too often."""
    status = 429 if isinstance(refusal, TooMany) else 400
    response = render(request, template, {**context, "refusal": str(refusal)}, status=status)
    if isinstance(refusal, TooMany):
        response["Retry-After"] = str(refusal.retry_after)
    return response


# --- The learner's work and reviews --------------------------------------------------------


@login_required
@require_POST
def work(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    """Saves the learner's work as a draft, or submits it ("action" says which button)."""
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    text = request.POST.get("text", "")
    submit = request.POST.get("action") == "submit"
    write = services.submit_work if submit else services.save_draft
    try:
        write(user=request.user, step=access.step, text=text)
    except AlreadyDone as done:
        messages.info(request, str(done))
        return _back(access, "peer-work")
    except (Invalid, TooMany) as refusal:
        settings = services.settings_of(access.step)
        context = {"access": access, "step": access.step, "course": access.course}
        context |= {"settings": settings, "urls": step_urls(access), "text": text}
        context |= {"max_chars": services.MAX_CHARS}
        return _again(request, "assessments/peer/work.html", context, refusal)
    if submit:
        messages.success(request, _("Your work is submitted. Now review other learners' work."))
        return _back(access, "peer-reviewing")
    messages.success(request, _("Your draft is saved. Only you can see it until you submit it."))
    return _back(access, "peer-work")


@login_required
@require_POST
def start(request: AuthenticatedHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    """Reserves the next piece of work for the learner to review."""
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    try:
        allocation = services.reserve_work(user=request.user, step=access.step)
    except AlreadyDone as done:
        messages.info(request, str(done))
    else:
        if allocation is None:
            messages.info(request, _("No work is waiting for review right now; come back later."))
    return _back(access, "peer-reviewing")


@login_required
@require_POST
def review(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, submission_id: int
) -> HttpResponse:
    """Gives the learner's review of a piece of work: an answer per rubric line."""
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    settings = services.settings_of(access.step)
    work = get_object_or_404(
        PeerSubmission.objects.select_related("user", "step__week__course"),
        pk=submission_id,
        step=access.step,
    )
    typed = [request.POST.get(f"answer-{n}", "") for n in range(1, len(settings.rubric) + 1)]
    try:
        services.give_review(reviewer=request.user, submission=work, answers=typed)
    except AlreadyDone as done:
        messages.info(request, str(done))
        return _back(access, "peer-reviewing")
    except (Invalid, TooMany) as refusal:
        context = {"access": access, "step": access.step, "course": access.course}
        context |= {"settings": settings, "reviewing": work, "urls": step_urls(access)}
        context |= {"answers": [Answer(q, a) for q, a in zip(settings.rubric, typed, strict=True)]}
        context |= {"max_answer_chars": services.MAX_ANSWER_CHARS}
        return _again(request, "assessments/peer/review.html", context, refusal)
    messages.success(request, _("Thank you: your review is sent to its author."))
    return _back(access, "peer-reviewing")


# --- Reports -------------------------------------------------------------------------------


def report_form(data=None, *, of_review: bool) -> ReasonForm:
    return ReasonForm(
        data,
        label=_("Why are you reporting this review?")
        if of_review
        else _("Why are you reporting this work?"),
        required_message=_("Say why you are reporting this."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_work(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, submission_id: int
) -> HttpResponse:
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    work = get_object_or_404(
        PeerSubmission.objects.select_related("user", "step__week__course"),
        pk=submission_id,
        step=access.step,
    )
    return _report(request, access, work, None)


@login_required
@require_http_methods(["GET", "POST"])
def report_review(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int, review_id: int
) -> HttpResponse:
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    found = get_object_or_404(
        PeerReview.objects.select_related("reviewer", "submission__user", "step__week__course"),
        pk=review_id,
        step=access.step,
    )
    return _report(request, access, found.submission, found)


def _report(
    request: AuthenticatedHttpRequest,
    access: StepAccess,
    work: PeerSubmission,
    found: PeerReview | None,
) -> HttpResponse:
    """The report page of work or a review, for the learners who have been shown it (the
    service refuses everyone else with a 404, as if it were not there)."""
    services.require_reporter(reporter=request.user, submission=work, review=found)
    already = PeerReport.objects.filter(
        reporter=request.user, submission=work, review=found
    ).exists()
    form = report_form(request.POST if request.method == "POST" else None, of_review=bool(found))
    back = "peer-received" if found else "peer-reviewing"
    refusal = ""
    if request.method == "POST" and already:
        messages.info(request, _("You have already reported this."))
        return _back(access, back)
    if request.method == "POST" and form.is_valid():
        try:
            services.report(
                reporter=request.user,
                submission=work,
                review=found,
                reason=form.cleaned_data["reason"],
            )
        except AlreadyDone as done:
            messages.info(request, str(done))
        except TooMany as too_many:
            refusal = str(too_many)
        else:
            messages.success(request, _("Thank you. The course team will look at this."))
        if not refusal:
            return _back(access, back)
    context = {"access": access, "step": access.step, "course": access.course, "work": work}
    context |= {"review": found, "form": form, "already": already, "refusal": refusal}
    if found is not None:
        rubric = services.settings_of(access.step).rubric
        context["review_shown"] = ShownReview(found, answers_of(found, rubric))
    return render(request, "assessments/peer/report.html", context, status=429 if refusal else 200)


# --- The course team's decisions (the moderation queue's peer-review section) --------------


def _moderated(request: AuthenticatedHttpRequest, slug: str) -> Course:
    """The course, if this person moderates it: checked before any work is looked up."""
    course = get_object_or_404(Course, slug=slug)
    services.require_moderator(user=request.user, course=course)
    return course


def _work_in(course: Course, submission_id: int) -> PeerSubmission:
    return get_object_or_404(
        PeerSubmission.objects.select_related("user", "step__week__course"),
        pk=submission_id,
        step__week__course=course,
    )


def _review_in(course: Course, review_id: int) -> PeerReview:
    return get_object_or_404(
        PeerReview.objects.select_related("reviewer", "submission__user", "step__week__course"),
        pk=review_id,
        step__week__course=course,
    )


def _to_queue(course: Course) -> HttpResponse:
    return redirect(reverse("moderation:queue", args=[course.slug]) + "#peer-moderation")


def _decide(
    request: HttpRequest, course: Course, write: Callable[[], object], done: str
) -> HttpResponse:
    """Makes a decision and says what came of it: done, or done already (nothing changed)."""
    try:
        write()
    except AlreadyDone as nothing:
        messages.info(request, str(nothing))
    else:
        messages.success(request, done)
    return _to_queue(course)


def hide_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label=_("Reason for hiding, shown to the author"),
        required_message=_("Give the author a reason for hiding this."),
    )


@login_required
@require_POST
def hide_work(request: AuthenticatedHttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    work = _work_in(course, submission_id)
    form = hide_form(request.POST)
    if not form.is_valid():
        context = {"course": course, "work": work, "review": None, "form": form}
        return render(request, "assessments/peer/hide.html", context, status=400)
    reason = form.cleaned_data["reason"]
    return _decide(
        request,
        course,
        lambda: services.hide_work(moderator=request.user, submission=work, reason=reason),
        _("%(name)s's work is hidden; they have been told why.") % {"name": work.user},
    )


@login_required
@require_POST
def hide_review(request: AuthenticatedHttpRequest, slug: str, review_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    found = _review_in(course, review_id)
    form = hide_form(request.POST)
    if not form.is_valid():
        context = {"course": course, "work": found.submission, "review": found, "form": form}
        return render(request, "assessments/peer/hide.html", context, status=400)
    reason = form.cleaned_data["reason"]
    return _decide(
        request,
        course,
        lambda: services.hide_review(moderator=request.user, review=found, reason=reason),
        _("%(name)s's review is hidden; they have been told why.") % {"name": found.reviewer},
    )


@login_required
@require_POST
def restore_work(request: AuthenticatedHttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    work = _work_in(course, submission_id)
    return _decide(
        request,
        course,
        lambda: services.restore_work(moderator=request.user, submission=work),
        _("%(name)s's work is visible again.") % {"name": work.user},
    )


@login_required
@require_POST
def restore_review(request: AuthenticatedHttpRequest, slug: str, review_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    found = _review_in(course, review_id)
    return _decide(
        request,
        course,
        lambda: services.restore_review(moderator=request.user, review=found),
        _("%(name)s's review is visible again.") % {"name": found.reviewer},
    )


@login_required
@require_POST
def dismiss_work(request: AuthenticatedHttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    work = _work_in(course, submission_id)
    return _decide(
        request,
        course,
        lambda: services.dismiss_reports(moderator=request.user, submission=work),
        _("Reports on %(name)s's work dismissed.") % {"name": work.user},
    )


@login_required
@require_POST
def dismiss_review(request: AuthenticatedHttpRequest, slug: str, review_id: int) -> HttpResponse:
    course = _moderated(request, slug)
    found = _review_in(course, review_id)
    return _decide(
        request,
        course,
        lambda: services.dismiss_reports(
            moderator=request.user, submission=found.submission, review=found
        ),
        _("Reports on %(name)s's review dismissed.") % {"name": found.reviewer},
    )
