"""The dashboard's tallies from the command line: `recount` rebuilds them from the rows."""

from django.core.management.base import BaseCommand, CommandError

from stoa.courses.models import Course
from stoa.insights.services import recount_tallies
from stoa.lib.progress import ProgressBar

TALLIES = 8  # the steps recount_tallies reports


class Command(BaseCommand):
    help = (
        "Dashboard tallies: `recount SLUG [--run N]` rebuilds a course's (or one run's) "
        "from its learners' rows, for data written before the tallies existed or loaded in bulk."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        recount = actions.add_parser("recount", help="Rebuild the dashboard's tallies.")
        recount.add_argument("slug")
        recount.add_argument("--run", type=int, help="only this run (its id: `stoa run list`)")

    def handle(self, *args, action: str, slug: str, run: int | None, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        runs = course.runs.order_by("starts_on")
        if run is not None:
            runs = runs.filter(pk=run)
            if not runs.exists():
                raise CommandError(f"{course.title} has no run {run}.")
        for each in runs:
            bar = ProgressBar(TALLIES, label=f"Run from {each.starts_on} ", stream=self.stderr)

            def advance(name: str, bar: ProgressBar = bar) -> None:
                bar.advance()

            recount_tallies(each, on_step=advance)
            bar.finish()
            self.stdout.write(f"Recounted the tallies of the run from {each.starts_on}.")
