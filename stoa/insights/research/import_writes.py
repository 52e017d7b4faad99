"""The second read of an import (importer.py): each dataset's rows written in batches, with the
cells the export gives back (export.py writes an ImportedRow's cells in place of its own
values), then the counters Stoa keeps as learners act, counted for the learners imported.
"""

import datetime
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.db.models import Aggregate, Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.countries import CODES as COUNTRY_CODES
from stoa.accounts.models import LearnerProfile, User
from stoa.assessments.models import Answer, AnswerSheet, PeerReview, PeerSubmission
from stoa.assessments.peer.services import count_words
from stoa.assessments.questions.services import MAX_POINTS, is_finished, points_for
from stoa.conversation.models import Comment
from stoa.courses.models import CourseRun, CourseTeamMember, StepType, bump_version
from stoa.insights.models import ImportedRow, Pseudonym
from stoa.insights.research import schema
from stoa.insights.research.import_rows import CourseStep, Entry, ImportState
from stoa.insights.research.reading import time_in
from stoa.insights.research.schema import format_time
from stoa.insights.services import recount_tallies
from stoa.learning.models import (
    ArchetypeResponse,
    Enrolment,
    LeavingResponse,
    SentimentResponse,
    StepCompletion,
    StepVisit,
    VideoTally,
)
from stoa.lib.markdown import render_comment_markdown

BATCH = 1000

_PROFILE_VALUES: dict[str, frozenset[str]] = {
    "gender": frozenset(LearnerProfile.Gender.values),
    "country": COUNTRY_CODES,
    "age_range": frozenset(LearnerProfile.AgeRange.values),
    "highest_education_level": frozenset(LearnerProfile.Education.values),
    "employment_status": frozenset(LearnerProfile.EmploymentStatus.values),
    "employment_area": frozenset(LearnerProfile.EmploymentArea.values),
}
_PREFER_NOT = "prefer_not_to_say"  # the same value in every list


class _Seen:
    """Which rows were read already, by a 64-bit fingerprint of their cells: an open-addressed
    table of 16 bytes a row, where a set of Python ints takes about 60 (a course's question
    responses run to millions). Sized for `rows` from the first read."""

    def __init__(self, rows: int) -> None:
        size = 16
        while size < 2 * rows:
            size *= 2
        self._mask = size - 1
        self._slots = array("Q", bytes(8 * size))

    def add(self, cells: tuple) -> bool:
        """Records the row; whether it was new."""
        fingerprint = (hash(cells) & 0xFFFF_FFFF_FFFF_FFFF) or 1
        slot = fingerprint & self._mask
        while True:
            found = self._slots[slot]
            if found == 0:
                self._slots[slot] = fingerprint
                return True
            if found == fingerprint:
                return False
            slot = (slot + 1) & self._mask


def _keep(cells: dict[str, str], row: dict[str, str], column: str, native: str) -> None:
    """Keeps the file's cell where the export would write something else (export.py writes
    the cells in place of its own values)."""
    cell = row.get(column)
    if cell is not None and cell != native:
        cells[column] = cell


def _keep_time(
    cells: dict[str, str], row: dict[str, str], column: str, moment: datetime.datetime | None
) -> None:
    _keep(cells, row, column, format_time(moment))


def _keep_step(
    cells: dict[str, str], row: dict[str, str], step: CourseStep, prefix: str = ""
) -> None:
    _keep(cells, row, prefix + "step", step.label)
    _keep(cells, row, prefix + "week_number", str(step.week))
    _keep(cells, row, prefix + "step_number", str(step.position))


