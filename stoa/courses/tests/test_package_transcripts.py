"""Transcripts as course teams have them, in a package: accepted with the right warnings,
stored as text learners read, and exported byte for byte.

Each case puts one file, in the shape its tool writes, in place of the example's
week-1/01-welcome.vtt.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stoa.courses.models import Step
from stoa.courses.package import Problem, read_package
from stoa.courses.services import export_course, import_package

VTT = "week-1/01-welcome.vtt"
CONVERT = f"to write it as tidy WebVTT: stoa transcript convert {VTT} -o {VTT}"

YOUTUBE = "\n".join(
    [
        "WEBVTT",
        "Kind: captions",
        "Language: en",
        "",
        "00:00:04.000 --> 00:00:06.500 align:start position:0%",
        " ",
        "hello<00:00:04.400><c> and</c><00:00:04.800><c> welcome</c>",
        "",
        "00:00:06.500 --> 00:00:06.510 align:start position:0%",
        "hello and welcome",
        " ",
        "",
        "00:00:06.510 --> 00:00:09.000 align:start position:0%",
        "hello and welcome",
        "I'm<00:00:06.900><c> Amara</c><00:00:07.300><c> from</c><00:00:07.700><c> the</c>"
        "<00:00:08.100><c> wards</c>",
        "00:00:09.000 --> 00:00:09.010 align:start position:0%",
        "I'm Amara from the wards",
        " ",
        "",
    ]
)

TEAMS = """WEBVTT

0:0:4.0 --> 0:0:9.500
<v Amara Okafor>Hello, and welcome.</v>

0:0:9.500 --> 0:0:12.0
<v Ben Hale>Thanks, Amara.</v>
"""

# SubRip named .vtt, as Windows tools save it: a byte-order mark and CRLF line ends.
SRT = (
    "\ufeff1\r\n00:00:04,000 --> 00:00:09,500\r\nHello, and welcome.\r\n\r\n"
    "2\r\n00:00:09,500 --> 00:00:12,000\r\nI'm Amara.\r\n"
)

SPACED = (
    "WEBVTT\n\n00:00:04.000 --> 00:00:09.500\nHello, and welcome.\n \n"
    "00:00:09.500 --> 00:00:12.000\nI'm Amara.\n"
)

BLOCKS = """\ufeffWEBVTT

NOTE Captioned by Example Captioning Ltd.

STYLE
::cue { color: yellow }

REGION
id:bottom
width:40%

