"""Research data from the command line: `export` writes a run's datasets into a folder, as the
workspace's Data tab downloads them; `import` reads another platform's datasets into a run.
Operators run these, so no team role is checked (the pages check Can.EXPORT_DATA and
Can.IMPORT_DATA)."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stoa.courses.models import Course, CourseRun
from stoa.insights.research import export, schema
from stoa.insights.research.services import make_pseudonyms
from stoa.lib.progress import ProgressBar

# How often `import` says how far it got, in the units the importer reports.
IMPORT_NOTE_EVERY = 100_000


class Command(BaseCommand):
    help = (
        "Research data: `export SLUG --run N DIR [--dataset NAME ...]` writes a run's datasets "
        "as CSV files into DIR; `import SLUG --run N PATH` reads datasets (a folder or a .zip "
        "of <anything>_<dataset>.csv files) into a run."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        out = actions.add_parser("export", help="Write a run's datasets as CSV files.")
        out.add_argument("slug")
        out.add_argument("--run", type=int, required=True, help="the run's id: `stoa run list`")
        out.add_argument("directory", type=Path, help="where to write (made if missing)")
        out.add_argument(
            "--dataset",
            action="append",
            choices=list(schema.DATASETS),
            metavar="NAME",
            help="only this dataset (again for more); every dataset by default. "
            f"One of: {', '.join(schema.DATASETS)}",
        )
        into = actions.add_parser("import", help="Read datasets into a run.")
        into.add_argument("slug")
        into.add_argument("--run", type=int, required=True, help="the run's id: `stoa run list`")
        into.add_argument("path", type=Path, help="a folder or a .zip of the datasets' files")

    def handle(self, *args, action: str, slug: str, run: int, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        chosen = CourseRun.objects.filter(course=course, pk=run).select_related("course").first()
        if chosen is None:
            raise CommandError(f"{slug} has no run {run}. See `stoa run list {slug}`.")
        if action == "export":
            self._export(chosen, options["directory"], options["dataset"] or list(schema.DATASETS))
        else:
            self._import(chosen, options["path"])

    def _export(self, run: CourseRun, directory: Path, datasets: list[str]) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot write into {directory}: {error}") from None
        make_pseudonyms(run=run)
        for dataset in dict.fromkeys(datasets):  # each once, in the order asked
            name = schema.file_name(run.course.slug, dataset)
            bar = ProgressBar(export.units(run, dataset), label=f"{name} ", stream=self.stderr)
            # Written beside the file, then renamed: an export stopped halfway leaves no file
            # that looks whole.
            partial = directory / f"{name}.part"
            with partial.open("w", encoding="utf-8", newline="") as stream:
                written = export.write_csv(run, dataset, stream, progress=bar.advance)
            os.replace(partial, directory / name)
            bar.finish()
            self.stdout.write(f"Wrote {directory / name}: {written:,} rows")

    def _import(self, run: CourseRun, path: Path) -> None:
        # Imported here, so that export works whether or not the importer is installed.
        from stoa.insights.research.importer import ImportRefused, datasets_in, import_datasets

        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        read = 0

        def progress(count: int) -> None:
            nonlocal read
            before, read = read, read + count
            if before // IMPORT_NOTE_EVERY != read // IMPORT_NOTE_EVERY:
                self.stderr.write(f"{read:,} rows read")

        try:
            files = datasets_in(path)
            if not files:
                raise CommandError(f"{path} holds no dataset files (<anything>_<dataset>.csv).")
            report = import_datasets(run=run, files=files, progress=progress)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(error)
            raise CommandError(
                f"Nothing was imported: {len(refused.errors)} error(s) in {path}."
            ) from None
        for dataset in dict.fromkeys([*report.counts, *report.unchanged]):
            count, unchanged = report.counts.get(dataset, 0), report.unchanged.get(dataset, 0)
            self.stdout.write(f"{dataset}: {count:,} imported, {unchanged:,} already there")
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
