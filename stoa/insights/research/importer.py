"""Importing the reference platform's datasets into a run: a university that leaves it brings
its old runs' files, and sees them in Stoa's dashboards like its own runs.

Every file is read twice, as a stream. The first read checks everything (headers, times,
numbers, ids that must agree) and writes nothing; any error refuses the whole import, with
the file and line of each. The second read writes, in one transaction, in batches: the
learners (pseudonymous accounts that cannot sign in), then what they did. Memory holds no
file, only what the rows must find again: a learner's index by their id, a comment's by its
id, a bit per learner and step for the activity already read, and a fingerprint per question
response (the one dataset with several rows for one key, where a repeated row must be found).

Importing the same files again changes nothing: learners are recognised by the pseudonym the
first import gave them, rows that have an id by the ImportedRow that records it, and the
rest by their unique keys (a learner's visit of a step, their n-th try at a question).

What the files hold that Stoa does not model, or would write differently (a comment's
moderation state, a learner's detected country, a time written without " UTC"), goes into
the ImportedRow's cells, which the export writes back as they came (export.py): exporting
an imported run gives back the files' rows.

Here: the import's API and its course (check, then write). reading.py finds the files and
streams their rows; import_rows.py parses each dataset's rows; import_writes.py writes them
and counts what Stoa keeps counted; import_notes.py words the report's notes.
"""

import io
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.assessments.models import PeerSubmission
from stoa.conversation.models import Comment
from stoa.courses.models import CourseRun
from stoa.courses.permissions import Can, require
from stoa.insights.models import ImportedRow
from stoa.insights.research import schema
from stoa.insights.research.import_notes import note_text
from stoa.insights.research.import_rows import (
    ORDER,
    Entry,
    Learners,
    RowReading,
    Skip,
    course_steps,
)
from stoa.insights.research.import_writes import BATCH, RowWriting
from stoa.insights.research.reading import CellError, FileError, Opener, Table, dataset_of, files_in


@dataclass
class ImportReport:
    """What an import did, by dataset: rows written, rows found already there; and what it
    noticed (rows it skipped and why, repairs it made)."""

    counts: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class ImportRefused(Exception):
    """Nothing was imported: errors says why, each "file:line: message"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def datasets_in(path: Path) -> dict[str, Callable[[], BinaryIO]]:
    """The dataset files in a folder or a .zip, by dataset (files named
    `<anything>_<dataset>.csv`, in any case): an opener for each. ImportRefused for a path
    that is neither, or two files of one dataset."""
    if not path.is_dir() and not path.is_file():
        raise ImportRefused([_("%(path)s is not a folder or a file.") % {"path": path}])
    try:
        found = files_in(path)
    except FileError as error:
        raise ImportRefused([str(error)]) from None
    return {dataset: opener for dataset, (_name, opener) in found.items()}


def import_datasets(
    *,
    run: CourseRun,
    files: Mapping[str, Callable[[], BinaryIO]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Imports the datasets (by name, as datasets_in gives them) into the run. Checks every
    file first and writes nothing if any is wrong (ImportRefused, with every error); then
    writes in one transaction, and rebuilds the run's tallies and counters. progress, if
    given, hears how many rows were read since it last heard (each file is read twice)."""
    unknown = sorted(set(files) - set(schema.DATASETS))
    if unknown:
        raise ImportRefused([_("Not datasets: %(names)s") % {"names": ", ".join(unknown)}])
    return _Import(run, {name: ("", opener) for name, opener in files.items()}, progress).run()


def import_uploads(*, user: User, run: CourseRun, uploads: Iterable[UploadedFile]) -> ImportReport:
    """Imports files sent from the workspace (a ZIP of the datasets, or their CSV files) into
    the run, for a member of its course's team who may import (Can.IMPORT_DATA) or staff.
    NotAllowed for anyone else; ImportRefused as import_datasets, and for files that are not
    datasets."""
    require(user=user, course=run.course, action=Can.IMPORT_DATA)
    files: dict[str, tuple[str, Opener]] = {}
    errors = []
    for upload in uploads:
        name = upload.name or ""
        found: dict[str, tuple[str, Opener]]
        if name.lower().endswith(".zip"):
            try:
                found = files_in(cast(BinaryIO, upload.file))
            except FileError as error:
                errors.append(str(error))
                continue
            if not found:
                errors.append(_("%(name)s holds no dataset files.") % {"name": name})
        elif (dataset := dataset_of(name)) is not None:
            found = {dataset: (name, _upload_opener(upload))}
        else:
            errors.append(
                _("%(name)s is not a dataset file: name it <anything>_<dataset>.csv.")
                % {"name": name}
            )
            continue
        for dataset, named in found.items():
            if dataset in files:
                errors.append(
                    _("%(first)s and %(second)s are both %(dataset)s files: send one of them.")
                    % {"first": files[dataset][0], "second": named[0], "dataset": dataset}
                )
            files[dataset] = named
    if errors:
        raise ImportRefused(errors)
    if not files:
        raise ImportRefused([_("Choose a ZIP of the datasets, or their CSV files.")])
    return _Import(run, files, None).run()


