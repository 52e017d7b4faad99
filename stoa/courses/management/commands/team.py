from django.core.management.base import BaseCommand, CommandError

from stoa.accounts.models import User
from stoa.courses import services
from stoa.courses.models import Course, CourseTeamMember, TeamRole

ROLES = ", ".join(TeamRole.values)


class Command(BaseCommand):
    help = (
        "A course's team of accounts, who moderate its conversation and carry a role badge: "
        "`add SLUG EMAIL --role ROLE` and `remove SLUG EMAIL`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser(
            "add", help="Add an account to a course's team, or change its role there."
        )
        add.add_argument("slug")
        add.add_argument("email")
        # Checked in handle, not by argparse, so a bad role fails like any other bad input.
        add.add_argument("--role", required=True, help=ROLES)
        remove = actions.add_parser("remove", help="Take an account off a course's team.")
        remove.add_argument("slug")
        remove.add_argument("email")

    def handle(self, *args, action: str, slug: str, email: str, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with email address {email!r}.")
        if action == "remove":
            try:
                services.remove_team_member(course=course, user=user)
            except services.NotOnTeam as exc:
                raise CommandError(f"{user.email} is not on the team of {course.slug}.") from exc
            self.stdout.write(f"Removed {user.email} from the team of {course.slug}.")
            return
        role = options["role"]
        if role not in TeamRole.values:
            raise CommandError(f"{role!r} is not a team role; use one of: {ROLES}.")
        change = services.add_team_member(course=course, user=user, role=TeamRole(role))
        self.stdout.write(_said(change, user=user, course=course, role=TeamRole(role)))


def _said(change: services.TeamChange, *, user: User, course: Course, role: TeamRole) -> str:
    note = _package_note(change.member) if change.package_role_returns else ""
    if change.outcome == "unchanged":
        return f"{user.email} already is {role.label} on {course.slug}."
    if change.outcome == "role changed":
        return f"{user.email} is now {role.label} on {course.slug}.{note}"
    if change.outcome == "linked":
        return (
            f"Linked {user.email} to {change.member.name} on the team of {course.slug}, "
            f"as {role.label}.{note}"
        )
    return f"Added {user.email} to the team of {course.slug} as {role.label}."


def _package_note(member: CourseTeamMember) -> str:
    # The package is where its members' roles live: an import sets them again.
    return (
        f"\nNote: the course package lists {member.name} too, so importing it again sets the "
        "role it gives them. To keep this role, change it in the package."
    )
