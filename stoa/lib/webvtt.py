"""Read captions as browsers do, and turn them into text that people read.

Course teams do not write WebVTT by hand: they export captions from YouTube, from Microsoft
Teams or Stream, or receive them from a captioning service, and few of those files keep to the
syntax the specification writes. Browsers play them all the same, because the specification's
parsing algorithm (https://www.w3.org/TR/webvtt1/#file-parsing) recovers: a timing line starts
a new cue even without an empty line before it, header lines are skipped, NOTE, STYLE and
REGION blocks are passed over. `read_captions` follows those recoveries and reports each one as
a warning with its line; only what a browser could not use either is an error (no cue at all, a
timing that cannot be read, a cue ending before it starts). Two things browsers skip are read
all the same, with a warning that says so, because course teams do upload them: Teams' loose
timings (0:0:0.0 --> 0:0:0.570) and SubRip (SRT) files named .vtt; `for_browsers` writes such
a file as a player can show it.

Then the text: `cue_text` is a cue's words without tags; `plain_cues` the cues a transcript
stores (YouTube's rolling captions with each line once); `speech` and `paragraphs` what a
learner reads, with speakers from voice tags; `clean_webvtt` a tidy file
(`stoa transcript convert`).

webvtt-py still writes WebVTT elsewhere (stoa.lib.transcripts, stoa.courses.package's canonical
rendering); it reads strictly, which refuses the files course teams have.
"""

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = [
    "LONGEST_PARAGRAPH_MS",
    "PARAGRAPH_MS",
    "Conversion",
    "Cue",
    "Finding",
    "Kind",
    "Line",
    "Paragraph",
    "Reading",
    "Unreadable",
    "clean_webvtt",
    "convert",
    "cue_text",
    "decode",
    "for_browsers",
    "format_timestamp",
    "paragraphs",
    "plain_cues",
    "read_captions",
    "speech",
    "transcript_paragraphs",
    "transcript_text",
]

# A paragraph ends with the sentence that brings it to PARAGRAPH_MS, so a transcript written
# as one long cue per paragraph keeps its paragraphs, and short caption cues join into
# paragraphs of a few sentences. Captions without punctuation (YouTube's automatic ones) have
# no sentence to end with, so a paragraph also ends at the next cue once it has lasted
# LONGEST_PARAGRAPH_MS.
PARAGRAPH_MS = 10_000
LONGEST_PARAGRAPH_MS = 45_000

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = " \t\f"  # WebVTT's whitespace within a line
_DIGITS = re.compile(r"[0-9]*")
_LOOSE_TIME = re.compile(r"(?:([0-9]+):)?([0-9]{1,2}):([0-9]{1,2})(?:([.,])([0-9]+))?")
_TEAMS_TIME = re.compile(r"[0-9]+:[0-9]+:[0-9]+\.[0-9]+")
_LOOSE_TIMING = re.compile(r"[ \t\f]*(\S*?)[ \t\f]*-->[ \t\f]*(\S*)(.*)")
_SRT_INDEX = re.compile(r"[0-9]+")
_SRT_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_TAG = re.compile(r"<([^>]*)>")
_VOICE = re.compile(r"v(?:\.[^\s.]+)*(?:[ \t\f]+(.*))?", re.DOTALL)
_STRAY_LESS_THAN = re.compile(r"<[^>]*$")
# A sentence ends with its full stop, question or exclamation mark, perhaps inside closing
# quotes or brackets.
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]]*$")
_EXAMPLE_TIMING = "00:00:01.000 --> 00:00:04.000"

# Warnings about cues that browsers skip: a player shows no captions for them.
_SKIPPED_BY_BROWSERS = frozenset({"srt", "teams-timing", "comma-timing", "loose-timing"})


class Kind(StrEnum):
    """What a captions file turned out to be."""

    WEBVTT = "WebVTT"
    TEAMS = "a Microsoft Teams or Stream transcript"
    ROLLING = "YouTube's rolling captions"
    SRT = "SubRip (SRT)"


