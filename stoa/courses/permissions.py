"""What each member of a course team may do: one declared table that every view and service
of the team's workspace consults, so that pages, commands and the API share one rule.

Roles are the labels learners see beside team members' names (courses.TeamRole). What a role
may do is PERMISSIONS below: lead educators do everything, the team included; educators
moderate, announce, manage runs, read the dashboards and download and import the research
data; mentors moderate and reply; hosts only carry their badge. Staff (the site's admins) may
do everything on every course.

Someone listed twice on a team (say by the package and by `stoa team add`) has what either
of their roles allows.
"""

import enum

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.courses.models import Course, CourseTeamMember, TeamRole
from stoa.lib.refusals import NotAllowed


class Can(enum.StrEnum):
    """The things a course team does, each a column of the table."""

    SEE_WORKSPACE = "see the course's workspace"
    SEE_DASHBOARD = "read the dashboard"
    SEE_LEARNERS = "see the learners"
    REPLY = "reply to learners from the inbox"
    MODERATE = "moderate the conversation"
    PIN = "pin comments"
    ANNOUNCE = "send announcements"
    MANAGE_RUNS = "manage runs"
    MANAGE_TEAM = "manage the team"
    REVOKE_CERTIFICATES = "revoke certificates"
    EXPORT_DATA = "download the research data"
    IMPORT_DATA = "import research data into a run"


EVERYTHING = frozenset(Can)

PERMISSIONS: dict[str, frozenset[Can]] = {
    TeamRole.LEAD_EDUCATOR: EVERYTHING,
    TeamRole.EDUCATOR: EVERYTHING - {Can.MANAGE_TEAM},
    TeamRole.MENTOR: frozenset({Can.SEE_WORKSPACE, Can.REPLY, Can.MODERATE, Can.PIN}),
    TeamRole.HOST: frozenset(),
}


def capabilities(*, user: User | AnonymousUser, course: Course) -> frozenset[Can]:
    """Everything the user may do on the course's team: one query for a member."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_staff:
        return EVERYTHING
    roles = CourseTeamMember.objects.filter(course=course, user=user).values_list("role", flat=True)
    allowed: frozenset[Can] = frozenset()
    for role in roles:
        allowed |= PERMISSIONS.get(role, frozenset())
    return allowed


def may(*, user: User | AnonymousUser, course: Course, action: Can) -> bool:
    return action in capabilities(user=user, course=course)


def require(*, user: User | AnonymousUser, course: Course, action: Can) -> frozenset[Can]:
    """The user's capabilities on the course, if they include `action`; else NotAllowed."""
    allowed = capabilities(user=user, course=course)
    if action not in allowed:
        raise NotAllowed(
            _("Only members of this course's team who may %(action)s can do this.")
            % {"action": action.value}
        )
    return allowed


def courses_taught(*, user: User | AnonymousUser) -> list[Course]:
    """The courses whose workspace the user may open, for the Teach page: every course for
    staff; for members, the courses where a role of theirs sees the workspace."""
    if not user.is_authenticated:
        return []
    if user.is_staff:
        return list(Course.objects.order_by("title"))
    roles = [role for role, allowed in PERMISSIONS.items() if Can.SEE_WORKSPACE in allowed]
    return list(
        Course.objects.filter(team__user=user, team__role__in=roles).distinct().order_by("title")
    )


def flags(allowed: frozenset[Can]) -> dict[str, bool]:
    """The capabilities as template flags: {"manage_runs": True, ...}, for `can.manage_runs`."""
    return {action.name.lower(): action in allowed for action in Can}
