"""Captions as course teams have them: read as browsers read them, and turned into text.

Each file below is written in the shape its tool writes (no downloads): YouTube's automatic
captions as yt-dlp saves them, Microsoft Teams' transcripts, SubRip, a captioning service's
file with lines of spaces between cues, and WebVTT with every kind of block.
"""

import pytest
import webvtt

from stoa.lib.webvtt import (
    LONGEST_PARAGRAPH_MS,
    Kind,
    Line,
    Paragraph,
    Unreadable,
    clean_webvtt,
    convert,
    cue_text,
    decode,
    for_browsers,
    paragraphs,
    plain_cues,
    read_captions,
    speech,
    transcript_paragraphs,
    transcript_text,
)

# YouTube's automatic captions roll up: each cue shows the line before it and the new line
# with a timestamp before each word, then a 10 ms cue holds the finished line. Line 16 is a
# timing line right after a cue's text, as some of these files have.
YOUTUBE = "\n".join(
    [
        "WEBVTT",
        "Kind: captions",
        "Language: en",
        "",
        "00:00:00.000 --> 00:00:02.669 align:start position:0%",
        " ",
        "welcome<00:00:00.359><c> to</c><00:00:00.510><c> week</c><00:00:00.780><c> two</c>"
        "<00:00:01.079><c> of</c><00:00:01.230><c> R&amp;D</c>",
        "",
        "00:00:02.669 --> 00:00:02.679 align:start position:0%",
        "welcome to week two of R&amp;D",
        " ",
        "",
        "00:00:02.679 --> 00:00:05.150 align:start position:0%",
        "welcome to week two of R&amp;D",
        "today<00:00:03.120><c> we'll</c><00:00:03.419><c> look</c><00:00:03.600><c> at</c>"
        "<00:00:03.780><c> run</c><00:00:04.019><c> charts</c>",
        "00:00:05.150 --> 00:00:05.160 align:start position:0%",
        "today we'll look at run charts",
        " ",
        "",
        "00:00:05.160 --> 00:00:08.000 align:start position:0%",
        "today we'll look at run charts",
        "and<00:00:05.400><c> how</c><00:00:05.600><c> to</c><00:00:05.800><c> read</c>"
        "<00:00:06.000><c> them</c>",
        "",
        "00:00:08.000 --> 00:00:08.010 align:start position:0%",
        "and how to read them",
        " ",
        "",
    ]
)

# Microsoft Teams writes hours, minutes and seconds without their leading zeros, which
# browsers do not read, and a voice tag for each speaker.
TEAMS = """WEBVTT

0:0:0.0 --> 0:0:3.570
<v Adrian Petrescu>Good morning, everyone.</v>

0:0:3.570 --> 0:0:8.120
<v Adrian Petrescu>Today: fish &amp; chips, and &amp;lt;b&amp;gt; in captions.</v>

0:0:8.120 --> 0:0:10.0
<v Maria Ionescu>Thanks, Adrian.</v>
"""

# Teams and Stream today: an identifier above each cue, times as WebVTT writes them.
STREAM = """WEBVTT

3e4f1c2a-7b1d-4a7e-9a55-2f0c6a1b8d11/12-0
00:00:03.120 --> 00:00:05.640
<v Adrian Petrescu>Right, shall we start?</v>

3e4f1c2a-7b1d-4a7e-9a55-2f0c6a1b8d11/13-0
00:00:05.640 --> 00:00:07.000
<v Maria Ionescu>Yes.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
<i>Welcome</i> to Fish & Chips.

2
00:00:04,500 --> 00:00:07,250
{\\an8}Second subtitle,
on two lines.
"""

# A captioning service's file: lines of spaces (and a tab) where empty lines should be.
SPACED = """WEBVTT

00:00:01.000 --> 00:00:04.000 line:90% align:center
Hello, and welcome.
\x20\x20\x20
00:00:04.000 --> 00:00:07.000
This is the second cue.
\t
2
00:00:07.000 --> 00:00:09.500
And the third.
"""

