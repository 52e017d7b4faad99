"""Search across a course at scale, on one database.

    python -m bench.search --database sqlite
    scripts/with-services python -m bench.search --database postgresql

Generates, in a fresh database, a course of 300 video steps (10 weeks of 30) with 100 minutes
of transcript each: 500 hours, a cue every 6 seconds, sentences made from lists of subjects,
verbs, objects and places (seeded, so every run makes the same course, and no line repeats in
every cue), and a small course of 3 steps of 10 minutes made the same way. Both are indexed as
the package import indexes them (stoa.courses.search.index_steps; its time is reported).

Then, in this process, each query of QUERIES on both courses as a learner with every week open
searches (stoa.courses.search.find, what the search page calls): the median time of ROUNDS
runs after one to warm up, and the queries each run makes.

Bars: each query's median under SERVER_MS_MAX on the big course, and the same number of queries
for the big course as for the small one.

Results go to bench/data/search-<database>.json and the report to bench/reports/search.md.
"""

import argparse
import json
import random
import statistics
import sys
import time

from bench.run import BENCH, use_environment, verdict, write_sections

BIG = {"weeks": 10, "steps_per_week": 30, "minutes": 100}
SMALL = {"weeks": 1, "steps_per_week": 3, "minutes": 10}
TRY = {"weeks": 2, "steps_per_week": 5, "minutes": 30}  # --small: the harness in a minute
CUE_SECONDS = 6
ROUNDS = 15
SERVER_MS_MAX = 50.0
SEED = 20261203

# What learners type: topic words, a stem of them, a phrase, words with accents dropped or
# added, several words at once, a rare word, a word in no transcript.
QUERIES = [
    "infection",
    "rates",
    '"margin of error"',
    "relative risk",
    "statisticians",
    "cafe",
    "naïve",
    "lantern",
    "median wait night shift",
    '"the poll lead" autumn',
    "penguin",
]

SUBJECTS = [
    "The nurse", "Our team", "A patient", "The ward manager", "Every reporter", "The statistician",
    "A careful reader", "The editor", "My colleague", "The pharmacist", "Each volunteer",
    "The headline", "A surgeon", "The council", "The survey", "A journalist", "The researcher",
    "Her supervisor", "The trial", "A teacher", "The newsroom", "The doctor on call",
    "A student", "The midwife", "The analyst", "Our reader in Porto", "The committee",
    "A physiotherapist", "The fact-checker", "The hospital board",
]  # fmt: skip
VERBS = [
    "measured", "compared", "reported", "counted", "tested", "explained", "questioned",
    "charted", "doubled", "halved", "estimated", "overstated", "rounded", "sampled", "weighed",
    "plotted", "published", "checked", "predicted", "summarised", "ignored", "corrected",
    "described", "revised", "recorded", "adjusted", "averaged", "ranked", "surveyed", "traced",
]  # fmt: skip
OBJECTS = [
    "the infection rate", "the median wait", "a relative risk", "the sample size",
    "the margin of error", "the poll lead", "the absolute risk", "the denominator",
    "the baseline", "a run chart", "the unemployment figure", "the mortality rate",
    "the response rate", "a percentage change", "the confidence interval", "the mean income",
    "the crime statistics", "the vaccine uptake", "the readmission rate", "the waiting list",
    "the survey weights", "a naïve average", "the birth rate", "the test results",
    "the turnout", "the price index", "the growth rate", "the error bars", "the scatter plot",
    "the pie chart", "the trend line", "the outliers", "the control group", "the placebo arm",
    "the false positives", "the hazard ratio", "the bed occupancy", "the rainfall totals",
    "the house prices", "the exam results",
]  # fmt: skip
PLACES = [
    "before the night shift", "in the second week", "at the café by the station",
    "for the whole region", "after the autumn election", "on the medical ward",
    "in last year's report", "across three hospitals", "during the winter peak",
    "in the local paper", "on the evening news", "for the under-fives", "in every district",
    "at the morning handover", "since the policy changed", "in the rural practices",
    "over ten years", "in the pilot study", "for the smaller towns", "at the weekly meeting",
    "in the élite schools", "by the end of term", "in the clinic's records", "on the front page",
    "in the follow-up survey", "for the first time", "in the spring data", "at the coroner's court",
    "in the national census", "with the new method",
]  # fmt: skip


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.001:
        return "Somebody left a lantern on the trolley, which nobody had measured."
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}."


