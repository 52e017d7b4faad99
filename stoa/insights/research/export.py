"""A run's research datasets, written as the reference platform writes them (schema.py), so
that the analysis scripts universities already have read Stoa's runs unchanged.

Every dataset is read in batches by key (the rows after the last id read), with the rows each
batch needs from other tables read for that batch alone (`__in` on its ids), so memory stays
flat whatever the size of the run: a batch of rows, the course's steps and questions, and the
course team. The CSV and the ZIP are written as they are read and streamed as they are
written.

What an import brought in comes back out as it came (the contract with importer.py): a row
with an ImportedRow writes the cells the file had for every column they name, and its id is
the file's id; learners are named by their pseudonym in the course, never by their account.
"""

import csv
import io
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, TextIO

from django.db.models import Min, QuerySet

from stoa.accounts.models import LearnerProfile
from stoa.assessments.models import Answer, PeerReview, PeerSubmission
from stoa.certificates.models import Certificate
from stoa.conversation.models import Comment, Report
from stoa.courses.models import CourseRun, CourseTeamMember, Question, Step, StepType
from stoa.insights.models import ImportedRow
from stoa.insights.research import schema
from stoa.insights.research.schema import DATASETS, format_time
from stoa.insights.research.services import pseudonyms_for
from stoa.learning.models import (
    ArchetypeResponse,
    Enrolment,
    LeavingResponse,
    SentimentResponse,
    StepCompletion,
    StepVisit,
    VideoTally,
)

# Rows read per query. step-activity reads its learners in smaller batches, since each has
# up to a row per step of the course.
BATCH = 1000
LEARNERS_PER_BATCH = 100

Row = list[str]
Progress = Callable[[int], None]


def rows(run: CourseRun, dataset: str, *, progress: Progress | None = None) -> Iterator[Row]:
    """The dataset's rows for the run, each a list of strings in the order of its columns
    (without the header). progress, if given, hears after each batch how many units (see
    units()) it read. KeyError for a dataset that schema.DATASETS does not name."""
    reader = _DATASETS[dataset][1]
    for done, batch in reader(_Run(run)):
        yield from batch
        if progress is not None:
            progress(done)


def units(run: CourseRun, dataset: str) -> int:
    """How many units rows() reports for the dataset, for a progress bar: its rows, or for
    step-activity the run's learners (each has a row per step visited)."""
    return _DATASETS[dataset][0](_Run(run)).count()


def write_csv(
    run: CourseRun, dataset: str, stream: TextIO, *, progress: Progress | None = None
) -> int:
    """Writes the dataset as CSV to a text stream (a file opened with newline=""), its
    header line first; returns how many rows followed the header."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(DATASETS[dataset])
    written = 0
    for row in rows(run, dataset, progress=progress):
        writer.writerow(row)
        written += 1
    return written


def csv_chunks(run: CourseRun, dataset: str) -> Iterator[str]:
    """The dataset's CSV file in pieces of about BATCH rows, for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DATASETS[dataset])
    for count, row in enumerate(rows(run, dataset), start=1):
        writer.writerow(row)
        if count % BATCH == 0:
            yield _take(buffer)
    if rest := _take(buffer):
        yield rest


def zip_chunks(run: CourseRun, datasets: Iterable[str] = DATASETS) -> Iterator[bytes]:
    """A ZIP of the datasets' CSV files (<course slug>_<dataset>.csv) in pieces, for a
    streamed response. zipfile writes into a buffer that is emptied every BATCH rows; the
    buffer cannot seek, so zipfile writes each file's sizes after its data and never goes
    back to what was sent."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dataset in datasets:
            name = schema.file_name(run.course.slug, dataset)
            # force_zip64: a file's size is not known before it is written, and may pass 4 GB.
            entry = archive.open(name, "w", force_zip64=True)
            with io.TextIOWrapper(entry, encoding="utf-8", newline="") as text:
                writer = csv.writer(text, lineterminator="\n")
                writer.writerow(DATASETS[dataset])
                for count, row in enumerate(rows(run, dataset), start=1):
                    writer.writerow(row)
                    if count % BATCH == 0:
                        text.flush()
                        yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


class _Sink(io.RawIOBase):
    """Where zipfile writes: kept until drained. It cannot seek or tell, so zipfile writes
    each file's sizes after its data, as a streamed archive must."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> Iterator[bytes]:
        """What was written since the last drain, as one piece (none if nothing was)."""
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            yield data


