"""Announcements: the workspace's list and "new" pages (teach/<slug>/announcements/), the
one-click unsubscribe link of each email, and a learner's course email settings.

Every form works without JavaScript: "Preview" posts the form and shows it again, with what
was typed and the rendered announcement; "Send" creates it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from stoa.accounts.models import User
from stoa.conversation.announcements import selectors, services
from stoa.conversation.announcements.forms import AnnouncementForm
from stoa.courses.models import Course
from stoa.courses.permissions import Can, flags, require
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import Invalid


def _team_course(request: HttpRequest, slug: str) -> tuple[Course, frozenset[Can]]:
    course = get_object_or_404(Course, slug=slug)
    return course, require(user=request.user, course=course, action=Can.ANNOUNCE)


@login_required
@require_GET
def announcements(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed = _team_course(request, slug)
    context = {
        "course": course,
        "can": flags(allowed),
        "tab": "announcements",
        "announcements": selectors.announcements_of(course=course),
    }
    return render(request, "conversation/announcements/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, allowed = _team_course(request, slug)
    form = AnnouncementForm(course, request.POST if request.method == "POST" else None)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = services.render_body(form.cleaned_data["body"])
        else:
            try:
                announcement = services.create_announcement(
                    by=request.user, course=course, **form.cleaned_data
                )
            except services.AnnouncementInvalid as refusal:
                form.add_error(refusal.field, refusal.message)
            else:
                scheduled = announcement.started_at is None
                messages.success(
                    request,
                    _("Your announcement is scheduled.")
                    if scheduled
                    else _("Your announcement is on its way."),
                )
                return redirect("announcements:list", course.slug)
    context = {
        "course": course,
        "can": flags(allowed),
        "tab": "announcements",
        "form": form,
        "preview": preview,
    }
    return render(request, "conversation/announcements/new.html", context)


# Mail providers POST here with no cookie or CSRF token (RFC 8058's one-click unsubscribe):
# the signed token is the authority, and the only thing it can do is stop emails.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners fetch links, and must not unsubscribe anyone);
    POST opts the person out of the course's announcement emails."""
    try:
        user_id, course_id = services.read_unsubscribe_token(token)
    except Invalid as refusal:
        raise Http404(refusal.message) from refusal
    course = get_object_or_404(Course, pk=course_id)
    if not User.objects.filter(pk=user_id).exists():
        raise Http404
    done = request.method == "POST"
    if done:
        services.opt_out(user_id=user_id, course_id=course_id)
    context = {"course": course, "done": done, "token": token}
    return render(request, "conversation/announcements/unsubscribe.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's courses, each with its announcement emails on or off."""
    if request.method == "POST":
        course_id = request.POST.get("course", "")
        if not course_id.isdigit():
            raise Invalid(_("Choose one of your courses."))
        course = get_object_or_404(Course, pk=course_id, enrolments__user=request.user)
        if request.POST.get("emails") == "on":
            services.opt_in(user_id=request.user.pk, course_id=course.pk)
            messages.success(
                request, _("Emails from %(course)s are on.") % {"course": course.title}
            )
        else:
            services.opt_out(user_id=request.user.pk, course_id=course.pk)
            messages.success(
                request, _("Emails from %(course)s are off.") % {"course": course.title}
            )
        return redirect("announcements:settings")
    context = {"rows": selectors.course_emails_of(user=request.user)}
    return render(request, "conversation/announcements/settings.html", context)
