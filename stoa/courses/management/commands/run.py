import datetime

from django.core.management.base import BaseCommand, CommandError

from stoa.courses.models import Course
from stoa.courses.services import create_run
from stoa.lib.refusals import Invalid


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "Course runs: `create SLUG --starts YYYY-MM-DD [--week-open-emails]` and `list SLUG`."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a run of a course.")
        create.add_argument("slug")
        create.add_argument("--starts", required=True, type=str, help="YYYY-MM-DD")
        create.add_argument(
            "--week-open-emails",
            action="store_true",
            help="Email learners on the day each week opens.",
        )
        listing = actions.add_parser("list", help="List a course's runs.")
        listing.add_argument("slug")

    def handle(self, *args, action: str, slug: str, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        if action == "create":
            starts_on = iso_date(options["starts"])
            try:
                run = create_run(
                    course=course,
                    by=None,
                    starts_on=starts_on,
                    week_open_emails=options["week_open_emails"],
                )
            except Invalid as exc:
                raise CommandError(f"{slug}: {exc}") from exc
            emails = ", emailing learners as weeks open" if run.week_open_emails else ""
            self.stdout.write(
                f"Created run {run.pk} of {slug}: {run.starts_on} to {run.ends_on}{emails}"
            )
        else:
            runs = course.runs.order_by("starts_on")
            if not runs:
                self.stdout.write(f"{slug} has no runs. Create one with `stoa run create`.")
            for run in runs:
                emails = "  week-open emails" if run.week_open_emails else ""
                self.stdout.write(
                    f"{run.pk:>6}  {run.starts_on} to {run.ends_on}  "
                    f"{run.learner_count} learner(s){emails}"
                )