# --- What every dataset shares -------------------------------------------------------------


class _Run:
    """The run being exported, with what every batch of its rows looks up: the course's steps
    and questions, and its team (a course's size, not its learners')."""

    def __init__(self, run: CourseRun) -> None:
        self.run = run
        self.course = run.course

    @cached_property
    def steps(self) -> dict[int, tuple[int, int]]:
        """Each step's week number and position."""
        rows = Step.objects.filter(week__course=self.course).values_list(
            "pk", "week__number", "position"
        )
        return {pk: (week, position) for pk, week, position in rows}

    @cached_property
    def question_positions(self) -> dict[int, int]:
        rows = Question.objects.filter(step__week__course=self.course).values_list("pk", "position")
        return dict(rows)

    @cached_property
    def team_roles(self) -> dict[int, str]:
        """The team role of each member with an account (the first listed, if several)."""
        roles: dict[int, str] = {}
        members = CourseTeamMember.objects.filter(course=self.course, user__isnull=False)
        for user_id, role in members.order_by("position", "pk").values_list("user_id", "role"):
            roles.setdefault(user_id, role)
        return roles

    def step_cells(self, step_id: int | None) -> list[str]:
        """A step's label, week number and position ("1.3", "1", "3"); empty for none."""
        if step_id is None or step_id not in self.steps:
            return ["", "", ""]
        week, position = self.steps[step_id]
        return [schema.step_label(week, position), str(week), str(position)]

    def learners(self, user_ids: Iterable[int]) -> dict[int, str]:
        return pseudonyms_for(course=self.course, user_ids=user_ids)


def _batches(queryset: QuerySet, *fields: str, size: int | None = None) -> Iterator[list[dict]]:
    """The queryset's rows as values(), in batches by key: each batch one indexed query for
    the rows after the last id read."""
    size = size or BATCH
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk").values("pk", *fields)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]["pk"]


class _Imported:
    """The ImportedRows of a batch's rows in one dataset: the id the file gave each, and the
    cells it had that Stoa writes differently or not at all."""

    def __init__(self, dataset: str, object_ids: Iterable[int]) -> None:
        ids = set(object_ids)
        found = (
            ImportedRow.objects.filter(dataset=dataset, object_id__in=ids).values_list(
                "object_id", "source_id", "cells"
            )
            if ids
            else []
        )
        self.source_ids: dict[int, str] = {}
        self.cells: dict[int, dict] = {}
        for object_id, source_id, cells in found:
            if source_id:
                self.source_ids[object_id] = source_id
            self.cells[object_id] = cells or {}

    def id_of(self, pk: int | None) -> str:
        """The row's id in the dataset: the file's, else Stoa's own."""
        if pk is None:
            return ""
        return self.source_ids.get(pk, str(pk))

    def row(self, dataset: str, pk: int, values: Sequence[str]) -> Row:
        """The row's values, with the cells the file had in place of Stoa's own."""
        return _with_cells(dataset, values, self.cells.get(pk))


def _with_cells(dataset: str, values: Sequence[str], cells: dict | None) -> Row:
    """Stoa's values for a row, with the cells an imported file had in their place."""
    if not cells:
        return list(values)
    return [
        _text(cells[column]) if column in cells else value
        for column, value in zip(DATASETS[dataset], values, strict=True)
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value)