def _upload_opener(upload: UploadedFile) -> Opener:
    """Opens an uploaded CSV file anew for each read: a large one from the temporary file
    Django wrote it to, a small one (held in memory by Django already) from its bytes."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        path = Path(temporary())
        return lambda: path.open("rb")
    upload.seek(0)
    data = upload.read()
    return lambda: io.BytesIO(data)


class _Import(RowReading, RowWriting):
    def __init__(
        self,
        run: CourseRun,
        files: Mapping[str, tuple[str, Opener]],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.run_row = run
        self.course = run.course
        self.tables = {
            dataset: Table(dataset, opener, name=name)
            for dataset in ORDER
            if dataset in files
            for name, opener in [files[dataset]]
        }
        self.progress = progress
        self.steps = course_steps(self.course)
        self.step_count = len(self.steps)
        self.steps_by_pk = {step.pk: step for step in self.steps.values()}
        self.question_index = {
            pk: index
            for index, pk in enumerate(
                pk for step in self.steps.values() for pk in step.questions.values()
            )
        }
        self.learners = Learners()
        self.errors: list[str] = []
        self.error_count = 0
        self.report = ImportReport()
        self.notes: Counter[tuple[str, str]] = Counter()
        self.named: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.matched = self.unmatched = 0
        self.rows_read: Counter[str] = Counter()
        # Rows with ids, by dataset and id (see Entry).
        self.entries: dict[str, dict[str, Entry]] = defaultdict(dict)
        self.team_roles: dict[str, str] = {}
        self.checking = True

    def run(self) -> ImportReport:
        if not self.tables:
            raise ImportRefused([_("There are no dataset files to import.")])
        self._load_imported_ids()
        for dataset, table in self.tables.items():
            self._check(dataset, table)
        self._check_threads()
        if self.unmatched and not self.matched:
            self._error(
                "",
                0,
                _(
                    "None of the steps the files name is a step of this course: is this the "
                    "right course?"
                ),
            )
        if self.errors:
            if self.error_count > len(self.errors):
                self.errors.append(
                    _("… and %(count)s more errors.")
                    % {"count": f"{self.error_count - len(self.errors):,}"}
                )
            raise ImportRefused(self.errors)
        self.checking = False
        with transaction.atomic(durable=True):
            self._write_team()
            self._write_learners()
            self._write_activity()
            self._write_comments()
            self._write_responses()
            self._write_work()
            self._write_reviews()
            self._write_leaving()
            self._write_sentiment()
            self._write_archetypes()
            self._write_videos()
            self._recount()
        self.report.notes = self._notes()
        return self.report

    def _load_imported_ids(self) -> None:
        """The ids earlier imports into this run recorded: their rows are there already."""
        datasets = ("comments", "peer-review-assignments", "peer-review-reviews")
        rows = ImportedRow.objects.filter(run=self.run_row, dataset__in=datasets).values_list(
            "dataset", "source_id", "object_id"
        )
        for dataset, source_id, object_id in rows.iterator(chunk_size=BATCH):
            self.entries[dataset][source_id] = Entry(0, 0, source_id, pk=object_id, existing=True)
        # A reply recorded earlier belongs to its thread; where the thread is, is Stoa's.
        comments = self.entries["comments"]
        if comments:
            pks = {entry.pk: entry for entry in comments.values()}
            for pk, parent_id in Comment.objects.filter(
                run=self.run_row, pk__in=list(pks), parent__isnull=False
            ).values_list("pk", "parent_id"):
                pks[pk].thread = parent_id
        work = self.entries["peer-review-assignments"]
        if work:
            steps = dict(
                PeerSubmission.objects.filter(
                    pk__in=[entry.pk for entry in work.values()]
                ).values_list("pk", "step_id")
            )
            for entry in work.values():
                entry.step = steps.get(cast(int, entry.pk), 0)

    # --- The first read: checking ---

    def _check(self, dataset: str, table: Table) -> None:
        parse = self._PARSERS[dataset]
        remember = self._REMEMBER.get(dataset)
        try:
            for line, row in self._rows(dataset):
                self.rows_read[dataset] += 1
                try:
                    record = parse(self, row)
                except CellError as error:
                    self._error(table.name, line, str(error))
                    continue
                except Skip as skip:
                    self._note(skip.kind, dataset, skip.detail)
                    continue
                if remember is not None:
                    remember(self, table, line, row, record)
        except FileError as error:
            self._error("", 0, str(error))

    def _check_threads(self) -> None:
        """Finds the thread each reply joins (Stoa has one level of replies, the files may
        have more), and refuses replies that are each other's parents."""
        comments = self.entries["comments"]
        name = self.tables["comments"].name if "comments" in self.tables else ""
        for source_id, entry in comments.items():
            if entry.existing or not entry.parent:
                continue
            seen = {source_id}
            current = entry.parent
            while True:
                parent = comments.get(current)
                if parent is None:  # not in the file, nor imported before: a thread itself
                    entry.thread = ""
                    self._note("parent_missing", "comments")
                    break
                if parent.existing:
                    entry.thread = parent.thread or cast(int, parent.pk)
                    break
                if not parent.parent:
                    entry.thread = current
                    break
                if current in seen:
                    self._error(
                        name,
                        entry.line,
                        _("comment %(id)s is in a loop of replies (each the other's parent).")
                        % {"id": source_id},
                    )
                    break
                seen.add(current)
                current = parent.parent
            if entry.thread and entry.thread != entry.parent:
                self._note("nested_reply", "comments")

    def _notes(self) -> list[str]:
        notes = []
        # In the order the files are read, then by kind.
        for (kind, dataset), count in sorted(
            self.notes.items(), key=lambda item: (ORDER.index(item[0][1]), item[0][0])
        ):
            named = sorted(self.named.get((kind, dataset), ()))
            shown = ", ".join(named[:10]) + (", …" if len(named) > 10 else "")
            notes.append(note_text(kind, dataset, count, shown))
        return notes