@dataclass(frozen=True)
class Finding:
    """Something read in a file: a recovery (a warning) or what stops it being read (an error).

    Warnings of one kind are given once, at their first line, with how often they occur.
    """

    line: int | None
    message: str
    code: str = ""
    count: int = 1
    # `stoa transcript convert` writes this file as browsers read it, or tidier.
    convert: bool = False

    @property
    def text(self) -> str:
        if self.count == 1:
            return self.message
        return f"{self.message} ({self.count} times in the file, the first here)"

    def __str__(self) -> str:
        return self.text if self.line is None else f"line {self.line}: {self.text}"


@dataclass(frozen=True)
class Cue:
    """A cue as the file has it; `text` is its payload as written (WebVTT cue text, with its
    tags and character references), lines joined by newlines."""

    line: int  # of its timing line
    start_ms: int
    end_ms: int
    text: str
    identifier: str = ""
    settings: str = ""


@dataclass(frozen=True)
class Reading:
    kind: Kind
    cues: tuple[Cue, ...] = ()
    warnings: tuple[Finding, ...] = ()
    errors: tuple[Finding, ...] = ()

    @property
    def browsers_play_it(self) -> bool:
        """Whether a browser shows every cue read here (see `for_browsers`)."""
        return not any(warning.code in _SKIPPED_BY_BROWSERS for warning in self.warnings)


def format_timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


# --- Reading ------------------------------------------------------------------------------


def read_captions(text: str) -> Reading:
    """Read WebVTT as browsers do (and SubRip, which browsers do not play): the cues, what was
    recovered from, and what could not be read. Never raises."""
    # The decoder drops a byte-order mark and the parser reads NUL as U+FFFD (spec 6.1).
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff").replace("\0", "\ufffd"))
    first = lines[0]
    if first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t")):
        return _WebVTTReader(lines).read()
    if _looks_like_srt(lines):
        return _SrtReader(lines).read()
    return Reading(
        kind=Kind.WEBVTT,
        errors=(Finding(1, "not a WebVTT file: the first line must be WEBVTT", "not-captions"),),
    )


def _is_blank(line: str) -> bool:
    return not line.strip(_SPACES)


def _only_spaces(line: str) -> bool:
    return line != "" and _is_blank(line)


def _looks_like_srt(lines: Sequence[str]) -> bool:
    for number, line in enumerate(lines):
        if _is_blank(line):
            continue
        if "-->" in line:
            return True
        following = lines[number + 1] if number + 1 < len(lines) else ""
        return _SRT_INDEX.fullmatch(line.strip()) is not None and "-->" in following
    return False


def _spec_timestamp(text: str, pos: int) -> tuple[int, int] | None:
    """Collect a WebVTT timestamp at `pos` as the specification does: (ms, end) or None.

    Two digits first are minutes (or hours if a third part follows); any other number of
    digits, or more than 59, is hours. Minutes and seconds are exactly two digits, milliseconds
    exactly three: browsers skip a cue whose times are written otherwise.
    """
    match = _DIGITS.match(text, pos)
    assert match is not None  # [0-9]* matches anywhere
    first = match[0]
    if not first:
        return None
    hours_first = len(first) != 2 or int(first) > 59
    pos = match.end()
    if text[pos : pos + 1] != ":":
        return None
    match = _DIGITS.match(text, pos + 1)
    assert match is not None
    second = match[0]
    if len(second) != 2:
        return None
    pos = match.end()
    if hours_first or text[pos : pos + 1] == ":":
        if text[pos : pos + 1] != ":":
            return None
        match = _DIGITS.match(text, pos + 1)
        assert match is not None
        if len(match[0]) != 2:
            return None
        hours, minutes, seconds = int(first), int(second), int(match[0])
        pos = match.end()
    else:
        hours, minutes, seconds = 0, int(first), int(second)
    if text[pos : pos + 1] != ".":
        return None
    match = _DIGITS.match(text, pos + 1)
    assert match is not None
    if len(match[0]) != 3 or minutes > 59 or seconds > 59:
        return None
    return (hours * 3600 + minutes * 60 + seconds) * 1000 + int(match[0]), match.end()


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACES:
        pos += 1
    return pos


