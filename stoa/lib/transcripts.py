"""Turn the transcript on a course step page into WebVTT captions.

A step page with a video lists its transcript as paragraphs that each begin with a
"Skip to N minutes and M seconds" link, often with no space before the spoken text:
"Skip to 0 minutes and 7 secondsWelcome to ...". Each such paragraph becomes one cue.
"""

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import webvtt

__all__ = [
    "Cue",
    "NoTranscriptMarkers",
    "NonIncreasingMarkerTime",
    "TranscriptError",
    "cues_from_page_text",
    "format_spoken_time",
    "last_cue_duration_ms",
    "parse_spoken_time",
    "to_webvtt",
]

# The last cue has no following marker to end it, so its length is estimated from how
# fast this speaker talks: the words of the earlier cues divided by the time they span.
# With no earlier cue (or no words in them) we use 2.5 words/s (150 words per minute),
# a common figure for narration. The observed rate is clamped to 1-5 words/s, the range
# of real speech, so a transcript with odd marker spacing cannot give an absurd length,
# and the cue lasts at least one second so that even a single word stays readable.
TYPICAL_WORDS_PER_SECOND = 2.5
MIN_WORDS_PER_SECOND = 1.0
MAX_WORDS_PER_SECOND = 5.0
MIN_LAST_CUE_MS = 1_000

_UNIT_MS = {"hour": 3_600_000, "minute": 60_000, "second": 1_000}
_UNIT_RANK = {"hour": 0, "minute": 1, "second": 2}
_COMPONENT = re.compile(r"([0-9]+)\s*(hour|minute|second)")
_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_MARKER = re.compile(r"[Ss]kip\s+to\s+(?=[0-9])")
_SNIPPET_CHARS = 60


class TranscriptError(ValueError):
    """The page text cannot be turned into a transcript."""


class NoTranscriptMarkers(TranscriptError):
    def __init__(self, source: str | None = None) -> None:
        self.source = source
        super().__init__(
            "no 'Skip to N minutes and M seconds' paragraphs found in "
            f"{source or 'the text'}: it does not look like a step page with a video "
            "transcript"
        )


