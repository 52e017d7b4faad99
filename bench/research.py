"""Research data at scale, on one database: importing another platform's datasets into a run
and exporting the run again.

    python -m bench.research --database sqlite
    scripts/with-services python -m bench.research --database postgresql

Generates, in a fresh database, a course of three weeks of ten steps (a quiz of five questions
in week 1) with two runs, and for each run a set of the reference platform's CSV files as its
own exports write them: enrolments, step activity (every learner visits every step and
completes most) and question responses (every learner answers the quiz's five questions). The
big set has 100,000 learners, 3,000,000 step-activity rows and 500,000 question responses; the
small one a tenth of each. Then `stoa data import` loads each set into its run and
`stoa data export` writes the run out again, each a process of its own, measured for wall
time, CPU time and peak resident memory (bench.run._measure_command).

Bars: every command succeeds; the export gives back every imported row; and the peak memory of
the big import and export is at most MEMORY_RATIO_MAX times the small one's (memory flat as
the data grows: the files are streamed, never held). Rows per second are reported, not barred:
they depend on the machine.

Results go to bench/data/research-<database>.json and the report to
bench/reports/research.md.
"""

import argparse
import csv
import datetime
import json
import random
import sys
import time
import uuid
from pathlib import Path

from bench.run import BENCH, VENV_BIN, _measure_command, use_environment, verdict, write_sections

BIG = {"learners": 100_000}
SMALL = {"learners": 10_000}
TRY = {"learners": 2_000}  # --small: the whole harness in a minute or two
WEEKS, STEPS_PER_WEEK, QUESTIONS = 3, 10, 5
QUIZ_STEP = (1, 5)
MEMORY_RATIO_MAX = 1.5
SEED = 20261203
SLUG = "research-at-scale"
STARTS = datetime.datetime(2025, 9, 1, 9, 0, tzinfo=datetime.UTC)


def write_package(root: Path) -> None:
    """The course as a package (docs/course-format.md): articles, and the quiz in week 1."""
    root.mkdir(parents=True)
    weeks = "\n".join(f"  - title: Week {number} of the study" for number in range(1, WEEKS + 1))
    (root / "course.yaml").write_text(
        f"format: 1\nslug: {SLUG}\ntitle: Research data at scale\n"
        "summary: A course generated to measure importing and exporting research data.\n"
        "language: en\norganisations:\n  - name: University of Westmere\n"
        "team:\n  - name: Dr Julian Marsh\n    role: lead-educator\n"
        f"weeks:\n{weeks}\n"
    )
    for week in range(1, WEEKS + 1):
        folder = root / f"week-{week}"
        folder.mkdir()
        for position in range(1, STEPS_PER_WEEK + 1):
            if (week, position) == QUIZ_STEP:
                questions = "".join(
                    f"  - prompt: Question {n} of the quiz?\n    choose: many\n    options:\n"
                    "      - text: The first answer\n        correct: true\n"
                    "      - text: The second answer\n"
                    "      - text: The third answer\n        correct: true\n"
                    for n in range(1, QUESTIONS + 1)
                )
                text = f"---\ntitle: Quiz of week {week}\ntype: quiz\nquestions:\n{questions}---\n"
            else:
                text = (
                    f"---\ntitle: Step {week}.{position}\ntype: article\n---\n\n"
                    f"What step {week}.{position} teaches, in a paragraph.\n"
                )
            (folder / f"{position:02d}-step-{position}.md").write_text(text)


