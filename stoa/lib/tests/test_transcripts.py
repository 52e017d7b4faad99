from itertools import pairwise

import pytest
import webvtt

from stoa.lib.shared import shared_dir
from stoa.lib.transcripts import (
    MIN_LAST_CUE_MS,
    Cue,
    NonIncreasingMarkerTime,
    NoTranscriptMarkers,
    TranscriptError,
    cues_from_page_text,
    format_spoken_time,
    last_cue_duration_ms,
    parse_spoken_time,
    to_webvtt,
)

SEEDS = shared_dir() / "seeds"
WITH_MARKERS = SEEDS / "000_8c978b0e79283022.txt"
WITHOUT_MARKERS = SEEDS / "001_f3d9ffa11847f379.txt"


def parse_vtt(text: str) -> list[tuple[str, str, str]]:
    return [(c.start, c.end, c.text) for c in webvtt.from_string(text, strict=True).captions]


# --- the real seed pages ---


class TestSeedWithTranscript:
    @pytest.fixture
    def text(self) -> str:
        return WITH_MARKERS.read_text(encoding="utf-8")

    @pytest.fixture
    def cues(self, text: str) -> list[Cue]:
        return cues_from_page_text(text, source=str(WITH_MARKERS))

    def test_gives_one_cue_per_skip_to_paragraph(self, text: str, cues: list[Cue]) -> None:
        marked = [line for line in text.splitlines() if line.startswith("Skip to ")]
        assert len(marked) == 9
        assert len(cues) == len(marked)

    def test_first_cue_runs_from_seven_to_twenty_one_seconds(self, cues: list[Cue]) -> None:
        assert (cues[0].start_ms, cues[0].end_ms) == (7_000, 21_000)
        assert cues[0].text.startswith("Welcome to this programme developed here")
        assert cues[0].text.endswith("the lead educator for this programme.")

    def test_cue_at_one_minute_twelve_is_about_the_pandemic(self, cues: list[Cue]) -> None:
        cue = next(cue for cue in cues if cue.start_ms == 72_000)
        assert cue.text.startswith("The COVID-19 pandemic")
        assert "Skip to" not in cue.text

    def test_each_cue_ends_where_the_next_begins(self, cues: list[Cue]) -> None:
        for cue, following in pairwise(cues):
            assert cue.end_ms == following.start_ms > cue.start_ms

    def test_banner_and_article_are_not_in_any_cue(self, cues: list[Cue]) -> None:
        outside = [
            "Want to keep learning?",
            "This content is taken from",
            "Welcome to the course",
            "A warm welcome to the",
            "What will we study?",
            "Join in the conversation",
            "Share this video",
        ]
        for cue in cues:
            for phrase in outside:
                assert phrase not in cue.text
        assert cues[-1].text == "Enjoy the course. I'm sure you'll find it valuable."

    def test_last_cue_length_follows_the_observed_speaking_rate(self, cues: list[Cue]) -> None:
        *earlier, last = cues
        assert last.start_ms == 194_000
        # 412 words between 0:07 and 3:14 is 2.2 words/s, so 9 words take about 4.1 s
        earlier_words = sum(len(cue.text.split()) for cue in earlier)
        assert earlier_words == 412
        expected_ms = round(9 * (194_000 - 7_000) / earlier_words)
        assert last.end_ms - last.start_ms == expected_ms == 4_085
        assert last.end_ms == last_cue_duration_ms(earlier, last.start_ms, last.text) + 194_000

    def test_webvtt_output_starts_as_expected_and_parses(self, cues: list[Cue]) -> None:
        output = to_webvtt(cues)
        assert output.startswith(
            "WEBVTT\n\n00:00:07.000 --> 00:00:21.000\nWelcome to this programme developed"
        )
        assert output.endswith("\n00:03:14.000 --> 00:03:18.085\n" + cues[-1].text + "\n")
        assert not output.endswith("\n\n")
        parsed = parse_vtt(output)
        assert [(start, end) for start, end, _ in parsed] == [
            ("00:00:07.000", "00:00:21.000"),
            ("00:00:21.000", "00:00:33.000"),
            ("00:00:33.000", "00:01:02.000"),
            ("00:01:02.000", "00:01:12.000"),
            ("00:01:12.000", "00:01:51.000"),
            ("00:01:51.000", "00:02:20.000"),
            ("00:02:20.000", "00:02:52.000"),
            ("00:02:52.000", "00:03:14.000"),
            ("00:03:14.000", "00:03:18.085"),
        ]
        assert [text for _, _, text in parsed] == [cue.text for cue in cues]


