"""Every rule of the course package format, each broken by one edit of the example.

Each case copies qi-basics, makes one edit and expects exactly the problems listed:
(path, line, part of the message), in the order they are reported.
"""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from stoa.courses.package import (
    CertificateSpec,
    OptionSpec,
    Problem,
    QuestionSpec,
    StepSpec,
    parse_course_yaml,
    parse_step_file,
    parse_transcript,
    read_package,
    render_course_yaml,
    render_step_file,
    render_transcript,
)

Edit = Callable[[Path], None]


def replace(rel: str, old: str, new: str) -> Edit:
    """Replace text that occurs exactly once in a file."""

    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
        path.write_bytes(text.replace(old, new).encode("utf-8"))

    return apply


def write(rel: str, content: str | bytes) -> Edit:
    def apply(root: Path) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (root / rel).write_bytes(data)

    return apply


def delete(*rels: str) -> Edit:
    def apply(root: Path) -> None:
        for rel in rels:
            (root / rel).unlink()

    return apply


def rename(rel: str, new_rel: str) -> Edit:
    def apply(root: Path) -> None:
        (root / rel).rename(root / new_rel)

    return apply


def make_folder(rel: str) -> Edit:
    def apply(root: Path) -> None:
        (root / rel).mkdir()

    return apply


def link_outside(rel: str) -> Edit:
    def apply(root: Path) -> None:
        outside = root.parent / "outside.txt"
        outside.write_text("not part of the package")
        (root / rel).symlink_to(outside)

    return apply


def combine(*edits: Edit) -> Edit:
    def apply(root: Path) -> None:
        for edit in edits:
            edit(root)

    return apply


ORGANISATIONS = """organisations:
  - name: Northfield Teaching Hospital
    url: https://example.org/northfield
  - name: Coastal School of Health Sciences
"""
WEEKS = """weeks:
  - title: Finding a problem worth fixing
  - title: Testing changes and measuring them
"""
SUMMARY = """summary: >-
  Two short weeks on how clinical teams find a problem worth fixing, test small
  changes, and tell whether a change made things better.
"""
RUBRIC = """rubric:
  - Is the aim specific and measurable?
  - Is the first test of change small enough to run next week?
"""
QUIZ = "week-1/04-check-understanding.md"
ARTICLE = "week-1/05-reflection.md"
VIDEO = "week-1/01-welcome.md"
VIDEO_VTT = "week-1/01-welcome.vtt"
AUDIO = "week-2/01-pdsa.md"
TEST = "week-2/03-test.md"
PEER_REVIEW = "week-2/04-improvement-plan.md"
QUIZ_FRONT = "---\ntitle: Check your understanding\ntype: quiz\nactivity: Choosing a problem\n"
VALID_VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello.\n"
# The example has no poll: poll cases add this one as step 1.6, then break it.
POLL = "week-1/06-where-you-meet-numbers.md"
# Rule 12 cases add outcomes after hours_per_week, or certificate keys after its last key.
HOURS = "hours_per_week: 2\n"
CERTIFICATE_END = "  tests_score_percent: 70\n"
POLL_TEXT = """---
title: Where do you meet numbers?
type: poll
activity: Reflection
choose: one
options:
  - text: On the radio
  - text: In a newspaper
---
Where do you most often meet numbers in the news?
"""


def with_poll(*edits: Edit) -> Edit:
    """Add the poll step to the package, then apply the edits to it."""
    return combine(write(POLL, POLL_TEXT), *edits)


def case(case_id: str, edit: Edit, *expected: tuple[str, int | None, str]):
    return pytest.param(edit, list(expected), id=case_id)