def _time(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def write_datasets(directory: Path, learners: int, seed: int) -> dict[str, int]:
    """The reference platform's files for a run of `learners`, streamed to disk; rows per file."""
    from stoa.insights.research.schema import DATASETS, file_name

    directory.mkdir(parents=True)
    rng = random.Random(seed)
    counts = dict.fromkeys(("enrolments", "step-activity", "question-response"), 0)
    files = {name: (directory / file_name(SLUG, name)).open("w", newline="") for name in counts}
    writers = {name: csv.writer(out, lineterminator="\n") for name, out in files.items()}
    try:
        for name, writer in writers.items():
            writer.writerow(DATASETS[name])
        for _ in range(learners):
            learner = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            joined = STARTS + datetime.timedelta(seconds=rng.randrange(14 * 86400))
            left = joined + datetime.timedelta(days=20) if rng.random() < 0.1 else None
            writers["enrolments"].writerow(
                [learner, _time(joined), _time(left) if left else "", "learner", "", "",
                 "female", "GB", "26-35", "university_degree", "working_full_time",
                 "teaching_and_education", "GB"]
            )  # fmt: skip
            counts["enrolments"] += 1
            moment = joined
            for week in range(1, WEEKS + 1):
                for position in range(1, STEPS_PER_WEEK + 1):
                    moment += datetime.timedelta(seconds=rng.randrange(60, 3600))
                    completed = moment + datetime.timedelta(seconds=90)
                    writers["step-activity"].writerow(
                        [learner, f"{week}.{position}", week, position, _time(moment),
                         _time(completed) if rng.random() < 0.8 else ""]
                    )  # fmt: skip
                    counts["step-activity"] += 1
                    if (week, position) == QUIZ_STEP:
                        for question in range(1, QUESTIONS + 1):
                            right = rng.random() < 0.7
                            writers["question-response"].writerow(
                                [learner, f"{week}.{position}.{question}", "MultipleChoice",
                                 week, position, question, "1,3" if right else "2", "",
                                 _time(moment + datetime.timedelta(seconds=10 * question)),
                                 "true" if right else "false"]
                            )  # fmt: skip
                            counts["question-response"] += 1
    finally:
        for out in files.values():
            out.close()
    return counts


def _data_rows(directory: Path) -> dict[str, int]:
    """Rows (not lines: a text may hold a newline) of each CSV in the directory, by dataset."""
    from stoa.insights.research.schema import DATASETS

    rows = {}
    for path in sorted(directory.glob("*.csv")):
        dataset = next((name for name in DATASETS if path.name.endswith(f"_{name}.csv")), None)
        if dataset is not None:
            with path.open(newline="") as lines:
                rows[dataset] = sum(1 for _ in csv.reader(lines)) - 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--small", action="store_true", help="small data sets, for trying out")
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    if args.database is None:
        parser.error("--database is needed to measure")

    data_dir = BENCH / "data" / f"research-{args.database}"
    out = BENCH / "data" / f"research-{args.database}.json"
    out.unlink(missing_ok=True)
    env = use_environment(args.database, data_dir)
    from bench import generate as bench_generate

    bench_generate.setup_django()
    from django.core.management import call_command

    from stoa.courses.models import CourseRun
    from stoa.courses.services import import_package

    call_command("migrate", interactive=False, verbosity=0)
    write_package(data_dir / "package")
    course = import_package(root=data_dir / "package").course
    sizes = {"small": TRY if args.small else SMALL, "big": SMALL if args.small else BIG}
    results: dict = {"database": args.database, "sets": {}, "bars": {"memory": MEMORY_RATIO_MAX}}
    for offset, (name, size) in enumerate(sizes.items()):
        run = CourseRun.objects.create(course=course, starts_on=STARTS.date())
        files = data_dir / f"{name}-in"
        started = time.perf_counter()
        rows = write_datasets(files, size["learners"], SEED + offset)
        print(f"Wrote the {name} set ({rows}) in {time.perf_counter() - started:.0f} s", flush=True)
        stoa = [str(VENV_BIN / "stoa"), "data"]
        imported = _measure_command(
            [*stoa, "import", SLUG, "--run", str(run.pk), str(files)],
            env,
            data_dir / f"import-{name}",
        )
        exported_dir = data_dir / f"{name}-out"
        exported = _measure_command(
            [*stoa, "export", SLUG, "--run", str(run.pk), str(exported_dir)],
            env,
            data_dir / f"export-{name}",
        )
        results["sets"][name] = {
            "learners": size["learners"],
            "rows": rows,
            "import": imported,
            "export": exported,
            "exported_rows": _data_rows(exported_dir) if exported["returncode"] == 0 else {},
        }
        print(f"{name}: import {imported['wall_seconds']:.0f} s, "
              f"export {exported['wall_seconds']:.0f} s", flush=True)  # fmt: skip
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"Results written to {out}")
    write_report()
    print(summary(results))
    return 0 if all(ok for _, ok in checks(results)) else 1


# The report -----------------------------------------------------------------------------------

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _total(rows: dict[str, int]) -> int:
    return sum(rows.values())


def checks(results: dict) -> list[tuple[str, bool]]:
    out = []
    sets = results["sets"]
    for name, figures in sets.items():
        for command in ("import", "export"):
            out.append(
                (
                    f"{command} of the {name} set ({figures['learners']:,} learners) succeeds",
                    figures[command]["returncode"] == 0,
                )
            )
        given, back = figures["rows"], figures["exported_rows"]
        out.append(
            (
                f"the {name} set's export gives back every imported row "
                f"({sum(back.get(dataset, 0) for dataset in given):,} of {_total(given):,})",
                all(back.get(dataset) == count for dataset, count in given.items()),
            )
        )
    big, small = sets["big"], sets["small"]
    for command in ("import", "export"):
        ratio = big[command]["peak_rss_kib"] / max(small[command]["peak_rss_kib"], 1)
        out.append(
            (
                f"{command} peak memory: {big[command]['peak_rss_kib'] / 1024:.0f} MiB for "
                f"{big['learners']:,} learners, {ratio:.2f} x that for {small['learners']:,} "
                f"(bar {results['bars']['memory']} x)",
                ratio <= results["bars"]["memory"],
            )
        )
    return out


def summary(results: dict) -> str:
    lines = [f"Research data on {NAMES[results['database']]}:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks(results)]
    return "\n".join(lines)


def section(results: dict) -> str:
    lines = [
        f"## {NAMES[results['database']]}",
        "",
        f"Finished {results['finished_at']}.",
        "",
        "| set | learners | rows (enrolments, activity, responses) | command | wall time "
        "| CPU time | rows/s | peak RSS |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in results["sets"].items():
        rows = figures["rows"]
        shown = ", ".join(f"{rows[dataset]:,}" for dataset in rows)
        for command in ("import", "export"):
            run = figures[command]
            per_second = _total(rows) / run["wall_seconds"] if run["wall_seconds"] else 0
            lines.append(
                f"| {name} | {figures['learners']:,} | {shown} | {command} | "
                f"{run['wall_seconds']:.1f} s | {run['cpu_seconds']:.1f} s | "
                f"{per_second:,.0f} | {run['peak_rss_kib'] / 1024:.0f} MiB |"
            )
    lines += ["", "```", summary(results), "```", ""]
    return "\n".join(lines)


def report() -> int:
    """Writes the report from both databases' results; non-zero when one is missing or fails."""
    write_report()
    return verdict("research", "Research data", summary, checks)


def write_report() -> None:
    write_sections(
        "research",
        "# Research data: importing and exporting a run at scale\n\n"
        "Written by `python -m bench.research` (part of `make bench`); see that module for the "
        "data. Each command is a process of its own; wall time, CPU time and peak resident "
        "memory are the kernel's (GNU time where installed). Rows per second count the rows "
        "of the three files.\n\n",
        section,
    )


if __name__ == "__main__":
    sys.exit(main())
