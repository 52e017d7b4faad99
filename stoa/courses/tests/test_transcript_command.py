"""`stoa transcript convert FILE [-o OUT]`: clean WebVTT from the files course teams have."""

from io import StringIO
from pathlib import Path

import pytest
import webvtt
from django.core.management import call_command
from django.core.management.base import CommandError

from stoa.lib.webvtt import read_captions

SRT = (
    "1\r\n00:00:01,000 --> 00:00:04,000\r\n<i>Welcome</i> to Fish & Chips.\r\n\r\n"
    "2\r\n00:00:04,500 --> 00:00:07,250\r\nSecond subtitle,\r\non two lines.\r\n"
)
TEAMS = """WEBVTT

0:0:0.0 --> 0:0:3.570
<v Adrian Petrescu>Good morning, everyone.</v>

0:0:3.570 --> 0:0:5.0
<v Maria Ionescu>Morning!</v>
"""
YOUTUBE = "\n".join(
    [
        "WEBVTT",
        "Kind: captions",
        "Language: en",
        "",
        "00:00:00.000 --> 00:00:02.000 align:start position:0%",
        " ",
        "so<00:00:00.500><c> today</c>",
        "",
        "00:00:02.000 --> 00:00:02.010 align:start position:0%",
        "so today",
        " ",
        "",
        "00:00:02.010 --> 00:00:04.000 align:start position:0%",
        "so today",
        "we<00:00:02.500><c> begin</c>",
        "00:00:04.000 --> 00:00:04.010 align:start position:0%",
        "we begin",
        " ",
        "",
    ]
)


def convert(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("transcript", "convert", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def assert_clean(text: str) -> None:
    """Browsers read every cue without recovering from anything, and so does a strict reader."""
    reading = read_captions(text)
    assert (reading.warnings, reading.errors) == ((), ())
    assert len(webvtt.from_string(text, strict=True).captions) == len(reading.cues)


def test_convert_writes_clean_webvtt_from_srt_to_the_output_file(tmp_path: Path):
    source = write(tmp_path / "lecture.srt", SRT)
    output = tmp_path / "lecture.vtt"

    out, err = convert(str(source), "-o", str(output))

    assert output.read_text(encoding="utf-8") == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to Fish &amp; Chips.\n\n"
        "00:00:04.500 --> 00:00:07.250\nSecond subtitle,\non two lines.\n"
    )
    assert_clean(output.read_text(encoding="utf-8"))
    assert out == f"Read {source} as SubRip (SRT): 2 cues read, 2 cues written to {output}\n"
    assert err == ""


def test_convert_keeps_teams_voices_and_writes_its_times_as_browsers_read_them(tmp_path: Path):
    source = write(tmp_path / "meeting.vtt", TEAMS)

    out, err = convert(str(source))

    assert out == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.570\n"
        "<v Adrian Petrescu>Good morning, everyone.</v>\n\n"
        "00:00:03.570 --> 00:00:05.000\n<v Maria Ionescu>Morning!</v>\n"
    )
    assert_clean(out)
    # The summary goes to stderr, so that the WebVTT can be redirected to a file.
    assert err == (
        f"Read {source} as a Microsoft Teams or Stream transcript: 2 cues read, 2 cues written\n"
    )


def test_convert_writes_youtube_rolling_captions_as_one_cue_a_line_in_place(tmp_path: Path):
    source = write(tmp_path / "auto.en.vtt", YOUTUBE)

    out, _ = convert(str(source), "--output", str(source))

    assert source.read_text(encoding="utf-8") == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.010\nso today\n\n"
        "00:00:02.010 --> 00:00:04.010\nwe begin\n"
    )
    assert_clean(source.read_text(encoding="utf-8"))
    assert (
        out
        == f"Read {source} as YouTube's rolling captions: 4 cues read, 2 cues written to {source}\n"
    )


def test_convert_reads_utf16_as_windows_tools_save_it(tmp_path: Path):
    source = tmp_path / "lecture.srt"
    source.write_bytes(SRT.encode("utf-16"))

    out, _ = convert(str(source))

    assert out.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to Fish &amp; Chips.\n")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "{file}: a Word document or other ZIP file, not captions"),
        (b"Notes from the meeting\n", "{file}:1: neither WebVTT (whose first line is WEBVTT)"),
        (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:03.000 --> whenever\nB\n",
            "{file}:6: not a valid WebVTT cue: Invalid timestamp 'whenever'",
        ),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nÉté\n".encode("latin-1"), "{file}:4: not UTF-8"),
        (b"WEBVTT\n", "{file}: the transcript has no cues"),
    ],
    ids=["docx", "not-captions", "unreadable-timing", "not-utf8", "no-cues"],
)
def test_convert_says_where_and_why_it_cannot_read_a_file_and_writes_nothing(
    tmp_path: Path, data: bytes, expected: str
):
    source = tmp_path / "captions.vtt"
    source.write_bytes(data)
    output = tmp_path / "out.vtt"
    err = StringIO()

    with pytest.raises(CommandError, match=r"cannot be converted: 1 problem found\.$"):
        call_command("transcript", "convert", str(source), "-o", str(output), stderr=err)

    assert err.getvalue().startswith(expected.format(file=source))
    assert not output.exists()


def test_convert_refuses_a_file_that_does_not_exist(tmp_path: Path):
    with pytest.raises(CommandError, match=r"cannot read .*missing\.vtt: No such file"):
        convert(str(tmp_path / "missing.vtt"))