CASES = [
    # Rule 1: course.yaml exists, is YAML, has format: 1 and every required key; slug;
    # at least one organisation; team roles from the list.
    case(
        "1-course-yaml-missing",
        delete("course.yaml"),
        ("course.yaml", None, "course.yaml is missing"),
    ),
    case(
        "1-course-yaml-not-yaml",
        replace("course.yaml", "slug: qi-basics\n", "slug: qi-basics: basics\n"),
        ("course.yaml", 2, "YAML syntax error: mapping values are not allowed"),
    ),
    case(
        "1-course-yaml-not-a-mapping",
        write("course.yaml", "- format: 1\n"),
        ("course.yaml", None, "course.yaml must be a YAML mapping of keys to values, not a list"),
    ),
    case(
        "1-format-missing",
        replace("course.yaml", "format: 1\n", ""),
        ("course.yaml", None, "format is required"),
    ),
    case(
        "1-format-not-1",
        replace("course.yaml", "format: 1\n", "format: 2\n"),
        ("course.yaml", 1, "format must be 1 (this is version 1"),
    ),
    case(
        "1-slug-missing",
        replace("course.yaml", "slug: qi-basics\n", ""),
        ("course.yaml", None, "slug is required"),
    ),
    case(
        "1-slug-pattern",
        replace("course.yaml", "slug: qi-basics\n", "slug: QI_basics\n"),
        ("course.yaml", 2, "slug 'QI_basics' may only contain lowercase letters a-z, digits"),
    ),
    case(
        "1-title-missing",
        replace("course.yaml", "title: Quality Improvement Basics for Clinical Teams\n", ""),
        ("course.yaml", None, "title is required"),
    ),
    case(
        "1-summary-missing",
        replace("course.yaml", SUMMARY, ""),
        ("course.yaml", None, "summary is required"),
    ),
    case(
        "1-organisations-missing",
        replace("course.yaml", ORGANISATIONS, ""),
        ("course.yaml", None, "organisations is required"),
    ),
    case(
        "1-organisations-empty",
        replace("course.yaml", ORGANISATIONS, "organisations: []\n"),
        ("course.yaml", 9, "organisations must list at least one organisation"),
    ),
    case(
        "1-organisation-name-missing",
        replace(
            "course.yaml",
            "  - name: Coastal School of Health Sciences\n",
            "  - url: https://example.org/coastal\n",
        ),
        ("course.yaml", 12, "organisation 2: name is required"),
    ),
    case(
        "1-weeks-missing",
        replace("course.yaml", WEEKS, ""),
        ("course.yaml", None, "weeks is required"),
    ),
    case(
        "1-team-role-unknown",
        replace("course.yaml", "role: mentor\n", "role: tutor\n"),
        ("course.yaml", 18, "team member 2: role 'tutor' is not one of: lead-educator, educator"),
    ),
    case(
        "1-team-role-missing",
        replace("course.yaml", "    role: mentor\n", ""),
        ("course.yaml", 17, "team member 2: role is required"),
    ),
    # Rule 2: week folders are exactly week-1 … week-N.
    case(
        "2-week-folder-missing",
        replace("course.yaml", WEEKS, WEEKS + "  - title: A third week\n"),
        ("week-3", None, "the folder is missing: weeks in course.yaml lists 3"),
    ),
    case(
        "2-week-folder-not-in-weeks",
        replace("course.yaml", "  - title: Testing changes and measuring them\n", ""),
        ("week-2", None, "there is no week 2: weeks in course.yaml lists 1"),
    ),
    case(
        "2-week-folder-misnamed",
        rename("week-2", "week-02"),
        ("week-02", None, "not a week folder: week folders are named week-1, week-2"),
        ("week-2", None, "the folder is missing"),
    ),
    case(
        "2-weeks-empty",
        replace("course.yaml", WEEKS, "weeks: []\n"),
        ("course.yaml", 20, "weeks must list at least one week"),
    ),
    # Rule 3: step files are NN-slug.md, numbered 1, 2, 3 … without gap or repeat;
    # every week has a step.
    case(
        "3-step-file-misnamed",
        rename(ARTICLE, "week-1/05-Reflection.md"),
        ("week-1/05-Reflection.md", None, "step files are named NN-slug.md"),
    ),
    case(
        "3-step-number-not-two-digits",
        rename(ARTICLE, "week-1/5-reflection.md"),
        ("week-1/5-reflection.md", None, "write the step number with two digits: 05-reflection"),
    ),
    case(
        "3-step-number-gap",
        rename(ARTICLE, "week-1/06-reflection.md"),
        ("week-1/06-reflection.md", None, "with no gap: expected 05 here, not 06"),
    ),
    case(
        "3-step-number-repeated",
        rename(ARTICLE, "week-1/04-reflection.md"),
        ("week-1/04-reflection.md", None, "step number 04 is also used by 04-check-understanding"),
    ),
    case(
        "3-week-without-steps",
        delete(
            "week-2/01-pdsa.md",
            "week-2/01-pdsa.vtt",
            "week-2/02-run-charts.md",
            TEST,
            PEER_REVIEW,
        ),
        ("week-2", None, "the week has no steps"),
    ),
    case(
        "3-slug-repeated-in-a-week",
        rename(ARTICLE, "week-1/05-welcome.md"),
        ("week-1/05-welcome.md", None, "the slug 'welcome' is also used by 01-welcome.md"),
    ),
    # Rule 4: front matter between --- lines, with title and a known type; no keys that
    # the type does not define.
    case(
        "4-front-matter-missing",
        write(ARTICLE, "# Week 1 reflection\n\nWhat you learnt.\n"),
        (ARTICLE, 1, "front matter is missing"),
    ),
    case(
        "4-front-matter-not-closed",
        replace(ARTICLE, "activity: Reflection\n---\n", "activity: Reflection\n"),
        (ARTICLE, 1, "front matter is not closed"),
    ),
    case(
        "4-front-matter-not-yaml",
        replace(ARTICLE, "title: Week 1 reflection\n", "title: Week 1: reflection\n"),
        (ARTICLE, 2, "YAML syntax error: mapping values are not allowed"),
    ),
    case(
        "4-front-matter-not-a-mapping",
        write(ARTICLE, "---\n- Week 1 reflection\n---\nWhat you learnt.\n"),
        (ARTICLE, None, "the front matter must be a YAML mapping"),
    ),
    case(
        "4-title-missing",
        replace(ARTICLE, "title: Week 1 reflection\n", ""),
        (ARTICLE, None, "title is required"),
    ),
    case(
        "4-title-empty",
        replace(ARTICLE, "title: Week 1 reflection\n", "title: ''\n"),
        (ARTICLE, 2, "title must not be empty"),
    ),
    case(
        "4-type-missing",
        replace(ARTICLE, "type: article\n", ""),
        (ARTICLE, None, "type is required"),
    ),
    case(
        "4-type-unknown",
        replace(ARTICLE, "type: article\n", "type: essay\n"),
        (ARTICLE, 3, "type 'essay' is not one of: article, video, audio, discussion, quiz"),
    ),
    case(
        "4-key-of-another-type",
        replace(ARTICLE, "activity: Reflection\n", "activity: Reflection\nattempts: 2\n"),
        (ARTICLE, 5, "unknown key 'attempts' for an article step; the keys are: title, type"),
    ),
    case(
        "4-key-misspelt",
        replace(ARTICLE, "activity: Reflection\n", "activty: Reflection\n"),
        (ARTICLE, 4, "unknown key 'activty' for an article step"),
    ),
    # Rule 5: video and audio steps have media and a valid transcript beside them.
    case(
        "5-media-missing",
        replace(VIDEO, "media: https://example.org/media/qi-welcome.mp4\n", ""),
        (VIDEO, None, "media is required"),
    ),
    case(
        "5-transcript-missing",
        combine(replace(VIDEO, "transcript: 01-welcome.vtt\n", ""), delete(VIDEO_VTT)),
        (VIDEO, None, "transcript is required"),
    ),
    case(
        "5-transcript-file-missing",
        delete(VIDEO_VTT),
        (VIDEO, 6, "transcript file 01-welcome.vtt does not exist in week-1/"),
    ),
    case(
        "5-audio-transcript-file-missing",
        delete("week-2/01-pdsa.vtt"),
        (AUDIO, 6, "transcript file 01-pdsa.vtt does not exist in week-2/"),
    ),
    case(
        "5-transcript-not-a-vtt-file",
        combine(
            replace(VIDEO, "transcript: 01-welcome.vtt\n", "transcript: 01-welcome.txt\n"),
            delete(VIDEO_VTT),
        ),
        (VIDEO, 6, "transcript '01-welcome.txt' must name a WebVTT file ending in .vtt"),
    ),
    case(
        "5-transcript-not-beside-the-step",
        combine(
            replace(VIDEO, "transcript: 01-welcome.vtt\n", "transcript: ../week-2/01-pdsa.vtt\n"),
            delete(VIDEO_VTT),
        ),
        (VIDEO, 6, "must name a .vtt file beside the step, without a folder"),
    ),
    case(
        "5-transcript-not-webvtt",
        replace(VIDEO_VTT, "WEBVTT\n", "WEBVTX\n"),
        (VIDEO_VTT, 1, "not a WebVTT file: the first line must be WEBVTT"),
    ),
    case(
        "5-transcript-malformed-timestamp",
        replace(VIDEO_VTT, "00:00:19.500 --> 00:01:05.000", "00:00:19.500 --> 00:61:05.000"),
        (VIDEO_VTT, 6, "not a valid WebVTT cue: Invalid timestamp '00:61:05.000'"),
    ),
    case(
        "5-transcript-without-cues",
        write(VIDEO_VTT, "WEBVTT\n"),
        (VIDEO_VTT, None, "the transcript has no cues"),
    ),
    case(
        "5-cues-out-of-order",
        replace(VIDEO_VTT, "00:01:05.000 --> 00:02:31.000", "00:00:10.000 --> 00:02:31.000"),
        (VIDEO_VTT, 9, "the cue starts at 00:00:10.000, before the cue ahead of it (00:00:19.500)"),
    ),
    case(
        "5-cue-ends-before-it-starts",
        replace(VIDEO_VTT, "00:00:04.000 --> 00:00:19.500", "00:00:04.000 --> 00:00:03.000"),
        (VIDEO_VTT, 3, "the cue ends at 00:00:03.000, not after it starts"),
    ),
    case(
        "5-cue-ends-as-it-starts",
        replace(VIDEO_VTT, "00:00:04.000 --> 00:00:19.500", "00:00:04.000 --> 00:00:04.000"),
        (VIDEO_VTT, 3, "the cue ends at 00:00:04.000, not after it starts"),
    ),
    case(
        "5-transcript-block-not-a-cue",
        replace(VIDEO_VTT, "00:00:04.000 --> 00:00:19.500", "00:00:04.000 -> 00:00:19.500"),
        (VIDEO_VTT, 3, "not a cue: a cue starts with a timing line"),
    ),
    # Rule 6: media is a file under media/ or an https:// URL.
    case(
        "6-media-file-missing",
        replace(AUDIO, "media: media/pdsa.wav\n", "media: media/missing.wav\n"),
        (AUDIO, 5, "media file media/missing.wav does not exist in the package"),
    ),
    case(
        "6-media-folder-without-the-file",
        delete("media/pdsa.wav"),
        (AUDIO, 5, "media file media/pdsa.wav does not exist in the package"),
    ),
    case(
        "6-media-url-not-https",
        replace(VIDEO, "media: https://", "media: http://"),
        (VIDEO, 5, "must use https://, not http://"),
    ),
    case(
        "6-media-not-under-media",
        replace(AUDIO, "media: media/pdsa.wav\n", "media: course.yaml\n"),
        (AUDIO, 5, "must be a file under media/ (e.g. media/a.mp4) or an https:// URL"),
    ),
    case(
        "6-media-path-leaves-media",
        replace(AUDIO, "media: media/pdsa.wav\n", "media: media/../course.yaml\n"),
        (AUDIO, 5, "must stay inside media/: '..' is not allowed"),
    ),
    case(
        "6-media-path-absolute",
        replace(AUDIO, "media: media/pdsa.wav\n", "media: /etc/hostname\n"),
        (AUDIO, 5, "must be a path inside media/ such as media/a.mp4, not absolute"),
    ),
    case(
        "6-media-file-links-outside-the-package",
        link_outside("media/outside.wav"),
        ("media/outside.wav", None, "links to a file outside the package"),
    ),
    # Rule 7: quizzes and tests have questions, each with two options or more, the right
    # number of correct options, and attempts >= 1.
    case(
        "7-quiz-without-questions",
        write(QUIZ, QUIZ_FRONT + "questions: []\n---\nTwo questions.\n"),
        (QUIZ, 5, "a quiz step needs at least one question"),
    ),
    case(
        "7-quiz-questions-missing",
        write(QUIZ, QUIZ_FRONT + "---\nTwo questions.\n"),
        (QUIZ, None, "questions is required for a quiz step"),
    ),
    case(
        "7-question-with-one-option",
        replace(
            QUIZ,
            "      - text: How will we know that a change is an improvement?\n"
            "        feedback: That one is answered by measurement, such as a run chart.\n",
            "",
        ),
        (QUIZ, 8, "question 1: a question needs at least two options, found 1"),
    ),
    case(
        "7-choose-one-with-two-correct",
        replace(
            QUIZ,
            "      - text: How will we know that a change is an improvement?\n",
            "      - text: How will we know that a change is an improvement?\n"
            "        correct: true\n",
        ),
        (QUIZ, 6, "question 1: choose: one needs exactly one correct option, found 2"),
    ),
    case(
        "7-choose-one-with-none-correct",
        replace(
            QUIZ, "        correct: true\n        feedback: Right.", "        feedback: Right."
        ),
        (QUIZ, 6, "question 1: choose: one needs exactly one correct option, found 0"),
    ),
    case(
        "7-choose-many-with-none-correct",
        combine(
            replace(QUIZ, "fall rates\n        correct: true\n", "fall rates\n"),
            replace(QUIZ, "on duty\n        correct: true\n", "on duty\n"),
        ),
        (QUIZ, 15, "question 2: choose: many needs at least one correct option, found none"),
    ),
    case(
        "7-choose-unknown",
        replace(QUIZ, "choose: many\n", "choose: several\n"),
        (QUIZ, 16, "question 2: choose must be one or many, not 'several'"),
    ),
    case(
        "7-choose-missing",
        replace(QUIZ, "    choose: many\n", ""),
        (QUIZ, 15, "question 2: choose is required"),
    ),
    case(
        "7-attempts-zero",
        replace(TEST, "attempts: 2\n", "attempts: 0\n"),
        (TEST, 5, "attempts must be at least 1, not 0"),
    ),
    case(
        "7-attempts-in-a-quiz",
        replace(
            QUIZ, "activity: Choosing a problem\n", "activity: Choosing a problem\nattempts: 2\n"
        ),
        (QUIZ, 5, "unknown key 'attempts' for a quiz step"),
    ),
    # Rule 8: peer review has a rubric line, min_words >= 0 and reviews_required >= 1.
    case(
        "8-rubric-empty",
        replace(PEER_REVIEW, RUBRIC, "rubric: []\n"),
        (PEER_REVIEW, 7, "rubric must have at least one line"),
    ),
    case(
        "8-rubric-missing",
        replace(PEER_REVIEW, RUBRIC, ""),
        (PEER_REVIEW, None, "rubric is required"),
    ),
    case(
        "8-min-words-negative",
        replace(PEER_REVIEW, "min_words: 80\n", "min_words: -1\n"),
        (PEER_REVIEW, 5, "min_words must be at least 0, not -1"),
    ),
    case(
        "8-reviews-required-zero",
        replace(PEER_REVIEW, "reviews_required: 1\n", "reviews_required: 0\n"),
        (PEER_REVIEW, 6, "reviews_required must be at least 1, not 0"),
    ),
    # Rule 9: article, discussion and peer-review steps have a body.
    case(
        "9-article-body-empty",
        write(ARTICLE, "---\ntitle: Week 1 reflection\ntype: article\n---\n"),
        (ARTICLE, 5, "the body is empty: an article step needs its text"),
    ),
    case(
        "9-discussion-body-blank",
        write("week-1/03-your-problem.md", "---\ntitle: A problem\ntype: discussion\n---\n  \n\n"),
        ("week-1/03-your-problem.md", 5, "a discussion step needs the question put to learners"),
    ),
    case(
        "9-peer-review-body-empty",
        replace(
            PEER_REVIEW,
            "Write an aim statement for the problem you chose in week 1, the measure you will "
            "track, and\nthe first small test of change you will run. Then review another "
            "learner's plan.\n",
            "",
        ),
        (PEER_REVIEW, 11, "the body is empty: a peer-review step needs its text"),
    ),
    case(
        "9-poll-body-empty",
        with_poll(replace(POLL, "Where do you most often meet numbers in the news?\n", "")),
        (POLL, 10, "the body is empty: a poll step needs the question put to learners"),
    ),
    # Rule 10: a week folder holds only steps and the transcripts they name.
    case(
        "10-stray-file",
        write("week-1/notes.txt", "to do\n"),
        ("week-1/notes.txt", None, "not a step or a transcript"),
    ),
    case(
        "10-stray-folder",
        make_folder("week-1/images"),
        ("week-1/images", None, "not a step or a transcript"),
    ),
    case(
        "10-transcript-that-no-step-names",
        write("week-1/02-why-improvement.vtt", VALID_VTT),
        ("week-1/02-why-improvement.vtt", None, "no step names this transcript"),
    ),
    # Rule 11: polls have choose (one or many) and two options or more, each only a text.
    case(
        "11-poll-with-one-option",
        with_poll(replace(POLL, "  - text: In a newspaper\n", "")),
        (POLL, 6, "a poll needs at least two options, found 1"),
    ),
    case(
        "11-poll-options-missing",
        with_poll(
            replace(POLL, "options:\n  - text: On the radio\n  - text: In a newspaper\n", "")
        ),
        (POLL, None, "options is required for a poll step: at least two"),
    ),
    case(
        "11-poll-choose-unknown",
        with_poll(replace(POLL, "choose: one\n", "choose: several\n")),
        (POLL, 5, "choose must be one or many, not 'several'"),
    ),
    case(
        "11-poll-choose-missing",
        with_poll(replace(POLL, "choose: one\n", "")),
        (POLL, None, "choose is required"),
    ),
    case(
        "11-poll-option-with-correct",
        with_poll(
            replace(POLL, "  - text: On the radio\n", "  - text: On the radio\n    correct: true\n")
        ),
        (POLL, 8, "option 1: a poll has no correct answer: remove correct"),
    ),
    case(
        "11-poll-option-unknown-key",
        with_poll(
            replace(
                POLL, "  - text: In a newspaper\n", "  - text: In a newspaper\n    feedback: Yes\n"
            )
        ),
        (POLL, 9, "unknown key 'feedback' in option 2; the keys are: text"),
    ),
    case(
        "11-poll-unknown-key",
        with_poll(replace(POLL, "activity: Reflection\n", "activity: Reflection\nattempts: 2\n")),
        (
            POLL,
            5,
            "unknown key 'attempts' for a poll step; the keys are: title, type, activity, "
            "choose, options",
        ),
    ),
    case(
        "11-poll-question-key",
        with_poll(replace(POLL, "choose: one\n", "choose: one\nprompt: Where?\n")),
        (POLL, 6, "unknown key 'prompt' for a poll step"),
    ),
    # Rule 12: outcomes, when given, list non-empty texts; percents are 0-100 and achievement
    # true or false; achievement: false needs participation_percent; participation_percent is
    # lower than steps_completed_percent while the course offers a Certificate of Achievement.
    case(
        "12-outcomes-empty",
        replace("course.yaml", HOURS, HOURS + "outcomes: []\n"),
        ("course.yaml", 9, "outcomes must list at least one outcome, or be left out"),
    ),
    case(
        "12-outcomes-not-a-list",
        replace("course.yaml", HOURS, HOURS + "outcomes: Plan a small test of change\n"),
        ("course.yaml", 9, "outcomes must be a list, not text ('Plan a small test of change')"),
    ),
    case(
        "12-outcome-empty",
        replace("course.yaml", HOURS, HOURS + "outcomes:\n  - Plan a small test\n  - ' '\n"),
        ("course.yaml", 11, "outcome 2 must not be empty"),
    ),
    case(
        "12-outcome-not-text",
        replace("course.yaml", HOURS, HOURS + "outcomes:\n  - 42\n"),
        ("course.yaml", 10, "outcome 1 must be text, not a number (42)"),
    ),
    case(
        "12-outcome-with-a-colon-reads-as-a-mapping",
        replace("course.yaml", HOURS, HOURS + "outcomes:\n  - Explain: what a run chart shows\n"),
        ("course.yaml", 10, "outcome 1 must be text, not a mapping: put the outcome in quotes"),
    ),
    case(
        "12-participation-percent-over-100",
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  participation_percent: 101\n"),
        ("course.yaml", 26, "certificate: participation_percent must be at most 100, not 101"),
    ),
    case(
        "12-participation-percent-not-a-whole-number",
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  participation_percent: 50%\n"),
        ("course.yaml", 26, "participation_percent must be a whole number, not text ('50%')"),
    ),
    case(
        "12-participation-percent-as-high-as-steps-completed-percent",
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  participation_percent: 90\n"),
        (
            "course.yaml",
            26,
            "certificate: participation_percent must be lower than steps_completed_percent (90), "
            "not 90: the Certificate of Participation is for a smaller share of steps",
        ),
    ),
    case(
        "12-participation-percent-above-the-default-steps-completed-percent",
        replace(
            "course.yaml",
            "  steps_completed_percent: 90\n",
            "  participation_percent: 95\n",
        ),
        (
            "course.yaml",
            24,
            "participation_percent must be lower than steps_completed_percent (90, the default), "
            "not 95",
        ),
    ),
    case(
        "12-achievement-not-true-or-false",
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  achievement: 'no'\n"),
        ("course.yaml", 26, "certificate: achievement must be true or false, not text ('no')"),
    ),
    case(
        "12-achievement-false-without-participation-percent",
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  achievement: false\n"),
        (
            "course.yaml",
            26,
            "certificate: achievement: false without participation_percent leaves the course "
            "with no certificate at all: add participation_percent",
        ),
    ),
    case(
        # One mistake, one problem: the participation percent that is not a number does not
        # also count as missing.
        "12-achievement-false-with-a-participation-percent-that-is-not-a-number",
        replace(
            "course.yaml",
            CERTIFICATE_END,
            CERTIFICATE_END + "  participation_percent: half\n  achievement: false\n",
        ),
        ("course.yaml", 26, "participation_percent must be a whole number, not text ('half')"),
    ),
    case(
        # Nor is it compared with a steps_completed_percent that is itself wrong.
        "12-participation-percent-with-a-steps-completed-percent-that-is-not-a-number",
        combine(
            replace("course.yaml", "steps_completed_percent: 90\n", "steps_completed_percent: x\n"),
            replace(
                "course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  participation_percent: 95\n"
            ),
        ),
        ("course.yaml", 24, "certificate: steps_completed_percent must be a whole number"),
    ),
    # Checks beyond the numbered rules: unknown keys, types, ranges, tags and URLs.
    case(
        "course-unknown-key",
        replace("course.yaml", "hours_per_week: 2\n", "hours_per_wek: 2\n"),
        ("course.yaml", 8, "unknown key 'hours_per_wek' in course.yaml; the keys are: format"),
    ),
    case(
        "course-key-given-twice",
        replace("course.yaml", "hours_per_week: 2\n", "hours_per_week: 2\nhours_per_week: 3\n"),
        ("course.yaml", 9, "hours_per_week is given twice"),
    ),
    case(
        "organisation-unknown-key",
        replace("course.yaml", "    url: https://", "    website: https://"),
        ("course.yaml", 11, "unknown key 'website' in organisation 1; the keys are: name, url"),
    ),
    case(
        "organisation-url-not-http",
        replace("course.yaml", "    url: https://", "    url: ftp://"),
        ("course.yaml", 11, "must be a web address starting with https:// or http://"),
    ),
    case(
        "organisation-listed-twice",
        replace(
            "course.yaml",
            "  - name: Coastal School of Health Sciences\n",
            "  - name: Northfield Teaching Hospital\n",
        ),
        ("course.yaml", 12, "'Northfield Teaching Hospital' is already listed as organisation 1"),
    ),
    case(
        "team-unknown-key",
        replace("course.yaml", "    bio: Consultant", "    biography: Consultant"),
        ("course.yaml", 16, "unknown key 'biography' in team member 1"),
    ),
    case(
        "week-unknown-key",
        replace(
            "course.yaml",
            "  - title: Finding a problem worth fixing\n",
            "  - title: Finding a problem worth fixing\n    intro: First things first\n",
        ),
        ("course.yaml", 22, "unknown key 'intro' in week 1; the keys are: title"),
    ),
    case(
        "certificate-unknown-key",
        replace("course.yaml", "  tests_score_percent: 70\n", "  tests_percent: 70\n"),
        ("course.yaml", 25, "unknown key 'tests_percent' in certificate"),
    ),
    case(
        "title-not-text",
        replace(
            "course.yaml", "title: Quality Improvement Basics for Clinical Teams\n", "title: 42\n"
        ),
        ("course.yaml", 3, "title must be text, not a number (42)"),
    ),
    case(
        "hours-per-week-not-a-whole-number",
        replace("course.yaml", "hours_per_week: 2\n", "hours_per_week: two\n"),
        ("course.yaml", 8, "hours_per_week must be a whole number, not text ('two')"),
    ),
    case(
        "certificate-percent-over-100",
        replace("course.yaml", "steps_completed_percent: 90\n", "steps_completed_percent: 120\n"),
        ("course.yaml", 24, "certificate: steps_completed_percent must be at most 100, not 120"),
    ),
    case(
        "certificate-percent-negative",
        replace("course.yaml", "tests_score_percent: 70\n", "tests_score_percent: -5\n"),
        ("course.yaml", 25, "certificate: tests_score_percent must be at least 0, not -5"),
    ),
    case(
        "certificate-not-a-mapping",
        replace(
            "course.yaml",
            "certificate:\n  steps_completed_percent: 90\n  tests_score_percent: 70\n",
            "certificate: 90\n",
        ),
        ("course.yaml", 23, "certificate must be a mapping"),
    ),
    case(
        "language-not-a-language-tag",
        replace("course.yaml", "language: en\n", "language: English\n"),
        ("course.yaml", 7, "language 'English' is not a BCP 47 language tag"),
    ),
    case(
        "language-with-underscore",
        replace("course.yaml", "language: en\n", "language: en_GB\n"),
        ("course.yaml", 7, "language 'en_GB' is not a BCP 47 language tag"),
    ),
    case(
        "step-title-not-text",
        replace(ARTICLE, "title: Week 1 reflection\n", "title: 2024-01-01\n"),
        (ARTICLE, 2, "title must be text, not a date"),
    ),
    case(
        "step-key-given-twice",
        replace(ARTICLE, "type: article\n", "type: article\ntitle: Again\n"),
        (ARTICLE, 4, "title is given twice"),
    ),
    case(
        "step-not-utf8",
        write(ARTICLE, b"---\ntitle: Caf\xe9 talk\ntype: article\n---\nText.\n"),
        (ARTICLE, 2, "not UTF-8 text"),
    ),
    case(
        "question-unknown-key",
        replace(QUIZ, "    explanation: The three", "    explain: The three"),
        (QUIZ, 14, "unknown key 'explain' in question 1; the keys are: prompt, choose"),
    ),
    case(
        "question-prompt-missing",
        replace(
            QUIZ,
            "  - prompt: Which question does an aim statement answer?\n    choose",
            "  - choose",
        ),
        (QUIZ, 6, "question 1: prompt is required"),
    ),
    case(
        "option-unknown-key",
        replace(QUIZ, "        feedback: Right.", "        feedbak: Right."),
        (QUIZ, 11, "unknown key 'feedbak' in question 1, option 1; the keys are: text"),
    ),
    case(
        "option-correct-not-true-or-false",
        replace(
            QUIZ,
            "        correct: true\n        feedback: Right.",
            "        correct: 'yes'\n        feedback: Right.",
        ),
        (QUIZ, 10, "question 1, option 1: correct must be true or false, not text ('yes')"),
    ),
    case(
        "attempts-not-a-whole-number",
        replace(TEST, "attempts: 2\n", "attempts: 2.5\n"),
        (TEST, 5, "attempts must be a whole number, not a number (2.5)"),
    ),
    case(
        "min-words-not-a-whole-number",
        replace(PEER_REVIEW, "min_words: 80\n", "min_words: eighty\n"),
        (PEER_REVIEW, 5, "min_words must be a whole number"),
    ),
    case(
        "rubric-line-empty",
        replace(PEER_REVIEW, "  - Is the aim specific and measurable?\n", "  - ''\n"),
        (PEER_REVIEW, 8, "rubric line 1 must not be empty"),
    ),
    case(
        "transcript-named-by-two-steps",
        write(
            "week-1/06-second-video.md",
            "---\ntitle: Again\ntype: video\nmedia: media/pdsa.wav\n"
            "transcript: 01-welcome.vtt\n---\n",
        ),
        ("week-1/06-second-video.md", 5, "transcript 01-welcome.vtt is already the transcript of"),
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_a_package_breaking_a_rule_is_refused_saying_where_and_why(
    package: Path, edit: Edit, expected: list[tuple[str, int | None, str]]
):
    edit(package)

    spec, problems = read_package(package)

    assert spec is None
    assert [(p.path, p.line) for p in problems] == [(path, line) for path, line, _ in expected], (
        problems
    )
    for problem, (_, _, message) in zip(problems, expected, strict=True):
        assert message in problem.message


def test_the_example_package_is_valid(example_package: Path):
    spec, problems = read_package(example_package)

    assert problems == []
    assert spec is not None
    assert spec.course.slug == "qi-basics"
    assert [len(week.steps) for week in spec.course.weeks] == [5, 4]
    assert [media.path for media in spec.media] == ["media/pdsa.wav"]


def test_outcomes_and_both_certificates_are_read_from_course_yaml(package: Path):
    combine(
        replace(
            "course.yaml",
            HOURS,
            HOURS + "outcomes:\n  - Write an aim statement\n  - 'Read a run chart: shifts'\n",
        ),
        replace("course.yaml", CERTIFICATE_END, CERTIFICATE_END + "  participation_percent: 50\n"),
    )(package)

    spec, problems = read_package(package)

    assert problems == []
    assert spec is not None
    assert spec.course.outcomes == ("Write an aim statement", "Read a run chart: shifts")
    assert spec.course.certificate == CertificateSpec(
        steps_completed_percent=90,
        tests_score_percent=70,
        participation_percent=50,
        achievement=True,
    )


def test_a_participation_only_course_may_ask_more_steps_than_the_achievement_would(
    package: Path,
):
    """With achievement: false the achievement's percents do not apply, so they are not
    compared with participation_percent, and may stay in the file."""
    replace(
        "course.yaml",
        CERTIFICATE_END,
        CERTIFICATE_END + "  participation_percent: 95\n  achievement: false\n",
    )(package)

    spec, problems = read_package(package)

    assert problems == []
    assert spec is not None
    assert spec.course.certificate == CertificateSpec(
        steps_completed_percent=90,
        tests_score_percent=70,
        participation_percent=95,
        achievement=False,
    )


def test_a_course_without_the_new_keys_offers_the_certificate_of_achievement_only(
    example_package: Path,
):
    spec, _ = read_package(example_package)
    assert spec is not None

    assert spec.course.outcomes == ()
    assert spec.course.certificate.achievement is True
    assert spec.course.certificate.participation_percent is None


def test_every_problem_is_reported_at_once_in_file_order(package: Path):
    edit = combine(
        replace("course.yaml", "slug: qi-basics\n", "slug: QI basics\n"),
        replace("course.yaml", "role: mentor\n", "role: tutor\n"),
        replace(ARTICLE, "type: article\n", "type: essay\n"),
        replace(VIDEO_VTT, "00:00:04.000 --> 00:00:19.500", "00:00:04.000 --> 00:00:03.000"),
        replace(PEER_REVIEW, RUBRIC, "rubric: []\n"),
        write("week-2/notes.txt", "to do\n"),
    )
    edit(package)

    spec, problems = read_package(package)

    assert spec is None
    assert [str(problem) for problem in problems] == [
        "course.yaml:2: slug 'QI basics' may only contain lowercase letters a-z, digits and "
        "hyphens",
        "course.yaml:18: team member 2: role 'tutor' is not one of: lead-educator, educator, "
        "mentor, host",
        "week-1/01-welcome.vtt:3: the cue ends at 00:00:03.000, not after it starts",
        "week-1/05-reflection.md:3: type 'essay' is not one of: article, video, audio, "
        "discussion, quiz, test, peer-review, poll",
        "week-2/04-improvement-plan.md:7: rubric must have at least one line",
        "week-2/notes.txt: not a step or a transcript: a week folder holds only NN-slug.md step "
        "files and the .vtt transcripts they name",
    ]


def test_a_problem_names_its_file_and_line_when_known():
    assert str(Problem("week-1/02-x.md", 7, "title is required")) == (
        "week-1/02-x.md:7: title is required"
    )
    assert str(Problem("week-3", None, "the folder is missing")) == "week-3: the folder is missing"


def test_a_path_that_is_not_a_folder_is_not_a_package(tmp_path: Path):
    spec, problems = read_package(tmp_path / "nowhere")

    assert spec is None
    assert [problem.message for problem in problems] == ["not a folder: a package is a folder"]


def test_canonical_rendering_of_the_example_steps_and_transcripts_is_the_files_themselves(
    example_package: Path,
):
    spec, _ = read_package(example_package)
    assert spec is not None

    for step in spec.steps:
        assert render_step_file(step) == step.source
        if step.transcript is not None:
            assert render_transcript(step.transcript) == step.transcript.source


def test_canonical_course_yaml_reads_back_as_the_same_course(example_package: Path):
    spec, _ = read_package(example_package)
    assert spec is not None
    course = spec.course.without_steps()

    text = render_course_yaml(course)
    read_back, problems = parse_course_yaml(text)

    assert problems == []
    assert read_back == course
    assert "language" not in text  # the default, en, goes without saying
    assert "  - name: Northfield Teaching Hospital\n    url: https://example.org/northfield\n" in (
        text
    )


def test_canonical_course_yaml_with_outcomes_and_both_certificates_reads_back_the_same(
    example_package: Path,
):
    spec, _ = read_package(example_package)
    assert spec is not None
    course = dataclasses.replace(
        spec.course.without_steps(),
        outcomes=("Write an aim statement", "Read a run chart: shifts", "yes"),
        certificate=CertificateSpec(participation_percent=0, achievement=False),
    )

    text = render_course_yaml(course)
    read_back, problems = parse_course_yaml(text)

    assert problems == []
    assert read_back == course
    assert (
        "hours_per_week: 2\noutcomes:\n  - Write an aim statement\n"
        "  - 'Read a run chart: shifts'\n  - 'yes'\norganisations:\n"
    ) in text
    assert text.endswith("certificate:\n  participation_percent: 0\n  achievement: false\n")


def test_cue_text_is_read_as_learners_see_it_and_escaped_again_when_rendered():
    source = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Amara>Fish &amp; chips</v>\n"

    transcript, problems = parse_transcript(source, path="week-1/01-x.vtt")

    assert problems == []
    assert transcript is not None
    assert [(cue.start_ms, cue.end_ms, cue.text) for cue in transcript.cues] == [
        (1000, 2500, "Fish & chips")
    ]
    assert render_transcript(transcript) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nFish &amp; chips\n"
    )


def test_canonical_step_files_read_back_as_the_same_step_even_with_awkward_text():
    step = StepSpec(
        position=3,
        slug="tricky",
        title="yes",
        type="quiz",
        activity="2024-01-01",
        body="Body with --- inside\n---\nand more.\n",
        questions=(
            QuestionSpec(
                prompt="Which: this one, or # that one?",
                choose="many",
                options=(
                    OptionSpec(text="null", correct=True, feedback="'quoted' and \"double\""),
                    OptionSpec(text="Ünïcode — fine", correct=True),
                    OptionSpec(text="- not a list"),
                ),
                explanation="Two lines:\nthe second one.",
            ),
        ),
    )

    text = render_step_file(step)
    read_back, problems = parse_step_file(
        text, path="week-1/03-tricky.md", position=3, slug="tricky"
    )

    assert problems == []
    assert read_back == step
    assert text.startswith("---\ntitle: 'yes'\ntype: quiz\nactivity: '2024-01-01'\nquestions:\n")


def test_a_poll_step_is_valid_and_reads_as_one_question_whose_prompt_is_the_body(package: Path):
    write(POLL, POLL_TEXT)(package)

    spec, problems = read_package(package)

    assert problems == []
    assert spec is not None
    poll = spec.course.weeks[0].steps[-1]
    assert (poll.type, poll.position, poll.body) == (
        "poll",
        6,
        "Where do you most often meet numbers in the news?\n",
    )
    assert poll.questions == (
        QuestionSpec(
            prompt=poll.body,
            choose="one",
            options=(OptionSpec(text="On the radio"), OptionSpec(text="In a newspaper")),
        ),
    )
    assert render_step_file(poll) == POLL_TEXT


def test_a_canonical_poll_file_reads_back_as_the_same_poll():
    body = "Which of these do you read?\n\nPick every one that applies.\n"
    step = StepSpec(
        position=2,
        slug="reading",
        title="What do you read?",
        type="poll",
        body=body,
        questions=(
            QuestionSpec(
                prompt=body,
                choose="many",
                options=(OptionSpec(text="null"), OptionSpec(text="- a list? no")),
            ),
        ),
    )

    text = render_step_file(step)
    read_back, problems = parse_step_file(
        text, path="week-1/02-reading.md", position=2, slug="reading"
    )

    assert problems == []
    assert read_back == step
    assert "prompt" not in text and "correct" not in text