# Every kind of block, a header text, identifiers, settings, times without hours, and the
# styling tags that never show as text.
BLOCKS = """\ufeffWEBVTT - Lecture 1

NOTE Produced by Example Captioning Ltd.
Checked by Amara.

STYLE
::cue { color: yellow }

REGION
id:speaker
width:40%

intro
00:00.000 --> 00:04.000 region:speaker align:start
<i>Music</i> &amp; <b>applause</b>

NOTE the next cue has ruby text

00:04.000 --> 00:08.500 vertical:rl
<ruby>漢<rt>kan</rt></ruby><lang en> and <u>more</u>
"""


def warnings_of(text: str) -> list[tuple[str, int | None, int]]:
    return [(w.code, w.line, w.count) for w in read_captions(text).warnings]


def timings(text: str) -> list[tuple[int, int]]:
    return [(cue.start_ms, cue.end_ms) for cue in read_captions(text).cues]


# --- Reading as browsers do ---


def test_youtube_rolling_captions_are_read_with_a_warning_for_each_recovery():
    reading = read_captions(YOUTUBE)

    assert reading.errors == ()
    assert reading.kind is Kind.ROLLING
    assert len(reading.cues) == 6
    assert reading.cues[3].line == 16  # the timing line right after a cue's text
    assert warnings_of(YOUTUBE) == [("rolling", 9, 1), ("timing-after-text", 16, 1)]
    assert all(w.convert for w in reading.warnings if w.code == "rolling")
    assert reading.cues[0].settings == "align:start position:0%"


def test_youtube_rolling_captions_read_each_line_once_without_tags():
    lines = speech(read_captions(YOUTUBE).cues)

    assert lines == [
        Line(0, 2679, "welcome to week two of R&D"),
        Line(2679, 5160, "today we'll look at run charts"),
        Line(5160, 8010, "and how to read them"),
    ]


def test_youtube_rolling_captions_are_one_paragraph_of_each_line_once():
    assert transcript_paragraphs(YOUTUBE) == [
        Paragraph(
            0,
            8010,
            None,
            "welcome to week two of R&D today we'll look at run charts and how to read them",
        )
    ]


def test_teams_timings_are_read_with_one_warning_that_browsers_skip_them():
    reading = read_captions(TEAMS)

    assert reading.errors == ()
    assert reading.kind is Kind.TEAMS
    assert timings(TEAMS) == [(0, 3570), (3570, 8120), (8120, 10000)]
    [warning] = reading.warnings
    assert (warning.code, warning.line, warning.count, warning.convert) == (
        "teams-timing",
        3,
        3,
        True,
    )
    assert str(warning) == (
        "line 3: browsers cannot read the timing '0:0:0.0 --> 0:0:3.570' (as Microsoft Teams "
        "writes times, where WebVTT writes 00:01:02.500 or 01:02.500) and skip its cue, so a "
        "player shows no captions for it; Stoa reads it as 00:00:00.000 --> 00:00:03.570 "
        "(3 times in the file, the first here)"
    )
    assert not reading.browsers_play_it


def test_teams_voices_give_each_speaker_a_paragraph_with_entities_decoded_once():
    assert transcript_paragraphs(TEAMS) == [
        Paragraph(
            0,
            8120,
            "Adrian Petrescu",
            "Good morning, everyone. Today: fish & chips, and &lt;b&gt; in captions.",
            new_speaker=True,
        ),
        Paragraph(8120, 10000, "Maria Ionescu", "Thanks, Adrian.", new_speaker=True),
    ]


def test_stream_identifiers_are_read_without_warnings():
    reading = read_captions(STREAM)

    assert (reading.kind, reading.warnings, reading.errors) == (Kind.WEBVTT, (), ())
    assert [cue.identifier for cue in reading.cues] == [
        "3e4f1c2a-7b1d-4a7e-9a55-2f0c6a1b8d11/12-0",
        "3e4f1c2a-7b1d-4a7e-9a55-2f0c6a1b8d11/13-0",
    ]
    assert [(p.speaker, p.text) for p in transcript_paragraphs(STREAM)] == [
        ("Adrian Petrescu", "Right, shall we start?"),
        ("Maria Ionescu", "Yes."),
    ]