# --- The datasets, each a source (what it reads in batches) and a reader ---------------------

Batches = Iterator[tuple[int, list[Row]]]

_PROFILE_FIELDS = (
    "gender",
    "country",
    "age_range",
    "highest_education_level",
    "employment_status",
    "employment_area",
)


def _enrolments_source(run: _Run) -> QuerySet:
    return Enrolment.objects.filter(run=run.run)


def _enrolments(run: _Run) -> Batches:
    fields = ("user_id", "joined_at", "left_at", "fully_participated_at", "certificates_held")
    for batch in _batches(_enrolments_source(run), *fields):
        pks = [row["pk"] for row in batch]
        user_ids = [row["user_id"] for row in batch]
        learners = run.learners(user_ids)
        profiles = {
            row["user_id"]: row
            for row in LearnerProfile.objects.filter(user_id__in=user_ids).values(
                "user_id", *_PROFILE_FIELDS
            )
        }
        statements = _first_certificates([row["pk"] for row in batch if row["certificates_held"]])
        imported = _Imported("enrolments", pks)
        rows = []
        for row in batch:
            # An enrolment the import made for someone found only in the activity files:
            # the enrolments file it came with did not list them, so neither does this one.
            if imported.cells.get(row["pk"], {}).get("listed") is False:
                continue
            profile = profiles.get(row["user_id"], {})
            values = [
                learners[row["user_id"]],
                format_time(row["joined_at"]),
                format_time(row["left_at"]),
                run.team_roles.get(row["user_id"], "learner"),
                format_time(row["fully_participated_at"]),
                format_time(statements.get(row["pk"])),
                *(_profile_value(profile.get(field, "")) for field in _PROFILE_FIELDS),
                "",  # detected_country: Stoa does not locate learners
            ]
            rows.append(imported.row("enrolments", row["pk"], values))
        yield len(batch), rows


def _profile_value(value: str) -> str:
    return schema.UNKNOWN if value in ("", LearnerProfile.Gender.PREFER_NOT) else value


def _first_certificates(enrolment_ids: list[int]) -> dict[int, Any]:
    """When each enrolment's first certificate was issued: the dataset's "statement"
    (Stoa's certificates are free, so the first one stands for the purchase)."""
    if not enrolment_ids:
        return {}
    first = (
        Certificate.objects.filter(enrolment_id__in=enrolment_ids)
        .values("enrolment_id")
        .annotate(first=Min("issued_at"))
        .values_list("enrolment_id", "first")
    )
    return dict(first)


def _step_activity(run: _Run) -> Batches:
    for batch in _batches(_enrolments_source(run), "user_id", size=LEARNERS_PER_BATCH):
        pks = [row["pk"] for row in batch]
        learners = run.learners(row["user_id"] for row in batch)
        # (enrolment, step) -> [visit id, first visited, last completed]
        activity: dict[tuple[int, int], list] = {}
        visits = StepVisit.objects.filter(enrolment_id__in=pks).values_list(
            "pk", "enrolment_id", "step_id", "first_visited_at"
        )
        for pk, enrolment_id, step_id, visited_at in visits:
            activity[enrolment_id, step_id] = [pk, visited_at, None]
        completions = StepCompletion.objects.filter(enrolment_id__in=pks).values_list(
            "enrolment_id", "step_id", "completed_at"
        )
        for enrolment_id, step_id, completed_at in completions:
            activity.setdefault((enrolment_id, step_id), [None, None, None])[2] = completed_at
        visit_ids = (visit for visit, _at, _done in activity.values() if visit is not None)
        imported = _Imported("step-activity", visit_ids)
        users = {row["pk"]: row["user_id"] for row in batch}
        rows = []
        for (enrolment_id, step_id), (visit, visited_at, completed_at) in sorted(
            activity.items(), key=lambda item: (item[0][0], run.steps.get(item[0][1], (0, 0)))
        ):
            if step_id not in run.steps:
                continue
            values = [
                learners[users[enrolment_id]],
                *run.step_cells(step_id),
                format_time(visited_at),
                format_time(completed_at),
            ]
            rows.append(
                imported.row("step-activity", visit, values) if visit is not None else values
            )
        yield len(batch), rows


