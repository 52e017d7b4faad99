"""Importing the reference platform's datasets into a run (stoa.insights.research.importer):
files shaped as its exports are, with what real ones hold (a byte order mark, CRLF, quoted
newlines, rows without a learner, rows twice, learners only in the activity, staff, answers
of many options, an older narrower layout); the rows and counters it writes; a second import
that changes nothing; a broken file that writes nothing; and the round trip through the
export."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.management import CommandError, call_command
from django.utils import timezone

from stoa.accounts.models import LearnerProfile, User
from stoa.assessments.models import (
    Answer,
    AnswerSheet,
    PeerReview,
    PeerSubmission,
    QuestionTally,
)
from stoa.conversation.models import Comment, CommentTally
from stoa.courses.models import CourseRun, CourseTeamMember, TeamRole
from stoa.insights.models import ImportedRow, Pseudonym
from stoa.insights.research import export
from stoa.insights.research.importer import (
    ImportRefused,
    datasets_in,
    import_datasets,
)
from stoa.insights.research.schema import DATASETS, parse_time
from stoa.learning.models import (
    ArchetypeResponse,
    Enrolment,
    JoinTally,
    LeavingResponse,
    ParticipationTally,
    SentimentResponse,
    StepCompletion,
    StepTally,
    StepVisit,
    VideoTally,
)
from stoa.testing import make_questions_step, step_of

pytestmark = pytest.mark.django_db

# Learners as the files name them.
ANA = "0a0a0a0a-0000-4000-8000-000000000001"
BEN = "0a0a0a0a-0000-4000-8000-000000000002"  # the organisation's admin, in the activity too
CAS = "0a0a0a0a-0000-4000-8000-000000000003"  # left the course
DEV = "0a0a0a0a-0000-4000-8000-000000000004"  # in the activity, not in the enrolments
EVA = "0a0a0a0a-0000-4000-8000-000000000005"  # only in the comments
MARY = "0a0a0a0a-0000-4000-8000-000000000009"  # on the course team


def t(day: int, hour: int = 10, minute: int = 0) -> str:
    return f"2026-01-{day:02d} {hour:02d}:{minute:02d}:00 UTC"


ENROLMENTS = [
    [ANA, t(1), "", "learner", "", t(9), "female", "GB", "26-35", "university_degree",
     "working_full_time", "teaching_and_education", "FR"],
    [BEN, t(1, 11), "", "organisation_admin", "", "", "Unknown", "Unknown", "Unknown",
     "Unknown", "Unknown", "Unknown", ""],
    [CAS, t(2), t(8), "learner", t(7), "", "robot", "Unknown", ">65", "Unknown",
     "retired", "", ""],
]  # fmt: skip

# An older, narrower layout: no week and step numbers.
ACTIVITY_HEADER = ["learner_id", "step", "first_visited_at", "last_completed_at"]
ACTIVITY = [
    [ANA, "1.1", t(3), t(3, 11)],
    [ANA, "1.2", t(3, 12), ""],
    [BEN, "1.1", t(4), ""],
    [DEV, "1.2", t(5), t(5, 10, 30)],
    [CAS, "2.3", "", t(6)],  # completed without a visit
]

COMMENTS = [
    # A reply before the comment it answers.
    ["11", EVA, "10", "1.3", "1", "3", "Thanks!", t(4), "0", "", "", "", ""],
    ["10", ANA, "", "1.3", "1", "3", "Line one\r\nline two, <script>alert(1)</script>", t(3),
     "3", "", "", "", ""],
    # A reply to a reply: it joins the thread.
    ["12", CAS, "11", "1.3", "1", "3", "Me too.", t(5), "1", "", "", "", ""],
    ["13", BEN, "", "1.2", "1", "2", "Buy now", t(4), "0", t(4, 12), "spam", "hidden", t(4, 13)],
    ["14", ANA, "", "1.2", "1", "2", "Oops", t(4), "0", "", "", "deleted", ""],
]  # fmt: skip

RESPONSES = [
    [ANA, "1.4.1", "MultipleChoice", "1", "4", "1", "2", "", t(3, 13), "false"],
    [ANA, "1.4.1", "MultipleChoice", "1", "4", "1", "1", "", t(3, 14), "true"],
    [ANA, "1.4.2", "MultipleChoice", "1", "4", "2", "1,3", "", t(3, 15), "true"],
    [CAS, "2.3.1", "MultipleChoice", "2", "3", "1", "1", "", t(6), "true"],
]

WORK = [["21", "3.1", "3", "1", ANA, "My review of the chart.\nIt is fine.", t(5),
         t(5, 12), "", "1"]]  # fmt: skip
REVIEWS = [["31", "3.1", "3", "1", CAS, "21", "Clear.", "", "", t(6)]]
TEAM = [[MARY, "Mary", "Ann Smith", "lead_educator", "educator"]]
VIDEO = [["1.1", "Welcome", "120", "16", "2", "3", "1", "50.00", "100.00", "93.75", "87.50",
          "75.00", "50.00", "25.00", "12.50", "0.00", "62.50", "31.25", "0.00", "6.25", "0.00",
          "", "", "", "", "", "", ""]]  # fmt: skip
LEAVING = [["41", CAS, t(8), "I don't have enough time", t(6), "2.3", "2", "3"]]
WEEKLY = [["51", t(7), "1", "3", "A good week\nthank you"]]
ARCHETYPES = [["61", ANA, t(1, 12), "Explorers"]]


def csv_bytes(header, rows, *, crlf: bool = False, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
    data = out.getvalue().encode()
    return b"\xef\xbb\xbf" + data if bom else data


def oddities(dataset: str, rows: list[list[str]]) -> list[list[str]]:
    """The rows with what real exports hold besides: a row without a learner, and a row twice."""
    learner = DATASETS[dataset].index("author_id" if dataset == "comments" else "learner_id")
    if dataset == "step-activity":
        learner = 0
    blank = list(rows[0])
    blank[learner] = ""
    if dataset == "comments":
        blank[0] = "99"
    return [*rows[:1], rows[0], blank, *rows[1:]]


def the_files() -> dict[str, bytes]:
    """Every dataset as the reference writes it, with every oddity."""
    return {
        "enrolments": csv_bytes(
            DATASETS["enrolments"], oddities("enrolments", ENROLMENTS), crlf=True, bom=True
        ),
        "step-activity": csv_bytes(
            ACTIVITY_HEADER,
            [*oddities("step-activity", ACTIVITY), [ANA, "9.9", t(3), ""]],
        ),
        "comments": csv_bytes(DATASETS["comments"], oddities("comments", COMMENTS), crlf=True),
        "question-response": csv_bytes(
            DATASETS["question-response"],
            [
                *oddities("question-response", RESPONSES),
                [ANA, "1.4.7", "MultipleChoice", "1", "4", "7", "1", "", t(3), "true"],
            ],
        ),
        "peer-review-assignments": csv_bytes(DATASETS["peer-review-assignments"], WORK),
        "peer-review-reviews": csv_bytes(DATASETS["peer-review-reviews"], REVIEWS),
        "team-members": csv_bytes(DATASETS["team-members"], TEAM),
        "video-stats": csv_bytes(DATASETS["video-stats"], VIDEO),
        "leaving-survey-responses": csv_bytes(DATASETS["leaving-survey-responses"], LEAVING),
        "weekly-sentiment-survey-responses": csv_bytes(
            DATASETS["weekly-sentiment-survey-responses"], WEEKLY
        ),
        "archetype-survey-responses": csv_bytes(DATASETS["archetype-survey-responses"], ARCHETYPES),
    }


def openers(files: dict[str, bytes]):
    return {name: (lambda data=data: io.BytesIO(data)) for name, data in files.items()}


@pytest.fixture
def run(course):
    make_questions_step(course, week=1, questions=2)  # 1.4: a quiz of a choose-one and a many
    return CourseRun.objects.select_related("course").get(course=course)


def imported(run, files=None):
    return import_datasets(run=run, files=openers(files or the_files()))


def enrolment_of(run, learner_id) -> Enrolment:
    user_id = Pseudonym.objects.get(course=run.course, learner_id=learner_id).user_id
    return Enrolment.objects.get(run=run, user_id=user_id)


def test_learners_get_accounts_that_cannot_sign_in_and_their_enrolments(run):
    report = imported(run)
    assert report.counts["enrolments"] == 3
    ana = enrolment_of(run, ANA)
    user = ana.user
    assert user.email == f"{ANA}.{run.pk}@imported.invalid"
    assert user.display_name == "Learner 0a0a0a0a"
    assert not user.is_active and not is_password_usable(user.password)
    assert ana.joined_at == parse_time(t(1)) and ana.left_at is None
    profile = LearnerProfile.objects.get(user=user)
    assert (profile.gender, profile.country, profile.employment_area) == (
        "female",
        "GB",
        "teaching_and_education",
    )
    cells = ImportedRow.objects.get(dataset="enrolments", object_id=ana.pk).cells
    assert cells == {"purchased_statement_at": t(9), "detected_country": "FR"}
    cas = enrolment_of(run, CAS)
    assert cas.left_at == parse_time(t(8)) and cas.fully_participated_at == parse_time(t(7))
    cas_cells = ImportedRow.objects.get(dataset="enrolments", object_id=cas.pk).cells
    assert cas_cells == {"gender": "robot", "employment_area": ""}  # not in Stoa's lists
    assert LearnerProfile.objects.get(user=cas.user).age_range == ">65"
    ben = enrolment_of(run, BEN)
    assert ImportedRow.objects.get(dataset="enrolments", object_id=ben.pk).cells == {
        "role": "organisation_admin"
    }
    assert not LearnerProfile.objects.filter(user=ben.user).exists()  # all Unknown
    # Found only in the activity and the comments: enrolled from their first activity.
    dev, eva = enrolment_of(run, DEV), enrolment_of(run, EVA)
    assert dev.joined_at == parse_time(t(5)) and eva.joined_at == parse_time(t(4))
    for unlisted in (dev, eva):
        row = ImportedRow.objects.get(dataset="enrolments", object_id=unlisted.pk)
        assert row.cells == {"listed": False}
    run.refresh_from_db()
    assert run.learner_count == 4  # five learners, Cas left
    assert sum(JoinTally.objects.filter(run=run).values_list("joiners", flat=True)) == 5
    # The dashboard's share of learners who fully participated counts Cas, as the file says.
    assert list(ParticipationTally.objects.filter(run=run).values_list("day", "learners")) == [
        (timezone.localdate(cas.fully_participated_at), 1)
    ]


def test_the_activity_becomes_visits_completions_and_counts(run):
    imported(run)
    ana = enrolment_of(run, ANA)
    visits = dict(StepVisit.objects.filter(enrolment=ana).values_list("step", "first_visited_at"))
    assert visits == {
        step_of(run.course, 1, 1).pk: parse_time(t(3)),
        step_of(run.course, 1, 2).pk: parse_time(t(3, 12)),
    }
    assert ana.completed_count == 1
    assert ana.last_step_id == step_of(run.course, 1, 2).pk
    assert ana.last_activity_at == parse_time(t(3, 12))
    cas = enrolment_of(run, CAS)
    assert not StepVisit.objects.filter(enrolment=cas).exists()
    assert StepCompletion.objects.get(enrolment=cas).completed_at == parse_time(t(6))
    assert cas.completed_count == 1 and cas.last_activity_at == parse_time(t(6))
    first = StepTally.objects.get(run=run, step=step_of(run.course, 1, 1))
    assert (first.visitors, first.completers) == (2, 1)


def test_comments_keep_their_threads_likes_and_moderation(run):
    imported(run)
    by_id = {
        row.source_id: Comment.objects.get(pk=row.object_id)
        for row in ImportedRow.objects.filter(run=run, dataset="comments")
    }
    assert sorted(by_id) == ["10", "11", "12", "13", "14"]
    thread = by_id["10"]
    assert thread.parent_id is None and thread.like_count == 3
    assert thread.body == "Line one\r\nline two, <script>alert(1)</script>"
    assert "<script>" not in thread.body_html and "Line one" in thread.body_html
    assert by_id["11"].parent_id == thread.pk
    assert by_id["12"].parent_id == thread.pk  # a reply to a reply joins its thread
    assert thread.reply_count == 2
    assert by_id["13"].hidden_at == parse_time(t(4, 13))
    assert by_id["14"].deleted_at is not None and by_id["14"].body_html == ""
    cells = ImportedRow.objects.get(dataset="comments", object_id=by_id["13"].pk).cells
    assert cells == {"first_reported_at": t(4, 12), "first_reported_reason": "spam"}
    reply_cells = ImportedRow.objects.get(dataset="comments", object_id=by_id["12"].pk).cells
    assert reply_cells == {"parent_id": "11"}
    assert not Comment.objects.filter(run=run, waiting=True).exists()
    tally = CommentTally.objects.get(run=run, step=step_of(run.course, 1, 3))
    assert (tally.comments, tally.replies) == (1, 2)


def test_answers_are_numbered_tries_with_sheets_and_records(run):
    imported(run)
    ana, cas = enrolment_of(run, ANA), enrolment_of(run, CAS)
    quiz, test = step_of(run.course, 1, 4), step_of(run.course, 2, 3)
    tries = list(
        Answer.objects.filter(user=ana.user, step=quiz)
        .order_by("question__position", "attempt")
        .values_list("question__position", "attempt", "choices", "correct")
    )
    assert tries == [(1, 1, "2", False), (1, 2, "1", True), (2, 1, "1,3", True)]
    sheet = AnswerSheet.objects.get(enrolment=ana, step=quiz)
    assert sheet.questions_done == 2 and sheet.finished_at == parse_time(t(3, 15))
    test_sheet = AnswerSheet.objects.get(enrolment=cas, step=test)
    assert (test_sheet.points, test_sheet.best_percent) == (3, 100)
    cas.refresh_from_db()
    assert (cas.test_questions_done, cas.tests_done, cas.test_score_sum) == (1, 1, 10_000)
    first_tries = QuestionTally.objects.filter(run=run).values_list(
        "question__step__position", "question__position", "first_tries", "first_try_correct"
    )
    assert sorted(first_tries) == [(3, 1, 1, 1), (4, 1, 1, 0), (4, 2, 1, 1)]


def test_peer_review_team_surveys_and_video(run):
    imported(run)
    work = PeerSubmission.objects.get(run=run)
    assert work.user_id == enrolment_of(run, ANA).user_id
    assert work.submitted_at == parse_time(t(5, 12)) and work.review_count == 1
    review = PeerReview.objects.get(run=run)
    assert review.submission_id == work.pk and review.answers == ["Clear."]
    member = CourseTeamMember.objects.get(course=run.course, name="Mary Ann Smith")
    assert member.user_id is None and not member.from_package
    assert member.role == TeamRole.LEAD_EDUCATOR
    leaving = LeavingResponse.objects.get(source_id=41)
    assert leaving.last_completed_step_id == step_of(run.course, 2, 3).pk
    assert SentimentResponse.objects.get(run=run).reason == "A good week\nthank you"
    assert ArchetypeResponse.objects.get(source_id=61).archetype == "Explorers"
    tally = VideoTally.objects.get(run=run)
    assert (tally.views, tally.downloads, tally.reached_10) == (16, 2, 15)
    assert tally.imported["viewed_ten_percent"] == "93.75"


def test_the_report_counts_and_notes_what_it_left_out(run):
    report = imported(run)
    assert report.counts == {
        "team-members": 1,
        "enrolments": 3,
        "step-activity": 5,
        "comments": 5,
        "question-response": 4,
        "peer-review-assignments": 1,
        "peer-review-reviews": 1,
        "leaving-survey-responses": 1,
        "weekly-sentiment-survey-responses": 1,
        "archetype-survey-responses": 1,
        "video-stats": 1,
    }
    notes = "\n".join(report.notes)
    for expected in (
        "1 row of enrolments has no learner id",
        "1 row of step-activity has no learner id",
        "1 row of comments has no learner id",
        "1 row of step-activity is on a step this course does not have (9.9)",
        "1 row of question-response answers a question this course does not have (1.4.7)",
        "1 row of enrolments names a learner again",
        "1 row of step-activity is about a learner and step read already",
        "1 row of comments repeats a row exactly",
        "1 row of question-response repeats a row exactly",
        "2 learners found in the activity are not in the enrolments file",
        "1 person in enrolments has a role other than learner (organisation_admin)",
        "1 reply answers a reply",
    ):
        assert expected in notes


def counts() -> dict[str, int]:
    models = (
        User, Pseudonym, Enrolment, LearnerProfile, ImportedRow, StepVisit, StepCompletion,
        Comment, Answer, AnswerSheet, PeerSubmission, PeerReview, CourseTeamMember,
        LeavingResponse, SentimentResponse, ArchetypeResponse, VideoTally, QuestionTally,
        CommentTally, StepTally,
    )  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


def test_importing_the_same_files_again_changes_nothing(run):
    first = imported(run)
    before = counts()
    enrolments = list(Enrolment.objects.order_by("pk").values())
    second = imported(run)
    assert counts() == before
    assert list(Enrolment.objects.order_by("pk").values()) == enrolments
    assert second.counts == dict.fromkeys(first.counts, 0)
    assert second.unchanged == first.counts


def test_a_broken_file_is_refused_with_every_error_and_nothing_is_written(run):
    files = the_files()
    files["comments"] = csv_bytes(
        DATASETS["comments"],
        [
            COMMENTS[1],
            ["15", ANA, "", "1.2", "1", "2", "Hi", "yesterday", "0", "", "", "", ""],
            ["16", ANA, "", "1.2", "1", "2", "Hi", t(3), "many", "", "", "", ""],
            ["10", ANA, "", "1.2", "1", "2", "Not the same", t(3), "0", "", "", "", ""],
            ["17", "not-a-uuid", "", "1.2", "1", "2", "Hi", t(3), "0", "", "", "", ""],
        ],
    )
    files["weekly-sentiment-survey-responses"] = csv_bytes(
        ["id", "responded_at", "week_number", "experience_rating", "mood"],
        [["1", t(1), "1", "3", "x"]],
    )
    before = counts()
    with pytest.raises(ImportRefused) as refused:
        imported(run, files)
    assert refused.value.errors == [
        # Line 2's text holds a line break: its row takes lines 2 and 3.
        "comments.csv:4: timestamp is not a time like 2016-09-05 11:41:07 UTC: 'yesterday'",
        "comments.csv:5: likes is not a whole number of at least 0: 'many'",
        "comments.csv:6: id 10 is also the id of a different row, on line 2.",
        "comments.csv:7: author_id is not a learner id (a UUID): 'not-a-uuid'",
        "weekly-sentiment-survey-responses.csv:1: mood: not columns of the "
        "weekly-sentiment-survey-responses dataset.",
    ]
    assert counts() == before


def test_a_row_of_the_wrong_length_stops_its_file(run):
    files = {"enrolments": b"learner_id,enrolled_at\n" + f"{ANA},{t(1)},extra\n".encode()}
    with pytest.raises(ImportRefused) as refused:
        imported(run, files)
    assert refused.value.errors == [
        "enrolments.csv:2: this row has 3 cells where the header has 2."
    ]


def test_files_of_another_course_are_refused(run):
    files = {"step-activity": csv_bytes(ACTIVITY_HEADER, [[ANA, "7.1", t(1), ""]])}
    with pytest.raises(ImportRefused) as refused:
        imported(run, files)
    assert "None of the steps the files name is a step of this course" in refused.value.errors[0]
    assert not Enrolment.objects.exists()


def test_steps_it_cannot_match_are_noted_and_the_rest_imported(run):
    files = {
        "step-activity": csv_bytes(
            ACTIVITY_HEADER,
            [[ANA, "1.1", t(1), ""], [ANA, "4.1", t(1), ""], [BEN, "4.2", t(2), ""]],
        )
    }
    report = imported(run, files)
    assert report.counts["step-activity"] == 1
    assert report.notes == [
        "1 learner found in the activity is not in the enrolments file: given an enrolment "
        "from their first activity (the export leaves it out).",
        "2 rows of step-activity are on steps this course does not have (4.1, 4.2): left out.",
    ]
    assert not Pseudonym.objects.filter(learner_id=BEN).exists()  # only on a missing step


def exported(run, dataset: str, columns: list[str]) -> list[list[str]]:
    """The export's rows of the dataset, in the file's columns."""
    header = DATASETS[dataset]
    return sorted(
        [row[header.index(column)] for column in columns] for row in export.rows(run, dataset)
    )


def test_exporting_the_imported_run_gives_back_the_same_rows(run):
    imported(run)
    team_ids = {row[0] for row in TEAM}
    expected = {
        "enrolments": ENROLMENTS,
        "step-activity": ACTIVITY,
        "comments": COMMENTS,
        "question-response": RESPONSES,
        "peer-review-assignments": WORK,
        "peer-review-reviews": REVIEWS,
        "team-members": TEAM,
        "video-stats": VIDEO,
        "leaving-survey-responses": LEAVING,
        "weekly-sentiment-survey-responses": WEEKLY,
        "archetype-survey-responses": ARCHETYPES,
    }
    for dataset, rows in expected.items():
        columns = ACTIVITY_HEADER if dataset == "step-activity" else list(DATASETS[dataset])
        back = exported(run, dataset, columns)
        if dataset == "team-members":  # the course's own team is there too
            back = [row for row in back if row[0] in team_ids]
        assert back == sorted(rows), dataset


def test_datasets_are_found_in_a_folder_or_a_zip_by_their_names(tmp_path: Path):
    folder = tmp_path / "files"
    (folder / "inner").mkdir(parents=True)
    (folder / "Reading-Data-3_Enrolments.CSV").write_bytes(b"learner_id\n")
    (folder / "inner" / "reading-data-3_step-activity.csv").write_bytes(b"learner_id\n")
    (folder / "notes.txt").write_text("not a dataset")
    (folder / "reading-data-3_weekly-sentiment-survey-responses.csv").write_bytes(b"id\n")
    found = datasets_in(folder)
    assert sorted(found) == ["enrolments", "step-activity", "weekly-sentiment-survey-responses"]
    assert found["enrolments"]().read() == b"learner_id\n"
    archive = tmp_path / "files.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("run/course_comments.csv", "id\n")
        out.writestr("__MACOSX/run/._course_comments.csv", "junk")
    found = datasets_in(archive)
    assert list(found) == ["comments"]
    assert found["comments"]().read() == b"id\n"
    assert found["comments"]().read() == b"id\n"  # opened anew each time
    (folder / "other_enrolments.csv").write_bytes(b"learner_id\n")
    with pytest.raises(ImportRefused) as refused:
        datasets_in(folder)
    assert "are both enrolments files" in refused.value.errors[0]


def test_a_zip_of_the_files_imports_as_the_folder_does(run, tmp_path: Path):
    archive = tmp_path / "run.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for dataset, data in the_files().items():
            out.writestr(f"reading-data_{dataset}.csv", data)
    report = import_datasets(run=run, files=datasets_in(archive))
    assert report.counts["comments"] == 5
    assert Comment.objects.filter(run=run).count() == 5


def test_the_command_imports_a_folder_and_reports(run, tmp_path: Path):
    for dataset, data in the_files().items():
        (tmp_path / f"reading-data_{dataset}.csv").write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "data", "import", run.course.slug, "--run", str(run.pk), str(tmp_path),
        stdout=out, stderr=err,
    )  # fmt: skip
    assert "comments: 5 imported, 0 already there" in out.getvalue()
    assert "Note: 1 row of comments repeats a row exactly: read once." in out.getvalue()
    assert Comment.objects.filter(run=run).count() == 5


def test_the_command_prints_every_error_and_imports_nothing(run, tmp_path: Path):
    (tmp_path / "reading-data_step-activity.csv").write_bytes(
        csv_bytes(ACTIVITY_HEADER, [[ANA, "1.1", "soon", ""], [ANA, "1.x", t(1), ""]])
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 error"):
        call_command(
            "data", "import", run.course.slug, "--run", str(run.pk), str(tmp_path),
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert err.getvalue().splitlines() == [
        "reading-data_step-activity.csv:2: first_visited_at is not a time like "
        "2016-09-05 11:41:07 UTC: 'soon'",
        "reading-data_step-activity.csv:3: step is not a step like 1.3: '1.x'",
    ]
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"learner_id,enrolled_at\n\xff\xfe\n", "enrolments.csv:1: this file is not UTF-8 text."),
        (b"", "enrolments.csv:1: the file is empty: it has no header line."),
        (
            b"learner_id,role\n",
            "enrolments.csv:1: the columns enrolled_at are missing.",
        ),
        (
            b"learner_id,enrolled_at,role,role\n",
            "enrolments.csv:1: role: each column may appear once.",
        ),
        (
            b'learner_id,enrolled_at\n"' + ANA.encode() + b",2026-01-01\n",
            "enrolments.csv:2: this row has 1 cells where the header has 2.",
        ),
    ],
    ids=["not utf-8", "empty", "narrower than needed", "column twice", "unclosed quote"],
)
def test_files_that_cannot_be_read_are_refused(run, data, error):
    with pytest.raises(ImportRefused) as refused:
        imported(run, {"enrolments": data})
    assert refused.value.errors == [error]


def test_a_file_that_cannot_be_opened_is_refused(run, tmp_path: Path):
    missing = tmp_path / "course_enrolments.csv"
    with pytest.raises(ImportRefused) as refused:
        import_datasets(run=run, files={"enrolments": lambda: missing.open("rb")})
    assert refused.value.errors[0].startswith("enrolments.csv:1: this file cannot be opened")