@pytest.mark.parametrize(
    "text",
    [SRT, "\ufeff" + SRT.replace("\n", "\r\n")],
    ids=["srt", "srt-with-bom-and-crlf"],
)
def test_a_subrip_file_is_read_with_a_warning_that_it_is_not_webvtt(text: str):
    reading = read_captions(text)

    assert reading.errors == ()
    assert reading.kind is Kind.SRT
    assert timings(text) == [(1000, 4000), (4500, 7250)]
    assert warnings_of(text) == [("srt", 1, 1)]
    assert "a SubRip (SRT) file, not WebVTT" in reading.warnings[0].message
    assert [line.text for line in plain_cues(reading.cues)] == [
        "Welcome to Fish & Chips.",
        "Second subtitle,\non two lines.",
    ]


def test_lines_of_spaces_between_cues_end_them_with_a_warning():
    reading = read_captions(SPACED)

    assert reading.errors == ()
    assert timings(SPACED) == [(1000, 4000), (4000, 7000), (7000, 9500)]
    assert warnings_of(SPACED) == [("spaces-line", 5, 2)]
    assert [cue_text(cue.text) for cue in reading.cues] == [
        "Hello, and welcome.",
        "This is the second cue.",
        "And the third.",
    ]
    assert reading.cues[2].identifier == "2"  # not shown as the second cue's text
    assert reading.cues[0].settings == "line:90% align:center"


def test_a_line_of_spaces_inside_a_cue_stays_in_it_as_browsers_read_it():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nFirst line\n  \nsecond line\n"

    reading = read_captions(text)

    assert (reading.warnings, reading.errors) == ((), ())
    assert cue_text(reading.cues[0].text) == "First line\nsecond line"


def test_bom_note_style_region_identifiers_and_settings_are_read_without_warnings():
    reading = read_captions(BLOCKS)

    assert (reading.kind, reading.warnings, reading.errors) == (Kind.WEBVTT, (), ())
    assert timings(BLOCKS) == [(0, 4000), (4000, 8500)]
    assert [(cue.line, cue.identifier, cue.settings) for cue in reading.cues] == [
        (14, "intro", "region:speaker align:start"),
        (19, "", "vertical:rl"),
    ]
    assert [cue_text(cue.text) for cue in reading.cues] == ["Music & applause", "漢kan and more"]


def test_a_cue_right_under_the_header_is_read_with_a_warning():
    text = "WEBVTT\n00:00:01.000 --> 00:00:02.000\nHello.\n"

    assert timings(text) == [(1000, 2000)]
    assert warnings_of(text) == [("cue-under-header", 2, 1)]


def test_style_and_region_blocks_after_a_cue_are_ignored_with_a_warning():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello.\n\n"
        "STYLE\n::cue { color: red }\n\nREGION\nid:late\n"
    )

    assert timings(text) == [(1000, 2000)]
    assert warnings_of(text) == [("late-style", 6, 1), ("late-region", 9, 1)]


def test_a_less_than_sign_that_starts_no_tag_stays_text_with_a_warning():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx < y for every x\n"

    reading = read_captions(text)

    assert warnings_of(text) == [("stray-less-than", 4, 1)]
    assert cue_text(reading.cues[0].text) == "x < y for every x"


@pytest.mark.parametrize(
    ("timing", "expected", "warning"),
    [
        ("00:01.000 --> 00:02.500", (1000, 2500), None),
        ("00:00:01.000-->00:00:02.500", (1000, 2500), None),
        ("100:00:00.000 --> 100:00:01.000", (360_000_000, 360_001_000), None),
        ("00:00:01.5 --> 00:00:02.25", (1500, 2250), "teams-timing"),
        ("00:00:01,000 --> 00:00:02,500", (1000, 2500), "comma-timing"),
        # One digit first is hours to a browser, which then wants minutes and seconds too.
        ("1:02.500 --> 1:03.000", (62_500, 63_000), "loose-timing"),
        ("00:00:01 --> 00:00:02", (1000, 2000), "loose-timing"),
    ],
)
def test_timings_browsers_read_give_no_warning_and_loose_ones_say_so(
    timing: str, expected: tuple[int, int], warning: str | None
):
    text = f"WEBVTT\n\n{timing}\nHello.\n"

    assert timings(text) == [expected]
    assert warnings_of(text) == ([] if warning is None else [(warning, 3, 1)])