def _comments_source(run: _Run) -> QuerySet:
    return Comment.objects.filter(run=run.run)


def _comments(run: _Run) -> Batches:
    fields = ("author_id", "parent_id", "step_id", "body", "created_at", "like_count")
    for batch in _batches(_comments_source(run), *fields, "hidden_at", "deleted_at"):
        pks = [row["pk"] for row in batch]
        learners = run.learners(row["author_id"] for row in batch)
        parents = (row["parent_id"] for row in batch if row["parent_id"] is not None)
        imported = _Imported("comments", [*pks, *parents])
        first_reports: dict[int, tuple] = {}
        reports = (
            Report.objects.filter(comment_id__in=pks)
            .order_by("comment_id", "created_at", "pk")
            .values_list("comment_id", "created_at", "reason")
        )
        for comment_id, created_at, reason in reports:
            first_reports.setdefault(comment_id, (created_at, reason))
        rows = []
        for row in batch:
            reported_at, reason = first_reports.get(row["pk"], (None, ""))
            if row["hidden_at"] is not None:
                state = "hidden"
            elif row["deleted_at"] is not None:
                state = "deleted"
            else:
                state = ""
            values = [
                imported.id_of(row["pk"]),
                learners[row["author_id"]],
                imported.id_of(row["parent_id"]),
                *run.step_cells(row["step_id"]),
                row["body"],
                format_time(row["created_at"]),
                str(row["like_count"]),
                format_time(reported_at),
                reason,
                state,
                format_time(row["hidden_at"]),
            ]
            rows.append(imported.row("comments", row["pk"], values))
        yield len(batch), rows


def _answers_source(run: _Run) -> QuerySet:
    return Answer.objects.filter(run=run.run)


def _question_responses(run: _Run) -> Batches:
    fields = ("user_id", "step_id", "question_id", "choices", "correct", "submitted_at")
    for batch in _batches(_answers_source(run), *fields):
        learners = run.learners(row["user_id"] for row in batch)
        imported = _Imported("question-response", (row["pk"] for row in batch))
        rows = []
        for row in batch:
            label, week, position = run.step_cells(row["step_id"])
            question = str(run.question_positions.get(row["question_id"], ""))
            values = [
                learners[row["user_id"]],
                f"{label}.{question}",
                "MultipleChoice",
                week,
                position,
                question,
                row["choices"],
                "",  # cloze_response: Stoa's questions are all multiple choice
                format_time(row["submitted_at"]),
                "true" if row["correct"] else "false",
            ]
            rows.append(imported.row("question-response", row["pk"], values))
        yield len(batch), rows


def _submissions_source(run: _Run) -> QuerySet:
    return PeerSubmission.objects.filter(run=run.run)


def _peer_review_assignments(run: _Run) -> Batches:
    fields = ("user_id", "step_id", "text", "created_at", "submitted_at", "hidden_at")
    for batch in _batches(_submissions_source(run), *fields, "review_count"):
        learners = run.learners(row["user_id"] for row in batch)
        imported = _Imported("peer-review-assignments", (row["pk"] for row in batch))
        rows = []
        for row in batch:
            values = [
                imported.id_of(row["pk"]),
                *run.step_cells(row["step_id"]),
                learners[row["user_id"]],
                row["text"],
                format_time(row["created_at"]),
                format_time(row["submitted_at"]),
                format_time(row["hidden_at"]),
                str(row["review_count"]),
            ]
            rows.append(imported.row("peer-review-assignments", row["pk"], values))
        yield len(batch), rows


