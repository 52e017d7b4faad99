"""Search across a course (stoa.courses.search): the index the import keeps, and the query, on
whichever database the suite runs (SQLite FTS5 here, PostgreSQL full-text search in CI)."""

from pathlib import Path

import pytest

from stoa.courses import search
from stoa.courses.models import ALL_WEEKS, Course, SearchEntry, Step
from stoa.courses.services import import_package

pytestmark = pytest.mark.django_db

WELCOME_VTT = """WEBVTT

00:00:04.000 --> 00:00:19.500
Hello, and welcome to the café at the end of the ward.

00:00:50.000 --> 00:01:05.000
The infection rate fell once the checklist lived on the trolley.

00:01:40.000 --> 00:01:55.000
Rates, rates and rates again: a rate is a count over a time.

00:02:30.000 --> 00:02:45.000
Nurses on the night shift changed the handover first.
"""

PDSA_VTT = """WEBVTT

00:00:00.000 --> 00:00:42.000
We started with one patient on one shift, not the whole ward.

00:01:12.000 --> 00:01:30.000
Night shift handover was where the checklist began.
"""


@pytest.fixture
def course_package(package: Path) -> Path:
    """The example package with transcripts written for these tests."""
    (package / "week-1" / "01-welcome.vtt").write_text(WELCOME_VTT)
    (package / "week-2" / "01-pdsa.vtt").write_text(PDSA_VTT)
    why = package / "week-1" / "02-why-improvement.md"
    why.write_text(why.read_text() + "\nNever paste `<script>` & tallysheet code.\n")
    return package


@pytest.fixture
def imported(course_package: Path) -> Course:
    return import_package(root=course_package).course


def found(course: Course, query: str, *, open_weeks: int = ALL_WEEKS) -> list[search.Hit]:
    return search.find(course=course, terms=search.parse_query(query), open_weeks=open_weeks)


def step_at(course: Course, week: int, position: int) -> Step:
    return Step.objects.get(week__course=course, week__number=week, position=position)


def test_the_import_indexes_each_paragraph_of_a_transcript_at_its_start(imported):
    welcome = step_at(imported, 1, 1)
    starts = list(
        SearchEntry.objects.filter(step=welcome, start_ms__isnull=False)
        .order_by("start_ms")
        .values_list("start_ms", flat=True)
    )
    assert starts == [4000, 50000, 100000, 150000]


def test_a_word_in_a_transcript_is_found_with_its_step_time_and_marked_words(imported):
    hits = found(imported, "trolley")
    assert [(hit.step_id, hit.start_ms) for hit in hits] == [(step_at(imported, 1, 1).pk, 50000)]
    assert "<mark>trolley</mark>" in hits[0].snippet


def test_a_step_title_and_body_are_found_as_the_step_itself(imported):
    hits = found(imported, "unwarranted variation")
    why = step_at(imported, 1, 2)
    assert [(hit.step_id, hit.start_ms) for hit in hits] == [(why.pk, None)]
    # Markdown is indexed as text: the bold marks are not part of the words.
    assert "<mark>unwarranted</mark> <mark>variation</mark>" in hits[0].snippet
    assert "**" not in hits[0].snippet


def test_more_mentions_rank_higher(imported):
    hits = found(imported, "rate")
    assert [hit.start_ms for hit in hits] == [100000, 50000]


def test_english_stems_match_rates_finds_rate_and_nursing_finds_nurses(imported):
    assert {hit.start_ms for hit in found(imported, "rates")} == {100000, 50000}
    assert {hit.start_ms for hit in found(imported, "nursing")} == {150000}


def test_accents_are_ignored_both_ways(imported):
    assert [hit.start_ms for hit in found(imported, "cafe")] == [4000]
    assert [hit.start_ms for hit in found(imported, "wárd")] != []