def _spec_timing(line: str) -> tuple[int, int, str] | None:
    """The cue timings and settings as browsers read them, or None if they skip the cue."""
    start = _spec_timestamp(line, _skip_spaces(line, 0))
    if start is None:
        return None
    pos = _skip_spaces(line, start[1])
    if not line.startswith("-->", pos):
        return None
    end = _spec_timestamp(line, _skip_spaces(line, pos + 3))
    if end is None:
        return None
    return start[0], end[0], line[end[1] :].strip(_SPACES)


def _loose_time(token: str) -> int | None:
    match = _LOOSE_TIME.fullmatch(token)
    if match is None:
        return None
    hours, minutes, seconds = int(match[1] or 0), int(match[2]), int(match[3])
    if minutes > 59 or seconds > 59:
        return None
    millis = int(match[5][:3].ljust(3, "0")) if match[5] else 0  # a decimal fraction: .5 is 500
    return (hours * 3600 + minutes * 60 + seconds) * 1000 + millis


@dataclass(frozen=True)
class _Timing:
    start_ms: int
    end_ms: int
    settings: str = ""
    loose: str = ""  # the warning's code when browsers cannot read it


def _read_timing(line: str) -> _Timing | str:
    """The timing of a line with "-->", or an error message if it cannot be read at all."""
    if (strict := _spec_timing(line)) is not None:
        return _Timing(*strict)
    before = line.split("-->", 1)[0].strip(_SPACES)
    if before and not before[0].isdigit():
        return (
            f"not a valid WebVTT cue: {line.strip(_SPACES)!r} has '-->' but is not a timing "
            "line; every line with '-->' starts a cue, so an arrow in a cue's text is "
            "written --&gt;"
        )
    match = _LOOSE_TIMING.fullmatch(line)
    if match is None or not match[1] or not match[2]:
        return (
            "not a valid WebVTT cue: the timing line needs a start and an end time, such as "
            f"{_EXAMPLE_TIMING}"
        )
    start, end = _loose_time(match[1]), _loose_time(match[2])
    for token, time in ((match[1], start), (match[2], end)):
        if time is None:
            return (
                f"not a valid WebVTT cue: Invalid timestamp {token!r}: a time is written as "
                "01:02:03.456 or 02:03.456, with minutes and seconds up to 59"
            )
    assert start is not None and end is not None
    if "," in match[1] + match[2]:
        code = "comma-timing"
    elif _TEAMS_TIME.fullmatch(match[1]) and _TEAMS_TIME.fullmatch(match[2]):
        code = "teams-timing"
    else:
        code = "loose-timing"
    return _Timing(start, end, match[3].strip(_SPACES), loose=code)


_LOOSE_WHY = {
    "comma-timing": "a comma before the milliseconds, as SubRip (SRT) files have",
    "teams-timing": "as Microsoft Teams writes times",
    "loose-timing": "a time written short",
}