welcome-1
00:04.000 --> 00:09.500 region:bottom line:90%
<i>Hello</i>, and welcome.
"""

SHAPES = {
    "youtube": (
        YOUTUBE,
        [(9, "YouTube's rolling captions"), (16, "a timing line starts a new cue")],
        ["hello and welcome", "I'm Amara from the wards"],
    ),
    "teams": (
        TEAMS,
        [(3, "as Microsoft Teams writes times")],
        ["Hello, and welcome.", "Thanks, Amara."],
    ),
    "srt": (SRT, [(1, "a SubRip (SRT) file, not WebVTT")], ["Hello, and welcome.", "I'm Amara."]),
    "spaces": (
        SPACED,
        [(5, "a line of only spaces or tabs")],
        ["Hello, and welcome.", "I'm Amara."],
    ),
    "blocks": (BLOCKS, [], ["Hello, and welcome."]),
}
SUGGESTS_CONVERT = {"youtube": {9}, "teams": {3}, "srt": {1}, "spaces": set(), "blocks": set()}


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def with_transcript(package: Path, text: str) -> Path:
    (package / VTT).write_bytes(text.encode("utf-8"))
    return package


@pytest.mark.parametrize("shape", SHAPES)
def test_a_transcript_as_its_tool_writes_it_is_valid_with_the_right_warnings(
    package: Path, shape: str
):
    text, expected, _ = SHAPES[shape]
    with_transcript(package, text)
    warnings: list[Problem] = []

    spec, problems = read_package(package, warnings=warnings)

    assert problems == []
    assert spec is not None
    assert [(w.path, w.line) for w in warnings] == [(VTT, line) for line, _ in expected]
    for warning, (_, message) in zip(warnings, expected, strict=True):
        assert message in warning.message
        assert (CONVERT in warning.message) == (warning.line in SUGGESTS_CONVERT[shape])


@pytest.mark.parametrize("shape", SHAPES)
def test_its_cues_are_stored_as_learners_read_them(package: Path, shape: str):
    text, _, cue_texts = SHAPES[shape]
    with_transcript(package, text)

    spec, _ = read_package(package)

    assert spec is not None
    transcript = spec.steps[0].transcript
    assert transcript is not None
    assert [cue.text for cue in transcript.cues] == cue_texts
    assert transcript.source == text


def test_read_package_without_a_warnings_list_reads_as_before(package: Path):
    with_transcript(package, TEAMS)

    spec, problems = read_package(package)

    assert (spec is not None, problems) == (True, [])


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES)
def test_import_then_export_gives_back_the_transcript_byte_for_byte(
    package: Path, media_root: Path, tmp_path: Path, shape: str
):
    with_transcript(package, SHAPES[shape][0])

    result = import_package(root=package)
    export_course(course=result.course, destination=tmp_path / "exported")

    assert tree(tmp_path / "exported") == tree(package)
    assert [(w.path, w.line) for w in result.warnings] == [
        (VTT, line) for line, _ in SHAPES[shape][1]
    ]


@pytest.mark.django_db
def test_rolling_captions_are_stored_one_row_a_line_and_reimport_unchanged(
    package: Path, media_root: Path
):
    with_transcript(package, YOUTUBE)

    import_package(root=package)
    again = import_package(root=package)

    welcome = Step.objects.get(week__number=1, position=1)
    assert [(cue.start_ms, cue.end_ms, cue.text) for cue in welcome.cues.all()] == [
        (4000, 6510, "hello and welcome"),
        (6510, 9010, "I'm Amara from the wards"),
    ]
    assert welcome.transcript_source == YOUTUBE
    assert (again.steps_unchanged, again.steps_updated) == (9, 0)


def test_validate_prints_each_warning_with_its_place_and_the_package_is_valid(package: Path):
    with_transcript(package, TEAMS)
    out, err = StringIO(), StringIO()

    call_command("course", "validate", str(package), stdout=out, stderr=err)

    assert out.getvalue() == (
        "OK: qi-basics is a valid package (2 weeks, 9 steps), with 1 warning\n"
    )
    [line] = err.getvalue().splitlines()
    assert line.startswith(
        f"{VTT}:3: warning: browsers cannot read the timing '0:0:4.0 --> 0:0:9.500'"
    )
    assert line.endswith(f"(2 times in the file, the first here); {CONVERT}")


def test_validate_prints_warnings_beside_the_problems_of_an_invalid_package(package: Path):
    with_transcript(package, SRT)
    (package / "week-1/notes.txt").write_text("to do")
    err = StringIO()

    with pytest.raises(CommandError, match=r"^1 problem found; the package is not valid\.$"):
        call_command("course", "validate", str(package), stderr=err)

    lines = err.getvalue().splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{VTT}:1", "warning"],
        ["week-1/notes.txt", "not a step or a transcript"],
    ]


@pytest.mark.django_db
def test_import_prints_the_warnings_and_imports(package: Path, media_root: Path):
    with_transcript(package, YOUTUBE)
    out, err = StringIO(), StringIO()

    call_command("course", "import", str(package), stdout=out, stderr=err)

    assert out.getvalue() == (
        "Imported qi-basics: 9 steps (9 created, 0 updated, 0 unchanged, 0 deleted)\n"
    )
    assert [line.split(": ")[0:2] for line in err.getvalue().splitlines()] == [
        [f"{VTT}:9", "warning"],
        [f"{VTT}:16", "warning"],
    ]


def test_a_transcript_browsers_cannot_use_either_is_still_refused(package: Path):
    with_transcript(package, "WEBVTT\n\n0:0:9.5 --> 0:0:4.0\nHello.\n")
    warnings: list[Problem] = []

    spec, problems = read_package(package, warnings=warnings)

    assert spec is None
    assert [str(problem) for problem in problems] == [
        f"{VTT}:3: the cue ends at 00:00:04.000, not after it starts"
    ]
    assert [(w.line, "Teams" in w.message) for w in warnings] == [(3, True)]