def _reviews_source(run: _Run) -> QuerySet:
    return PeerReview.objects.filter(run=run.run)


def _peer_review_reviews(run: _Run) -> Batches:
    fields = ("reviewer_id", "submission_id", "step_id", "answers", "created_at")
    for batch in _batches(_reviews_source(run), *fields):
        learners = run.learners(row["reviewer_id"] for row in batch)
        imported = _Imported("peer-review-reviews", (row["pk"] for row in batch))
        assignments = _Imported("peer-review-assignments", (row["submission_id"] for row in batch))
        rows = []
        for row in batch:
            answers = row["answers"] if isinstance(row["answers"], list) else []
            values = [
                imported.id_of(row["pk"]),
                *run.step_cells(row["step_id"]),
                learners[row["reviewer_id"]],
                assignments.id_of(row["submission_id"]),
                *(_text(answers[n]) if n < len(answers) else "" for n in range(3)),
                format_time(row["created_at"]),
            ]
            rows.append(imported.row("peer-review-reviews", row["pk"], values))
        yield len(batch), rows


def _team_source(run: _Run) -> QuerySet:
    return CourseTeamMember.objects.filter(course=run.course)


def _team_members(run: _Run) -> Batches:
    # A course's team is a few people: one query, in the order learners see them.
    members = list(
        _team_source(run).order_by("position", "pk").values_list("pk", "user_id", "name", "role")
    )
    learners = run.learners(user_id for _pk, user_id, _name, _role in members if user_id)
    imported = _Imported("team-members", (pk for pk, *_rest in members))
    rows = []
    for pk, user_id, name, role in members:
        if user_id is not None:
            member_id = learners[user_id]
        else:
            member_id = imported.source_ids.get(pk) or str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"stoa:team-member:{pk}")
            )
        first_name, _space, last_name = name.partition(" ")
        values = [member_id, first_name, last_name, role, "educator"]
        rows.append(imported.row("team-members", pk, values))
    yield len(members), rows


def _videos_source(run: _Run) -> QuerySet:
    return Step.objects.filter(week__course=run.course, type=StepType.VIDEO)


_VIDEO_COUNTS = ("views", "downloads", "caption_views", "transcript_views")
# The shares of views, in the order of the dataset's columns after the counts.
_VIDEO_SHARES = (
    "hd_views",
    *(f"reached_{percent}" for percent in (5, 10, 25, 50, 75, 95, 100)),
    *(f"{device}_views" for device in ("console", "desktop", "mobile", "tv", "tablet")),
    "unknown_device_views",
)
_CONTINENTS = tuple(
    f"{continent}_views"
    for continent in (
        "europe",
        "oceania",
        "asia",
        "north_america",
        "south_america",
        "africa",
        "antarctica",
    )
)


def _video_stats(run: _Run) -> Batches:
    # A course has tens of videos, not thousands: one query for the steps, one for the tallies.
    steps = list(
        _videos_source(run).order_by("week__number", "position").values_list("pk", "title")
    )
    tallies = {
        row["step_id"]: row
        for row in VideoTally.objects.filter(run=run.run).values(
            "step_id", *_VIDEO_COUNTS, *_VIDEO_SHARES, *_CONTINENTS, "imported"
        )
    }
    rows = []
    for pk, title in steps:
        tally = tallies.get(pk) or {}
        views = tally.get("views", 0)
        counted_continents = any(tally.get(name, 0) for name in _CONTINENTS)
        values = [
            run.step_cells(pk)[0],
            title,
            "",  # video_duration: Stoa does not know a video's length
            *(str(tally.get(name, 0)) for name in _VIDEO_COUNTS),
            *(_share(tally.get(name, 0), views) for name in _VIDEO_SHARES),
            *(_share(tally[name], views) if counted_continents else "" for name in _CONTINENTS),
        ]
        # An imported row's shares cannot become counts again: they go back out as they came.
        rows.append(_with_cells("video-stats", values, tally.get("imported")))
    yield len(steps), rows