class _Reader:
    """What the WebVTT and SubRip readers share: the findings, and the checks on each cue."""

    kind = Kind.WEBVTT

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.cues: list[Cue] = []
        self.errors: list[Finding] = []
        self.warned: dict[str, Finding] = {}

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(Finding(line, message))

    def warn(self, code: str, line: int, message: str, *, convert: bool = False) -> None:
        seen = self.warned.get(code)
        if seen is None:
            self.warned[code] = Finding(line, message, code, convert=convert)
        else:
            self.warned[code] = replace(seen, count=seen.count + 1)

    def add_cue(self, cue: Cue) -> None:
        if cue.end_ms <= cue.start_ms:
            self.error(
                cue.line, f"the cue ends at {format_timestamp(cue.end_ms)}, not after it starts"
            )
        if self.cues and cue.start_ms < self.cues[-1].start_ms:
            # Browsers sort cues; a transcript read in the file's order would jump back, and
            # a time that goes back is far more often a typing mistake than meant.
            self.error(
                cue.line,
                f"the cue starts at {format_timestamp(cue.start_ms)}, before the cue ahead of "
                f"it ({format_timestamp(self.cues[-1].start_ms)}): cues must be in order",
            )
        else:
            self.cues.append(cue)

    def timing(self, number: int) -> _Timing | None:
        """Read the timing on line `number` (0-based), reporting what browsers make of it."""
        line = self.lines[number]
        timing = _read_timing(line)
        if isinstance(timing, str):
            self.error(number + 1, timing)
            return None
        if timing.loose and self.kind is not Kind.SRT:
            self.warn(
                timing.loose,
                number + 1,
                f"browsers cannot read the timing {line.strip(_SPACES)!r} "
                f"({_LOOSE_WHY[timing.loose]}, where WebVTT writes 00:01:02.500 or 01:02.500) "
                "and skip its cue, so a player shows no captions for it; Stoa reads it as "
                f"{format_timestamp(timing.start_ms)} --> {format_timestamp(timing.end_ms)}",
                convert=True,
            )
        return timing

    def finish(self) -> Reading:
        if not self.cues and not self.errors:
            self.error(None, "the transcript has no cues")
        kind = self.kind
        if kind is Kind.WEBVTT and _is_rolling(self.cues):
            kind = Kind.ROLLING
            first = next(cue for cue, repeats in _rolled_cues(self.cues) if repeats)
            self.warn(
                "rolling",
                first.line,
                "YouTube's rolling captions: each cue repeats the line before it; the "
                "transcript reads each line once, and players show the lines rolling as "
                "YouTube does",
                convert=True,
            )
        elif kind is Kind.WEBVTT and "teams-timing" in self.warned:
            kind = Kind.TEAMS
        warnings = sorted(self.warned.values(), key=lambda finding: finding.line or 0)
        return Reading(
            kind=kind, cues=tuple(self.cues), warnings=tuple(warnings), errors=tuple(self.errors)
        )