def test_seed_without_markers_raises_a_clear_error() -> None:
    with pytest.raises(NoTranscriptMarkers) as raised:
        cues_from_page_text(WITHOUT_MARKERS.read_text(encoding="utf-8"), source="001.txt")
    message = str(raised.value)
    assert "no 'Skip to N minutes and M seconds' paragraphs found in 001.txt" in message
    assert isinstance(raised.value, ValueError)


# --- finding the markers ---

TWO_CUES = (
    "Skip to 0 minutes and 7 secondsWelcome to the course.\n"
    "\n"
    "Skip to 0 minutes and 12 secondsThank you.\n"
)


def test_marker_glued_to_the_text_and_marker_followed_by_a_space_read_the_same() -> None:
    spaced = TWO_CUES.replace("secondsWelcome", "seconds Welcome")
    assert cues_from_page_text(spaced) == cues_from_page_text(TWO_CUES)
    assert cues_from_page_text(TWO_CUES)[0] == Cue(7_000, 12_000, "Welcome to the course.")


@pytest.mark.parametrize(
    ("marker", "start_ms"),
    [
        ("Skip to 0 minutes and 7 seconds", 7_000),
        ("Skip to 1 minute and 1 second", 61_000),
        ("Skip to 1 minute and 12 seconds", 72_000),
        ("Skip to 2 minutes and 1 second", 121_000),
        ("Skip to 0 minutes and 0 seconds", 0),
        ("Skip to 1 hour, 2 minutes and 3 seconds", 3_723_000),
        ("Skip to 2 hours, 0 minutes and 1 second", 7_201_000),
        ("Skip to 1 hour and 2 minutes and 3 seconds", 3_723_000),
    ],
)
def test_singular_plural_and_hour_markers_give_the_start_time(marker: str, start_ms: int) -> None:
    (cue,) = cues_from_page_text(f"{marker}Hello there.")
    assert cue.start_ms == start_ms
    assert cue.text == "Hello there."


def test_a_singular_unit_keeps_a_following_s_in_the_text() -> None:
    (cue,) = cues_from_page_text("Skip to 1 minute and 1 secondso here we are.")
    assert (cue.start_ms, cue.text) == (61_000, "so here we are.")


def test_a_plural_unit_glued_to_text_starting_with_s_loses_only_its_own_s() -> None:
    (cue,) = cues_from_page_text("Skip to 0 minutes and 7 secondsSo here we are.")
    assert (cue.start_ms, cue.text) == (7_000, "So here we are.")


def test_text_before_the_first_marker_and_after_the_last_paragraph_is_left_out() -> None:
    text = "Skip to content\n\nWant to keep learning?\n\n" + TWO_CUES + "\nAn article\n\nMore.\n"
    cues = cues_from_page_text(text)
    assert [cue.text for cue in cues] == ["Welcome to the course.", "Thank you."]


def test_skip_to_without_a_time_is_not_a_marker() -> None:
    with pytest.raises(NoTranscriptMarkers):
        cues_from_page_text("Skip to content\n\nSkip to 5 secondary schools in the area.\n")


def test_a_paragraph_between_two_marked_ones_continues_the_previous_cue() -> None:
    text = (
        "Skip to 0 minutes and 7 secondsFirst part.\n\n"
        "Still speaking.\n\n"
        "Skip to 0 minutes and 12 secondsSecond part.\n"
    )
    cues = cues_from_page_text(text)
    assert cues[0] == Cue(7_000, 12_000, "First part. Still speaking.")
    assert cues[1].text == "Second part."


def test_lines_of_a_paragraph_are_joined_with_spaces() -> None:
    text = "Skip to 0 minutes and 7 seconds\nWelcome to\n   the course.   \n"
    (cue,) = cues_from_page_text(text)
    assert cue.text == "Welcome to the course."