# --- What browsers cannot use either ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "not a WebVTT file: the first line must be WEBVTT")]),
        ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nHi\n", [(1, "not a WebVTT file")]),
        ("WEBVTT\n\nNOTE nothing but a note\n", [(None, "the transcript has no cues")]),
        (
            "WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nHi\n",
            [(3, "the cue ends at 00:00:01.000, not after it starts")],
        ),
        (
            "WEBVTT\n\n00:00:01.000 --> later\nHi\n",
            [(3, "not a valid WebVTT cue: Invalid timestamp 'later'")],
        ),
        (
            "WEBVTT\n\n00:00:01.000 -->\nHi\n",
            [(3, "the timing line needs a start and an end time")],
        ),
        (
            "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nB\n\n00:00:01.000 --> 00:00:02.000\nA\n",
            [(6, "before the cue ahead of it (00:00:05.000): cues must be in order")],
        ),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nthen A --> B\n",
            [(4, "every line with '-->' starts a cue, so an arrow in a cue's text is written")],
        ),
        (
            "WEBVTT\n\nJust a paragraph\nof text.\n",
            [(3, "not a cue: a cue starts with a timing line")],
        ),
        (
            "1\n00:00:01,000 --> soon\nHi\n",
            [(2, "Invalid timestamp 'soon'")],
        ),
    ],
    ids=[
        "empty",
        "not-webvtt",
        "no-cue",
        "ends-before-it-starts",
        "unreadable-time",
        "no-end",
        "out-of-order",
        "arrow-in-text",
        "text-without-timing",
        "srt-unreadable-time",
    ],
)
def test_what_a_browser_cannot_use_either_is_an_error_with_its_line(
    text: str, expected: list[tuple[int | None, str]]
):
    errors = read_captions(text).errors

    assert [error.line for error in errors] == [line for line, _ in expected]
    for error, (_, message) in zip(errors, expected, strict=True):
        assert message in error.message


# --- Text ---


def test_cue_text_drops_every_tag_and_decodes_entities_once():
    payload = (
        "<c.yellow>Fish</c> <00:00:01.520>&amp; <i>chips</i>, <b>&amp;lt;b&amp;gt;</b>\n"
        "<v.loud Amara>second &lt;line&gt;</v>"
    )

    assert cue_text(payload) == "Fish & chips, &lt;b&gt;\nsecond <line>"


def test_a_cue_with_two_voices_is_two_stretches_of_speech():
    cue_payload = "<v Amara>Did it work?</v>\n<v Ben>It did.</v>"
    text = f"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n{cue_payload}\n"

    lines = speech(read_captions(text).cues)

    assert lines == [
        Line(1000, 3000, "Did it work?", "Amara"),
        Line(1000, 3000, "It did.", "Ben"),
    ]
    assert plain_cues(read_captions(text).cues) == [Line(1000, 3000, "Did it work?\nIt did.")]


def test_a_file_that_repeats_a_line_now_and_then_does_not_roll():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nNo.\n\n00:00:02.000 --> 00:00:03.000\nNo.\n\n"
        "00:00:03.000 --> 00:00:04.000\nAbsolutely not.\n\n"
        "00:00:04.000 --> 00:00:05.000\nWhy?\n"
    )

    reading = read_captions(text)

    assert reading.kind is Kind.WEBVTT
    assert [line.text for line in plain_cues(reading.cues)] == [
        "No.",
        "No.",
        "Absolutely not.",
        "Why?",
    ]


def test_short_captions_join_into_paragraphs_that_end_with_a_sentence():
    lines = [
        Line(0, 3000, "When we first met the ward team,"),
        Line(3000, 6000, "they had tried three changes."),
        Line(6000, 9000, "None of them stuck."),
        Line(9000, 12000, "So we asked why."),  # the paragraph has lasted 12 s here
        Line(12000, 15000, "The answer surprised us."),
    ]

    assert [(p.start_ms, p.end_ms, p.text) for p in paragraphs(lines)] == [
        (
            0,
            12000,
            "When we first met the ward team, they had tried three changes. None of them "
            "stuck. So we asked why.",
        ),
        (12000, 15000, "The answer surprised us."),
    ]


def test_long_cues_written_as_paragraphs_stay_one_paragraph_each():
    lines = [
        Line(4000, 19500, "Hello, and welcome."),
        Line(19500, 65000, "Over two weeks we'll look at how a team picks a problem."),
    ]

    assert [p.text for p in paragraphs(lines)] == [line.text for line in lines]