def test_a_phrase_in_quotes_must_appear_in_that_order(imported):
    assert {hit.start_ms for hit in found(imported, "night shift")} == {150000, 72000}
    assert {hit.start_ms for hit in found(imported, '"shift handover"')} == {72000}
    assert found(imported, '"handover shift"') == []


def test_every_word_must_match(imported):
    assert [hit.start_ms for hit in found(imported, "checklist trolley")] == [50000]
    assert found(imported, "checklist penguin") == []


@pytest.mark.parametrize(
    "query",
    [
        'trolley"',
        '"trolley',
        "trolley*",
        "^trolley",
        "trolley -",
        "trolley)(",
        "trolley:",
        "trolley\x00",
        "trolley & | ! <-> :*",
        "trolley'); --",
    ],
)
def test_search_syntax_in_what_people_type_is_only_words(imported, query):
    assert [hit.start_ms for hit in found(imported, query)] == [50000]


@pytest.mark.parametrize(
    "query", ["NEAR(trolley checklist)", "text:trolley", "trolley AND ward", "trolley -ward"]
)
def test_the_engines_operators_are_words_to_find_like_any_other(imported, query):
    assert found(imported, query) == []


@pytest.mark.parametrize("query", ["", "   ", '""', "*", "()", "-:^", '"" "" ""'])
def test_a_query_without_words_has_no_terms(query):
    assert search.parse_query(query) == []


def test_parse_query_keeps_words_and_phrases_once_and_at_most_twelve_terms():
    assert search.parse_query('night "shift  handover" night "open') == [
        "night",
        "shift handover",
        "open",
    ]
    assert len(search.parse_query(" ".join(f"word{n}" for n in range(30)))) == search.MAX_TERMS


def test_the_snippet_escapes_the_text_around_the_match(imported):
    (hit,) = found(imported, "tallysheet")
    assert "&lt;script&gt; &amp; <mark>tallysheet</mark>" in hit.snippet
    assert "<script>" not in hit.snippet


def test_only_open_weeks_are_searched(imported):
    week_two = step_at(imported, 2, 1).pk
    assert week_two in {hit.step_id for hit in found(imported, "handover")}
    assert week_two not in {hit.step_id for hit in found(imported, "handover", open_weeks=1)}
    assert found(imported, "handover", open_weeks=0) == []


def test_another_course_is_not_searched(imported, course):
    search.index_course(course=course)
    assert found(course, "trolley") == []


def test_the_index_follows_a_reimport(imported, course_package):
    (course_package / "week-1" / "01-welcome.vtt").write_text(
        WELCOME_VTT.replace("trolley", "medicine cart")
    )
    import_package(root=course_package)
    assert found(imported, "trolley") == []
    assert [hit.start_ms for hit in found(imported, '"medicine cart"')] == [50000]


def test_a_step_left_out_of_a_reimport_leaves_the_index(imported, course_package):
    assert found(imported, '"improvement plan"') != []
    (course_package / "week-2" / "04-improvement-plan.md").unlink()
    import_package(root=course_package)
    assert found(imported, '"improvement plan"') == []


def test_an_unchanged_reimport_keeps_the_entries(imported, course_package):
    before = list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True))
    import_package(root=course_package)
    assert list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_results_are_limited(course):
    step = step_at(course, 1, 1)
    step.transcript_source = "WEBVTT\n\n" + "".join(
        f"00:{n // 60:02d}:{n % 60:02d}.000 --> 00:{n // 60:02d}:{n % 60:02d}.500\n"
        f"Sentence {n} about quality.\n\n"
        for n in range(0, 3600, 50)
    )
    step.save()
    search.index_course(course=course)
    assert SearchEntry.objects.filter(step=step).count() > search.RESULT_LIMIT
    assert len(found(course, "quality")) == search.RESULT_LIMIT


def test_one_query_whatever_the_query_and_none_without_words(imported, django_assert_num_queries):
    with django_assert_num_queries(1):
        found(imported, 'rate "night shift" handover')
    with django_assert_num_queries(0):
        found(imported, "***")