def test_markers_on_consecutive_lines_start_separate_cues() -> None:
    text = "Skip to 0 minutes and 7 secondsOne.\nSkip to 0 minutes and 9 secondsTwo.\n"
    cues = cues_from_page_text(text)
    assert cues[0] == Cue(7_000, 9_000, "One.")
    assert (cues[1].start_ms, cues[1].text) == (9_000, "Two.")


def test_crlf_and_cr_line_endings_and_trailing_whitespace_give_the_same_cues() -> None:
    expected = cues_from_page_text(TWO_CUES)
    assert cues_from_page_text(TWO_CUES.replace("\n", "\r\n")) == expected
    assert cues_from_page_text(TWO_CUES.replace("\n", "\r")) == expected
    assert cues_from_page_text(TWO_CUES.replace("\n", " \t\n")) == expected
    assert cues_from_page_text("\ufeff" + TWO_CUES.replace("\n", "\r\n")) == expected


def test_unicode_spaces_in_the_marker_and_punctuation_in_the_text_are_handled() -> None:
    text = "Skip\u00a0to 0\u00a0minutes and 7 seconds\u2018Hello\u2019 \u2014 caf\u00e9\u2026\n"
    (cue,) = cues_from_page_text(text)
    assert cue.start_ms == 7_000
    assert cue.text == "\u2018Hello\u2019 \u2014 caf\u00e9\u2026"


@pytest.mark.parametrize("text", ["", "\n\n", "   \r\n\t\n", "Just an article.\n"])
def test_text_without_markers_raises_no_transcript_markers(text: str) -> None:
    with pytest.raises(NoTranscriptMarkers, match="no 'Skip to N minutes and M seconds'"):
        cues_from_page_text(text)


def test_transcript_errors_are_value_errors() -> None:
    assert issubclass(NoTranscriptMarkers, TranscriptError)
    assert issubclass(NonIncreasingMarkerTime, TranscriptError)
    assert issubclass(TranscriptError, ValueError)


@pytest.mark.parametrize("second_time", ["0 minutes and 7 seconds", "0 minutes and 3 seconds"])
def test_a_marker_time_that_does_not_increase_is_an_error_naming_the_line(
    second_time: str,
) -> None:
    text = f"Banner\n\nSkip to 0 minutes and 7 secondsFirst.\n\nSkip to {second_time}Second.\n"
    with pytest.raises(NonIncreasingMarkerTime) as raised:
        cues_from_page_text(text, source="page.txt")
    error = raised.value
    assert (error.line, error.previous_line) == (5, 3)
    assert "page.txt, line 5" in str(error)
    assert f"Skip to {second_time}Second." in str(error)
    assert "strictly increase" in str(error)


# --- the length of the last cue ---


def test_a_lone_cue_lasts_as_long_as_its_words_at_a_typical_rate() -> None:
    words = " ".join(["word"] * 10)
    (cue,) = cues_from_page_text(f"Skip to 0 minutes and 7 seconds{words}")
    assert cue.end_ms - cue.start_ms == 4_000  # 10 words at 2.5 words/s


def test_an_empty_last_cue_lasts_the_minimum() -> None:
    cues = cues_from_page_text(TWO_CUES.replace("Thank you.", ""))
    assert cues[-1] == Cue(12_000, 12_000 + MIN_LAST_CUE_MS, "")


def test_the_last_cue_uses_the_rate_observed_in_the_earlier_cues() -> None:
    # 15 words over 5 seconds is 3 words/s, so the last 6 words take 2 seconds
    text = (
        "Skip to 0 minutes and 0 seconds" + " ".join(["a"] * 15) + "\n\n"
        "Skip to 0 minutes and 5 seconds" + " ".join(["b"] * 6) + "\n"
    )
    assert cues_from_page_text(text)[-1] == Cue(5_000, 7_000, " ".join(["b"] * 6))


def test_an_implausible_observed_rate_is_clamped() -> None:
    fast = [Cue(0, 1_000, " ".join(["a"] * 100))]  # 100 words/s is read as 5
    slow = [Cue(0, 100_000, "a")]  # 0.01 words/s is read as 1
    assert last_cue_duration_ms(fast, 1_000, "one two three four five") == 1_000
    assert last_cue_duration_ms(slow, 100_000, "one two three") == 3_000


