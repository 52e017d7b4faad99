from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import Truncator

from stoa.courses.models import Course
from stoa.courses.package import Problem, read_package
from stoa.courses.services import (
    ExportDestinationNotEmpty,
    PackageInvalid,
    export_course,
    import_package,
)


def _problems_found(problems: list[Problem]) -> str:
    count = len(problems)
    return f"{count} problem{'' if count == 1 else 's'} found"


def _with_warnings(warnings: list[Problem]) -> str:
    count = len(warnings)
    return f", with {count} warning{'' if count == 1 else 's'}" if count else ""


class Command(BaseCommand):
    help = (
        "Course packages: `validate PATH` checks one, `import PATH` creates or updates its "
        "course, `export SLUG PATH` writes a course out as a package."
    )
    # Packages are checked by their own rules; the site's checks (URLs, templates) are not
    # needed to read or write one.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        validate = actions.add_parser(
            "validate", help="Check a package and list every problem, one a line."
        )
        validate.add_argument("path", type=Path)
        import_ = actions.add_parser(
            "import", help="Create the package's course, or update it in place by its slug."
        )
        import_.add_argument("path", type=Path)
        export = actions.add_parser("export", help="Write a course as a package folder.")
        export.add_argument("slug")
        export.add_argument("path", type=Path, help="a new or empty folder")

    def handle(self, *args, action: str, path: Path, **options):
        if action == "validate":
            self.validate(path)
        elif action == "import":
            self.import_package(path)
        else:
            self.export(options["slug"], path)

    def report(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.stderr.write(str(problem))

    def warn(self, warnings: list[Problem] | tuple[Problem, ...]) -> None:
        """What the package was read in spite of, one a line: the person uploading it should
        know, though nothing stops it."""
        for warning in warnings:
            self.stderr.write(
                f"{warning.where}: warning: {warning.message}", style_func=self.style.WARNING
            )

    def validate(self, path: Path) -> None:
        warnings: list[Problem] = []
        package, problems = read_package(path, warnings=warnings)
        self.warn(warnings)
        if problems or package is None:
            self.report(problems)
            raise CommandError(f"{_problems_found(problems)}; the package is not valid.")
        weeks = len(package.course.weeks)
        steps = len(package.steps)
        self.stdout.write(
            f"OK: {package.course.slug} is a valid package "
            f"({weeks} week{'' if weeks == 1 else 's'}, {steps} step{'' if steps == 1 else 's'})"
            f"{_with_warnings(warnings)}"
        )

    def import_package(self, path: Path) -> None:
        try:
            result = import_package(root=path)
        except PackageInvalid as error:
            self.warn(error.warnings)
            self.report(error.problems)
            raise CommandError(
                f"{_problems_found(error.problems)}; nothing was imported."
            ) from None
        self.warn(result.warnings)
        self.stdout.write(
            f"Imported {result.course.slug}: {result.steps} steps ({result.steps_created} created, "
            f"{result.steps_updated} updated, {result.steps_unchanged} unchanged, "
            f"{result.steps_deleted} deleted)"
        )
        for lost in result.lost_answers:
            answers = f"{lost.answers} answer{'' if lost.answers == 1 else 's'} to it"
            self.stdout.write(
                self.style.WARNING(
                    f"Step {lost.step_number}, question {lost.question_position} changed "
                    f"(\u201c{Truncator(lost.prompt).chars(60)}\u201d): {answers} "
                    f"{'was' if lost.answers == 1 else 'were'} removed, as they answered the "
                    "old question."
                )
            )

    def export(self, slug: str, path: Path) -> None:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"There is no course with the slug {slug!r}.")
        try:
            export_course(course=course, destination=path)
        except ExportDestinationNotEmpty as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Exported {slug} to {path}")
