"""Course packages: read and check a package folder, and render one back as text.

The format is described in docs: the course package format, version 1. Nothing here
writes to the database: `read_package` turns a folder into a `PackageSpec` (or the
list of every problem in it), and the `render_*` functions turn specs back into the
text of the package's files. `services.import_package` and `services.export_course`
build on these.

Specs are plain frozen dataclasses, so two specs compare equal exactly when they
describe the same course. The raw texts they were read from ride along in fields
left out of comparisons; export writes a raw text back verbatim while it still reads
as the spec held in the database, which keeps authors' formatting and comments.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, cast
from urllib.parse import urlsplit

import webvtt
import yaml

from stoa.courses.models import Course, MediaFile, Step, StepType, TeamRole
from stoa.lib.webvtt import Finding, plain_cues, read_captions

__all__ = [
    "FORMAT_VERSION",
    "CertificateSpec",
    "CourseSpec",
    "CueSpec",
    "MediaSpec",
    "OptionSpec",
    "OrganisationSpec",
    "PackageSpec",
    "PeerReviewSpec",
    "Problem",
    "QuestionSpec",
    "StepSpec",
    "TeamMemberSpec",
    "TranscriptSpec",
    "WeekSpec",
    "course_spec_from_models",
    "parse_course_yaml",
    "parse_step_file",
    "parse_transcript",
    "read_package",
    "render_course_yaml",
    "render_package_files",
    "render_step_file",
    "render_transcript",
    "step_file_name",
    "step_spec_from_model",
]

FORMAT_VERSION = 1
DEFAULT_LANGUAGE = "en"
TEAM_ROLES = tuple(TeamRole.values)
STEP_TYPES = tuple(StepType.values)
CHOICE_MODES = ("one", "many")

# The keys of each mapping, in the order of the format document; canonical rendering
# writes them in this order too.
COURSE_KEYS = (
    "format",
    "slug",
    "title",
    "summary",
    "language",
    "hours_per_week",
    "outcomes",
    "organisations",
    "team",
    "weeks",
    "certificate",
)
ORGANISATION_KEYS = ("name", "url")
TEAM_MEMBER_KEYS = ("name", "role", "bio")
WEEK_KEYS = ("title",)
CERTIFICATE_KEYS = (
    "steps_completed_percent",
    "tests_score_percent",
    "participation_percent",
    "achievement",
)
QUESTION_KEYS = ("prompt", "choose", "options", "explanation")
OPTION_KEYS = ("text", "correct", "feedback")
POLL_OPTION_KEYS = ("text",)
STEP_COMMON_KEYS = ("title", "type", "activity")
STEP_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "article": (),
    "video": ("media", "transcript"),
    "audio": ("media", "transcript"),
    "discussion": (),
    "quiz": ("questions",),
    "test": ("attempts", "questions"),
    "peer-review": ("min_words", "reviews_required", "rubric"),
    "poll": ("choose", "options"),
}
MEDIA_TYPES = frozenset({"video", "audio"})
QUESTION_TYPES = frozenset({"quiz", "test"})
BODY_REQUIRED_TYPES = frozenset({"article", "discussion", "peer-review", "poll"})

# Column sizes of the models, so that a package that validates also fits the database.
SMALL_INT_MAX = 32767
INT_MAX = 2147483647

SLUG_RE = re.compile(r"[a-z0-9-]+")
STEP_FILE_RE = re.compile(r"([0-9]+)-([a-z0-9-]+)\.md")
WEEK_DIR_RE = re.compile(r"week-([1-9][0-9]*)")
# A plausible BCP 47 tag: a language, then optional script, region and variants
# ("en", "en-GB", "zh-Hant-TW", "es-419", "de-CH-1996"). Extensions are not needed here.
LANGUAGE_RE = re.compile(
    r"[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*",
    re.IGNORECASE,
)


# --- Problems ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong with a package: where (path relative to its root, line) and what."""

    path: str
    line: int | None
    message: str

    @property
    def where(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# --- Specs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    url: str = ""


@dataclass(frozen=True)
class TeamMemberSpec:
    name: str
    role: str
    bio: str = ""


@dataclass(frozen=True)
class CertificateSpec:
    """None means the package did not say, and the course defaults apply.

    A course offers a Certificate of Achievement unless `achievement` is False, and a
    Certificate of Participation when `participation_percent` is given.
    """

    steps_completed_percent: int | None = None
    tests_score_percent: int | None = None
    participation_percent: int | None = None
    achievement: bool = True


@dataclass(frozen=True)
class CueSpec:
    start_ms: int
    end_ms: int
    # As learners read it: cue tags removed, character references decoded.
    text: str


@dataclass(frozen=True)
class TranscriptSpec:
    cues: tuple[CueSpec, ...]
    source: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class OptionSpec:
    text: str
    correct: bool = False
    feedback: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    prompt: str
    choose: str
    options: tuple[OptionSpec, ...]
    explanation: str = ""


@dataclass(frozen=True)
class PeerReviewSpec:
    min_words: int
    reviews_required: int
    rubric: tuple[str, ...]


@dataclass(frozen=True)
class StepSpec:
    """One step file; `transcript` holds the cues of the .vtt file it names."""

    position: int
    slug: str
    title: str
    type: str
    activity: str = ""
    body: str = ""
    media: str = ""  # "media/..." in the package, or an https URL
    transcript_name: str = ""
    attempts: int | None = None
    # A quiz's or test's questions; a poll's one question, whose prompt is the body.
    questions: tuple[QuestionSpec, ...] = ()
    peer_review: PeerReviewSpec | None = None
    transcript: TranscriptSpec | None = None
    source: str = field(default="", compare=False, repr=False)

    @property
    def file_name(self) -> str:
        return step_file_name(self.position, self.slug)

    @property
    def media_is_url(self) -> bool:
        return self.media.startswith("https://")

    def without_transcript(self) -> StepSpec:
        """What the step file alone says, without the cues of its transcript file."""
        return replace(self, transcript=None)


@dataclass(frozen=True)
class WeekSpec:
    number: int
    title: str
    steps: tuple[StepSpec, ...] = ()


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    summary: str
    organisations: tuple[OrganisationSpec, ...]
    weeks: tuple[WeekSpec, ...]
    language: str = DEFAULT_LANGUAGE
    hours_per_week: int | None = None
    outcomes: tuple[str, ...] = ()
    team: tuple[TeamMemberSpec, ...] = ()
    certificate: CertificateSpec = CertificateSpec()
    source: str = field(default="", compare=False, repr=False)

    def without_steps(self) -> CourseSpec:
        """What course.yaml alone says: the weeks without their steps."""
        return replace(self, weeks=tuple(replace(week, steps=()) for week in self.weeks))


@dataclass(frozen=True)
class MediaSpec:
    """A file under media/; `path` is relative to the package root, e.g. media/a.mp4."""

    path: str
    size: int
    sha256: str
    source: Path | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class PackageSpec:
    course: CourseSpec
    media: tuple[MediaSpec, ...] = ()

    @property
    def steps(self) -> list[StepSpec]:
        return [step for week in self.course.weeks for step in week.steps]


def step_file_name(position: int, slug: str) -> str:
    """The name of a step's file, e.g. 02-what-is-hi.md (as Step.file_stem, plus .md)."""
    return f"{position:02d}-{slug}.md"


# --- YAML with line numbers ---------------------------------------------------------------

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Map(dict):
    """A YAML mapping that remembers the 0-based lines of itself and of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class _Seq(list):
    """A YAML sequence that remembers the 0-based lines of itself and of its items."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _LineLoader(_SafeLoader):
    """yaml.safe_load, except that mappings and sequences record their lines.

    Only the constructors of plain mappings and sequences are replaced, so what a
    document may contain is exactly what safe_load allows.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[Any, int]] = []


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    mapping = _Map(node.start_mark.line)
    yield mapping
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                "found a key that is a list or mapping",
                key_node.start_mark,
            ) from None
        if key in mapping:
            loader.duplicate_keys.append((key, key_node.start_mark.line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):
    sequence = _Seq(node.start_mark.line)
    yield sequence
    for item_node in node.value:
        sequence.append(loader.construct_object(item_node, deep=True))
        sequence.item_lines.append(item_node.start_mark.line)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _kind(value: Any) -> str:
    """Describe a YAML value's type for a message: "a number", "a list", ..."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


class _Reader:
    """Collects the problems of one file while reading values out of its YAML.

    Lines in the YAML are 0-based; `offset` is the number of file lines before the
    YAML starts (1 for front matter after its opening "---"). `None` as a line means
    "no line": used for keys missing from a document's top level.
    """

    def __init__(self, path: str, *, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.problems: list[Problem] = []

    def add(self, yaml_line: int | None, message: str) -> None:
        line = None if yaml_line is None else yaml_line + 1 + self.offset
        self.problems.append(Problem(self.path, line, message))

    def add_at(self, file_line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, file_line, message))

    def file_line(self, yaml_line: int) -> int:
        return yaml_line + 1 + self.offset

    def load(self, text: str, *, what: str) -> _Map | None:
        """Parse YAML that must be a mapping; report syntax errors with their line."""
        loader = _LineLoader(text)
        try:
            data = loader.get_single_data()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            problem = error.problem or error.context or "not valid YAML"
            context = f" ({error.context})" if error.context and error.problem else ""
            self.add(mark.line if mark else None, f"YAML syntax error: {problem}{context}")
            return None
        except yaml.YAMLError as error:
            self.add(None, f"YAML syntax error: {error}")
            return None
        finally:
            loader.dispose()
        for key, line in loader.duplicate_keys:
            self.add(line, f"{key} is given twice; each key may appear only once")
        if not isinstance(data, _Map):
            self.add(None, f"{what} must be a YAML mapping of keys to values, not {_kind(data)}")
            return None
        return data

    def missing_line(self, mapping: _Map, top_level: bool) -> int | None:
        return None if top_level else mapping.line

    def unknown_keys(
        self, mapping: _Map, allowed: Iterable[str], *, where: str, refused: Iterable[str] = ()
    ) -> None:
        """Reports each key that is not allowed; `refused` keys are reported by the caller,
        with a message of their own."""
        allowed, refused = tuple(allowed), tuple(refused)
        for key in mapping:
            if key not in allowed and key not in refused:
                self.add(
                    mapping.key_lines[key],
                    f"unknown key {key!r} {where}; the keys are: {', '.join(allowed)}",
                )

    def text(
        self,
        mapping: _Map,
        key: str,
        *,
        label: str = "",
        required: bool = False,
        top_level: bool = False,
        max_length: int | None = None,
    ) -> str:
        """Return a text value, or "" when absent (null counts as absent)."""
        value = mapping.get(key)
        if value is None:
            if required:
                line = mapping.key_lines.get(key, self.missing_line(mapping, top_level))
                self.add(line, f"{label}{key} is required")
            return ""
        line = mapping.key_lines[key]
        if not isinstance(value, str):
            self.add(line, f"{label}{key} must be text, not {_kind(value)}")
            return ""
        if required and not value.strip():
            self.add(line, f"{label}{key} must not be empty")
        if max_length is not None and len(value) > max_length:
            self.add(
                line, f"{label}{key} is too long: {len(value)} characters, at most {max_length}"
            )
        return value

    def integer(
        self,
        mapping: _Map,
        key: str,
        *,
        label: str = "",
        minimum: int,
        maximum: int,
        required: bool = False,
        top_level: bool = False,
    ) -> int | None:
        value = mapping.get(key)
        if value is None:
            if required:
                line = mapping.key_lines.get(key, self.missing_line(mapping, top_level))
                self.add(line, f"{label}{key} is required")
            return None
        line = mapping.key_lines[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(line, f"{label}{key} must be a whole number, not {_kind(value)}")
            return None
        if value < minimum:
            self.add(line, f"{label}{key} must be at least {minimum}, not {value}")
            return None
        if value > maximum:
            self.add(line, f"{label}{key} must be at most {maximum}, not {value}")
            return None
        return value

    def boolean(self, mapping: _Map, key: str, *, label: str = "") -> bool | None:
        """Return a true/false value, False when absent, or None when it is not one."""
        value = mapping.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(
                mapping.key_lines[key], f"{label}{key} must be true or false, not {_kind(value)}"
            )
            return None
        return value

    def sequence(
        self,
        mapping: _Map,
        key: str,
        *,
        label: str = "",
        required: bool = False,
        top_level: bool = False,
        requirement: str = "",
        at_least: int = 0,
        too_few: Callable[[int], str] | None = None,
    ) -> _Seq:
        """The list under key; an empty one when it is missing or not a list, which is reported
        when it is required or of another kind. A list of fewer than at_least items is reported
        at its key with too_few(its length)."""
        value = mapping.get(key)
        if value is None:
            if required:
                line = mapping.key_lines.get(key, self.missing_line(mapping, top_level))
                self.add(line, f"{label}{key} is required{requirement}")
            return _Seq(mapping.line)
        if not isinstance(value, _Seq):
            self.add(mapping.key_lines[key], f"{label}{key} must be a list, not {_kind(value)}")
            return _Seq(mapping.line)
        if len(value) < at_least and too_few is not None:
            self.add(mapping.key_lines[key], too_few(len(value)))
        return value

    def item_mapping(self, sequence: _Seq, index: int, *, label: str, example: str) -> _Map | None:
        item = sequence[index]
        if not isinstance(item, _Map):
            self.add(
                sequence.item_lines[index],
                f"{label} must be a mapping such as '{example}', not {_kind(item)}",
            )
            return None
        return item


# --- course.yaml --------------------------------------------------------------------------


def _http_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in url):
        return "must be a web address starting with https:// or http://"
    return None


def _read_course(text: str, path: str = "course.yaml") -> tuple[CourseSpec | None, list[Problem]]:
    """Read course.yaml as well as possible: a spec (weeks without steps) and its problems.

    The spec is returned even when there are problems, as long as the file is a YAML
    mapping, so that the rest of the package can still be checked against its weeks.
    """
    r = _Reader(path)
    data = r.load(text, what="course.yaml")
    if data is None:
        return None, r.problems
    r.unknown_keys(data, COURSE_KEYS, where="in course.yaml")

    if "format" not in data:
        r.add(None, f"format is required: add 'format: {FORMAT_VERSION}' as the first line")
    elif type(data["format"]) is not int or data["format"] != FORMAT_VERSION:
        r.add(
            data.key_lines["format"],
            f"format must be {FORMAT_VERSION} (this is version {FORMAT_VERSION} of the "
            f"course package format), not {_kind(data['format'])}",
        )

    slug = r.text(data, "slug", required=True, top_level=True, max_length=100)
    if slug and not SLUG_RE.fullmatch(slug):
        r.add(
            data.key_lines["slug"],
            f"slug {slug!r} may only contain lowercase letters a-z, digits and hyphens",
        )
    title = r.text(data, "title", required=True, top_level=True, max_length=200)
    summary = r.text(data, "summary", required=True, top_level=True)
    language = r.text(data, "language", max_length=35) or DEFAULT_LANGUAGE
    if not LANGUAGE_RE.fullmatch(language):
        r.add(
            data.key_lines["language"],
            f"language {language!r} is not a BCP 47 language tag such as en, en-GB or pt-BR",
        )
    hours_per_week = r.integer(data, "hours_per_week", minimum=1, maximum=168)
    outcomes = _read_outcomes(r, data)

    organisations: list[OrganisationSpec] = []
    seen_names: dict[str, int] = {}
    items = r.sequence(
        data,
        "organisations",
        required=True,
        top_level=True,
        requirement=": list at least one",
        at_least=1,
        too_few=lambda _: "organisations must list at least one organisation",
    )
    for index in range(len(items)):
        label = f"organisation {index + 1}: "
        org = r.item_mapping(
            items, index, label=f"organisation {index + 1}", example="- name: University of X"
        )
        if org is None:
            continue
        r.unknown_keys(org, ORGANISATION_KEYS, where=f"in organisation {index + 1}")
        name = r.text(org, "name", label=label, required=True, max_length=200)
        url = r.text(org, "url", label=label, max_length=200)
        if url and (problem := _http_url_problem(url)):
            r.add(org.key_lines["url"], f"{label}url {url!r} {problem}")
        if name in seen_names:
            r.add(
                items.item_lines[index],
                f"{label}{name!r} is already listed as organisation {seen_names[name]}",
            )
        elif name:
            seen_names[name] = index + 1
        organisations.append(OrganisationSpec(name=name, url=url))

    team: list[TeamMemberSpec] = []
    items = r.sequence(data, "team")
    for index in range(len(items)):
        label = f"team member {index + 1}: "
        member = r.item_mapping(
            items, index, label=f"team member {index + 1}", example="- name: Jane Doe"
        )
        if member is None:
            continue
        r.unknown_keys(member, TEAM_MEMBER_KEYS, where=f"in team member {index + 1}")
        name = r.text(member, "name", label=label, required=True, max_length=200)
        role = r.text(member, "role", label=label, required=True)
        if role and role not in TEAM_ROLES:
            r.add(
                member.key_lines["role"],
                f"{label}role {role!r} is not one of: {', '.join(TEAM_ROLES)}",
            )
        bio = r.text(member, "bio", label=label)
        team.append(TeamMemberSpec(name=name, role=role, bio=bio))

    weeks: list[WeekSpec] = []
    items = r.sequence(
        data,
        "weeks",
        required=True,
        top_level=True,
        requirement=": one entry per week-N folder",
        at_least=1,
        too_few=lambda _: "weeks must list at least one week",
    )
    for index in range(len(items)):
        label = f"week {index + 1}: "
        week = r.item_mapping(
            items, index, label=f"week {index + 1}", example="- title: Getting started"
        )
        title_text = ""
        if week is not None:
            r.unknown_keys(week, WEEK_KEYS, where=f"in week {index + 1}")
            title_text = r.text(week, "title", label=label, required=True, max_length=200)
        # A week that is not a mapping still counts, so that its folder is not reported.
        weeks.append(WeekSpec(number=index + 1, title=title_text))

    certificate = _read_certificate(r, data)

    spec = CourseSpec(
        slug=slug,
        title=title,
        summary=summary,
        organisations=tuple(organisations),
        weeks=tuple(weeks),
        language=language,
        hours_per_week=hours_per_week,
        outcomes=outcomes,
        team=tuple(team),
        certificate=certificate,
        source=text,
    )
    return spec, r.problems


def _read_outcomes(r: _Reader, data: _Map) -> tuple[str, ...]:
    """The course's learning outcomes: optional, but a list that is there says something."""
    outcomes = []
    items = r.sequence(
        data,
        "outcomes",
        at_least=1,
        too_few=lambda _: "outcomes must list at least one outcome, or be left out",
    )
    for index, item in enumerate(items):
        label = f"outcome {index + 1}"
        if isinstance(item, dict):
            # Usually an outcome with ": " in it, which YAML reads as a key and its value.
            r.add(
                items.item_lines[index],
                f"{label} must be text, not a mapping: put the outcome in quotes if it holds ': '",
            )
        elif not isinstance(item, str):
            r.add(items.item_lines[index], f"{label} must be text, not {_kind(item)}")
        elif not item.strip():
            r.add(items.item_lines[index], f"{label} must not be empty")
        else:
            outcomes.append(item)
    return tuple(outcomes)


def _read_certificate(r: _Reader, data: _Map) -> CertificateSpec:
    """The certificates a course offers and what each asks of a learner.

    The two certificates' rules are checked against each other only when the values they
    compare are valid, so that one mistake is reported once.
    """
    value = data.get("certificate")
    if value is None:
        return CertificateSpec()
    if not isinstance(value, _Map):
        r.add(
            data.key_lines["certificate"],
            f"certificate must be a mapping of {', '.join(CERTIFICATE_KEYS[:-1])} and "
            f"{CERTIFICATE_KEYS[-1]}, not {_kind(value)}",
        )
        return CertificateSpec()
    r.unknown_keys(value, CERTIFICATE_KEYS, where="in certificate")
    label = "certificate: "
    steps = r.integer(value, "steps_completed_percent", label=label, minimum=0, maximum=100)
    tests = r.integer(value, "tests_score_percent", label=label, minimum=0, maximum=100)
    participation = r.integer(value, "participation_percent", label=label, minimum=0, maximum=100)
    # Absent or null: the course offers a Certificate of Achievement, as it always has.
    achievement = (
        True if value.get("achievement") is None else r.boolean(value, "achievement", label=label)
    )

    if achievement is False and value.get("participation_percent") is None:
        r.add(
            value.key_lines["achievement"],
            f"{label}achievement: false without participation_percent leaves the course with "
            "no certificate at all: add participation_percent for a Certificate of "
            "Participation, or remove achievement: false",
        )
    steps_invalid = steps is None and value.get("steps_completed_percent") is not None
    if achievement is True and participation is not None and not steps_invalid:
        needed = Course.CERTIFICATE_STEPS_COMPLETED_DEFAULT if steps is None else steps
        default = ", the default" if steps is None else ""
        if participation >= needed:
            r.add(
                value.key_lines["participation_percent"],
                f"{label}participation_percent must be lower than steps_completed_percent "
                f"({needed}{default}), not {participation}: the Certificate of Participation "
                "is for a smaller share of steps than the Certificate of Achievement",
            )
    return CertificateSpec(
        steps_completed_percent=steps,
        tests_score_percent=tests,
        participation_percent=participation,
        achievement=achievement is not False,
    )


def parse_course_yaml(text: str) -> tuple[CourseSpec | None, list[Problem]]:
    """Read the text of a course.yaml; the spec is None when there are problems."""
    spec, problems = _read_course(text)
    return (None if problems else spec), problems


# --- Step files ---------------------------------------------------------------------------


@dataclass
class _StepDraft:
    """A step file as read, with the file lines of its keys for later checks."""

    spec: StepSpec | None
    problems: list[Problem]
    key_lines: dict[str, int] = field(default_factory=dict)
    # The transcript named in the front matter, whatever the step's type: the named
    # file then does not also count as a stray file in the week folder.
    named_transcript: str = ""


def _split_front_matter(text: str, r: _Reader) -> tuple[str, str, int] | None:
    """Return the front matter, the body, and the file line where the body starts."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        r.add_at(1, "front matter is missing: a step file starts with a '---' line")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    r.add_at(1, "front matter is not closed: add a '---' line after it")
    return None


def _transcript_name_problem(name: str) -> str | None:
    if "/" in name or "\\" in name or name in {".", ".."}:
        return "must name a .vtt file beside the step, without a folder"
    if not name.endswith(".vtt") or name == ".vtt":
        return "must name a WebVTT file ending in .vtt"
    return None


def _media_problem(media: str) -> str | None:
    """Check the form of a step's media; whether the file exists is checked later."""
    if media.startswith("https://"):
        url_parts = urlsplit(media)
        if not url_parts.netloc or any(c.isspace() for c in media):
            return f"media {media!r} is not a valid https:// URL"
        if len(media) > 500:
            return f"media URL is too long: {len(media)} characters, at most 500"
        return None
    if media.startswith("http://"):
        return f"media {media!r} must use https://, not http://"
    if media.startswith("/") or re.match(r"[A-Za-z]:[\\/]", media):
        return f"media {media!r} must be a path inside media/ such as media/a.mp4, not absolute"
    if "\\" in media:
        return f"media {media!r} must use / between folders, not \\"
    parts = PurePosixPath(media).parts
    if ".." in parts:
        return f"media {media!r} must stay inside media/: '..' is not allowed"
    if len(parts) < 2 or parts[0] != "media":
        return f"media {media!r} must be a file under media/ (e.g. media/a.mp4) or an https:// URL"
    if len(media) > 300:
        return f"media path is too long: {len(media)} characters, at most 300"
    return None


def _too_few_options(label: str) -> Callable[[int], str]:
    return lambda found: f"{label}a question needs at least two options, found {found}"


def _read_questions(r: _Reader, data: _Map, step_type: str) -> tuple[QuestionSpec, ...]:
    items = r.sequence(
        data,
        "questions",
        required=True,
        top_level=True,
        requirement=f" for {_a(step_type)} step",
        at_least=1,
        too_few=lambda _: f"{_a(step_type)} step needs at least one question",
    )
    questions = []
    for index in range(len(items)):
        label = f"question {index + 1}: "
        question = r.item_mapping(
            items, index, label=f"question {index + 1}", example="- prompt: What is ...?"
        )
        if question is None:
            continue
        r.unknown_keys(question, QUESTION_KEYS, where=f"in question {index + 1}")
        prompt = r.text(question, "prompt", label=label, required=True)
        choose = r.text(question, "choose", label=label, required=True)
        if choose and choose not in CHOICE_MODES:
            r.add(
                question.key_lines["choose"], f"{label}choose must be one or many, not {choose!r}"
            )
        explanation = r.text(question, "explanation", label=label)

        options = []
        countable = True
        option_items = r.sequence(
            question,
            "options",
            label=label,
            required=True,
            at_least=2,
            too_few=_too_few_options(label),
        )
        for option_index in range(len(option_items)):
            option_label = f"question {index + 1}, option {option_index + 1}: "
            option = r.item_mapping(
                option_items,
                option_index,
                label=f"question {index + 1}, option {option_index + 1}",
                example="- text: Plan-Do-Study-Act cycles",
            )
            if option is None:
                continue
            r.unknown_keys(
                option, OPTION_KEYS, where=f"in question {index + 1}, option {option_index + 1}"
            )
            text = r.text(option, "text", label=option_label, required=True)
            correct = r.boolean(option, "correct", label=option_label)
            feedback = r.text(option, "feedback", label=option_label)
            if correct is None:
                countable = False  # the count of correct options would only mislead
            options.append(OptionSpec(text=text, correct=bool(correct), feedback=feedback))
        correct_count = sum(option.correct for option in options)
        if countable and option_items and choose == "one" and correct_count != 1:
            r.add(
                items.item_lines[index],
                f"{label}choose: one needs exactly one correct option, found {correct_count}",
            )
        if countable and option_items and choose == "many" and correct_count < 1:
            r.add(
                items.item_lines[index],
                f"{label}choose: many needs at least one correct option, found none",
            )
        questions.append(
            QuestionSpec(
                prompt=prompt, choose=choose, options=tuple(options), explanation=explanation
            )
        )
    return tuple(questions)


def _read_poll(r: _Reader, data: _Map, body: str) -> QuestionSpec:
    """A poll's front matter: how many options a learner chooses, and the options, which
    have no right answer. The body is the question, and becomes the poll's one prompt."""
    choose = r.text(data, "choose", required=True, top_level=True)
    if choose and choose not in CHOICE_MODES:
        r.add(data.key_lines["choose"], f"choose must be one or many, not {choose!r}")
    options = []
    items = r.sequence(
        data,
        "options",
        required=True,
        top_level=True,
        requirement=" for a poll step: at least two",
        at_least=2,
        too_few=lambda found: f"a poll needs at least two options, found {found}",
    )
    for index in range(len(items)):
        label = f"option {index + 1}: "
        option = r.item_mapping(
            items, index, label=f"option {index + 1}", example="- text: On the radio"
        )
        if option is None:
            continue
        if "correct" in option:
            r.add(
                option.key_lines["correct"],
                f"{label}a poll has no correct answer: remove correct "
                "(for questions with answers, use a quiz step)",
            )
        r.unknown_keys(
            option, POLL_OPTION_KEYS, where=f"in option {index + 1}", refused=("correct",)
        )
        options.append(OptionSpec(text=r.text(option, "text", label=label, required=True)))
    return QuestionSpec(prompt=body, choose=choose, options=tuple(options))


def _read_peer_review(r: _Reader, data: _Map) -> PeerReviewSpec:
    min_words = r.integer(
        data, "min_words", minimum=0, maximum=INT_MAX, required=True, top_level=True
    )
    reviews_required = r.integer(
        data, "reviews_required", minimum=1, maximum=SMALL_INT_MAX, required=True, top_level=True
    )
    rubric = []
    items = r.sequence(
        data,
        "rubric",
        required=True,
        top_level=True,
        requirement=": at least one line",
        at_least=1,
        too_few=lambda _: "rubric must have at least one line",
    )
    for index, item in enumerate(items):
        if not isinstance(item, str):
            r.add(
                items.item_lines[index], f"rubric line {index + 1} must be text, not {_kind(item)}"
            )
            continue
        if not item.strip():
            r.add(items.item_lines[index], f"rubric line {index + 1} must not be empty")
            continue
        rubric.append(item)
    return PeerReviewSpec(
        min_words=min_words or 0, reviews_required=reviews_required or 1, rubric=tuple(rubric)
    )


def _read_step(text: str, *, path: str, position: int, slug: str) -> _StepDraft:
    """Read a step file; checks everything that the file alone can tell."""
    r = _Reader(path, offset=1)
    split = _split_front_matter(text, r)
    if split is None:
        return _StepDraft(None, r.problems)
    front_matter, body, body_line = split
    data = r.load(front_matter, what="the front matter")
    if data is None:
        return _StepDraft(None, r.problems)
    key_lines = {str(key): r.file_line(line) for key, line in data.key_lines.items()}
    named_transcript = data.get("transcript") if isinstance(data.get("transcript"), str) else ""

    title = r.text(data, "title", required=True, top_level=True, max_length=200)
    step_type = r.text(data, "type", required=True, top_level=True)
    if step_type and step_type not in STEP_TYPES:
        r.add(
            data.key_lines["type"],
            f"type {step_type!r} is not one of: {', '.join(STEP_TYPES)}",
        )
    known_type = step_type in STEP_TYPES
    if known_type:
        r.unknown_keys(
            data, STEP_COMMON_KEYS + STEP_TYPE_KEYS[step_type], where=f"for {_a(step_type)} step"
        )
    activity = r.text(data, "activity", max_length=200)

    media = transcript_name = ""
    attempts = None
    questions: tuple[QuestionSpec, ...] = ()
    peer_review = None
    if step_type in MEDIA_TYPES:
        media = r.text(data, "media", required=True, top_level=True)
        if media and (problem := _media_problem(media)):
            r.add(data.key_lines["media"], problem)
        transcript_name = r.text(data, "transcript", required=True, top_level=True, max_length=200)
        if transcript_name and (problem := _transcript_name_problem(transcript_name)):
            r.add(data.key_lines["transcript"], f"transcript {transcript_name!r} {problem}")
    elif step_type in QUESTION_TYPES:
        if step_type == "test":
            attempts = r.integer(data, "attempts", minimum=1, maximum=SMALL_INT_MAX)
        questions = _read_questions(r, data, step_type)
    elif step_type == "peer-review":
        peer_review = _read_peer_review(r, data)
    elif step_type == "poll":
        questions = (_read_poll(r, data, body),)

    if step_type in BODY_REQUIRED_TYPES and not body.strip():
        asks = step_type in {"discussion", "poll"}
        what = "the question put to learners" if asks else "its text"
        r.add_at(body_line, f"the body is empty: {_a(step_type)} step needs {what}")

    spec = StepSpec(
        position=position,
        slug=slug,
        title=title,
        type=step_type,
        activity=activity,
        body=body,
        media=media,
        transcript_name=transcript_name,
        attempts=attempts,
        questions=questions,
        peer_review=peer_review,
        source=text,
    )
    return _StepDraft(spec if known_type else None, r.problems, key_lines, named_transcript or "")


def parse_step_file(
    text: str, *, path: str, position: int, slug: str
) -> tuple[StepSpec | None, list[Problem]]:
    """Read the text of a step file; the spec has no transcript cues (see read_package)."""
    draft = _read_step(text, path=path, position=position, slug=slug)
    return (None if draft.problems else draft.spec), draft.problems


# --- Transcripts --------------------------------------------------------------------------


def _format_ms(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _transcript_problem(path: str, finding: Finding) -> Problem:
    message = finding.text
    if finding.convert:
        # The path is the package's own, so the command is run from the package folder.
        message += f"; to write it as tidy WebVTT: stoa transcript convert {path} -o {path}"
    return Problem(path, finding.line, message)


def parse_transcript(
    text: str, *, path: str, warnings: list[Problem] | None = None
) -> tuple[TranscriptSpec | None, list[Problem]]:
    """Read a transcript as browsers read WebVTT (stoa.lib.webvtt) and check its cues.

    What browsers recover from, and the SubRip files and Teams timings Stoa reads although
    browsers do not, are appended to `warnings` when given: the transcript is valid. The cues
    are its text as learners read it: one a cue, or for YouTube's rolling captions one a line
    of speech, each line once.
    """
    reading = read_captions(text)
    if warnings is not None:
        warnings.extend(_transcript_problem(path, finding) for finding in reading.warnings)
    if reading.errors:
        return None, [_transcript_problem(path, finding) for finding in reading.errors]
    cues = tuple(
        CueSpec(start_ms=line.start_ms, end_ms=line.end_ms, text=line.text)
        for line in plain_cues(reading.cues)
    )
    return TranscriptSpec(cues=cues, source=text), []


# --- The whole package ----------------------------------------------------------------------


def _read_text(path: Path, rel: str, problems: list[Problem]) -> str | None:
    """Read a package file as UTF-8, keeping its line endings for byte-exact export."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(rel, line, "not UTF-8 text"))
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_media(root: Path, problems: list[Problem]) -> tuple[MediaSpec, ...]:
    folder = root / "media"
    if not folder.exists():
        return ()
    if not folder.is_dir():
        problems.append(Problem("media", None, "media must be a folder"))
        return ()
    resolved_root = root.resolve()
    media = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if not path.resolve().is_relative_to(resolved_root):
            problems.append(Problem(rel, None, "links to a file outside the package"))
            continue
        media.append(
            MediaSpec(path=rel, size=path.stat().st_size, sha256=_sha256(path), source=path)
        )
    return tuple(media)


def _week_folders(root: Path, week_count: int | None, problems: list[Problem]) -> list[int]:
    """Check rule 2 and return the numbers of the week folders to read, in order."""
    numbers = []
    for entry in sorted(root.iterdir()):
        match = WEEK_DIR_RE.fullmatch(entry.name)
        if match is None and not (entry.is_dir() and entry.name.lower().startswith("week")):
            continue
        if match is None:
            problems.append(
                Problem(
                    entry.name,
                    None,
                    "not a week folder: week folders are named week-1, week-2 … week-N",
                )
            )
            continue
        number = int(match[1])
        if not entry.is_dir():
            problems.append(Problem(entry.name, None, "must be a folder of steps, not a file"))
        elif week_count is not None and number > week_count:
            problems.append(
                Problem(
                    entry.name,
                    None,
                    f"there is no week {number}: weeks in course.yaml lists {week_count}",
                )
            )
        else:
            numbers.append(number)
    for number in range(1, (week_count or 0) + 1):
        if number not in numbers and not (root / f"week-{number}").exists():
            problems.append(
                Problem(
                    f"week-{number}",
                    None,
                    f"the folder is missing: weeks in course.yaml lists {week_count}, so "
                    f"week-1 … week-{week_count} must exist",
                )
            )
    return sorted(numbers)


def _read_week(
    root: Path,
    number: int,
    media_paths: set[str],
    problems: list[Problem],
    warnings: list[Problem] | None = None,
) -> tuple[StepSpec, ...]:
    """Read and check the steps and transcripts of one week folder (rules 3-10)."""
    folder_name = f"week-{number}"
    folder = root / folder_name
    step_files: list[tuple[int, str, Path]] = []
    transcripts: dict[str, Path] = {}
    strays: list[str] = []
    for entry in sorted(folder.iterdir()):
        rel = f"{folder_name}/{entry.name}"
        match = STEP_FILE_RE.fullmatch(entry.name)
        if entry.is_dir():
            strays.append(rel)
        elif match:
            step_files.append((int(match[1]), match[2], entry))
        elif entry.suffix == ".vtt":
            transcripts[entry.name] = entry
        elif entry.suffix == ".md":
            problems.append(
                Problem(
                    rel,
                    None,
                    "step files are named NN-slug.md: a two-digit number, a hyphen and a "
                    "slug of a-z, 0-9 and hyphens, e.g. 02-what-is-hi.md",
                )
            )
        else:
            strays.append(rel)

    if not step_files:
        problems.append(Problem(folder_name, None, "the week has no steps: add at least one"))

    # Rule 3: numbers 1, 2, 3 … with no gap or repeat; unique slugs.
    by_number: dict[int, str] = {}
    by_slug: dict[str, str] = {}
    expected = 1
    for position, slug, path in sorted(step_files, key=lambda item: (item[0], item[2].name)):
        rel = f"{folder_name}/{path.name}"
        if path.name != step_file_name(position, slug):
            problems.append(
                Problem(
                    rel,
                    None,
                    f"write the step number with two digits: {step_file_name(position, slug)}",
                )
            )
        if len(slug) > 100:
            problems.append(Problem(rel, None, "the slug is too long: at most 100 characters"))
        if position in by_number:
            problems.append(
                Problem(
                    rel,
                    None,
                    f"step number {position:02d} is also used by {by_number[position]}",
                )
            )
            continue
        by_number[position] = path.name
        if position != expected:
            problems.append(
                Problem(
                    rel,
                    None,
                    f"step numbers run 01, 02, 03 … with no gap: expected {expected:02d} "
                    f"here, not {position:02d}",
                )
            )
        expected = position + 1
        if slug in by_slug:
            problems.append(
                Problem(rel, None, f"the slug {slug!r} is also used by {by_slug[slug]}")
            )
        by_slug.setdefault(slug, path.name)

    steps = []
    named: dict[str, str] = {}
    for position, slug, path in sorted(step_files, key=lambda item: (item[0], item[2].name)):
        rel = f"{folder_name}/{path.name}"
        text = _read_text(path, rel, problems)
        if text is None:
            continue
        draft = _read_step(text, path=rel, position=position, slug=slug)
        problems.extend(draft.problems)
        if draft.named_transcript:
            if draft.named_transcript in named:
                problems.append(
                    Problem(
                        rel,
                        draft.key_lines.get("transcript"),
                        f"transcript {draft.named_transcript} is already the transcript of "
                        f"{named[draft.named_transcript]}",
                    )
                )
            named.setdefault(draft.named_transcript, path.name)
        spec = draft.spec
        if spec is None or spec.type not in MEDIA_TYPES:
            if spec is not None:
                steps.append(spec)
            continue
        # Rules 5 and 6: the media file and the transcript exist; the transcript is valid.
        if (
            spec.media
            and not spec.media_is_url
            and not _media_problem(spec.media)
            and spec.media not in media_paths
        ):
            problems.append(
                Problem(
                    rel,
                    draft.key_lines.get("media"),
                    f"media file {spec.media} does not exist in the package",
                )
            )
        transcript = None
        name = spec.transcript_name
        if name and not _transcript_name_problem(name):
            if name not in transcripts:
                problems.append(
                    Problem(
                        rel,
                        draft.key_lines.get("transcript"),
                        f"transcript file {name} does not exist in {folder_name}/",
                    )
                )
            else:
                transcript_rel = f"{folder_name}/{name}"
                transcript_text = _read_text(transcripts[name], transcript_rel, problems)
                if transcript_text is not None:
                    transcript, transcript_problems = parse_transcript(
                        transcript_text, path=transcript_rel, warnings=warnings
                    )
                    problems.extend(transcript_problems)
        steps.append(replace(spec, transcript=transcript))

    # Rule 10: nothing else in a week folder.
    for name in sorted(set(transcripts) - set(named)):
        problems.append(
            Problem(
                f"{folder_name}/{name}",
                None,
                "no step names this transcript: add 'transcript: "
                f"{name}' to a video or audio step, or remove the file",
            )
        )
    for rel in strays:
        problems.append(
            Problem(
                rel,
                None,
                "not a step or a transcript: a week folder holds only NN-slug.md step "
                "files and the .vtt transcripts they name",
            )
        )
    return tuple(steps)


def _week_count(course: CourseSpec | None) -> int | None:
    """How many week folders course.yaml asks for, or None when it does not say.

    When weeks is missing, empty or not a list, the week folders are still read but not
    counted against it: one problem in course.yaml, rather than one for every folder.
    """
    return len(course.weeks) if course is not None and course.weeks else None


def read_package(
    root: Path, *, warnings: list[Problem] | None = None
) -> tuple[PackageSpec | None, list[Problem]]:
    """Read and check a package folder against every rule of the format.

    Returns the spec and no problems, or None and every problem found, in the order
    of the files: course.yaml, media/, then the weeks in order. What does not stop the
    package being valid (a transcript that browsers read by recovering from it) is
    appended to `warnings` when given, in the same order, whether or not it is valid.
    """
    root = Path(root)
    if not root.is_dir():
        return None, [Problem(str(root), None, "not a folder: a package is a folder")]
    problems: list[Problem] = []
    course = None
    course_file = root / "course.yaml"
    if not course_file.is_file():
        problems.append(Problem("course.yaml", None, "course.yaml is missing"))
    elif (text := _read_text(course_file, "course.yaml", problems)) is not None:
        course, course_problems = _read_course(text)
        problems.extend(course_problems)

    media = _read_media(root, problems)
    media_paths = {item.path for item in media}
    week_count = _week_count(course)
    steps_by_week = {
        number: _read_week(root, number, media_paths, problems, warnings)
        for number in _week_folders(root, week_count, problems)
    }
    if problems or course is None:
        return None, problems
    weeks = tuple(replace(week, steps=steps_by_week.get(week.number, ())) for week in course.weeks)
    return PackageSpec(course=replace(course, weeks=weeks), media=media), []


# --- Specs from the database ----------------------------------------------------------------


def step_spec_from_model(step: Step) -> StepSpec:
    """The spec of a step as stored.

    Expects `cues`, `questions__options` prefetched and `media_file`, `peer_review`
    selected, or costs a few queries.
    """
    transcript = None
    if step.transcript_name:
        transcript = TranscriptSpec(
            cues=tuple(
                CueSpec(start_ms=cue.start_ms, end_ms=cue.end_ms, text=cue.text)
                for cue in step.cues.all()
            ),
            source=step.transcript_source,
        )
    peer_review = None
    if step.type == StepType.PEER_REVIEW:
        settings = getattr(step, "peer_review", None)
        peer_review = PeerReviewSpec(
            min_words=settings.min_words if settings else 0,
            reviews_required=settings.reviews_required if settings else 1,
            rubric=tuple(settings.rubric) if settings else (),
        )
    return StepSpec(
        position=step.position,
        slug=step.slug,
        title=step.title,
        type=step.type,
        activity=step.activity,
        body=step.body,
        # media_file is set whenever media_file_id is.
        media=cast(MediaFile, step.media_file).path if step.media_file_id else step.media_url,
        transcript_name=step.transcript_name,
        attempts=step.attempts,
        questions=tuple(
            QuestionSpec(
                prompt=question.prompt,
                choose=question.choose,
                explanation=question.explanation,
                options=tuple(
                    OptionSpec(text=option.text, correct=option.correct, feedback=option.feedback)
                    for option in question.options.all()
                ),
            )
            for question in step.questions.all()
        ),
        peer_review=peer_review,
        transcript=transcript,
        source=step.package_source,
    )


def steps_for_specs(course: Course):
    """The course's steps with everything `step_spec_from_model` reads, in a few queries."""
    return (
        Step.objects.filter(week__course=course)
        .select_related("week", "media_file", "peer_review")
        .prefetch_related("cues", "questions__options")
        .order_by("week__number", "position")
    )


def course_spec_from_models(course: Course) -> CourseSpec:
    """The spec of a course as stored, with its weeks and steps."""
    steps_by_week: dict[int, list[StepSpec]] = {}
    for step in steps_for_specs(course):
        steps_by_week.setdefault(step.week.number, []).append(step_spec_from_model(step))
    return CourseSpec(
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        language=course.language,
        hours_per_week=course.hours_per_week,
        outcomes=tuple(course.outcomes),
        organisations=tuple(
            OrganisationSpec(name=link.organisation.name, url=link.organisation.url)
            for link in course.courseorganisation_set.select_related("organisation")
        ),
        team=tuple(
            TeamMemberSpec(name=member.name, role=member.role, bio=member.bio)
            # Only the package's own: members added on this site are not the author's.
            for member in course.team.filter(from_package=True).order_by("position")
        ),
        weeks=tuple(
            WeekSpec(
                number=week.number,
                title=week.title,
                steps=tuple(steps_by_week.get(week.number, ())),
            )
            for week in course.weeks.order_by("number")
        ),
        certificate=CertificateSpec(
            steps_completed_percent=course.certificate_steps_completed_percent,
            tests_score_percent=course.certificate_tests_score_percent,
            participation_percent=course.certificate_participation_percent,
            achievement=course.certificate_achievement,
        ),
        source=course.package_source,
    )


# --- Rendering --------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Indents a list under its key ("  - name: x"), as people write it by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,  # one line a value: no folding of long titles and summaries
    )


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out keys whose value is absent: None, "" or an empty list."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def render_course_yaml(course: CourseSpec) -> str:
    """Canonical course.yaml text: keys in the document's order, defaults left out."""
    certificate = _without_empty(
        {
            "steps_completed_percent": course.certificate.steps_completed_percent,
            "tests_score_percent": course.certificate.tests_score_percent,
            "participation_percent": course.certificate.participation_percent,
            # Written only when false: offering a Certificate of Achievement goes without saying.
            "achievement": None if course.certificate.achievement else False,
        }
    )
    data = {
        "format": FORMAT_VERSION,
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "language": None if course.language == DEFAULT_LANGUAGE else course.language,
        "hours_per_week": course.hours_per_week,
        "outcomes": list(course.outcomes),
        "organisations": [
            _without_empty({"name": o.name, "url": o.url}) for o in course.organisations
        ],
        "team": [
            _without_empty({"name": m.name, "role": m.role, "bio": m.bio}) for m in course.team
        ],
        "weeks": [{"title": week.title} for week in course.weeks],
        "certificate": certificate,
    }
    # organisations and weeks are required, so they are written even when empty.
    return _dump_yaml(
        {
            k: v
            for k, v in data.items()
            if k in {"organisations", "weeks"} or v not in (None, [], {})
        }
    )


def render_step_file(step: StepSpec) -> str:
    """Canonical step file text: front matter in the document's key order, then the body."""
    data: dict[str, Any] = {
        "title": step.title,
        "type": step.type,
        "activity": step.activity,
    }
    if step.type in MEDIA_TYPES:
        data["media"] = step.media
        data["transcript"] = step.transcript_name
    if step.type == StepType.TEST:
        data["attempts"] = step.attempts
    if step.type in QUESTION_TYPES:
        data["questions"] = [
            _without_empty(
                {
                    "prompt": question.prompt,
                    "choose": question.choose,
                    "options": [
                        _without_empty(
                            {
                                "text": option.text,
                                "correct": True if option.correct else None,
                                "feedback": option.feedback,
                            }
                        )
                        for option in question.options
                    ],
                    "explanation": question.explanation,
                }
            )
            for question in step.questions
        ]
    if step.type == StepType.POLL and step.questions:
        # The body is the question: the one prompt is not written again.
        poll = step.questions[0]
        data["choose"] = poll.choose
        data["options"] = [{"text": option.text} for option in poll.options]
    if step.type == StepType.PEER_REVIEW and step.peer_review is not None:
        data["min_words"] = step.peer_review.min_words
        data["reviews_required"] = step.peer_review.reviews_required
        data["rubric"] = list(step.peer_review.rubric)
    front_matter = _dump_yaml({k: v for k, v in data.items() if v not in (None, "")})
    return f"---\n{front_matter}---\n{step.body}"


def _cue_text(text: str) -> list[str]:
    """The lines of a cue's text, escaped for WebVTT, without empty lines."""
    return [html.escape(line, quote=False) for line in text.splitlines() if line.strip()]


def render_transcript(transcript: TranscriptSpec) -> str:
    """Canonical WebVTT text: the header, then each cue after an empty line."""
    captions = [
        webvtt.Caption(
            start=_format_ms(cue.start_ms), end=_format_ms(cue.end_ms), text=_cue_text(cue.text)
        )
        for cue in transcript.cues
    ]
    return webvtt.WebVTT(captions=captions).content


def _course_source_if_current(course: CourseSpec) -> str | None:
    if not course.source:
        return None
    stored, _ = parse_course_yaml(course.source)
    return course.source if stored == course.without_steps() else None


def _step_source_if_current(step: StepSpec, path: str) -> str | None:
    if not step.source:
        return None
    stored, _ = parse_step_file(step.source, path=path, position=step.position, slug=step.slug)
    if stored is not None and stored.without_transcript() == step.without_transcript():
        return step.source
    return None


def _transcript_source_if_current(transcript: TranscriptSpec, path: str) -> str | None:
    if not transcript.source:
        return None
    stored, _ = parse_transcript(transcript.source, path=path)
    return transcript.source if stored == transcript else None


def render_package_files(course: CourseSpec) -> dict[str, str]:
    """The text files of a course's package, by path: stored sources where still current.

    A stored source (what was imported) is written back verbatim when it still reads
    as the spec given; otherwise, e.g. after an edit in the admin, the file is rendered
    canonically. Media files are binary and copied by the caller.
    """
    files = {"course.yaml": _course_source_if_current(course) or render_course_yaml(course)}
    for week in course.weeks:
        for step in week.steps:
            path = f"week-{week.number}/{step.file_name}"
            files[path] = _step_source_if_current(step, path) or render_step_file(step)
            if step.transcript is not None and step.transcript_name:
                path = f"week-{week.number}/{step.transcript_name}"
                files[path] = _transcript_source_if_current(
                    step.transcript, path
                ) or render_transcript(step.transcript)
    return files
