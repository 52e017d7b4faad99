"""The rows of each dataset as an import reads them (importer.py): what a row must hold, checked
on the first read, and what it names (a learner, a step of the course, another row's id),
parsed again on the second. The state both reads share is ImportState's.
"""

import datetime
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.utils.translation import gettext as _

from stoa.courses.models import Course, CourseRun, Question, Step, StepType, TeamRole
from stoa.insights.research import schema
from stoa.insights.research.reading import (
    CellError,
    Table,
    learner_in,
    number_in,
    share_in,
    step_in,
    time_in,
)

if TYPE_CHECKING:
    from stoa.insights.research.importer import ImportReport

# An import refused for more errors than this lists the first ones and how many more.
MAX_ERRORS = 500

# The columns an older, narrower file must still have for the import to use it (the step's
# columns are checked by the rows: a label or week and step numbers).
NEEDS: dict[str, tuple[str, ...]] = {
    "enrolments": ("learner_id", "enrolled_at"),
    "step-activity": ("learner_id", "first_visited_at"),
    "comments": ("id", "author_id", "text", "timestamp"),
    "question-response": ("learner_id", "response", "submitted_at", "correct"),
    "peer-review-assignments": ("id", "author_id", "text"),
    "peer-review-reviews": ("id", "reviewer_id", "assignment_id", "created_at"),
    "team-members": ("id",),
    "video-stats": ("step_position",),
    "leaving-survey-responses": ("id", "learner_id", "left_at"),
    "weekly-sentiment-survey-responses": ("id", "responded_at", "week_number", "experience_rating"),
    "archetype-survey-responses": ("id", "learner_id", "responded_at", "archetype"),
}

# The order of both reads: learners' rows before what refers to them, work before reviews.
ORDER = (
    "team-members",
    "enrolments",
    "step-activity",
    "comments",
    "question-response",
    "peer-review-assignments",
    "peer-review-reviews",
    "leaving-survey-responses",
    "weekly-sentiment-survey-responses",
    "archetype-survey-responses",
    "video-stats",
)


# --- What the course offers the rows ---------------------------------------------------------


@dataclass(frozen=True)
class CourseStep:
    """A step of the course as rows name it (week and position), read once per import."""

    pk: int
    index: int  # dense, 0 to the course's number of steps: the activity's bit per step
    week: int
    position: int
    type: str
    max_attempts: int | None
    questions: dict[int, int]  # question position -> Question pk

    @property
    def label(self) -> str:
        return schema.step_label(self.week, self.position)


def course_steps(course: Course) -> dict[tuple[int, int], CourseStep]:
    """The course's steps by (week number, position), with their questions: two queries."""
    questions: dict[int, dict[int, int]] = defaultdict(dict)
    for pk, step_id, position in Question.objects.filter(step__week__course=course).values_list(
        "pk", "step_id", "position"
    ):
        questions[step_id][position] = pk
    steps = {}
    rows = Step.objects.filter(week__course=course).order_by("week__number", "position")
    for index, step in enumerate(rows.select_related("week")):
        steps[step.week.number, step.position] = CourseStep(
            pk=step.pk,
            index=index,
            week=step.week.number,
            position=step.position,
            type=step.type,
            max_attempts=step.max_attempts,
            questions=questions.get(step.pk, {}),
        )
    return steps


class Skip(Exception):
    """A row the import leaves out, and why (a note's kind, and what it names)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


class Learners:
    """Everyone the files name, each by a dense index: an account, an enrolment and a few
    bytes each, whatever the size of the activity."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.listed = bytearray()  # in the enrolments file
        self.first_seen = array("d")  # the earliest time a file gives them, as a timestamp
        self.enrolment = array("q")  # pk, once written
        self.user = array("q")
        self.fresh = bytearray()  # made by this import: nothing of theirs can exist yet
        self.imported = bytearray()  # made by this or an earlier import (not a Stoa learner)
        self.answered = bytearray()  # given new answers: their answer sheets are made again

    def add(self, key: str, moment: datetime.datetime | None) -> int:
        at = moment.timestamp() if moment is not None else float("inf")
        index = self.index.get(key)
        if index is None:
            index = self.index[key] = len(self.index)
            self.listed.append(0)
            self.first_seen.append(at)
            for column in (self.enrolment, self.user):
                column.append(0)
            for flags in (self.fresh, self.imported, self.answered):
                flags.append(0)
        elif at < self.first_seen[index]:
            self.first_seen[index] = at
        return index

    def __len__(self) -> int:
        return len(self.index)