def _share(count: int, views: int) -> str:
    """count as a percentage of views, to two decimals ("93.75"); empty without views."""
    if not views:
        return ""
    percent = Decimal(100 * count) / Decimal(views)
    return str(percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _leaving_source(run: _Run) -> QuerySet:
    return LeavingResponse.objects.filter(enrolment__run=run.run)


def _leaving_responses(run: _Run) -> Batches:
    fields = ("source_id", "enrolment__user_id", "left_at", "reason", "last_completed_step_id")
    for batch in _batches(_leaving_source(run), *fields, "last_completed_step_at"):
        learners = run.learners(row["enrolment__user_id"] for row in batch)
        imported = _Imported("leaving-survey-responses", (row["pk"] for row in batch))
        rows = []
        for row in batch:
            label, week, position = run.step_cells(row["last_completed_step_id"])
            values = [
                _survey_id(row),
                learners[row["enrolment__user_id"]],
                format_time(row["left_at"]),
                row["reason"],
                format_time(row["last_completed_step_at"]),
                label,
                week,
                position,
            ]
            rows.append(imported.row("leaving-survey-responses", row["pk"], values))
        yield len(batch), rows


def _survey_id(row: dict) -> str:
    """A survey answer's id: the one its dataset gave it, if imported, else Stoa's own."""
    return str(row["source_id"] if row["source_id"] is not None else row["pk"])


def _sentiment_source(run: _Run) -> QuerySet:
    return SentimentResponse.objects.filter(run=run.run)


def _sentiment_responses(run: _Run) -> Batches:
    fields = ("source_id", "responded_at", "week", "rating", "reason")
    for batch in _batches(_sentiment_source(run), *fields):
        dataset = "weekly-sentiment-survey-responses"
        imported = _Imported(dataset, (row["pk"] for row in batch))
        rows = [
            imported.row(
                dataset,
                row["pk"],
                [
                    _survey_id(row),
                    format_time(row["responded_at"]),
                    str(row["week"]),
                    str(row["rating"]),
                    row["reason"],
                ],
            )
            for row in batch
        ]
        yield len(batch), rows


def _archetype_source(run: _Run) -> QuerySet:
    return ArchetypeResponse.objects.filter(enrolment__run=run.run)


def _archetype_responses(run: _Run) -> Batches:
    fields = ("source_id", "enrolment__user_id", "responded_at", "archetype")
    for batch in _batches(_archetype_source(run), *fields):
        learners = run.learners(row["enrolment__user_id"] for row in batch)
        dataset = "archetype-survey-responses"
        imported = _Imported(dataset, (row["pk"] for row in batch))
        rows = [
            imported.row(
                dataset,
                row["pk"],
                [
                    _survey_id(row),
                    learners[row["enrolment__user_id"]],
                    format_time(row["responded_at"]),
                    row["archetype"],
                ],
            )
            for row in batch
        ]
        yield len(batch), rows


# Each dataset: what its progress counts, and how its rows are read.
_DATASETS: dict[str, tuple[Callable[[_Run], QuerySet], Callable[[_Run], Batches]]] = {
    "enrolments": (_enrolments_source, _enrolments),
    "step-activity": (_enrolments_source, _step_activity),
    "comments": (_comments_source, _comments),
    "question-response": (_answers_source, _question_responses),
    "peer-review-assignments": (_submissions_source, _peer_review_assignments),
    "peer-review-reviews": (_reviews_source, _peer_review_reviews),
    "team-members": (_team_source, _team_members),
    "video-stats": (_videos_source, _video_stats),
    "leaving-survey-responses": (_leaving_source, _leaving_responses),
    "weekly-sentiment-survey-responses": (_sentiment_source, _sentiment_responses),
    "archetype-survey-responses": (_archetype_source, _archetype_responses),
}