class RowWriting(ImportState):
    """The second read: every dataset's rows written, then the counters."""

    keys: list[str]

    # --- The second read: writing ---

    def _write_team(self) -> None:
        dataset = "team-members"
        entries = self.entries[dataset]
        if dataset not in self.tables:
            return
        # Members belong to the course, so an import into another of its runs finds them too.
        known = dict(
            ImportedRow.objects.filter(
                dataset=dataset,
                source_id__in=list(entries),
                object_id__in=CourseTeamMember.objects.filter(course=self.course).values("pk"),
            ).values_list("source_id", "object_id")
        )
        position = max(self.course.team.values_list("position", flat=True), default=0)
        made: list[tuple[CourseTeamMember, str, dict[str, str]]] = []
        for row, (source_id, name, role) in self._parsed(dataset):
            entry = entries[source_id]
            if entry.pk is not None:
                continue  # the same row again
            if source_id in known:
                entry.pk = known[source_id]
                self._counted(dataset, unchanged=1)
                continue
            position += 1
            member = CourseTeamMember(
                course=self.course,
                position=position,
                name=name or _("Member of the team"),
                role=role,
                from_package=False,
            )
            made.append((member, source_id, dict(row)))
            entry.pk = -1
        if made:
            CourseTeamMember.objects.bulk_create([member for member, _id, _row in made])
            # All the cells: Stoa keeps a name, the file a first and a last.
            self._record(dataset, made)
            bump_version(self.course.pk)  # the course page lists its team
            self._counted(dataset, written=len(made))

    def _write_learners(self) -> None:
        learners = self.learners
        if not len(learners):
            return
        self.keys = list(learners.index)  # index -> learner id, for the batches' few rows
        self._find_learners()
        pending: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, str]]] = []
        done = bytearray(len(learners))
        for row, (key, joined, left, fully) in self._parsed("enrolments"):
            index = learners.index[key]
            if done[index]:
                continue
            done[index] = 1
            if learners.enrolment[index]:
                self._counted("enrolments", unchanged=1)
                continue
            cells, profile = _enrolment_cells(row, joined, left, fully)
            fields = {"joined_at": joined, "left_at": left, "fully_participated_at": fully}
            pending.append((index, fields, cells, profile))
            if len(pending) >= BATCH:
                self._make_learners(pending)
                pending = []
        self._make_learners(pending)
        # Learners the activity names but the enrolments file does not (or who came with no
        # enrolments file): an enrolment from their first activity, which export leaves out.
        pending = []
        unlisted = 0
        start = datetime.datetime.combine(
            self.run_row.starts_on, datetime.time(), tzinfo=datetime.UTC
        )
        for index in range(len(learners)):
            if learners.enrolment[index] or learners.listed[index]:
                continue
            seen = learners.first_seen[index]
            joined = (
                datetime.datetime.fromtimestamp(seen, tz=datetime.UTC)
                if seen != float("inf")
                else start
            )
            pending.append((index, {"joined_at": joined}, {"listed": False}, {}))
            unlisted += 1
            if len(pending) >= BATCH:
                self._make_learners(pending)
                pending = []
        self._make_learners(pending)
        if unlisted:
            self._note("unlisted", "enrolments", count=unlisted)

    def _find_learners(self) -> None:
        """The learners this run has already, among those the files name: by the pseudonym an
        earlier import gave them (or their export did)."""
        learners = self.learners
        enrolled = dict(Enrolment.objects.filter(run=self.run_row).values_list("user_id", "pk"))
        if not enrolled:
            return
        imported = set(
            ImportedRow.objects.filter(run=self.run_row, dataset="enrolments").values_list(
                "object_id", flat=True
            )
        )
        pseudonyms = Pseudonym.objects.filter(
            course=self.course,
            user_id__in=Enrolment.objects.filter(run=self.run_row).values("user_id"),
        ).values_list("learner_id", "user_id")
        for learner_id, user_id in pseudonyms.iterator(chunk_size=BATCH * 10):
            index = learners.index.get(str(learner_id))
            if index is not None and user_id in enrolled:
                learners.user[index] = user_id
                learners.enrolment[index] = enrolled[user_id]
                learners.imported[index] = enrolled[user_id] in imported

    def _make_learners(
        self, pending: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, str]]]
    ) -> None:
        """Accounts that cannot sign in, their pseudonyms, enrolments and profiles."""
        if not pending:
            return
        learners, run = self.learners, self.run_row
        keys = {index: self.keys[index] for index, *_rest in pending}
        emails = {index: f"{keys[index]}.{run.pk}@imported.invalid" for index, *_rest in pending}
        # An account left by an import whose enrolment was since removed is used again.
        users = dict(
            User.objects.filter(email__in=list(emails.values())).values_list("email", "pk")
        )
        made = User.objects.bulk_create(
            User(
                email=email,
                display_name=f"Learner {keys[index][:8]}",
                is_active=False,
                password=make_password(None),
            )
            for index, email in emails.items()
            if email not in users
        )
        users.update((user.email, user.pk) for user in made)
        for index, email in emails.items():
            learners.user[index] = users[email]
        Pseudonym.objects.bulk_create(
            (
                Pseudonym(course=self.course, user_id=learners.user[index], learner_id=keys[index])
                for index, *_rest in pending
            ),
            ignore_conflicts=True,
        )
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(user_id=learners.user[index], run=run, course=self.course, **fields)
            for index, fields, _cells, _profile in pending
        )
        LearnerProfile.objects.bulk_create(
            (
                LearnerProfile(user_id=learners.user[index], **profile)
                for index, _fields, _cells, profile in pending
                if profile
            ),
            ignore_conflicts=True,
        )
        self._record(
            "enrolments",
            (
                (enrolment, keys[index], cells)
                for enrolment, (index, _fields, cells, _profile) in zip(
                    enrolments, pending, strict=True
                )
            ),
        )
        for enrolment, (index, *_rest) in zip(enrolments, pending, strict=True):
            learners.enrolment[index] = enrolment.pk
            learners.fresh[index] = learners.imported[index] = 1
        listed = sum(1 for _index, _fields, cells, _profile in pending if "listed" not in cells)
        if listed:
            self._counted("enrolments", written=listed)

    def _write_activity(self) -> None:
        dataset = "step-activity"
        if dataset not in self.tables:
            return
        learners = self.learners
        read = bytearray((len(learners) * self.step_count + 7) // 8)
        pending: list[tuple[int, CourseStep, Any, Any, dict[str, str]]] = []
        for row, (key, step, visited, completed) in self._parsed(dataset):
            index = learners.index[key]
            bit = index * self.step_count + step.index
            if read[bit >> 3] & (1 << (bit & 7)):
                self._note("repeated_step", dataset)
                continue
            read[bit >> 3] |= 1 << (bit & 7)
            cells: dict[str, str] = {}
            _keep(cells, row, "learner_id", key)
            _keep_step(cells, row, step)
            _keep_time(cells, row, "first_visited_at", visited)
            _keep_time(cells, row, "last_completed_at", completed)
            pending.append((index, step, visited, completed, cells))
            if len(pending) >= BATCH:
                self._make_activity(pending)
                pending = []
        self._make_activity(pending)

    def _existing(self, model, pending: Iterable[tuple], *, user: bool = False) -> set[tuple]:
        """The (enrolment or user, step) pairs of a batch that the model has already, for the
        batch's learners who were there before this import."""
        learners = self.learners
        older = {index for index, *_rest in pending if not learners.fresh[index]}
        if not older:
            return set()
        owner = "user_id" if user else "enrolment_id"
        ids = [(learners.user if user else learners.enrolment)[index] for index in older]
        steps = {item[1].pk for item in pending}
        return set(
            model.objects.filter(**{f"{owner}__in": ids, "step_id__in": steps}).values_list(
                owner, "step_id"
            )
        )

    def _make_activity(
        self, pending: list[tuple[int, CourseStep, Any, Any, dict[str, str]]]
    ) -> None:
        if not pending:
            return
        learners = self.learners
        visited_before = self._existing(StepVisit, pending)
        completed_before = self._existing(StepCompletion, pending)
        visits, completions, kept = [], [], []
        written = unchanged = 0
        for index, step, visited, completed, cells in pending:
            enrolment = learners.enrolment[index]
            pair = (enrolment, step.pk)
            new = False
            if visited is not None and pair not in visited_before:
                last = max(visited, completed) if completed is not None else visited
                visits.append(
                    StepVisit(
                        enrolment_id=enrolment,
                        step_id=step.pk,
                        first_visited_at=visited,
                        last_visited_at=last,
                    )
                )
                kept.append(cells)
                new = True
            if completed is not None and pair not in completed_before:
                completions.append(
                    StepCompletion(enrolment_id=enrolment, step_id=step.pk, completed_at=completed)
                )
                new = True
            written += new
            unchanged += not new
        StepVisit.objects.bulk_create(visits)
        StepCompletion.objects.bulk_create(completions)
        # Cells only where the file wrote something the export would not (rare: times
        # without " UTC"); a completion without a visit has no row of its own to keep them.
        self._record(
            "step-activity", ((visit, "", cells) for visit, cells in zip(visits, kept, strict=True))
        )
        self._counted("step-activity", written=written, unchanged=unchanged)

    def _write_comments(self) -> None:
        dataset = "comments"
        if dataset not in self.tables:
            return
        entries = self.entries[dataset]
        threads_grown: set[int] = set()
        # Threads first, then replies, so that every reply finds its thread made (a file may
        # list a reply before the comment it answers).
        recognised: set[str] = set()
        for replies in (False, True):
            pending: list[tuple[Comment, str, dict[str, str]]] = []
            for row, record, entry in self._new_rows(dataset, recognised):
                source_id, key, _parent, step, created, likes = record
                if bool(entry.thread) != replies:
                    continue  # in the other round
                thread_pk = None
                if replies:
                    thread = entries[entry.thread] if isinstance(entry.thread, str) else None
                    thread_pk = thread.pk if thread is not None else cast(int, entry.thread)
                    threads_grown.add(cast(int, thread_pk))
                comment, cells = self._comment(row, entry, key, step, created, likes, thread_pk)
                pending.append((comment, source_id, cells))
                entry.pk = -1  # made in this batch
                if len(pending) >= BATCH:
                    self._make_comments(pending)
                    pending = []
            self._make_comments(pending)
        self._count_replies(threads_grown)

    def _comment(
        self,
        row: dict[str, str],
        entry: Entry,
        key: str,
        step: CourseStep,
        created: datetime.datetime,
        likes: int,
        thread_pk: int | None,
    ) -> tuple[Comment, dict[str, str]]:
        state = row.get("moderation_state", "").strip().lower()
        moderated = time_in(row, "moderated")
        hidden = moderated or created if state == "hidden" else None
        deleted = moderated or created if state == "deleted" else None
        text = row["text"]
        comment = Comment(
            run=self.run_row,
            step_id=step.pk,
            author_id=self.learners.user[self._learner(key)],
            parent_id=thread_pk,
            body=text,
            # As posting renders it (sanitised); a deleted comment shows none, as in Stoa.
            body_html="" if deleted else render_comment_markdown(text),
            team_role=self.team_roles.get(key, ""),
            created_at=created,
            like_count=likes,
            hidden_at=hidden,
            deleted_at=deleted,
        )
        cells: dict[str, str] = {}
        _keep(cells, row, "id", row["id"].strip())
        _keep(cells, row, "author_id", key)
        if "parent_id" in row:
            thread = entry.thread
            native = (
                thread
                if isinstance(thread, str)
                else self._source_of_thread(thread)
                if thread
                else ""
            )
            _keep(cells, row, "parent_id", native)
        _keep_step(cells, row, step)
        _keep_time(cells, row, "timestamp", created)
        _keep(cells, row, "likes", str(likes))
        _keep(cells, row, "first_reported_at", "")
        _keep(cells, row, "first_reported_reason", "")
        _keep(cells, row, "moderation_state", "hidden" if hidden else "deleted" if deleted else "")
        _keep_time(cells, row, "moderated", hidden)
        return comment, cells

    def _source_of_thread(self, pk: int) -> str:
        """The id the export gives a comment imported earlier: its file's id."""
        if not hasattr(self, "_earlier_ids"):
            self._earlier_ids = {
                entry.pk: source_id
                for source_id, entry in self.entries["comments"].items()
                if entry.existing
            }
        return self._earlier_ids.get(pk, str(pk))

    def _make_comments(self, pending: list[tuple[Comment, str, dict[str, str]]]) -> None:
        if not pending:
            return
        made = Comment.objects.bulk_create([comment for comment, _id, _cells in pending])
        self._record(
            "comments",
            (
                (comment, source_id, cells)
                for comment, (_comment, source_id, cells) in zip(made, pending, strict=True)
            ),
        )
        for comment, (_comment, source_id, _cells) in zip(made, pending, strict=True):
            self.entries["comments"][source_id].pk = comment.pk
        self._counted("comments", written=len(made))

    def _count_replies(self, threads: set[int]) -> None:
        """Each thread's replies that learners see (neither deleted nor hidden), counted."""
        visible = (
            Comment.objects.filter(
                parent=OuterRef("pk"), hidden_at__isnull=True, deleted_at__isnull=True
            )
            .order_by()
            .values("parent")
            .annotate(count=Count("pk"))
            .values("count")
        )
        ordered = sorted(threads)
        for start in range(0, len(ordered), BATCH):
            Comment.objects.filter(pk__in=ordered[start : start + BATCH]).update(
                reply_count=Coalesce(Subquery(visible), 0)
            )

    def _write_responses(self) -> None:
        dataset = "question-response"
        if dataset not in self.tables:
            return
        learners = self.learners
        questions = max(len(self.question_index), 1)
        # Each learner's tries at each question so far: a try is numbered in the file's order.
        tries = array("H", bytes(2 * len(learners) * questions))
        seen = _Seen(self.rows_read[dataset])
        pending: list[tuple[int, CourseStep, Answer, dict[str, str]]] = []
        for row, record in self._parsed(dataset):
            key, step, question, number, choices, correct, submitted = record
            if not seen.add(tuple(row.values())):
                self._note("duplicate", dataset)
                continue
            index = learners.index[key]
            slot = index * questions + self.question_index[question]
            attempt = tries[slot] = min(tries[slot] + 1, 65535)
            answer = Answer(
                user_id=learners.user[index],
                run=self.run_row,
                step_id=step.pk,
                question_id=question,
                sitting=1,
                attempt=attempt,
                choices=choices,
                correct=correct,
                submitted_at=submitted,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "learner_id", key)
            _keep(cells, row, "quiz_question", f"{step.label}.{number}")
            _keep(cells, row, "question_type", "MultipleChoice")
            _keep(cells, row, "week_number", str(step.week))
            _keep(cells, row, "step_number", str(step.position))
            _keep(cells, row, "question_number", str(number))
            _keep(cells, row, "response", choices)
            _keep(cells, row, "cloze_response", "")
            _keep_time(cells, row, "submitted_at", submitted)
            _keep(cells, row, "correct", "true" if correct else "false")
            pending.append((index, step, answer, cells))
            if len(pending) >= BATCH:
                self._make_answers(pending)
                pending = []
        self._make_answers(pending)
        self._make_answer_sheets()

    def _make_answers(self, pending: list[tuple[int, CourseStep, Answer, dict[str, str]]]) -> None:
        if not pending:
            return
        learners = self.learners
        older = [learners.user[index] for index, *_rest in pending if not learners.fresh[index]]
        there = set()
        if older:
            there = set(
                Answer.objects.filter(
                    user_id__in=older,
                    question_id__in={answer.question_id for _i, _s, answer, _c in pending},
                    sitting=1,
                ).values_list("user_id", "question_id", "attempt")
            )
        new = [
            (index, answer, cells)
            for index, _step, answer, cells in pending
            if (answer.user_id, answer.question_id, answer.attempt) not in there
        ]
        made = Answer.objects.bulk_create([answer for _index, answer, _cells in new])
        self._record(
            "question-response",
            (
                (answer, "", cells)
                for answer, (_index, _answer, cells) in zip(made, new, strict=True)
            ),
        )
        for index, _answer, _cells in new:
            if learners.imported[index]:
                learners.answered[index] = 1
        self._counted("question-response", written=len(new), unchanged=len(pending) - len(new))

    def _make_answer_sheets(self) -> None:
        """Each learner's answer sheets counted from their answers, as answering keeps them,
        then their test record from the sheets: for the learners given new answers."""
        learners = self.learners
        now = timezone.now()
        wanted = [index for index in range(len(learners)) if learners.answered[index]]
        for start in range(0, len(wanted), BATCH // 2):
            batch = wanted[start : start + BATCH // 2]
            enrolment_of = {learners.user[index]: learners.enrolment[index] for index in batch}
            answers = (
                Answer.objects.filter(run=self.run_row, user_id__in=list(enrolment_of), sitting=1)
                .order_by("user_id", "step_id", "question_id", "attempt")
                .values_list(
                    "user_id", "step_id", "question_id", "attempt", "correct", "submitted_at"
                )
            )
            grouped: dict[tuple[int, int], dict[int, list[_Try]]] = defaultdict(
                lambda: defaultdict(list)
            )
            for user_id, step_id, question_id, attempt, correct, submitted in answers:
                grouped[user_id, step_id][question_id].append(_Try(attempt, correct, submitted))
            sheets = []
            for (user_id, step_id), by_question in grouped.items():
                sheet = _sheet(self.steps_by_pk[step_id], by_question, now)
                sheet.enrolment_id = enrolment_of[user_id]
                sheets.append(sheet)
            enrolments = list(enrolment_of.values())
            AnswerSheet.objects.filter(enrolment_id__in=enrolments).delete()
            AnswerSheet.objects.bulk_create(sheets)
            tests = AnswerSheet.objects.filter(
                enrolment=OuterRef("pk"), step__type=StepType.TEST, sitting=1
            ).order_by()
            Enrolment.objects.filter(pk__in=enrolments).update(
                test_questions_done=_total(tests, Sum("questions_done")),
                tests_done=_total(tests.filter(best_score__isnull=False), Count("pk")),
                test_score_sum=_total(tests, Sum("best_score")),
            )

    def _write_work(self) -> None:
        dataset = "peer-review-assignments"
        if dataset not in self.tables:
            return
        entries = self.entries[dataset]
        learners = self.learners
        pending: list[tuple[PeerSubmission, str, dict[str, str], int]] = []
        taken: set[tuple[int, int]] = set()
        recognised: set[str] = set()
        for row, record, entry in self._new_rows(dataset, recognised):
            source_id, key, step, viewed, submitted, moderated, reviews = record
            index = learners.index[key]
            if (index, step.pk) in taken:
                self._note("taken", dataset)
                continue
            taken.add((index, step.pk))
            text = row["text"]
            created = cast(datetime.datetime, viewed or submitted)
            work = PeerSubmission(
                user_id=learners.user[index],
                run=self.run_row,
                step_id=step.pk,
                text=text,
                word_count=count_words(text),
                created_at=created,
                updated_at=submitted or created,
                submitted_at=submitted,
                review_count=reviews,
                assigned=reviews,
                hidden_at=moderated,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "id", source_id)
            _keep_step(cells, row, step)
            _keep(cells, row, "author_id", key)
            _keep_time(cells, row, "first_viewed_at", created)
            _keep_time(cells, row, "submitted_at", submitted)
            _keep_time(cells, row, "moderated", moderated)
            _keep(cells, row, "review_count", str(reviews))
            pending.append((work, source_id, cells, index))
            entry.pk = -1
        # One query for the work already there (pieces of work are a course's thousands).
        older = {learners.user[index] for *_rest, index in pending if not learners.fresh[index]}
        there = set(
            PeerSubmission.objects.filter(user_id__in=older).values_list("user_id", "step_id")
            if older
            else []
        )
        kept = [item for item in pending if (item[0].user_id, item[0].step_id) not in there]
        if len(kept) < len(pending):
            self._note("taken", dataset, count=len(pending) - len(kept))
            for work, source_id, _cells, _index in pending:
                if (work.user_id, work.step_id) in there:
                    entries[source_id].pk = None
        for start in range(0, len(kept), BATCH):
            batch = kept[start : start + BATCH]
            made = PeerSubmission.objects.bulk_create([work for work, *_rest in batch])
            self._record(
                dataset,
                (
                    (work, source_id, cells)
                    for work, (_work, source_id, cells, _index) in zip(made, batch, strict=True)
                ),
            )
            for work, (_work, source_id, _cells, _index) in zip(made, batch, strict=True):
                entries[source_id].pk = work.pk
        self._counted(dataset, written=len(kept))

    def _write_reviews(self) -> None:
        dataset = "peer-review-reviews"
        if dataset not in self.tables:
            return
        learners = self.learners
        pending: list[tuple[PeerReview, str, dict[str, str]]] = []
        taken: set[tuple[int, int]] = set()
        recognised: set[str] = set()
        for row, record, entry in self._new_rows(dataset, recognised):
            source_id, key, step, work, created = record
            if work.pk is None or work.pk < 0:
                self._note("work_missing", dataset)
                continue
            reviewer = learners.user[learners.index[key]]
            if (work.pk, reviewer) in taken:
                self._note("taken", dataset)
                continue
            taken.add((work.pk, reviewer))
            answers = [
                row.get(column, "")
                for column in (
                    "guideline_one_feedback",
                    "guideline_two_feedback",
                    "guideline_three_feedback",
                )
            ]
            while answers and not answers[-1]:
                answers.pop()
            review = PeerReview(
                submission_id=work.pk,
                reviewer_id=reviewer,
                run=self.run_row,
                step_id=step.pk,
                answers=answers,
                created_at=created,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "id", source_id)
            _keep_step(cells, row, step)
            _keep(cells, row, "reviewer_id", key)
            _keep(cells, row, "assignment_id", work.source_id)
            _keep_time(cells, row, "created_at", created)
            pending.append((review, source_id, cells))
            entry.pk = -1
        there = set(
            PeerReview.objects.filter(
                submission_id__in={review.submission_id for review, *_rest in pending}
            ).values_list("submission_id", "reviewer_id")
            if pending
            else []
        )
        kept = [
            item for item in pending if (item[0].submission_id, item[0].reviewer_id) not in there
        ]
        if len(kept) < len(pending):
            self._note("taken", dataset, count=len(pending) - len(kept))
        for start in range(0, len(kept), BATCH):
            batch = kept[start : start + BATCH]
            made = PeerReview.objects.bulk_create([review for review, *_rest in batch])
            self._record(
                dataset,
                (
                    (review, source_id, cells)
                    for review, (_review, source_id, cells) in zip(made, batch, strict=True)
                ),
            )
        self._counted(dataset, written=len(kept))

    def _write_leaving(self) -> None:
        dataset = "leaving-survey-responses"
        if dataset not in self.tables:
            return
        there = set(
            LeavingResponse.objects.filter(
                enrolment__run=self.run_row, source_id__isnull=False
            ).values_list("source_id", flat=True)
        )
        made: list[tuple[LeavingResponse, dict[str, str]]] = []
        for row, (source_id, key, left, reason, step, completed_at) in self._unique(dataset):
            if source_id in there:
                self._counted(dataset, unchanged=1)
                continue
            response = LeavingResponse(
                enrolment_id=self.learners.enrolment[self._learner(key)],
                source_id=source_id,
                left_at=left,
                reason=reason,
                last_completed_step_id=step.pk if step is not None else None,
                last_completed_step_at=completed_at,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "id", str(source_id))
            _keep(cells, row, "learner_id", key)
            _keep_time(cells, row, "left_at", left)
            _keep(cells, row, "leaving_reason", reason)
            _keep_time(cells, row, "last_completed_step_at", completed_at)
            if step is not None:
                _keep_step(cells, row, step, "last_completed_")
            else:
                for column in ("step", "week_number", "step_number"):
                    _keep(cells, row, f"last_completed_{column}", "")
            made.append((response, cells))
        self._make_survey(LeavingResponse, dataset, made)

    def _write_sentiment(self) -> None:
        dataset = "weekly-sentiment-survey-responses"
        if dataset not in self.tables:
            return
        there = set(
            SentimentResponse.objects.filter(run=self.run_row, source_id__isnull=False).values_list(
                "source_id", flat=True
            )
        )
        made: list[tuple[SentimentResponse, dict[str, str]]] = []
        for row, (source_id, _key, responded, week, rating, reason) in self._unique(dataset):
            if source_id in there:
                self._counted(dataset, unchanged=1)
                continue
            response = SentimentResponse(
                run=self.run_row,
                source_id=source_id,
                week=week,
                rating=rating,
                reason=reason,
                responded_at=responded,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "id", str(source_id))
            _keep_time(cells, row, "responded_at", responded)
            _keep(cells, row, "week_number", str(week))
            _keep(cells, row, "experience_rating", str(rating))
            made.append((response, cells))
        self._make_survey(SentimentResponse, dataset, made)

    def _write_archetypes(self) -> None:
        dataset = "archetype-survey-responses"
        if dataset not in self.tables:
            return
        rows = ArchetypeResponse.objects.filter(enrolment__run=self.run_row)
        there = set(rows.filter(source_id__isnull=False).values_list("source_id", flat=True))
        answered = set(rows.values_list("enrolment_id", flat=True))
        made: list[tuple[ArchetypeResponse, dict[str, str]]] = []
        for row, (source_id, key, responded, archetype) in self._unique(dataset):
            if source_id in there:
                self._counted(dataset, unchanged=1)
                continue
            enrolment = self.learners.enrolment[self._learner(key)]
            if enrolment in answered:
                self._note("taken", dataset)
                continue
            answered.add(enrolment)
            response = ArchetypeResponse(
                enrolment_id=enrolment,
                source_id=source_id,
                archetype=archetype,
                responded_at=responded,
            )
            cells: dict[str, str] = {}
            _keep(cells, row, "id", str(source_id))
            _keep(cells, row, "learner_id", key)
            _keep_time(cells, row, "responded_at", responded)
            _keep(cells, row, "archetype", archetype)
            made.append((response, cells))
        self._make_survey(ArchetypeResponse, dataset, made)

    def _new_rows(
        self, dataset: str, recognised: set[str]
    ) -> Iterator[tuple[dict[str, str], Any, Entry]]:
        """The second read of a dataset whose rows have ids (the id first in each record):
        the rows not made yet, each with its entry. A row there before this import is counted
        unchanged, once whatever the reads (`recognised` holds their ids); the same row again
        in the file is passed over once made."""
        entries = self.entries[dataset]
        for row, record in self._parsed(dataset):
            source_id = record[0]
            entry = entries[source_id]
            if entry.existing:
                if source_id not in recognised:
                    recognised.add(source_id)
                    self._counted(dataset, unchanged=1)
                continue
            if entry.pk is None:
                yield row, record, entry

    def _unique(self, dataset: str) -> Iterator[tuple[dict[str, str], Any]]:
        """The second read of a dataset whose rows have ids, each id once."""
        done: set[str] = set()
        for row, record in self._parsed(dataset):
            source_id = str(record[0])
            if source_id not in done:
                done.add(source_id)
                yield row, record

    def _record(self, dataset: str, made: Iterable[tuple[Any, str, dict[str, str]]]) -> None:
        """The ImportedRow of each row made from the dataset that has a source id or cells to
        keep (the contract with export.py): (the row made, the file's id for it, its cells)."""
        ImportedRow.objects.bulk_create(
            ImportedRow(
                run=self.run_row,
                dataset=dataset,
                object_id=row.pk,
                source_id=source_id,
                cells=cells,
            )
            for row, source_id, cells in made
            if source_id or cells
        )

    def _make_survey(self, model, dataset: str, made: list[tuple[Any, dict[str, str]]]) -> None:
        for start in range(0, len(made), BATCH):
            batch = made[start : start + BATCH]
            rows = model.objects.bulk_create([response for response, _cells in batch])
            self._record(
                dataset,
                (
                    (response, "", cells)
                    for response, (_response, cells) in zip(rows, batch, strict=True)
                ),
            )
        if made:
            self._counted(dataset, written=len(made))

    def _write_videos(self) -> None:
        dataset = "video-stats"
        if dataset not in self.tables:
            return
        tallies = {tally.step_id: tally for tally in VideoTally.objects.filter(run=self.run_row)}
        done: set[int] = set()
        for row, (step, counts, shares) in self._parsed(dataset):
            if step.pk in done:
                continue
            done.add(step.pk)
            tally = tallies.get(step.pk) or VideoTally(run=self.run_row, step_id=step.pk)
            if tally.imported == row:
                self._counted(dataset, unchanged=1)
                continue
            views = counts["views"]
            for name, value in counts.items():
                setattr(tally, name, value)
            # The file gives shares of views; Stoa counts views, so that its own tallies (and
            # the dashboard) have figures. The export writes the file's cells back.
            for name, share in shares.items():
                setattr(tally, name, round(views * share / 100) if share is not None else 0)
            tally.imported = dict(row)
            tally.save()
            self._counted(dataset, written=1)

    # --- Afterwards ---

    def _recount(self) -> None:
        """The counters Stoa keeps as learners act, counted for the learners imported, then
        the run's learners and its dashboard's tallies."""
        learners = self.learners
        touched = [
            learners.enrolment[index] for index in range(len(learners)) if learners.imported[index]
        ]
        visits = StepVisit.objects.filter(enrolment=OuterRef("pk")).order_by(
            "-last_visited_at", "-pk"
        )
        done = StepCompletion.objects.filter(enrolment=OuterRef("pk"))
        latest_done = done.order_by("-completed_at", "-pk")
        completed = done.order_by().values("enrolment").annotate(count=Count("pk")).values("count")
        visited_at = Subquery(visits.values("last_visited_at")[:1])
        completed_at = Subquery(latest_done.values("completed_at")[:1])
        for start in range(0, len(touched), BATCH):
            Enrolment.objects.filter(pk__in=touched[start : start + BATCH]).update(
                completed_count=Coalesce(Subquery(completed), 0),
                last_step=Coalesce(
                    Subquery(visits.values("step")[:1]), Subquery(latest_done.values("step")[:1])
                ),
                # The later of the latest visit and the latest completion (either may be none).
                last_activity_at=Greatest(
                    Coalesce(visited_at, completed_at), Coalesce(completed_at, visited_at)
                ),
            )
        run = self.run_row
        CourseRun.objects.filter(pk=run.pk).update(
            learner_count=Enrolment.objects.filter(run=run, left_at__isnull=True).count()
        )
        run.refresh_from_db(fields=["learner_count"])
        recount_tallies(run)


def _enrolment_cells(
    row: dict[str, str],
    joined: datetime.datetime,
    left: datetime.datetime | None,
    fully: datetime.datetime | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The cells an enrolment keeps (what the export would write otherwise), and the learner
    profile's values (the answers in LearnerProfile's lists)."""
    cells: dict[str, str] = {}
    _keep_time(cells, row, "enrolled_at", joined)
    _keep_time(cells, row, "unenrolled_at", left)
    _keep_time(cells, row, "fully_participated_at", fully)
    _keep(cells, row, "role", "learner")
    _keep(cells, row, "purchased_statement_at", "")
    _keep(cells, row, "detected_country", "")
    profile = {}
    for column, values in _PROFILE_VALUES.items():
        value = row.get(column)
        if value is None or value == schema.UNKNOWN:
            continue
        if value in values and value != _PREFER_NOT:
            profile[column] = value
        else:
            cells[column] = value
    return cells, profile


class _Try:
    """An answer as the sheet's counting reads it (the fields of Answer it uses)."""

    __slots__ = ("attempt", "correct", "submitted_at")  # a course's answers run to millions

    def __init__(self, attempt: int, correct: bool, submitted_at: datetime.datetime) -> None:
        self.attempt, self.correct, self.submitted_at = attempt, correct, submitted_at


def _sheet(
    step: CourseStep, by_question: dict[int, list[_Try]], now: datetime.datetime
) -> AnswerSheet:
    """A learner's sheet on a step from their answers (first sitting), as answering keeps it
    (assessments.questions.services): questions done, a test's points and best score."""
    tries = [cast(list[Answer], answers) for answers in by_question.values()]
    moments = [answer.submitted_at for answers in by_question.values() for answer in answers]
    done = sum(is_finished(answers, max_attempts=step.max_attempts) for answers in tries)
    test = step.type == StepType.TEST
    sheet = AnswerSheet(
        step_id=step.pk,
        sitting=1,
        questions_done=done,
        points=sum(points_for(answers) for answers in tries) if test else 0,
        started_at=min(moments),
        last_answered_at=max(moments),
        counted_at=now,
    )
    if done and done >= len(step.questions):
        sheet.finished_at = sheet.last_answered_at
        if test:
            score = sheet.points * 10_000 // (MAX_POINTS * done)
            sheet.best_score, sheet.best_percent = score, round(score / 100)
    return sheet


def _total(rows: QuerySet, total: Aggregate) -> Coalesce:
    """An enrolment's total over the rows (a subquery on OuterRef("pk")), 0 for none."""
    return Coalesce(Subquery(rows.values("enrolment").annotate(total=total).values("total")), 0)