@dataclass
class Entry:
    """A row with an id (a comment, a piece of work, a review, a survey answer) as the first
    read found it, for the second read and the rows that refer to it."""

    line: int
    fingerprint: int
    source_id: str = ""
    parent: str = ""  # a comment's parent_id
    thread: str | int = ""  # the thread a reply joins: a file id, a Stoa pk, or "" for none
    step: int = 0  # work's step, for its reviews
    pk: int | None = None  # Stoa's row, once there
    existing: bool = False  # there before this import


def _fingerprint(row: dict[str, str]) -> int:
    return hash(tuple(row.items()))


class ImportState:
    """What the two reads of an import share (made by importer._Import), and its bookkeeping:
    errors, notes, counts, and the rows of a file."""

    run_row: CourseRun
    course: Course
    tables: dict[str, Table]
    progress: Callable[[int], None] | None
    steps: dict[tuple[int, int], CourseStep]
    steps_by_pk: dict[int, CourseStep]
    step_count: int
    question_index: dict[int, int]
    learners: Learners
    errors: list[str]
    error_count: int
    report: "ImportReport"
    notes: Counter[tuple[str, str]]
    named: dict[tuple[str, str], set[str]]
    matched: int
    unmatched: int
    rows_read: Counter[str]
    entries: dict[str, dict[str, Entry]]
    team_roles: dict[str, str]
    checking: bool
    _PARSERS: ClassVar[dict[str, Callable[..., Any]]]

    # --- Bookkeeping ---

    def _error(self, name: str, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{name}:{line}: {message}" if name else message)

    def _note(self, kind: str, dataset: str, detail: str = "", count: int = 1) -> None:
        self.notes[kind, dataset] += count
        if detail:
            self.named[kind, dataset].add(detail)

    def _counted(self, dataset: str, written: int = 0, unchanged: int = 0) -> None:
        self.report.counts[dataset] = self.report.counts.get(dataset, 0) + written
        self.report.unchanged[dataset] = self.report.unchanged.get(dataset, 0) + unchanged

    def _rows(self, dataset: str) -> Iterator[tuple[int, dict[str, str]]]:
        table = self.tables[dataset]
        yield from table.rows(needs=NEEDS[dataset], progress=self.progress)

    def _step(self, row: dict[str, str]) -> CourseStep:
        """The course's step the row names; Skip for a step the course does not have."""
        where = step_in(row, label="step", week="week_number", number="step_number")
        return self._step_at(cast(tuple[int, int], where))

    def _step_at(self, where: tuple[int, int]) -> CourseStep:
        step = self.steps.get(where)
        if step is None:
            if self.checking:
                self.unmatched += 1
            raise Skip("unmatched_step", schema.step_label(*where))
        if self.checking:
            self.matched += 1
        return step

    def _learner(self, key: str) -> int:
        return self.learners.index[key]

    def _remember_entry(
        self, dataset: str, table: Table, line: int, row: dict[str, str], source_id: str
    ) -> Entry | None:
        """Records a row with an id; None for the same row again (read once). An id the file
        gives to two different rows is an error."""
        fingerprint = _fingerprint(row)
        entry = self.entries[dataset].get(source_id)
        if entry is not None and not entry.existing:
            if entry.fingerprint == fingerprint:
                self._note("duplicate", dataset)
            else:
                self._error(
                    table.name,
                    line,
                    _("id %(id)s is also the id of a different row, on line %(line)s.")
                    % {"id": source_id, "line": entry.line},
                )
            return None
        if entry is None:
            entry = self.entries[dataset][source_id] = Entry(line, fingerprint, source_id)
        else:  # imported before: its row stays as it is
            entry.line, entry.fingerprint = line, fingerprint
        return entry

    def _parsed(self, dataset: str) -> Iterator[tuple[dict[str, str], Any]]:
        """The second read: each row the first read accepted, parsed again."""
        if dataset not in self.tables:
            return
        parse = self._PARSERS[dataset]
        for _line, row in self._rows(dataset):
            try:
                yield row, parse(self, row)
            except Skip:
                continue


class RowReading(ImportState):
    """Each dataset's row: parse (both reads) and remember (the first: learners, ids)."""

    # --- Rows, as both reads parse them ---

    def _parse_team_member(self, row: dict[str, str]) -> tuple[str, str, str]:
        source_id = row["id"].strip()
        if not source_id or len(source_id) > 64:
            raise CellError(_("id must be 1 to 64 characters."))
        name = " ".join(
            part for part in (row.get("first_name", ""), row.get("last_name", "")) if part
        )
        return source_id, name.strip(), _team_role(row.get("team_role", ""))

    def _remember_team_member(self, table, line, row, record) -> None:
        source_id, _name, role = record
        if self._remember_entry("team-members", table, line, row, source_id) is not None:
            self.team_roles[source_id.lower()] = role

    def _parse_enrolment(self, row: dict[str, str]):
        key = learner_in(row, "learner_id")
        joined = time_in(row, "enrolled_at", required=True)
        left = time_in(row, "unenrolled_at")
        fully = time_in(row, "fully_participated_at")
        for column in ("purchased_statement_at",):
            time_in(row, column)
        if key is None:
            raise Skip("no_learner")
        return key, joined, left, fully

    def _remember_enrolment(self, table, line, row, record) -> None:
        key, joined, _left, _fully = record
        index = self.learners.add(key, joined)
        if self.learners.listed[index]:
            self._note("repeated_learner", "enrolments")
            return
        self.learners.listed[index] = 1
        if row.get("role", "learner").strip() not in ("learner", ""):
            self._note("role", "enrolments", row["role"].strip())

    def _parse_activity(self, row: dict[str, str]):
        key = learner_in(row, "learner_id")
        step = self._step(row)
        visited = time_in(row, "first_visited_at")
        completed = time_in(row, "last_completed_at")
        if key is None:
            raise Skip("no_learner")
        if visited is None and completed is None:
            raise Skip("no_times")
        return key, step, visited, completed

    def _remember_activity(self, table, line, row, record) -> None:
        key, _step, visited, completed = record
        self.learners.add(key, visited or completed)

    def _parse_comment(self, row: dict[str, str]):
        source_id = row["id"].strip()
        if not source_id or len(source_id) > 64:
            raise CellError(_("id must be 1 to 64 characters."))
        parent = row.get("parent_id", "").strip()
        if len(parent) > 64:
            raise CellError(_("parent_id must be at most 64 characters."))
        if parent == source_id:
            raise CellError(_("A comment cannot reply to itself."))
        key = learner_in(row, "author_id")
        step = self._step(row)
        created = time_in(row, "timestamp", required=True)
        likes = number_in(row, "likes", default=0)
        for column in ("first_reported_at", "moderated"):
            time_in(row, column)
        if key is None:
            raise Skip("no_learner")
        return source_id, key, parent, step, created, likes

    def _remember_comment(self, table, line, row, record) -> None:
        source_id, key, parent, _step, created, _likes = record
        entry = self._remember_entry("comments", table, line, row, source_id)
        if entry is not None:
            entry.parent = parent
            self.learners.add(key, created)

    def _parse_response(self, row: dict[str, str]):
        key = learner_in(row, "learner_id")
        cell = row.get("quiz_question", "").strip()
        named = None
        if cell:
            parts = cell.split(".")
            if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
                raise CellError(
                    _("quiz_question is not a question like 1.3.2: %(cell)s") % {"cell": cell}
                )
            named = (int(parts[0]), int(parts[1]), int(parts[2]))
        where = step_in(
            row, label="step", week="week_number", number="step_number", required=named is None
        )
        if named is not None and where is not None and where != named[:2]:
            raise CellError(
                _("quiz_question %(named)s is not on step %(step)s.")
                % {"named": cell, "step": schema.step_label(*where)}
            )
        if row.get("question_number", "").strip() or named is None:
            number = number_in(row, "question_number", at_least=1)
            if named is not None and named[2] != number:
                raise CellError(
                    _("quiz_question says question %(named)s but question_number says %(number)s.")
                    % {"named": cell, "number": number}
                )
        else:
            number = named[2]
        response = row["response"].strip()
        choices = [part.strip() for part in response.split(",")]
        if not all(choice.isascii() and choice.isdigit() and len(choice) < 5 for choice in choices):
            raise CellError(
                _("response is not a list of option numbers like 1,3: %(cell)s")
                % {"cell": response or _("(empty)")}
            )
        correct = row["correct"].strip().lower()
        if correct not in ("true", "false"):
            raise CellError(
                _("correct is not true or false: %(cell)s")
                % {"cell": row["correct"] or _("(empty)")}
            )
        submitted = time_in(row, "submitted_at", required=True)
        # With no step columns, quiz_question names the step (step_in required one otherwise).
        place = where if where is not None else (named[0], named[1]) if named else (0, 0)
        step = self._step_at(place)
        kind = row.get("question_type", "MultipleChoice").strip()
        if kind.lower() not in ("multiplechoice", "") or row.get("cloze_response", "").strip():
            raise Skip("not_multiple_choice", kind)
        question = step.questions.get(number)
        if question is None:
            raise Skip("unmatched_question", f"{step.label}.{number}")
        if key is None:
            raise Skip("no_learner")
        return key, step, question, number, ",".join(choices), correct == "true", submitted

    def _remember_response(self, table, line, row, record) -> None:
        self.learners.add(record[0], record[6])

    def _parse_work(self, row: dict[str, str]):
        source_id = row["id"].strip()
        if not source_id or len(source_id) > 64:
            raise CellError(_("id must be 1 to 64 characters."))
        key = learner_in(row, "author_id")
        step = self._step(row)
        viewed = time_in(row, "first_viewed_at")
        submitted = time_in(row, "submitted_at")
        moderated = time_in(row, "moderated")
        reviews = number_in(row, "review_count", default=0)
        if viewed is None and submitted is None:
            raise CellError(_("first_viewed_at and submitted_at are both empty: one is needed."))
        if step.type != StepType.PEER_REVIEW:
            raise Skip("not_peer_review", step.label)
        if key is None:
            raise Skip("no_learner")
        return source_id, key, step, viewed, submitted, moderated, reviews

    def _remember_work(self, table, line, row, record) -> None:
        source_id, key, step, viewed, submitted, *_rest = record
        entry = self._remember_entry("peer-review-assignments", table, line, row, source_id)
        if entry is not None:
            entry.step = step.pk
            self.learners.add(key, viewed or submitted)

    def _parse_review(self, row: dict[str, str]):
        source_id = row["id"].strip()
        if not source_id or len(source_id) > 64:
            raise CellError(_("id must be 1 to 64 characters."))
        key = learner_in(row, "reviewer_id")
        created = time_in(row, "created_at", required=True)
        work = self.entries["peer-review-assignments"].get(row["assignment_id"].strip())
        if work is None:
            raise Skip("work_missing")
        step = self.steps_by_pk.get(work.step)
        if any(row.get(column, "").strip() for column in ("step", "week_number", "step_number")):
            step = self._step(row)
            if step.pk != work.step:
                raise CellError(_("The review is not on the step of the work it reviews."))
        if step is None:
            raise Skip("work_missing")
        if key is None:
            raise Skip("no_learner")
        return source_id, key, step, work, created

    def _remember_review(self, table, line, row, record) -> None:
        source_id, key, _step, _work, created = record
        if self._remember_entry("peer-review-reviews", table, line, row, source_id) is not None:
            self.learners.add(key, created)

    def _parse_leaving(self, row: dict[str, str]):
        source_id = number_in(row, "id")
        key = learner_in(row, "learner_id")
        left = time_in(row, "left_at", required=True)
        completed_at = time_in(row, "last_completed_step_at")
        reason = row.get("leaving_reason", "")
        if len(reason) > 100:
            raise CellError(_("leaving_reason is longer than 100 characters."))
        where = step_in(
            row,
            label="last_completed_step",
            week="last_completed_week_number",
            number="last_completed_step_number",
            required=False,
        )
        step = self.steps.get(where) if where is not None else None
        if where is not None and step is None and self.checking:
            self._note("unmatched_last_step", "leaving-survey-responses", schema.step_label(*where))
        if key is None:
            raise Skip("no_learner")
        return source_id, key, left, reason, step, completed_at

    def _remember_survey(self, dataset: str, table, line, row, record) -> None:
        source_id, key, moment = record[0], record[1], record[2]
        entry = self._remember_entry(dataset, table, line, row, str(source_id))
        if entry is not None and key is not None:
            self.learners.add(key, moment)

    def _parse_sentiment(self, row: dict[str, str]):
        source_id = number_in(row, "id")
        responded = time_in(row, "responded_at", required=True)
        week = number_in(row, "week_number", at_least=1)
        rating = number_in(row, "experience_rating", at_least=1)
        if rating > 3 or week > 32767:
            raise CellError(_("experience_rating must be 1, 2 or 3, and week_number a week."))
        return source_id, None, responded, week, rating, row.get("reason", "")

    def _parse_archetype(self, row: dict[str, str]):
        source_id = number_in(row, "id")
        key = learner_in(row, "learner_id")
        responded = time_in(row, "responded_at", required=True)
        archetype = row["archetype"].strip()
        if not archetype or len(archetype) > 20:
            raise CellError(_("archetype must be 1 to 20 characters."))
        if key is None:
            raise Skip("no_learner")
        return source_id, key, responded, archetype

    def _parse_video(self, row: dict[str, str]):
        where = step_in(row, label="step_position", week="", number="")
        step = self.steps.get(cast(tuple[int, int], where))
        counts = {name: number_in(row, column, default=0) for name, column in _VIDEO_COUNTS}
        shares = {name: share_in(row, column) for name, column in _VIDEO_SHARES}
        if step is None:
            self.unmatched += self.checking
            raise Skip("unmatched_step", schema.step_label(*cast(tuple[int, int], where)))
        self.matched += self.checking
        if step.type != StepType.VIDEO:
            raise Skip("not_video", step.label)
        return step, counts, shares

    def _remember_video(self, table, line, row, record) -> None:
        step = record[0]
        self._remember_entry("video-stats", table, line, row, str(step.pk))

    _PARSERS: ClassVar[dict[str, Callable[..., Any]]] = {
        "team-members": _parse_team_member,
        "enrolments": _parse_enrolment,
        "step-activity": _parse_activity,
        "comments": _parse_comment,
        "question-response": _parse_response,
        "peer-review-assignments": _parse_work,
        "peer-review-reviews": _parse_review,
        "leaving-survey-responses": _parse_leaving,
        "weekly-sentiment-survey-responses": _parse_sentiment,
        "archetype-survey-responses": _parse_archetype,
        "video-stats": _parse_video,
    }
    _REMEMBER: ClassVar[dict[str, Callable[..., None]]] = {
        "team-members": _remember_team_member,
        "enrolments": _remember_enrolment,
        "step-activity": _remember_activity,
        "comments": _remember_comment,
        "question-response": _remember_response,
        "peer-review-assignments": _remember_work,
        "peer-review-reviews": _remember_review,
        "leaving-survey-responses": lambda self, *args: self._remember_survey(
            "leaving-survey-responses", *args
        ),
        "weekly-sentiment-survey-responses": lambda self, *args: self._remember_survey(
            "weekly-sentiment-survey-responses", *args
        ),
        "archetype-survey-responses": lambda self, *args: self._remember_survey(
            "archetype-survey-responses", *args
        ),
        "video-stats": _remember_video,
    }


def _team_role(cell: str) -> str:
    """The team role a file's team_role names (lead_educator, Educator, mentor, host); a
    role Stoa does not have (an organisation's admin) is a host's, which gives no rights."""
    role = cell.strip().lower().replace("_", "-").replace(" ", "-")
    return role if role in TeamRole.values else TeamRole.HOST


# The video-stats columns that are counts, and those that are shares of views, by the
# VideoTally field each fills.
_VIDEO_COUNTS = (
    ("views", "total_views"),
    ("downloads", "total_downloads"),
    ("caption_views", "total_caption_views"),
    ("transcript_views", "total_transcript_views"),
)
_VIDEO_SHARES = (
    ("hd_views", "viewed_hd"),
    ("reached_5", "viewed_five_percent"),
    ("reached_10", "viewed_ten_percent"),
    ("reached_25", "viewed_twentyfive_percent"),
    ("reached_50", "viewed_fifty_percent"),
    ("reached_75", "viewed_seventyfive_percent"),
    ("reached_95", "viewed_ninetyfive_percent"),
    ("reached_100", "viewed_onehundred_percent"),
    ("console_views", "console_device_percentage"),
    ("desktop_views", "desktop_device_percentage"),
    ("mobile_views", "mobile_device_percentage"),
    ("tv_views", "tv_device_percentage"),
    ("tablet_views", "tablet_device_percentage"),
    ("unknown_device_views", "unknown_device_percentage"),
    ("europe_views", "europe_views_percentage"),
    ("oceania_views", "oceania_views_percentage"),
    ("asia_views", "asia_views_percentage"),
    ("north_america_views", "north_america_views_percentage"),
    ("south_america_views", "south_america_views_percentage"),
    ("africa_views", "africa_views_percentage"),
    ("antarctica_views", "antarctica_views_percentage"),
)
