from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max

from stoa.accounts.models import User
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
        if action == "add":
            role = options["role"]
            if role not in TeamRole.values:
                raise CommandError(f"{role!r} is not a team role; use one of: {ROLES}.")
            self.stdout.write(self._add(course=course, user=user, role=TeamRole(role)))
        else:
            self.stdout.write(self._remove(course=course, user=user))

    @transaction.atomic
    def _add(self, *, course: Course, user: User, role: TeamRole) -> str:
        Course.objects.select_for_update().filter(pk=course.pk).first()  # one change at a time
        team = CourseTeamMember.objects.filter(course=course)
        member = team.filter(user=user).first()
        if member is not None:
            if member.role == role:
                return f"{user.email} already is {role.label} on {course.slug}."
            member.role = role
            member.save(update_fields=["role"])
            return f"{user.email} is now {role.label} on {course.slug}.{_package_note(member)}"
        # The package may list this person already: link the account to them rather than
        # show them twice.
        member = team.filter(
            user__isnull=True, from_package=True, name__iexact=user.display_name
        ).first()
        if member is not None:
            listed_role = member.role
            member.user, member.role = user, role
            member.save(update_fields=["user", "role"])
            note = _package_note(member) if role != listed_role else ""
            return (
                f"Linked {user.email} to {member.name} on the team of {course.slug}, "
                f"as {role.label}.{note}"
            )
        last = team.aggregate(last=Max("position"))["last"] or 0
        CourseTeamMember.objects.create(
            course=course,
            position=last + 1,
            name=user.display_name or user.email,
            role=role,
            user=user,
        )
        return f"Added {user.email} to the team of {course.slug} as {role.label}."

    @transaction.atomic
    def _remove(self, *, course: Course, user: User) -> str:
        members = list(CourseTeamMember.objects.filter(course=course, user=user))
        if not members:
            raise CommandError(f"{user.email} is not on the team of {course.slug}.")
        for member in members:
            if member.from_package:
                # The package still lists them: they stay on the page, without the account.
                member.user = None
                member.save(update_fields=["user"])
            else:
                member.delete()
        return f"Removed {user.email} from the team of {course.slug}."


def _package_note(member: CourseTeamMember) -> str:
    # The package is where its members' roles live: an import sets them again.
    if not member.from_package:
        return ""
    return (
        f"\nNote: the course package lists {member.name} too, so importing it again sets the "
        "role it gives them. To keep this role, change it in the package."
    )
