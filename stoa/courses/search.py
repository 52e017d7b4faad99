"""Search across a course: every paragraph of its transcripts and every step's title and text.

One interface, two engines. SearchEntry rows (stoa.courses.models) hold the text, written here
by index_steps in the package import's transaction; find() runs one query.

- SQLite: the FTS5 table courses_searchentry_fts indexes SearchEntry.text through triggers
  (migration 0012), tokenized "porter unicode61 remove_diacritics 2": English stems, accents
  ignored. Ranked by bm25, matches marked by snippet().
- PostgreSQL: SearchEntry.vector, filled here, with a GIN index, in the text search
  configuration stoa_search (english, with unaccent first when the server has it: Debian's
  postgresql package does). Ranked by ts_rank, matches marked by ts_headline.

What people type never reaches either engine's syntax: parse_query keeps words (runs of
letters and digits) and phrases (words in double quotes), and each becomes a quoted FTS5
phrase or a parameter of phraseto_tsquery. Results are the first RESULT_LIMIT by rank, in one
query whatever the size of the course.
"""

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils.html import strip_tags
from django.utils.safestring import SafeString

from stoa.courses.models import Course, SearchEntry, Step
from stoa.lib import webvtt
from stoa.lib.markdown import render_step_markdown

RESULT_LIMIT = 50
# Longer queries are refused by the page (400); more terms than this are dropped.
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
# The engines mark matches with these; stored text never holds them (see _clean).
_START, _STOP = "\x02", "\x03"
_ELLIPSIS = "…"
_CONFIG = "stoa_search"  # PostgreSQL text search configuration, migration 0012
# PostgreSQL's parser reads "<word" as the start of an HTML tag (and skips what follows
# "<script>"), but entries are plain text: it gets a stand-in for "<", which _marked puts back.
_LT = "\x01"
VECTOR = f"to_tsvector('{_CONFIG}', replace(text, '<', chr(1)))"  # also migration 0012's

_TERM = re.compile(r'"([^"]*)"?|([^"]+)')
_WORD = re.compile(r"\w+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_query(text: str) -> list[str]:
    """The terms of a query: each a word, or the words of a phrase in double quotes (an
    unclosed quote runs to the end), joined by spaces. Everything else is dropped, so what
    remains is plain words whatever was typed. Every term must match."""
    terms: list[str] = []
    for phrase, loose in _TERM.findall(text[:MAX_QUERY_CHARS]):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                terms.append(" ".join(words))
        else:
            terms.extend(_WORD.findall(loose))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def entries_of(*, title: str, body: str, transcript_source: str) -> list[tuple[int | None, str]]:
    """What search indexes of one step, as (start_ms, text): its title and body as plain text
    (start_ms None), then each paragraph of its transcript as the step page shows it, so
    that every start is one of the page's #t-<start_ms> anchors. Used by migration 0012."""
    text = strip_tags(render_step_markdown(body)) if body else ""
    entries: list[tuple[int | None, str]] = [(None, _clean(f"{title}\n{html.unescape(text)}"))]
    if transcript_source:
        for paragraph in webvtt.transcript_paragraphs(transcript_source):
            said = f"{paragraph.speaker}: {paragraph.text}" if paragraph.speaker else paragraph.text
            entries.append((paragraph.start_ms, _clean(said)))
    return entries


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def index_steps(*, course: Course, steps: Iterable[Step]) -> None:
    """Replaces the entries of these steps of the course (each with .week set) with what they
    say now. Call it in the transaction that changes them; deleted steps take their entries
    with them."""
    steps = list(steps)
    if not steps:
        return
    step_ids = [step.pk for step in steps]
    SearchEntry.objects.filter(step_id__in=step_ids).delete()
    SearchEntry.objects.bulk_create(
        [
            SearchEntry(
                course=course,
                step=step,
                week_number=step.week.number,
                start_ms=start_ms,
                text=text,
            )
            for step in steps
            for start_ms, text in entries_of(
                title=step.title, body=step.body, transcript_source=step.transcript_source
            )
        ],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE courses_searchentry SET vector = {VECTOR} WHERE step_id = ANY(%s)",
                [step_ids],
            )


def index_course(*, course: Course) -> None:
    """Indexes every step of the course again: for a course imported before search existed,
    and for tests and benchmarks that build steps without an import."""
    steps = Step.objects.filter(week__course=course).select_related("week")
    SearchEntry.objects.filter(course=course).delete()
    index_steps(course=course, steps=steps)


@dataclass(frozen=True)
class Hit:
    step_id: int
    start_ms: int | None  # None: found in the step's title or text
    snippet: SafeString  # the words around the match, escaped, the match in <mark>


def find(*, course: Course, terms: Sequence[str], open_weeks: int) -> list[Hit]:
    """The best RESULT_LIMIT entries of the course's first `open_weeks` weeks that hold every
    term (parse_query's), best first. One query."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        rows = _find_postgresql(course.pk, terms, open_weeks)
    else:
        rows = _find_sqlite(course.pk, terms, open_weeks)
    return [Hit(step_id, start_ms, _marked(snippet)) for step_id, start_ms, snippet in rows]


def _find_sqlite(course_id: int, terms: Sequence[str], open_weeks: int) -> list[tuple]:
    # Terms hold only words and spaces (parse_query), so each quoted is an FTS5 phrase.
    match = " ".join(f'"{term}"' for term in terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.step_id, e.start_ms,"
            " snippet(courses_searchentry_fts, 0, %s, %s, %s, 24)"
            " FROM courses_searchentry_fts"
            " JOIN courses_searchentry e ON e.id = courses_searchentry_fts.rowid"
            " WHERE courses_searchentry_fts MATCH %s AND e.course_id = %s AND e.week_number <= %s"
            " ORDER BY bm25(courses_searchentry_fts), e.id LIMIT %s",
            [_START, _STOP, _ELLIPSIS, match, course_id, open_weeks, RESULT_LIMIT],
        )
        return cursor.fetchall()


def _find_postgresql(course_id: int, terms: Sequence[str], open_weeks: int) -> list[tuple]:
    query = " && ".join([f"phraseto_tsquery('{_CONFIG}', %s)"] * len(terms))
    options = (
        f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=15, ShortWord=2,"
        f" MaxFragments=1, FragmentDelimiter={_ELLIPSIS}"
    )
    # The headline, the costly part, is made for the best rows only.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q AS (SELECT {query} AS query)"
            " SELECT best.step_id, best.start_ms,"
            f" ts_headline('{_CONFIG}', replace(best.text, '<', chr(1)), q.query, %s)"
            " FROM (SELECT e.id, e.step_id, e.start_ms, e.text, ts_rank(e.vector, q.query) AS rank"
            "  FROM courses_searchentry e, q"
            "  WHERE e.vector @@ q.query AND e.course_id = %s AND e.week_number <= %s"
            "  ORDER BY rank DESC, e.id LIMIT %s) best, q"
            " ORDER BY best.rank DESC, best.id",
            [*terms, options, course_id, open_weeks, RESULT_LIMIT],
        )
        return cursor.fetchall()


def _marked(snippet: str) -> SafeString:
    """The engine's snippet as HTML: the text escaped, the matches in <mark>."""
    parts = []
    for piece in re.split(f"({_START}|{_STOP})", snippet):
        if piece == _START:
            parts.append("<mark>")
        elif piece == _STOP:
            parts.append("</mark>")
        else:
            parts.append(html.escape(piece.replace(_LT, "<"), quote=False))
    return SafeString("".join(parts))