class _WebVTTReader(_Reader):
    def read(self) -> Reading:
        lines, count = self.lines, len(self.lines)
        number = 1
        # The header: whatever follows WEBVTT up to an empty line (YouTube writes Kind: and
        # Language: there), which browsers pass over.
        while number < count and not _is_blank(lines[number]):
            if "-->" in lines[number]:
                self.warn(
                    "cue-under-header",
                    number + 1,
                    "the first cue follows the header without an empty line: WebVTT puts "
                    "an empty line between them; browsers read it as a cue, and so does Stoa",
                )
                break
            number += 1
        while number < count:
            if _is_blank(lines[number]):
                number += 1
            else:
                number = self.block(number)
        return self.finish()

    def block(self, number: int) -> int:
        """Read the block starting on line `number` (0-based); return the line after it."""
        lines = self.lines
        line = lines[number]
        is_note = line == "NOTE" or line.startswith(("NOTE ", "NOTE\t"))
        if "-->" in line and not is_note:
            return self.cue(number, identifier="")
        if not is_note and number + 1 < len(lines) and "-->" in lines[number + 1]:
            return self.cue(number + 1, identifier=line)
        return self.other_block(number, is_note=is_note)

    def other_block(self, number: int, *, is_note: bool) -> int:
        """A NOTE, STYLE or REGION block, or a block that is not a cue: it ends at an empty
        line, or at a timing line that browsers read (which starts a cue)."""
        lines = self.lines
        first = lines[number]
        end = number + 1
        while end < len(lines) and not _is_blank(lines[end]):
            if "-->" in lines[end] and not isinstance(_read_timing(lines[end]), str):
                self.warn_timing_after_text(end)
                break
            end += 1
        kind = first.strip(_SPACES)
        if is_note:
            pass
        elif kind in ("STYLE", "REGION"):
            if self.cues:
                self.warn(
                    f"late-{kind.lower()}",
                    number + 1,
                    f"browsers ignore a {kind} block after the first cue: it belongs between "
                    "the header and the first cue",
                )
        else:
            self.error(
                number + 1,
                f"not a cue: a cue starts with a timing line such as {_EXAMPLE_TIMING}",
            )
        return end

    def warn_timing_after_text(self, number: int) -> None:
        self.warn(
            "timing-after-text",
            number + 1,
            "a timing line starts a new cue without an empty line before it (as YouTube "
            "writes them): WebVTT puts an empty line between cues; browsers read a new cue "
            "here, and so does Stoa",
        )

    def cue(self, timing_at: int, *, identifier: str) -> int:
        lines, count = self.lines, len(self.lines)
        payload: list[str] = []
        number = timing_at + 1
        while number < count:
            line = lines[number]
            if line == "":
                break
            if "-->" in line:
                # Browsers end the cue at any line with "-->"; one they cannot read as a
                # timing is reported as an error where it starts its own block.
                if not isinstance(_read_timing(line), str):
                    self.warn_timing_after_text(number)
                break
            if (
                _only_spaces(line)
                and any(not _is_blank(p) for p in payload)
                and self.block_follows(number)
            ):
                if number + 1 < count and lines[number + 1] != "":
                    self.warn(
                        "spaces-line",
                        number + 1,
                        "a line of only spaces or tabs where an empty line should end "
                        "the cue: Stoa reads it as empty, and so do browsers, except "
                        "that they show a cue identifier after it as the cue's text",
                    )
                break
            if _STRAY_LESS_THAN.search(line):
                self.warn(
                    "stray-less-than",
                    number + 1,
                    "a '<' that starts no tag: browsers hide the rest of the cue after it; "
                    "write &lt; for the character",
                )
            payload.append(line)
            number += 1
        timing = self.timing(timing_at)
        if timing is not None:
            self.add_cue(
                Cue(
                    line=timing_at + 1,
                    start_ms=timing.start_ms,
                    end_ms=timing.end_ms,
                    text="\n".join(payload),
                    identifier=identifier,
                    settings=timing.settings,
                )
            )
        return number

    def block_follows(self, number: int) -> bool:
        """Whether a new block (a cue, with or without its identifier) or the end of the file
        comes after line `number`, past any empty lines."""
        lines, count = self.lines, len(self.lines)
        following = number + 1
        while following < count and _is_blank(lines[following]):
            following += 1
        return (
            following >= count
            or "-->" in lines[following]
            or (following + 1 < count and "-->" in lines[following + 1])
        )


class _SrtReader(_Reader):
    """SubRip: numbered subtitles, times with a comma, text that is not WebVTT cue text."""

    kind = Kind.SRT

    def read(self) -> Reading:
        lines, count = self.lines, len(self.lines)
        number = 0
        while number < count:
            line = lines[number]
            if _is_blank(line):
                number += 1
                continue
            if "-->" in line:
                timing_at = number
            elif self.index_at(number):
                timing_at = number + 1
            else:
                self.error(
                    number + 1,
                    "not a subtitle: in a SubRip (SRT) file each subtitle is a number, a "
                    "timing line such as 00:00:01,000 --> 00:00:04,000, and its text",
                )
                while number < count and not _is_blank(lines[number]):
                    number += 1
                continue
            number = timing_at + 1
            text_lines = []
            # Subtitles run together without their empty line often enough in SRT files that
            # a number above a timing line is read as the next subtitle.
            while (
                number < count
                and not _is_blank(lines[number])
                and "-->" not in lines[number]
                and not self.index_at(number)
            ):
                text_lines.append(_SRT_TAG.sub("", lines[number]))
                number += 1
            timing = self.timing(timing_at)
            if timing is not None:
                self.add_cue(
                    Cue(
                        line=timing_at + 1,
                        start_ms=timing.start_ms,
                        end_ms=timing.end_ms,
                        text=html.escape("\n".join(text_lines), quote=False),
                    )
                )
        if self.cues:
            self.warn(
                "srt",
                1,
                "a SubRip (SRT) file, not WebVTT: browsers show no captions from it; Stoa "
                f"reads its {len(self.cues)} cues",
                convert=True,
            )
        return self.finish()

    def index_at(self, number: int) -> bool:
        lines = self.lines
        return (
            _SRT_INDEX.fullmatch(lines[number].strip()) is not None
            and number + 1 < len(lines)
            and "-->" in lines[number + 1]
        )