def test_captions_without_punctuation_break_into_paragraphs_of_at_most_45_seconds():
    lines = [Line(second * 1000, second * 1000 + 5000, "and so on") for second in range(0, 100, 5)]

    starts = [p.start_ms for p in paragraphs(lines)]

    assert starts == [0, LONGEST_PARAGRAPH_MS, 2 * LONGEST_PARAGRAPH_MS]


def test_a_speaker_s_name_starts_their_turn_not_each_of_its_paragraphs():
    lines = [
        Line(0, 12000, "A long first point, made at length.", "Adrian"),
        Line(12000, 20000, "And a second point.", "Adrian"),
        Line(20000, 22000, "Thanks.", "Maria"),
    ]

    result = paragraphs(lines)

    assert [(p.speaker, p.new_speaker) for p in result] == [
        ("Adrian", True),
        ("Adrian", False),
        ("Maria", True),
    ]
    assert transcript_text("Week 1 welcome", result) == (
        "Week 1 welcome\n\nAdrian: A long first point, made at length.\n\n"
        "And a second point.\n\nMaria: Thanks.\n"
    )


# --- Writing ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            YOUTUBE,
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.679\nwelcome to week two of R&amp;D\n\n"
            "00:00:02.679 --> 00:00:05.160\ntoday we'll look at run charts\n\n"
            "00:00:05.160 --> 00:00:08.010\nand how to read them\n",
        ),
        (
            TEAMS,
            "WEBVTT\n\n00:00:00.000 --> 00:00:03.570\n"
            "<v Adrian Petrescu>Good morning, everyone.</v>\n\n"
            "00:00:03.570 --> 00:00:08.120\n<v Adrian Petrescu>Today: fish &amp; chips, and "
            "&amp;lt;b&amp;gt; in captions.</v>\n\n"
            "00:00:08.120 --> 00:00:10.000\n<v Maria Ionescu>Thanks, Adrian.</v>\n",
        ),
        (
            SRT,
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to Fish &amp; Chips.\n\n"
            "00:00:04.500 --> 00:00:07.250\nSecond subtitle,\non two lines.\n",
        ),
    ],
    ids=["youtube", "teams", "srt"],
)
def test_clean_webvtt_is_what_was_read_as_browsers_and_strict_readers_read_it(
    text: str, expected: str
):
    clean = clean_webvtt(read_captions(text))

    assert clean == expected
    again = read_captions(clean)
    assert (again.kind, again.warnings, again.errors) == (Kind.WEBVTT, (), ())
    assert transcript_paragraphs(clean) == transcript_paragraphs(text)
    assert len(webvtt.from_string(clean, strict=True).captions) == len(again.cues)


def test_for_browsers_keeps_a_file_browsers_read_and_rewrites_one_they_skip():
    assert for_browsers(YOUTUBE) == YOUTUBE
    assert for_browsers(SPACED) == SPACED
    assert for_browsers(TEAMS) == clean_webvtt(read_captions(TEAMS))
    assert for_browsers(SRT).startswith("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n")


def test_convert_says_what_it_read_and_how_many_cues_it_wrote():
    conversion = convert(YOUTUBE)

    assert (conversion.kind, conversion.cues_read, conversion.cues_written) == (
        Kind.ROLLING,
        6,
        3,
    )


def test_convert_refuses_what_is_neither_webvtt_nor_subrip():
    with pytest.raises(Unreadable) as raised:
        convert("Welcome to the course.\n")

    [finding] = raised.value.findings
    assert finding.line == 1
    assert finding.message.startswith("neither WebVTT")


def test_decode_reads_utf8_with_or_without_a_mark_and_utf16_with_one():
    assert decode(b"WEBVTT\n") == "WEBVTT\n"
    assert read_captions(decode("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nA\n".encode())).cues
    assert decode("WEBVTT\n\nÉté\n".encode("utf-16")) == "WEBVTT\n\nÉté\n"


def test_decode_refuses_a_word_document_and_text_that_is_not_utf8():
    with pytest.raises(Unreadable, match=r"Teams' \.docx transcripts are not read"):
        decode(b"PK\x03\x04\x14\x00\x06\x00")
    with pytest.raises(Unreadable) as raised:
        decode("WEBVTT\n\n00:01.000 --> 00:02.000\nÉté\n".encode("latin-1"))
    assert raised.value.findings[0].line == 4