def transcript(rng: random.Random, minutes: int) -> str:
    lines = ["WEBVTT", ""]
    for n in range(minutes * 60 // CUE_SECONDS):
        start, end = n * CUE_SECONDS * 1000, (n + 1) * CUE_SECONDS * 1000
        lines += [f"{_stamp(start)} --> {_stamp(end)}", sentence(rng), ""]
    return "\n".join(lines)


def _stamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def make_course(slug: str, size: dict, rng: random.Random):
    """The course's rows, as the package import leaves them, and its search index, timed."""
    from django.db import transaction

    from stoa.courses import search
    from stoa.courses.models import Course, CourseRun, Step, StepType, Week

    course = Course.objects.create(
        slug=slug, title=f"Search at scale ({slug})", summary="Generated for bench.search.",
        week_count=size["weeks"], step_count=size["weeks"] * size["steps_per_week"],
    )  # fmt: skip
    CourseRun.objects.create(course=course, starts_on=datetime_today())
    steps = []
    for number in range(1, size["weeks"] + 1):
        week = Week.objects.create(course=course, number=number, title=f"Week {number}")
        for position in range(1, size["steps_per_week"] + 1):
            steps.append(
                Step(
                    week=week,
                    position=position,
                    slug=f"video-{position}",
                    title=f"Lecture {number}.{position}: {rng.choice(OBJECTS)}",
                    type=StepType.VIDEO,
                    body=f"In this lecture: {sentence(rng)} {sentence(rng)}",
                    media_url="https://media.example.org/lecture.webm",
                    transcript_name=f"{position:02d}-video-{position}.vtt",
                    transcript_source=transcript(rng, size["minutes"]),
                )
            )
    Step.objects.bulk_create(steps, batch_size=50)
    started = time.perf_counter()
    with transaction.atomic():
        search.index_steps(
            course=course, steps=Step.objects.filter(week__course=course).select_related("week")
        )
    seconds = time.perf_counter() - started
    from stoa.courses.models import SearchEntry

    return course, {
        "steps": len(steps),
        "hours": len(steps) * size["minutes"] / 60,
        "entries": SearchEntry.objects.filter(course=course).count(),
        "index_seconds": seconds,
    }


def datetime_today():
    from django.utils import timezone

    return timezone.localdate()


def measure(course) -> dict:
    """Each query's median time in find() over ROUNDS runs, its queries and its results."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stoa.courses import search
    from stoa.courses.models import ALL_WEEKS

    figures = {}
    for text in QUERIES:
        terms = search.parse_query(text)
        search.find(course=course, terms=terms, open_weeks=ALL_WEEKS)  # warm up
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            hits = search.find(course=course, terms=terms, open_weeks=ALL_WEEKS)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            search.find(course=course, terms=terms, open_weeks=ALL_WEEKS)
        figures[text] = {
            "median_ms": statistics.median(times),
            "max_ms": max(times),
            "results": len(hits),
            "queries": len(queries),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--small", action="store_true", help="a small course, for trying out")
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    if args.database is None:
        parser.error("--database is needed to measure")

    data_dir = BENCH / "data" / f"search-{args.database}"
    out = BENCH / "data" / f"search-{args.database}.json"
    out.unlink(missing_ok=True)
    use_environment(args.database, data_dir)
    from bench import generate as bench_generate

    bench_generate.setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(SEED)
    results: dict = {"database": args.database, "bars": {"server_ms": SERVER_MS_MAX}, "courses": {}}
    for name, size in (("small", SMALL), ("big", TRY if args.small else BIG)):
        started = time.perf_counter()
        course, facts = make_course(f"search-{name}", size, rng)
        print(f"{name}: {facts} in {time.perf_counter() - started:.0f} s", flush=True)
        if args.database == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would, after the bulk load
        results["courses"][name] = {**facts, "queries": measure(course)}
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out.write_text(json.dumps(results, indent=2))
    print(f"Results written to {out}")
    write_report()
    print(summary(results))
    return 0 if all(ok for _, ok in checks(results)) else 1


# The report -----------------------------------------------------------------------------------

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def checks(results: dict) -> list[tuple[str, bool]]:
    big, small = results["courses"]["big"], results["courses"]["small"]
    bar = results["bars"]["server_ms"]
    out = []
    for text, figures in big["queries"].items():
        out.append(
            (
                f"{text}: {figures['median_ms']:.1f} ms median over {big['hours']:,.0f} hours "
                f"of transcripts (bar {bar:.0f} ms)",
                figures["median_ms"] < bar,
            )
        )
    counts = {text: figures["queries"] for text, figures in big["queries"].items()}
    small_counts = {text: figures["queries"] for text, figures in small["queries"].items()}
    out.append(
        (
            f"queries per search: {sorted(set(counts.values()))} for the big course, "
            f"{sorted(set(small_counts.values()))} for the small one",
            counts == small_counts,
        )
    )
    return out


def summary(results: dict) -> str:
    lines = [f"Search on {NAMES[results['database']]}:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks(results)]
    return "\n".join(lines)


def section(results: dict) -> str:
    lines = [f"## {NAMES[results['database']]}", "", f"Finished {results['finished_at']}.", ""]
    lines += [
        "| course | steps | hours of transcript | entries | indexing |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, course in results["courses"].items():
        lines.append(
            f"| {name} | {course['steps']:,} | {course['hours']:,.1f} | {course['entries']:,} | "
            f"{course['index_seconds']:.1f} s |"
        )
    lines += [
        "",
        "| query | big: median | big: slowest | big: results | small: median "
        "| queries (big, small) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    big, small = results["courses"]["big"]["queries"], results["courses"]["small"]["queries"]
    for text, figures in big.items():
        lines.append(
            f"| `{text}` | {figures['median_ms']:.1f} ms | {figures['max_ms']:.1f} ms | "
            f"{figures['results']} | {small[text]['median_ms']:.1f} ms | "
            f"{figures['queries']}, {small[text]['queries']} |"
        )
    lines += ["", "```", summary(results), "```", ""]
    return "\n".join(lines)


def report() -> int:
    """Writes the report from both databases' results; non-zero when one is missing or fails."""
    write_report()
    return verdict("search", "Search", summary, checks)


def write_report() -> None:
    write_sections(
        "search",
        "# Search across a course: 500 hours of transcripts\n\n"
        "Written by `python -m bench.search` (part of `make bench`); see that module for the "
        "data. Times are server time in-process: `stoa.courses.search.find`, the one query the "
        "search page makes, from parsing the query to the marked snippets, as a learner with "
        "every week open; the median of "
        f"{ROUNDS} runs after one to warm up. Results are at most "
        "50 (stoa.courses.search.RESULT_LIMIT). `rates` is the hard case: six of the forty "
        "objects the sentences are made from are rates, so it matches about a third of all "
        "paragraphs, and every match is ranked before the best 50 are kept.\n\n",
        section,
    )


if __name__ == "__main__":
    sys.exit(main())