# --- Text -----------------------------------------------------------------------------------


def _pieces(payload: str) -> Iterator[tuple[int, str | None, str]]:
    """The text between a cue's tags: (line index, speaker, raw text), in order.

    Voice tags (<v Name>…</v>) set the speaker until they close or the cue ends; every other
    tag (<c>, <i>, <b>, <u>, <ruby>, <rt>, <lang>, timestamps) is dropped and its text kept.
    Tags are read a line at a time, so a '<' with no '>' after it on its line stays text.
    """
    speaker: str | None = None
    for index, line in enumerate(payload.split("\n")):
        pos = 0
        for tag in _TAG.finditer(line):
            if tag.start() > pos:
                yield index, speaker, line[pos : tag.start()]
            pos = tag.end()
            name = tag[1]
            if (voice := _VOICE.fullmatch(name)) is not None:
                speaker = " ".join(html.unescape(voice[1] or "").split()) or None
            elif name.strip(_SPACES) == "/v":
                speaker = None
        if pos < len(line):
            yield index, speaker, line[pos:]


def _runs(payload: str) -> list[tuple[str | None, list[str]]]:
    """A cue's words as runs of one speaker each: (speaker or None, lines).

    Character references are decoded once, after the tags are gone (so "&lt;b&gt;" is text);
    spaces are collapsed, and lines without words are left out.
    """
    runs: list[tuple[str | None, list[str]]] = []
    last_index = -1
    for index, speaker, raw in _pieces(payload):
        text = html.unescape(raw)
        if not runs or runs[-1][0] != speaker:
            if _is_blank(text):
                continue  # the space between two speakers' words
            runs.append((speaker, [text]))
        elif index != last_index:
            runs[-1][1].append(text)
        else:
            runs[-1][1][-1] += text
        last_index = index
    cleaned: list[tuple[str | None, list[str]]] = []
    for speaker, lines in runs:
        words = [" ".join(line.split()) for line in lines if line.strip()]
        if not words:
            continue
        if cleaned and cleaned[-1][0] == speaker:
            cleaned[-1][1].extend(words)
        else:
            cleaned.append((speaker, words))
    return cleaned


def cue_text(payload: str) -> str:
    """A cue's words as a learner reads them, without tags: its lines joined by newlines."""
    return "\n".join(line for _, lines in _runs(payload) for line in lines)


