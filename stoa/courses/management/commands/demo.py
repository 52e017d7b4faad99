import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import (
    CourseRun,
    CourseTeamMember,
    TeamRole,
    bump_version,
    refresh_teaches,
)
from stoa.courses.services import import_package

DEMO_DIR = Path(settings.BASE_DIR).parent / "demo"

# Demo logins, printed on start. Only `stoa demo` creates them; never use them in production.
DEMO_ACCOUNTS = [
    ("learner@example.com", "learn-with-stoa", "Lee Learner", "learner"),
    ("educator@example.com", "teach-with-stoa", None, "educator"),
    ("admin@example.com", "admin-with-stoa", "Ada Admin", "admin"),
]


class Command(BaseCommand):
    help = (
        "Sets up the demo site: migrates, imports the demo courses, creates demo accounts "
        "and a conversation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo-dir", type=Path, default=DEMO_DIR)

    def handle(self, *args, demo_dir: Path, **options):
        call_command("migrate", interactive=False, verbosity=0)
        courses = []
        for package in sorted(p.parent for p in demo_dir.glob("*/course.yaml")):
            result = import_package(root=package)
            courses.append(result.course)
            self.stdout.write(f"Demo course: {result.course.title} ({result.course.slug})")
        with transaction.atomic():
            for course in courses:
                if not course.runs.exists():
                    # Started two weeks ago, so every week is open: the final test and the
                    # peer review of week 3 can be tried at once.
                    starts_on = timezone.localdate() - datetime.timedelta(days=14)
                    CourseRun.objects.create(course=course, starts_on=starts_on)
            logins = [self._account(course_list=courses, spec=spec) for spec in DEMO_ACCOUNTS]
        # By name, as the conversation is an app above this one.
        call_command("demo_conversation", stdout=self.stdout)
        call_command("demo_assessments", stdout=self.stdout)
        call_command("demo_insights", stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts (email / password):"))
        for kind, email, password in logins:
            self.stdout.write(f"  {kind:<9} {email:<24} {password}")
        self.stdout.write("")

    def _account(self, *, course_list, spec) -> tuple[str, str, str]:
        email, password, display_name, kind = spec
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(email=email, display_name=display_name or "Demo educator")
            user.set_password(password)
        if kind == "admin":
            user.is_staff = user.is_superuser = True
        if kind == "educator":
            # The demo educator is the first educator of each demo course's team.
            for course in course_list:
                member = (
                    course.team.filter(role__in=[TeamRole.LEAD_EDUCATOR, TeamRole.EDUCATOR])
                    .order_by("position")
                    .first()
                )
                if member is not None:
                    user.display_name = member.name
                    user.save()
                    CourseTeamMember.objects.filter(pk=member.pk).update(user=user)
                    bump_version(course.pk)
        user.save()
        refresh_teaches(user.pk)  # after saving, which would write the flag as it was loaded
        return kind, email, password
