import hashlib
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseTeamMember,
    MediaFile,
    Option,
    Organisation,
    PeerReviewSettings,
    Question,
    Step,
    TranscriptCue,
    Week,
)
from stoa.courses.services import (
    ExportDestinationNotEmpty,
    PackageInvalid,
    export_course,
    import_package,
)

pytestmark = pytest.mark.django_db

STOA = Path(sys.executable).parent / "stoa"
ALL_MODELS = [
    Organisation,
    Course,
    CourseOrganisation,
    CourseTeamMember,
    Week,
    MediaFile,
    Step,
    TranscriptCue,
    Question,
    Option,
    PeerReviewSettings,
]


def tree(root: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def step(number: str) -> Step:
    week, position = number.split(".")
    return Step.objects.get(week__course__slug="qi-basics", week__number=week, position=position)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_importing_the_example_creates_the_course_with_everything_in_it(
    package: Path, media_root: Path
):
    result = import_package(root=package)

    course = result.course
    assert result.created
    assert (result.steps_created, result.steps_updated, result.steps_unchanged) == (9, 0, 0)
    assert result.steps_deleted == 0
    assert course.slug == "qi-basics"
    assert course.title == "Quality Improvement Basics for Clinical Teams"
    assert course.summary.startswith("Two short weeks on how clinical teams find a problem")
    assert course.summary.endswith("tell whether a change made things better.")
    assert (course.language, course.hours_per_week) == ("en", 2)
    assert course.certificate_steps_completed_percent == 90
    assert course.certificate_tests_score_percent == 70
    assert course.package_source == (package / "course.yaml").read_text()
    assert [
        (link.position, link.organisation.name, link.organisation.url)
        for link in course.courseorganisation_set.select_related("organisation")
    ] == [
        (1, "Northfield Teaching Hospital", "https://example.org/northfield"),
        (2, "Coastal School of Health Sciences", ""),
    ]
    assert [(m.position, m.name, m.role) for m in course.team.all()] == [
        (1, "Dr Amara Okafor", "lead-educator"),
        (2, "Sam Lindqvist", "mentor"),
    ]
    assert [(w.number, w.title, w.steps.count()) for w in course.weeks.all()] == [
        (1, "Finding a problem worth fixing", 5),
        (2, "Testing changes and measuring them", 4),
    ]
    assert Step.objects.count() == 9


def test_a_video_step_keeps_its_url_transcript_and_cues_in_milliseconds(
    package: Path, media_root: Path
):
    import_package(root=package)

    welcome = step("1.1")
    assert (welcome.slug, welcome.title, welcome.type) == (
        "welcome",
        "Welcome to the course",
        "video",
    )
    assert welcome.activity == "Getting started"
    assert welcome.body == "Meet the lead educator and hear what the two weeks cover.\n"
    assert welcome.media_url == "https://example.org/media/qi-welcome.mp4"
    assert welcome.media_file is None
    assert welcome.transcript_name == "01-welcome.vtt"
    assert welcome.transcript_source == (package / "week-1/01-welcome.vtt").read_text()
    assert welcome.package_source == (package / "week-1/01-welcome.md").read_text()
    assert [(c.position, c.start_ms, c.end_ms) for c in welcome.cues.all()] == [
        (1, 4_000, 19_500),
        (2, 19_500, 65_000),
        (3, 65_000, 151_000),
    ]
    assert welcome.cues.first().text.startswith("Hello, and welcome. I'm Amara")


def test_package_media_is_copied_to_storage_under_a_content_addressed_name(
    package: Path, media_root: Path
):
    import_package(root=package)

    audio = step("2.1")
    data = (package / "media/pdsa.wav").read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    media = audio.media_file
    assert audio.media_url == ""
    assert (media.path, media.size, media.sha256) == ("media/pdsa.wav", len(data), sha256)
    assert media.file.name == f"courses/qi-basics/{sha256[:16]}/pdsa.wav"
    with default_storage.open(media.file.name, "rb") as stored:
        assert stored.read() == data
    assert (media_root / media.file.name).is_file()


def test_reimporting_does_not_copy_media_again(package: Path, media_root: Path):
    import_package(root=package)
    import_package(root=package)

    assert MediaFile.objects.count() == 1
    assert len(list((media_root / "courses/qi-basics").rglob("*.wav"))) == 1


def test_quiz_test_and_peer_review_steps_keep_their_questions_and_settings(
    package: Path, media_root: Path
):
    import_package(root=package)

    quiz = step("1.4")
    questions = list(quiz.questions.all())
    assert [(q.position, q.choose) for q in questions] == [(1, "one"), (2, "many")]
    assert questions[0].prompt == "Which question does an aim statement answer?"
    assert questions[0].explanation.startswith("The three questions each have a tool")
    assert [(o.position, o.correct, o.feedback[:6]) for o in questions[0].options.all()] == [
        (1, True, "Right."),
        (2, False, "That o"),
    ]
    assert [o.correct for o in questions[1].options.all()] == [True, False, True]
    assert quiz.attempts is None

    test = step("2.3")
    assert (test.type, test.attempts, test.max_attempts) == ("test", 2, 2)
    assert test.questions.count() == 2

    plan = step("2.4").peer_review
    assert (plan.min_words, plan.reviews_required) == (80, 1)
    assert plan.rubric == [
        "Is the aim specific and measurable?",
        "Is the first test of change small enough to run next week?",
    ]


def test_import_then_export_gives_back_every_file_byte_for_byte(
    package: Path, media_root: Path, tmp_path: Path
):
    course = import_package(root=package).course

    export_course(course=course, destination=tmp_path / "exported")

    assert tree(tmp_path / "exported") == tree(package)


OUTCOMES = """outcomes:  # what a learner will be able to do
  - Write an aim statement for a problem on your ward
  - "Read a run chart: shifts, trends and runs"
  - >-
    Plan a first test of change small enough
    to run next week
"""


def test_outcomes_and_a_participation_only_certificate_import_and_export_byte_for_byte(
    package: Path, media_root: Path, tmp_path: Path
):
    edit(package / "course.yaml", "hours_per_week: 2\n", "hours_per_week: 2\n" + OUTCOMES)
    edit(
        package / "course.yaml",
        "  tests_score_percent: 70\n",
        "  tests_score_percent: 70\n  participation_percent: 95  # no tests needed\n"
        "  achievement: false\n",
    )

    course = import_package(root=package).course
    export_course(course=course, destination=tmp_path / "exported")

    course.refresh_from_db()
    assert course.outcomes == [
        "Write an aim statement for a problem on your ward",
        "Read a run chart: shifts, trends and runs",
        "Plan a first test of change small enough to run next week",
    ]
    assert course.certificate_participation_percent == 95
    assert course.certificate_achievement is False
    assert (course.certificate_steps_completed_percent, course.certificate_tests_score_percent) == (
        90,
        70,
    )
    assert tree(tmp_path / "exported") == tree(package)


def test_a_reimport_without_the_new_keys_takes_them_away(package: Path, media_root: Path):
    original = (package / "course.yaml").read_text()
    edit(package / "course.yaml", "hours_per_week: 2\n", "hours_per_week: 2\n" + OUTCOMES)
    edit(
        package / "course.yaml",
        "  tests_score_percent: 70\n",
        "  tests_score_percent: 70\n  participation_percent: 95\n  achievement: false\n",
    )
    import_package(root=package)

    (package / "course.yaml").write_text(original)
    course = import_package(root=package).course

    course.refresh_from_db()
    assert course.outcomes == []
    assert course.certificate_participation_percent is None
    assert course.certificate_achievement is True


def test_an_admin_edit_of_outcomes_and_certificates_renders_course_yaml_that_imports_back(
    package: Path, media_root: Path, tmp_path: Path
):
    course = import_package(root=package).course
    course.outcomes = ["Write an aim statement", "Read a run chart: shifts"]
    course.certificate_participation_percent = 50
    course.save()

    export_course(course=course, destination=tmp_path / "exported")
    import_package(root=tmp_path / "exported")

    text = (tmp_path / "exported/course.yaml").read_text()
    assert "outcomes:\n  - Write an aim statement\n  - 'Read a run chart: shifts'\n" in text
    assert text.endswith(
        "certificate:\n  steps_completed_percent: 90\n  tests_score_percent: 70\n"
        "  participation_percent: 50\n"
    )
    course.refresh_from_db()
    assert course.outcomes == ["Write an aim statement", "Read a run chart: shifts"]
    assert (course.certificate_participation_percent, course.certificate_achievement) == (50, True)


def counts(course: Course) -> tuple[int, int, int, int]:
    course.refresh_from_db()
    return (course.week_count, course.step_count, course.test_count, course.test_question_count)


THIRD_QUESTION = """  - prompt: What does a run chart plot?
    choose: one
    options:
      - text: A measure over time
        correct: true
      - text: A budget
---
"""


def test_import_keeps_the_course_s_counts_of_weeks_steps_tests_and_test_questions(
    package: Path, media_root: Path
):
    course = import_package(root=package).course
    assert counts(course) == (2, 9, 1, 2)

    # Only a question changes: steps and weeks stay as they were.
    edit(
        package / "week-2/03-test.md",
        "      - text: Delegate\n---\n",
        "      - text: Delegate\n" + THIRD_QUESTION,
    )
    import_package(root=package)
    assert counts(course) == (2, 9, 1, 3)

    # The quiz becomes a second test, with its two questions.
    edit(package / "week-1/04-check-understanding.md", "type: quiz\n", "type: test\n")
    import_package(root=package)
    assert counts(course) == (2, 9, 2, 5)

    (package / "week-2/03-test.md").unlink()
    (package / "week-2/04-improvement-plan.md").rename(package / "week-2/03-improvement-plan.md")
    import_package(root=package)
    assert counts(course) == (2, 8, 1, 2)


def test_quiz_and_poll_questions_are_not_counted_as_test_questions(package: Path, media_root: Path):
    (package / "week-1/06-poll.md").write_text(POLL, encoding="utf-8")

    course = import_package(root=package).course

    assert Question.objects.filter(step__week__course=course).count() == 5
    assert counts(course) == (2, 10, 1, 2)


def test_reimporting_an_unchanged_package_changes_nothing(
    package: Path, media_root: Path, django_assert_max_num_queries
):
    first = import_package(root=package)
    before = {s.pk: (s.week.number, s.position) for s in Step.objects.select_related("week")}
    counts = row_counts()

    # A handful of queries for the course, then none per unchanged step.
    with django_assert_max_num_queries(20):
        second = import_package(root=package)

    assert not second.created
    assert second.course.pk == first.course.pk
    assert (second.steps_unchanged, second.steps_created, second.steps_updated) == (9, 0, 0)
    assert second.steps_deleted == 0
    assert {s.pk: (s.week.number, s.position) for s in Step.objects.select_related("week")} == (
        before
    )
    assert row_counts() == counts


def test_reimporting_an_edited_package_updates_the_course_in_place(
    package: Path, media_root: Path, tmp_path: Path
):
    import_package(root=package)
    pks = {f"{s.week.number}.{s.slug}": s.pk for s in Step.objects.select_related("week")}
    week_pks = set(Week.objects.values_list("pk", flat=True))
    question_pks = set(Question.objects.values_list("pk", flat=True))
    cue_pks = set(TranscriptCue.objects.values_list("pk", flat=True))

    week_1 = package / "week-1"
    edit(week_1 / "02-why-improvement.md", "title: Why improvement", "title: Why improving")
    (week_1 / "05-reflection.md").unlink()
    (week_1 / "05-next-week.md").write_text(
        "---\ntitle: Looking ahead\ntype: article\n---\nNext week: testing changes.\n"
    )
    (week_1 / "03-your-problem.md").rename(week_1 / "04-your-problem.md")
    (week_1 / "04-check-understanding.md").rename(week_1 / "03-check-understanding.md")

    result = import_package(root=package)

    assert (result.steps_created, result.steps_updated, result.steps_unchanged) == (1, 3, 5)
    assert result.steps_deleted == 1
    steps = {f"{s.week.number}.{s.slug}": s for s in Step.objects.select_related("week")}
    assert [
        (s.position, s.slug, s.pk == pks.get(f"1.{s.slug}"))
        for s in sorted(steps.values(), key=lambda s: (s.week.number, s.position))
        if s.week.number == 1
    ] == [
        (1, "welcome", True),
        (2, "why-improvement", True),
        (3, "check-understanding", True),
        (4, "your-problem", True),
        (5, "next-week", False),
    ]
    assert steps["1.why-improvement"].title == "Why improving became everyone's job"
    assert "1.reflection" not in steps
    assert all(steps[key].pk == pk for key, pk in pks.items() if key.startswith("2."))
    assert set(Week.objects.values_list("pk", flat=True)) == week_pks
    assert set(Question.objects.values_list("pk", flat=True)) == question_pks
    assert set(TranscriptCue.objects.values_list("pk", flat=True)) == cue_pks
    assert (Course.objects.count(), Step.objects.count()) == (1, 9)

    export_course(course=result.course, destination=tmp_path / "exported")
    assert tree(tmp_path / "exported") == tree(package)


def test_reimporting_reworded_feedback_and_cues_updates_their_rows_in_place(
    package: Path, media_root: Path
):
    import_package(root=package)
    options = {o.pk: o.position for o in Option.objects.filter(question__step=step("1.4"))}
    cues = list(step("1.1").cues.values_list("pk", flat=True))

    edit(package / "week-1/04-check-understanding.md", "Right. An aim", "Yes. An aim")
    edit(package / "week-1/04-check-understanding.md", "each have a tool", "each has a tool")
    edit(package / "week-1/01-welcome.vtt", "Please introduce yourself", "Do introduce yourself")
    result = import_package(root=package)

    assert (result.steps_updated, result.steps_unchanged) == (2, 7)
    quiz_options = Option.objects.filter(question__step=step("1.4"))
    assert {o.pk: o.position for o in quiz_options} == options
    assert quiz_options.filter(feedback__startswith="Yes. An aim").exists()
    assert (
        step("1.4")
        .questions.get(position=1)
        .explanation.endswith("each has a tool; the aim comes first.")
    )
    assert result.lost_answers == ()
    assert step("1.1").questions_changed_at is None
    assert list(step("1.1").cues.values_list("pk", flat=True)) == cues
    assert step("1.1").cues.last().text.startswith("Do introduce yourself")


def test_reimporting_a_question_that_asks_something_else_replaces_it(
    package: Path, media_root: Path
):
    import_package(root=package)
    first, second = step("1.4").questions.order_by("position")

    edit(package / "week-1/04-check-understanding.md", "Two similar wards", "Two alike wards")
    import_package(root=package)

    kept, replaced = step("1.4").questions.order_by("position")
    assert kept.pk == first.pk
    assert replaced.pk != second.pk and replaced.position == 2
    assert replaced.options.filter(text__startswith="Two alike wards").exists()
    assert step("1.4").questions_changed_at is not None


def test_an_invalid_package_writes_nothing(package: Path, media_root: Path):
    edit(package / "course.yaml", "role: mentor", "role: tutor")
    edit(package / "week-1/05-reflection.md", "type: article", "type: essay")
    counts = row_counts()

    with pytest.raises(PackageInvalid) as raised:
        import_package(root=package)

    assert [str(p) for p in raised.value.problems] == [
        "course.yaml:18: team member 2: role 'tutor' is not one of: lead-educator, educator, "
        "mentor, host",
        "week-1/05-reflection.md:3: type 'essay' is not one of: article, video, audio, "
        "discussion, quiz, test, peer-review, poll",
    ]
    assert str(raised.value) == "2 problems found"
    assert row_counts() == counts
    assert list(media_root.iterdir()) == []


def test_an_invalid_reimport_leaves_the_course_as_it_was(package: Path, media_root: Path):
    import_package(root=package)
    counts = row_counts()
    edit(package / "week-1/02-why-improvement.md", "title: Why improvement", "title: Changed")
    (package / "week-1/01-welcome.vtt").unlink()

    with pytest.raises(PackageInvalid):
        import_package(root=package)

    assert row_counts() == counts
    assert step("1.2").title == "Why improvement became everyone's job"
    assert step("1.1").cues.count() == 3


def test_an_admin_edit_is_rendered_in_the_export_while_other_files_stay_as_imported(
    package: Path, media_root: Path, tmp_path: Path
):
    course = import_package(root=package).course
    Step.objects.filter(pk=step("1.2").pk).update(title="Why improvement matters")
    Option.objects.filter(question__step=step("2.3"), text="Delegate").update(text="Delegate it")

    export_course(course=course, destination=tmp_path / "exported")

    exported, original = tree(tmp_path / "exported"), tree(package)
    assert exported.keys() == original.keys()
    changed = {path for path in original if exported[path] != original[path]}
    assert changed == {"week-1/02-why-improvement.md", "week-2/03-test.md"}
    assert exported["week-1/02-why-improvement.md"] == original[
        "week-1/02-why-improvement.md"
    ].replace(b"title: Why improvement became everyone's job", b"title: Why improvement matters")
    assert exported["week-2/03-test.md"] == original["week-2/03-test.md"].replace(
        b"- text: Delegate\n", b"- text: Delegate it\n"
    )


def test_an_admin_edit_of_the_course_renders_course_yaml_that_imports_back(
    package: Path, media_root: Path, tmp_path: Path
):
    course = import_package(root=package).course
    course.title = "QI Basics"
    course.save()

    export_course(course=course, destination=tmp_path / "exported")
    result = import_package(root=tmp_path / "exported")

    text = (tmp_path / "exported/course.yaml").read_text()
    assert text.startswith("format: 1\nslug: qi-basics\ntitle: QI Basics\nsummary: Two short")
    assert result.course.pk == course.pk
    assert result.steps_unchanged == 9
    assert Course.objects.get().title == "QI Basics"


def test_export_refuses_a_folder_that_is_not_empty(package: Path, media_root: Path, tmp_path: Path):
    course = import_package(root=package).course
    destination = tmp_path / "exported"
    destination.mkdir()
    (destination / "notes.txt").write_text("mine")

    with pytest.raises(ExportDestinationNotEmpty):
        export_course(course=course, destination=destination)
    with pytest.raises(CommandError, match="is not empty"):
        call_command("course", "export", "qi-basics", str(destination))
    assert tree(destination) == {"notes.txt": b"mine"}


def test_validate_command_reports_a_valid_package(example_package: Path):
    out = StringIO()

    call_command("course", "validate", str(example_package), stdout=out)

    assert out.getvalue() == "OK: qi-basics is a valid package (2 weeks, 9 steps)\n"


def test_validate_command_lists_each_problem_and_fails(package: Path):
    edit(package / "week-2/03-test.md", "attempts: 2", "attempts: 0")
    (package / "week-1/notes.txt").write_text("to do")
    err = StringIO()

    with pytest.raises(CommandError, match=r"^2 problems found; the package is not valid\.$"):
        call_command("course", "validate", str(package), stderr=err)

    assert err.getvalue().splitlines() == [
        "week-1/notes.txt: not a step or a transcript: a week folder holds only NN-slug.md step "
        "files and the .vtt transcripts they name",
        "week-2/03-test.md:5: attempts must be at least 1, not 0",
    ]


def test_import_and_export_commands_say_what_they_did(
    package: Path, media_root: Path, tmp_path: Path
):
    out = StringIO()

    call_command("course", "import", str(package), stdout=out)
    edit(package / "week-1/02-why-improvement.md", "title: Why improvement", "title: Why QI")
    call_command("course", "import", str(package), stdout=out)
    call_command("course", "export", "qi-basics", str(tmp_path / "out"), stdout=out)

    assert out.getvalue().splitlines() == [
        "Imported qi-basics: 9 steps (9 created, 0 updated, 0 unchanged, 0 deleted)",
        "Imported qi-basics: 9 steps (0 created, 1 updated, 8 unchanged, 0 deleted)",
        f"Exported qi-basics to {tmp_path / 'out'}",
    ]


def test_import_command_refuses_an_invalid_package(package: Path, media_root: Path):
    (package / "course.yaml").unlink()
    err = StringIO()

    with pytest.raises(CommandError, match=r"^1 problem found; nothing was imported\.$"):
        call_command("course", "import", str(package), stderr=err)

    assert err.getvalue() == "course.yaml: course.yaml is missing\n"
    assert Course.objects.count() == 0


def test_export_command_refuses_an_unknown_course(tmp_path: Path):
    with pytest.raises(CommandError, match="There is no course with the slug 'nope'"):
        call_command("course", "export", "nope", str(tmp_path / "out"))


def test_the_stoa_command_exits_with_status_1_and_writes_nothing_for_an_invalid_package(
    package: Path, tmp_path: Path
):
    """Runs the real console command against a database of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "STOA_S3_BUCKET", "STOA_MEDIA_ROOT"}
    }
    env |= {"STOA_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "stoa.settings"}

    def stoa(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(STOA), *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert stoa("migrate", "--skip-checks", "-v", "0").returncode == 0
    edit(package / "week-2/04-improvement-plan.md", "reviews_required: 1", "reviews_required: 0")

    validate = stoa("course", "validate", str(package))
    imported = stoa("course", "import", str(package))

    assert validate.returncode == 1
    assert imported.returncode == 1
    assert imported.stdout == ""
    assert imported.stderr.splitlines()[0] == (
        "week-2/04-improvement-plan.md:6: reviews_required must be at least 1, not 0"
    )
    assert "CommandError: 1 problem found; nothing was imported." in imported.stderr
    with sqlite3.connect(tmp_path / "data" / "stoa.sqlite3") as db:
        assert db.execute("select count(*) from courses_course").fetchone() == (0,)
        assert db.execute("select count(*) from courses_step").fetchone() == (0,)
    assert not (tmp_path / "data" / "media").exists()

    edit(package / "week-2/04-improvement-plan.md", "reviews_required: 0", "reviews_required: 1")
    imported = stoa("course", "import", str(package))

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == (
        "Imported qi-basics: 9 steps (9 created, 0 updated, 0 unchanged, 0 deleted)\n"
    )


def test_a_step_that_changes_type_keeps_its_row_and_drops_what_it_no_longer_has(
    package: Path, media_root: Path
):
    import_package(root=package)
    quiz_pk = step("1.4").pk
    (package / "week-1/04-check-understanding.md").write_text(
        "---\ntitle: Check your understanding\ntype: discussion\n---\nWhat would you ask?\n"
    )
    (package / "week-2/01-pdsa.md").write_text(
        "---\ntitle: Plan-Do-Study-Act in practice\ntype: article\n---\nThree quick cycles.\n"
    )
    (package / "week-2/01-pdsa.vtt").unlink()
    (package / "media/pdsa.wav").unlink()

    result = import_package(root=package)

    assert (result.steps_updated, result.steps_unchanged) == (2, 7)
    assert step("1.4").pk == quiz_pk
    assert step("1.4").type == "discussion"
    assert not Question.objects.filter(step__pk=quiz_pk).exists()
    assert step("2.1").media_file is None
    assert not step("2.1").cues.exists()
    assert not MediaFile.objects.exists()


POLL = """---
title: Where do you meet numbers?
type: poll
activity: Reflection
choose: many
options:
  - text: On the radio
  - text: In a newspaper
  - text: On social media
---
Where do you meet numbers in the news? # a heading-like line, kept as written
"""


def test_a_poll_step_imports_as_one_question_and_exports_byte_for_byte(
    package: Path, media_root: Path, tmp_path: Path
):
    (package / "week-1/06-poll.md").write_text(POLL, encoding="utf-8")

    course = import_package(root=package).course
    export_course(course=course, destination=tmp_path / "exported")

    poll = step("1.6")
    assert (poll.type, poll.get_type_display()) == ("poll", "Poll")
    question = poll.questions.get()
    assert (question.position, question.choose, question.prompt) == (1, "many", poll.body)
    assert [(o.position, o.text, o.correct) for o in question.options.all()] == [
        (1, "On the radio", False),
        (2, "In a newspaper", False),
        (3, "On social media", False),
    ]
    assert tree(tmp_path / "exported") == tree(package)


def test_an_admin_edit_of_a_poll_renders_a_poll_file_that_imports_back(
    package: Path, media_root: Path, tmp_path: Path
):
    (package / "week-1/06-poll.md").write_text(POLL, encoding="utf-8")
    course = import_package(root=package).course
    Option.objects.filter(question__step=step("1.6"), position=2).update(text="In print")

    export_course(course=course, destination=tmp_path / "exported")

    text = (tmp_path / "exported/week-1/06-poll.md").read_text(encoding="utf-8")
    assert "  - text: In print\n" in text
    assert "correct" not in text and "prompt" not in text
    import_package(root=tmp_path / "exported")
    assert step("1.6").questions.get().options.get(position=2).text == "In print"