class NonIncreasingMarkerTime(TranscriptError):
    def __init__(
        self,
        *,
        line: int,
        paragraph: str,
        time_ms: int,
        previous_line: int,
        previous_time_ms: int,
        source: str | None = None,
    ) -> None:
        self.line = line
        self.paragraph = paragraph
        self.time_ms = time_ms
        self.previous_line = previous_line
        self.previous_time_ms = previous_time_ms
        self.source = source
        snippet = paragraph
        if len(snippet) > _SNIPPET_CHARS:
            snippet = snippet[: _SNIPPET_CHARS - 1] + "…"
        where = f"{source}, line {line}" if source else f"line {line}"
        super().__init__(
            f"{where}: the paragraph {snippet!r} skips to {format_spoken_time(time_ms)}, "
            f"which is not after {format_spoken_time(previous_time_ms)} on line "
            f"{previous_line}; the 'Skip to' times must strictly increase"
        )


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def format_spoken_time(ms: int) -> str:
    """Return the words of a "Skip to" link, e.g. "1 minute and 12 seconds".

    Minutes and seconds are always given, hours only when there are any; the
    milliseconds are dropped, as the links point at whole seconds.
    """
    if ms < 0:
        raise ValueError(f"a time cannot be negative: {ms} ms")
    hours, rest = divmod(ms // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    words = f"{_plural(minutes, 'minute')} and {_plural(seconds, 'second')}"
    return f"{_plural(hours, 'hour')}, {words}" if hours else words


def _match_spoken_time(text: str, pos: int = 0) -> tuple[int, int] | None:
    """Read a spoken time at ``pos``, returning its milliseconds and where it ends.

    Units come in the order hours, minutes, seconds, each at most once, joined by
    ",", "and" or ", and". The spoken text may follow with no space, so a plural "s"
    is only taken as part of the unit when the count is not 1 or no letter follows:
    "1 secondso" is "1 second" followed by "so".
    """
    total_ms = 0
    last_rank = -1
    end = pos
    while match := _COMPONENT.match(text, pos):
        count, unit = int(match[1]), match[2]
        rank = _UNIT_RANK[unit]
        if rank <= last_rank:
            break
        unit_end = match.end()
        letter_follows = unit_end + 1 < len(text) and text[unit_end + 1].isalpha()
        if text.startswith("s", unit_end) and (count != 1 or not letter_follows):
            unit_end += 1
        elif count != 1 and unit_end < len(text) and text[unit_end].isalpha():
            break  # "5 secondary schools" is not a time
        total_ms += count * _UNIT_MS[unit]
        last_rank = rank
        end = unit_end
        separator = _SEPARATOR.match(text, end)
        if separator is None:
            break
        pos = separator.end()
    return (total_ms, end) if last_rank >= 0 else None


def parse_spoken_time(words: str) -> int:
    """Return the milliseconds of words such as "1 hour, 2 minutes and 3 seconds"."""
    stripped = words.strip()
    matched = _match_spoken_time(stripped)
    if matched is None or matched[1] != len(stripped):
        raise ValueError(f"not a spoken time such as '1 minute and 12 seconds': {words!r}")
    return matched[0]


def _split_marker(line: str) -> tuple[int, str] | None:
    """Return the time and the rest of a line that starts with a "Skip to" marker."""
    marker = _MARKER.match(line)
    if marker is None:
        return None
    matched = _match_spoken_time(line, marker.end())
    if matched is None:
        return None
    time_ms, end = matched
    return time_ms, line[end:].strip()


def _paragraphs(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield the 1-based first line number and the stripped lines of each paragraph.

    Paragraphs are separated by blank lines; a line starting with a "Skip to" marker
    also starts a new paragraph, in case the blank lines were lost.
    """
    current: tuple[int, list[str]] | None = None
    for number, raw_line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            if current is not None:
                yield current
            current = None
            continue
        if current is not None and _split_marker(line) is not None:
            yield current
            current = None
        if current is None:
            current = (number, [])
        current[1].append(line)
    if current is not None:
        yield current


@dataclass
class _MarkedParagraph:
    line: int
    start_ms: int
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(part for part in self.parts if part)


def _word_count(text: str) -> int:
    return len(text.split())


def last_cue_duration_ms(earlier: Sequence[Cue], last_start_ms: int, last_text: str) -> int:
    """Estimate how long the last cue lasts (see the comment on the constants)."""
    earlier_words = sum(_word_count(cue.text) for cue in earlier)
    span_ms = last_start_ms - earlier[0].start_ms if earlier else 0
    if earlier_words and span_ms > 0:
        observed = earlier_words * 1000 / span_ms
        words_per_second = min(max(observed, MIN_WORDS_PER_SECOND), MAX_WORDS_PER_SECOND)
    else:
        words_per_second = TYPICAL_WORDS_PER_SECOND
    estimate_ms = round(_word_count(last_text) * 1000 / words_per_second)
    return max(MIN_LAST_CUE_MS, estimate_ms)


def cues_from_page_text(text: str, *, source: str | None = None) -> list[Cue]:
    """Return one cue per "Skip to" paragraph, each ending where the next begins.

    Text before the first marker (the page banner) and after the last marked
    paragraph (the article) is not part of the transcript. A paragraph without a
    marker between two marked ones continues the cue before it. ``source`` names the
    input in error messages.
    """
    marked: list[_MarkedParagraph] = []
    pending: list[str] = []
    for line, lines in _paragraphs(text):
        marker = _split_marker(lines[0])
        if marker is None:
            if marked:
                pending.append(" ".join(lines))
            continue
        start_ms, rest = marker
        if marked and start_ms <= marked[-1].start_ms:
            raise NonIncreasingMarkerTime(
                line=line,
                paragraph=" ".join(lines),
                time_ms=start_ms,
                previous_line=marked[-1].line,
                previous_time_ms=marked[-1].start_ms,
                source=source,
            )
        if marked:
            marked[-1].parts.extend(pending)
        pending = []
        marked.append(_MarkedParagraph(line, start_ms, [rest, *lines[1:]]))

    if not marked:
        raise NoTranscriptMarkers(source)

    cues = [
        Cue(paragraph.start_ms, following.start_ms, paragraph.text)
        for paragraph, following in pairwise(marked)
    ]
    last = marked[-1]
    duration_ms = last_cue_duration_ms(cues, last.start_ms, last.text)
    cues.append(Cue(last.start_ms, last.start_ms + duration_ms, last.text))
    return cues


def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _cue_payload(text: str) -> str:
    """Return the cue text on one line, escaped for WebVTT.

    WebVTT reads "&" and "<" as the start of character references and tags, and a
    cue must not contain "-->", so "&", "<" and ">" are written as character
    references; players show them as the original characters ("-->" becomes
    "--&gt;").
    """
    one_line = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return html.escape(one_line, quote=False)


def to_webvtt(cues: Sequence[Cue]) -> str:
    """Return a WebVTT file with the cues in order, ending with one newline.

    Raises ValueError if a cue does not end after it starts, starts before zero, or
    starts before the cue ahead of it.
    """
    captions = []
    previous_start_ms = 0
    for number, cue in enumerate(cues, start=1):
        if cue.start_ms < 0 or cue.end_ms <= cue.start_ms:
            raise ValueError(
                f"cue {number} must start at or after 0 and end after it starts: {cue!r}"
            )
        if cue.start_ms < previous_start_ms:
            raise ValueError(f"cue {number} starts before the cue ahead of it: {cue!r}")
        previous_start_ms = cue.start_ms
        captions.append(
            webvtt.Caption(
                start=_timestamp(cue.start_ms),
                end=_timestamp(cue.end_ms),
                text=_cue_payload(cue.text),
            )
        )
    return webvtt.WebVTT(captions=captions).content
