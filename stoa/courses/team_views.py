"""The Team tab of the course's workspace, and the invitation link's page.

Everyone who may open the workspace sees the team; inviting, changing roles and removing
need Can.MANAGE_TEAM, which the services check (stoa/courses/services.py, "Team workspace").
Every action is a plain form post that redirects back to the list, so no JavaScript is needed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from stoa.accounts.models import User
from stoa.courses import services
from stoa.courses.models import Course, CourseTeamMember, TeamInvitation, TeamRole
from stoa.courses.permissions import PERMISSIONS, Can, flags, may, require
from stoa.courses.team_forms import InviteForm, RoleForm
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import AlreadyDone, Invalid, NotFound


def _render_team(
    request: HttpRequest, course: Course, allowed: frozenset[Can], form: InviteForm
) -> HttpResponse:
    manage = Can.MANAGE_TEAM in allowed
    invitations = (
        list(course.invitations.filter(accepted_at=None).order_by("created_at")) if manage else []
    )
    return render(
        request,
        "courses/workspace/team.html",
        {
            "course": course,
            "can": flags(allowed),
            "tab": "team",
            "members": list(course.team.select_related("user").order_by("position")),
            "invitations": invitations,
            "form": form,
            "roles": TeamRole.choices,
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def team(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.SEE_WORKSPACE)
    return _render_team(request, course, allowed, InviteForm())


@login_required
@require_POST
def invite(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    allowed = require(user=request.user, course=course, action=Can.MANAGE_TEAM)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            result = services.invite(course=course, by=request.user, **form.cleaned_data)
        except Invalid as refusal:
            form.add_error("email", refusal.message)
        else:
            if isinstance(result, TeamInvitation):
                message = _("An invitation is on its way to %(email)s.") % {"email": result.email}
            else:
                message = _("%(name)s is on the team now, as %(role)s.") % {
                    "name": result.name,
                    "role": result.get_role_display(),
                }
            messages.success(request, message)
            return redirect("team:list", course.slug)
    return _render_team(request, course, allowed, form)


def _member(course: Course, member_id: int) -> CourseTeamMember:
    member = CourseTeamMember.objects.filter(pk=member_id, course=course).first()
    if member is None:
        raise NotFound(_("This person is not on the course's team."))
    return member


@login_required
@require_POST
def change_role(request: AuthenticatedHttpRequest, slug: str, member_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    member = _member(course, member_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid(_("Choose one of the team's roles."))
        member = services.change_role(
            course=course, by=request.user, member=member, role=form.cleaned_data["role"]
        )
    except Invalid as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("%(name)s is %(role)s now.")
            % {"name": member.name, "role": member.get_role_display()},
        )
    return redirect("team:list", course.slug)


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest, slug: str, member_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    member = _member(course, member_id)
    try:
        services.remove_member(course=course, by=request.user, member=member)
    except Invalid as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(name)s is off the team.") % {"name": member.name})
    if not may(user=request.user, course=course, action=Can.SEE_WORKSPACE):
        return redirect("courses:teach")  # they left the team: the workspace is not theirs now
    return redirect("team:list", course.slug)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    invitation = get_object_or_404(TeamInvitation, pk=invitation_id, course=course)
    try:
        services.cancel_invitation(course=course, by=request.user, invitation=invitation)
    except AlreadyDone as refusal:
        messages.info(request, refusal.message)
    else:
        messages.success(
            request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
        )
    return redirect("team:list", course.slug)


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the invited account joins the team; anyone signed out signs up (or
    in, if the address has an account by now) and comes back here. Sign-up starts with the
    invited address filled in: it is the one the invitation accepts."""
    try:
        if not request.user.is_authenticated:
            found = services.pending_invitation(token=token)
            if User.objects.filter(email__iexact=found.email).exists():
                query = {"next": request.path}
                return redirect(f"{reverse('accounts:signin')}?{urlencode(query)}")
            query = {"next": request.path, "email": found.email}
            return redirect(f"{reverse('accounts:signup')}?{urlencode(query)}")
        member = services.accept_invitation(token=token, user=request.user)
    except services.InvitationGone as refusal:
        return render(
            request, "courses/workspace/invitation_gone.html", {"reason": refusal}, status=410
        )
    course = member.course
    messages.success(
        request,
        _("Welcome to the team of %(course)s, as %(role)s.")
        % {"course": course.title, "role": member.get_role_display()},
    )
    if Can.SEE_WORKSPACE in PERMISSIONS.get(member.role, frozenset()):
        return redirect("team:list", course.slug)
    return redirect(course.get_absolute_url())  # hosts have no workspace