@dataclass(frozen=True)
class Line:
    """Words spoken from `start_ms` to `end_ms`, by `speaker` when the captions name one."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None


def _shown_lines(cue: Cue) -> list[tuple[str | None, str]]:
    return [(speaker, line) for speaker, lines in _runs(cue.text) for line in lines]


def _rolled_cues(cues: Sequence[Cue]) -> Iterator[tuple[Cue, bool]]:
    """Each cue with words, and whether its first line is the last line of the cue before."""
    previous: list[tuple[str | None, str]] = []
    for cue in cues:
        shown = _shown_lines(cue)
        if not shown:
            continue
        yield cue, bool(previous) and shown[0][1] == previous[-1][1]
        previous = shown


def _is_rolling(cues: Sequence[Cue]) -> bool:
    """Captions that roll up (YouTube's automatic ones): most cues begin with the line the
    cue before ended with. Other files repeat a line now and then, not most of the time."""
    rolled = [repeats for _, repeats in _rolled_cues(cues)]
    repeats = sum(rolled)
    return repeats >= 2 and repeats * 2 >= len(rolled) - 1


@dataclass
class _Spoken:
    start_ms: int
    seen_until_ms: int
    speaker: str | None
    lines: list[str] = field(default_factory=list)


def _unrolled(cues: Sequence[Cue]) -> list[Line]:
    """Rolling captions with each line once: a line starts with the cue it first shows in,
    and lasts until the next line starts (or, the last one, while it is shown).

    A cue shows the lines still on screen, then its new ones; the lines still on screen are
    the longest run at its start that ends what has been read so far.
    """
    read: list[str] = []  # every line read, in order
    owners: list[int] = []  # the index in `spoken` of each line read
    spoken: list[_Spoken] = []
    for cue in cues:
        shown = _shown_lines(cue)
        texts = [text for _, text in shown]
        kept = next(
            (
                size
                for size in range(min(len(texts), len(read)), 0, -1)
                if texts[:size] == read[-size:]
            ),
            0,
        )
        for owner in owners[len(owners) - kept :]:
            spoken[owner].seen_until_ms = max(spoken[owner].seen_until_ms, cue.end_ms)
        for speaker, text in shown[kept:]:
            if not spoken or spoken[-1].start_ms != cue.start_ms or spoken[-1].speaker != speaker:
                spoken.append(_Spoken(cue.start_ms, cue.end_ms, speaker))
            spoken[-1].lines.append(text)
            read.append(text)
            owners.append(len(spoken) - 1)
    result = []
    for index, words in enumerate(spoken):
        end_ms = words.seen_until_ms
        if index + 1 < len(spoken) and spoken[index + 1].start_ms > words.start_ms:
            end_ms = min(end_ms, spoken[index + 1].start_ms)
        result.append(Line(words.start_ms, end_ms, "\n".join(words.lines), words.speaker))
    return result


def speech(cues: Sequence[Cue]) -> list[Line]:
    """What was said, in order: each speaker's words in a cue, or for rolling captions each
    new line once. Cues without words are left out."""
    if _is_rolling(cues):
        return _unrolled(cues)
    return [
        Line(cue.start_ms, cue.end_ms, "\n".join(lines), speaker)
        for cue in cues
        for speaker, lines in _runs(cue.text)
    ]


def plain_cues(cues: Sequence[Cue]) -> list[Line]:
    """The cues a transcript stores, as text: one a cue with words (every speaker's), or for
    rolling captions one a line of speech. Speakers are not kept."""
    if _is_rolling(cues):
        return [replace(line, speaker=None) for line in _unrolled(cues)]
    return [Line(cue.start_ms, cue.end_ms, text) for cue in cues if (text := cue_text(cue.text))]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a transcript: where it starts (for "Skip to"), who speaks, what is said.

    `new_speaker` is set on the first paragraph of each speaker's turn, where the speaker's
    name is shown.
    """

    start_ms: int
    end_ms: int
    speaker: str | None
    text: str
    new_speaker: bool = False


def paragraphs(lines: Sequence[Line]) -> list[Paragraph]:
    """Join lines of speech into paragraphs: a new one when the speaker changes, at the end of
    a sentence once a paragraph has lasted PARAGRAPH_MS, and at the next line once it has
    lasted LONGEST_PARAGRAPH_MS."""
    result: list[Paragraph] = []
    current: _Spoken | None = None

    def close(words: _Spoken) -> None:
        previous = result[-1].speaker if result else None
        result.append(
            Paragraph(
                start_ms=words.start_ms,
                end_ms=words.seen_until_ms,
                speaker=words.speaker,
                text=" ".join(words.lines),
                new_speaker=words.speaker is not None and words.speaker != previous,
            )
        )

    for line in lines:
        text = " ".join(line.text.split())
        if not text:
            continue
        if current is not None:
            lasted = line.start_ms - current.start_ms
            ends_sentence = _SENTENCE_END.search(current.lines[-1]) is not None
            if (
                line.speaker != current.speaker
                or (ends_sentence and lasted >= PARAGRAPH_MS)
                or lasted >= LONGEST_PARAGRAPH_MS
            ):
                close(current)
                current = None
        if current is None:
            current = _Spoken(line.start_ms, line.end_ms, line.speaker)
        current.lines.append(text)
        current.seen_until_ms = max(current.seen_until_ms, line.end_ms)
    if current is not None:
        close(current)
    return result


def transcript_paragraphs(source: str) -> list[Paragraph]:
    """The paragraphs a learner reads of a captions file (a step's transcript_source)."""
    return paragraphs(speech(read_captions(source).cues))


def transcript_text(title: str, paragraphs: Sequence[Paragraph]) -> str:
    """A transcript as a text file: the title, then the paragraphs, each speaker's name
    before their turn, with an empty line between."""
    parts = [title]
    parts += [
        f"{paragraph.speaker}: {paragraph.text}" if paragraph.new_speaker else paragraph.text
        for paragraph in paragraphs
    ]
    return "\n\n".join(parts) + "\n"


# --- Writing --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    # "&", "<" and ">" as character references: cue text reads "<" as a tag and "&" as a
    # reference, and a cue must not contain "-->".
    return html.escape(text, quote=False)


def _payload(runs: Sequence[tuple[str | None, Sequence[str]]]) -> str:
    parts = []
    for speaker, lines in runs:
        text = "\n".join(_escape(line) for line in lines)
        parts.append(f"<v {_escape(speaker)}>{text}</v>" if speaker else text)
    return "\n".join(parts)


def clean_webvtt(reading: Reading) -> str:
    """A tidy WebVTT file of what was read: times as browsers read them, one cue a line of
    speech for rolling captions, voices kept, other tags, identifiers and settings dropped."""
    cues: list[tuple[int, int, str]]
    if _is_rolling(reading.cues):
        cues = [
            (line.start_ms, line.end_ms, _payload([(line.speaker, line.text.split("\n"))]))
            for line in _unrolled(reading.cues)
        ]
    else:
        cues = [
            (cue.start_ms, cue.end_ms, _payload(runs))
            for cue in reading.cues
            if (runs := _runs(cue.text))
        ]
    blocks = ["WEBVTT\n"]
    blocks += [
        f"{format_timestamp(start)} --> {format_timestamp(end)}\n{payload}\n"
        for start, end, payload in cues
    ]
    return "\n".join(blocks)


def for_browsers(source: str) -> str:
    """The captions to give a player: the file itself when browsers read all of it, else the
    cues Stoa read, written as WebVTT (Teams' loose timings, SubRip files)."""
    reading = read_captions(source)
    if reading.errors or reading.browsers_play_it:
        return source
    return clean_webvtt(reading)


class Unreadable(ValueError):
    """The captions cannot be read; `findings` says where and why."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("; ".join(str(finding) for finding in self.findings))


@dataclass(frozen=True)
class Conversion:
    kind: Kind
    webvtt: str
    cues_read: int
    cues_written: int
    warnings: tuple[Finding, ...] = ()


def convert(text: str) -> Conversion:
    """Clean WebVTT from WebVTT, SubRip, a Teams or Stream transcript or YouTube's rolling
    captions, whichever the text is. Raises Unreadable if it cannot be read."""
    reading = read_captions(text)
    if [error.code for error in reading.errors] == ["not-captions"]:
        raise Unreadable(
            [
                Finding(
                    1,
                    "neither WebVTT (whose first line is WEBVTT) nor SubRip (numbered "
                    "subtitles, each with a timing line such as 00:00:01,000 --> 00:00:04,000)",
                )
            ]
        )
    if reading.errors:
        raise Unreadable(reading.errors)
    webvtt = clean_webvtt(reading)
    written = webvtt.count(" --> ")
    return Conversion(reading.kind, webvtt, len(reading.cues), written, reading.warnings)


def decode(data: bytes) -> str:
    """The text of a captions file: UTF-8 (with or without a byte-order mark, which is kept
    for read_captions to drop), or UTF-16 with one. Raises Unreadable for anything else."""
    if data.startswith(b"PK\x03\x04"):
        raise Unreadable(
            [
                Finding(
                    None,
                    "a Word document or other ZIP file, not captions: Teams' .docx "
                    "transcripts are not read; download the transcript from Teams or "
                    "Stream as a .vtt file",
                )
            ]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise Unreadable(
            [Finding(line, "not UTF-8 text: save the captions as UTF-8 and try again")]
        ) from None