# --- spoken times ---


@pytest.mark.parametrize(
    ("ms", "words"),
    [
        (0, "0 minutes and 0 seconds"),
        (7_000, "0 minutes and 7 seconds"),
        (61_000, "1 minute and 1 second"),
        (72_000, "1 minute and 12 seconds"),
        (120_000, "2 minutes and 0 seconds"),
        (3_600_000, "1 hour, 0 minutes and 0 seconds"),
        (3_723_000, "1 hour, 2 minutes and 3 seconds"),
        (7_261_000, "2 hours, 1 minute and 1 second"),
    ],
)
def test_format_and_parse_spoken_time_are_inverses(ms: int, words: str) -> None:
    assert format_spoken_time(ms) == words
    assert parse_spoken_time(words) == ms


def test_every_whole_second_round_trips_through_spoken_words() -> None:
    for seconds in [*range(0, 130), 3_599, 3_600, 3_601, 3_661, 7_322, 86_399, 360_000]:
        assert parse_spoken_time(format_spoken_time(seconds * 1000)) == seconds * 1000


def test_format_spoken_time_drops_milliseconds() -> None:
    assert format_spoken_time(7_999) == "0 minutes and 7 seconds"


def test_format_spoken_time_rejects_negative_times() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_spoken_time(-1)


@pytest.mark.parametrize(
    ("words", "ms"),
    [
        ("  0 minutes and 7 seconds \n", 7_000),
        ("7 seconds", 7_000),
        ("2 minutes", 120_000),
        ("1 hour", 3_600_000),
        ("1 hour, 2 minutes, and 3 seconds", 3_723_000),
    ],
)
def test_parse_spoken_time_accepts_partial_and_loosely_joined_times(words: str, ms: int) -> None:
    assert parse_spoken_time(words) == ms


@pytest.mark.parametrize(
    "words",
    ["", "soon", "7", "7 seconds later", "3 seconds and 2 minutes", "1 minute and 1 minute"],
)
def test_parse_spoken_time_rejects_other_words(words: str) -> None:
    with pytest.raises(ValueError, match="not a spoken time"):
        parse_spoken_time(words)


# --- writing WebVTT ---


def test_to_webvtt_writes_the_exact_format() -> None:
    cues = [Cue(7_000, 21_000, "Welcome."), Cue(21_000, 3_723_456, "Bye.")]
    assert to_webvtt(cues) == (
        "WEBVTT\n\n00:00:07.000 --> 00:00:21.000\nWelcome.\n\n00:00:21.000 --> 01:02:03.456\nBye.\n"
    )


def test_to_webvtt_of_no_cues_is_just_the_header() -> None:
    assert to_webvtt([]) == "WEBVTT\n"


def test_an_arrow_in_the_text_cannot_end_up_in_a_cue() -> None:
    text = "Skip to 0 minutes and 7 secondsInput --> output, A & B, x < y.\n"
    (cue,) = cues_from_page_text(text)
    assert cue.text == "Input --> output, A & B, x < y."  # the cue keeps the plain text
    output = to_webvtt([cue])
    payload = output.splitlines()[-1]
    assert payload == "Input --&gt; output, A &amp; B, x &lt; y."
    assert output.count("-->") == 1
    assert cue.end_ms == 7_000 + 3_600  # 9 words at 2.5 words/s
    assert parse_vtt(output) == [("00:00:07.000", "00:00:10.600", payload)]


def test_line_breaks_in_cue_text_are_written_as_one_line() -> None:
    output = to_webvtt([Cue(0, 1_000, "one\n\ntwo\r\nthree")])
    assert output == "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\none two three\n"


@pytest.mark.parametrize(
    "cues",
    [
        [Cue(5_000, 5_000, "empty")],
        [Cue(5_000, 4_000, "backwards")],
        [Cue(-1, 4_000, "negative")],
        [Cue(5_000, 6_000, "late"), Cue(4_000, 7_000, "early")],
    ],
)
def test_to_webvtt_rejects_cues_with_impossible_times(cues: list[Cue]) -> None:
    with pytest.raises(ValueError, match="cue"):
        to_webvtt(cues)
