"""The course team's workspace at scale, on one database.

    python -m bench.team --database sqlite
    scripts/with-services python -m bench.team --database postgresql

Generates, in a fresh database, the demo course with three runs: the big run (1,000,000
learners on PostgreSQL, 100,000 on SQLite, with ten step completions and eleven step visits
per learner on average and a comment per learner, a tenth of them waiting for the team), a
run of 1,000 learners made the same way, and a run of 100,000 learners to send an
announcement to. The rows are written by the database itself (INSERT ... SELECT over a
series), then `stoa insights recount` builds the dashboard's tallies, as it would for data
loaded from elsewhere.

Then, with production settings behind granian (two workers) as bench.run serves them:
- the dashboard, the learners list and the inbox of the big run and of the run of 1,000, as
  the course's educator: queries per request counted in-process (they must be the same for
  both runs), and server CPU time per request and latency under wrk (under 1 s of server time
  for the big run);
- an announcement to the run of 100,000 and to the run of 1,000, each sent by the task worker
  (`stoa db_worker --batch`) to a local SMTP sink (aiosmtpd): emails per second, and the
  worker's peak memory, which must not grow with the number of learners.

Results go to bench/data/team-<database>.json; bench.report adds them to the report.
"""

import argparse
import datetime
import json
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.run import (
    BENCH,
    VENV_BIN,
    WORKERS,
    Page,
    Server,
    _client_for,
    _free_port,
    _measure_command,
    _session_cookies,
    _wrk,
    use_environment,
    verdict,
    write_sections,
)
from bench.run import (
    REPO as REPO_DIR,
)

DEMO_SLUG = "numbers-in-the-news"
SMALL_RUN = 1_000
MAIL_RUN = 100_000
SCALE = {"postgresql": 1_000_000, "sqlite": 100_000}
SMALL_SCALE = 20_000  # --small, to try the harness
# The bars: a team page of the big run within this much server CPU per request, and the
# worker sending to 100,000 learners within this multiple of its peak memory for 1,000.
SERVER_SECONDS_MAX = 1.0
MAIL_MEMORY_RATIO_MAX = 1.25


@dataclass
class TeamData:
    course_slug: str
    educator_id: int
    big_run_id: int
    small_run_id: int
    mail_run_id: int
    big_learners: int
    counts: dict
    seconds: dict


def _series(vendor: str, count: int) -> tuple[str, str]:
    """(prefix, source) for `{prefix} INSERT ... SELECT ... FROM {source}` over n = 0..count-1."""
    if vendor == "postgresql":
        return "", f"generate_series(0, {count - 1}) AS s(n)"
    return (
        f"WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {count - 1})",
        "s",
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plus_seconds(vendor: str, base: str, seconds: str) -> str:
    """SQL for the timestamp `seconds` (an SQL expression) after `base` (an ISO literal)."""
    if vendor == "postgresql":
        return f"(TIMESTAMPTZ '{base}' + ({seconds}) * INTERVAL '1 second')"
    return f"strftime('%Y-%m-%d %H:%M:%f', '{base}', '+' || ({seconds}) || ' seconds')"


def _insert(cursor, vendor: str, model, count: int, values: dict[str, str]) -> None:
    """Inserts `count` rows of `model`, each column from an SQL expression of n (its row
    number) in `values`, or the field's default."""
    columns, expressions, params = [], [], []
    for model_field in model._meta.concrete_fields:
        column = model_field.column
        if column in values:
            # Parameters follow, so a literal % is written %% (both backends read it so).
            expressions.append(values[column].replace("%", "%%"))
        elif model_field.primary_key:
            continue
        else:
            default = model_field.get_default()
            expressions.append("%s")
            params.append(model_field.get_db_prep_save(default, cursor.db))
        columns.append(f'"{column}"')
    prefix, source = _series(vendor, count)
    cursor.execute(
        f'{prefix} INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(expressions)} FROM {source}",
        params,
    )


def generate(big_learners: int) -> TeamData:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from bench.generate import BENCH_PASSWORD, DEMO_PACKAGE, Laps
    from stoa.accounts.models import User
    from stoa.conversation.models import Comment, WaitingCount
    from stoa.courses.models import CourseRun, CourseTeamMember, Step, TeamRole
    from stoa.courses.services import import_package
    from stoa.insights.services import recount_tallies
    from stoa.learning.models import Enrolment, StepCompletion
    from stoa.lib.markdown import render_comment_markdown

    vendor = connection.vendor
    laps = Laps()
    seconds = laps.seconds
    lap = laps.lap

    print(f"Generating the team's data on {vendor}: a run of {big_learners:,}", flush=True)
    course = import_package(root=DEMO_PACKAGE).course
    today = timezone.localdate()
    runs = {
        name: CourseRun.objects.create(course=course, starts_on=today - datetime.timedelta(days=15))
        for name in ("big", "small", "mail")
    }
    educator = User.objects.create(
        email="educator@team.example",
        display_name="Dr Julian Marsh",
        password=make_password(BENCH_PASSWORD),
    )
    lead = course.team.get(role=TeamRole.LEAD_EDUCATOR)
    CourseTeamMember.objects.filter(pk=lead.pk).update(user=educator)
    steps = list(
        Step.objects.filter(week__course=course)
        .order_by("week__number", "position")
        .values_list("pk", flat=True)
    )
    password = make_password(BENCH_PASSWORD)
    started = datetime.datetime.combine(
        runs["big"].starts_on, datetime.time(8), tzinfo=datetime.UTC
    ) - datetime.timedelta(days=10)
    base = started.strftime("%Y-%m-%d %H:%M:%S+00:00")
    # Joiners arrive over the 10 days before the start and the 15 since.
    span = 25 * 86_400
    sizes = {"big": big_learners, "small": SMALL_RUN, "mail": MAIL_RUN}
    first_user = educator.pk + 1
    counts: dict[str, int] = {}
    body = "Where does this *number* come from? I could not find the source."
    body_html = render_comment_markdown(body)
    with connection.cursor() as cursor:
        for name, size in sizes.items():
            run = runs[name]
            with transaction.atomic():
                _insert(cursor, vendor, User, size, {
                    "id": f"{first_user} + n",
                    "email": f"'{name}' || n || '@team.example'",
                    "display_name": "'Learner ' || n",
                    "password": f"'{password}'",
                    "date_joined": f"'{base}'",
                })  # fmt: skip
                _insert(cursor, vendor, Enrolment, size, {
                    "user_id": f"{first_user} + n",
                    "run_id": str(run.pk),
                    "course_id": str(course.pk),
                    "joined_at": _plus_seconds(vendor, base, f"(n * {span // size or 1}) % {span}"),
                    "last_activity_at": _plus_seconds(vendor, base, f"{span} - (n % 86400)"),
                    # 4 to 16 steps completed (10 on average); one more step visited.
                    "completed_count": "4 + (n % 13)",
                })  # fmt: skip
            lap(f"{name} run: {size:,} learners")
            if name == "mail":
                first_user += size
                continue
            enrolments = (
                'SELECT id, completed_count, joined_at FROM "learning_enrolment" '
                f"WHERE run_id = {run.pk}"
            )
            for index, step_id in enumerate(steps):
                with transaction.atomic():
                    cursor.execute(
                        'INSERT INTO "learning_stepcompletion" '
                        "(enrolment_id, step_id, completed_at) "
                        f"SELECT id, {step_id}, joined_at FROM ({enrolments}) e "
                        f"WHERE completed_count > {index}"
                    )
                    cursor.execute(
                        'INSERT INTO "learning_stepvisit" '
                        "(enrolment_id, step_id, first_visited_at, last_visited_at) "
                        f"SELECT id, {step_id}, joined_at, joined_at FROM ({enrolments}) e "
                        f"WHERE completed_count >= {index}"
                    )
            counts[f"{name}_completions"] = StepCompletion.objects.filter(
                enrolment__run=run
            ).count()
            lap(f"{name} run: {counts[f'{name}_completions']:,} completions and the visits")
            # A comment per learner, spread over the steps; a tenth wait for the team, half of
            # those asking a question.
            posted = f"{10 * 86400} + (n * {15 * 86400 // size or 1}) % {15 * 86400}"
            with transaction.atomic():
                step_case = " ".join(
                    f"WHEN {index} THEN {step_id}" for index, step_id in enumerate(steps)
                )
                _insert(cursor, vendor, Comment, size, {
                    "run_id": str(run.pk),
                    "step_id": f"CASE n % {len(steps)} {step_case} END",
                    "author_id": f"{first_user} + n",
                    "body": _literal(body),
                    "body_html": _literal(body_html),
                    "created_at": _plus_seconds(vendor, base, posted),
                    "like_count": "n % 7",
                    "waiting": "(n % 10 = 0)",
                    "is_question": "(n % 20 = 0)",
                })  # fmt: skip
            with transaction.atomic():
                WaitingCount.objects.bulk_create(
                    WaitingCount(run=run, step_id=row["step"], count=row["waiting"])
                    for row in Comment.objects.filter(run=run, waiting=True)
                    .values("step")
                    .annotate(waiting=Count("id"))
                    .order_by()
                )
            counts[f"{name}_comments"] = size
            lap(f"{name} run: {size:,} comments")
            first_user += size
        for name, size in sizes.items():
            CourseRun.objects.filter(pk=runs[name].pk).update(learner_count=size)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    for name in ("big", "small"):
        recount_tallies(runs[name])
        lap(f"{name} run: stoa insights recount")
    return TeamData(
        course_slug=course.slug,
        educator_id=educator.pk,
        big_run_id=runs["big"].pk,
        small_run_id=runs["small"].pk,
        mail_run_id=runs["mail"].pk,
        big_learners=big_learners,
        counts=counts,
        seconds=seconds,
    )


# Measuring ------------------------------------------------------------------------------------


def _pages(data: TeamData, cookie_file: str) -> list[Page]:
    slug = data.course_slug
    pages = []
    for run_name, run_id, size in (
        ("big", data.big_run_id, data.big_learners),
        ("small", data.small_run_id, SMALL_RUN),
    ):
        for key, title, path in (
            ("dashboard", "Dashboard", f"/teach/{slug}/?run={run_id}"),
            ("learners", "Learners", f"/teach/{slug}/learners/?run={run_id}"),
            ("inbox", "Inbox", f"/teach/{slug}/inbox/?run={run_id}"),
        ):
            pages.append(
                Page(
                    f"{key}-{run_name}",
                    f"{title}, {size:,} learners",
                    path,
                    cookie_file,
                    data.educator_id,
                )
            )
    return pages


def _queries(page: Page) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(page.viewer_id)
    client.get(page.path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path)
    if response.status_code != 200:
        raise SystemExit(f"{page.path} answered {response.status_code} in-process")
    return len(captured)


def _announce(data: TeamData, run_id: int) -> int:
    from stoa.accounts.models import User
    from stoa.conversation.announcements.services import create_announcement
    from stoa.courses.models import Course, CourseRun

    announcement = create_announcement(
        by=User.objects.get(pk=data.educator_id),
        course=Course.objects.get(slug=data.course_slug),
        run=CourseRun.objects.get(pk=run_id),
        subject="Week 3 is open",
        body="The final week is open: **well done** for getting this far.",
        send_at=None,
    )
    return announcement.pk


def _send(data: TeamData, run_id: int, env: dict, data_dir) -> dict:
    """Queues an announcement to the run and runs the task worker until the queue is empty,
    sending to the SMTP sink; measured as bench.run measures commands."""
    from stoa.conversation.models import Announcement

    announcement_id = _announce(data, run_id)
    run = _measure_command(
        [str(VENV_BIN / "stoa"), "db_worker", "--batch", "--no-startup-delay"],
        env,
        data_dir / f"worker-{run_id}",
    )
    announcement = Announcement.objects.get(pk=announcement_id)
    run["recipients"] = announcement.recipients
    run["delivered"] = announcement.delivered
    run["finished"] = announcement.finished_at is not None
    run["emails_per_second"] = announcement.delivered / run["wall_seconds"]
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--small", action="store_true", help="a small data set, for trying out")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    if args.database is None:
        parser.error("--database is needed to measure")

    data_dir = BENCH / "data" / f"team-{args.database}"
    out = BENCH / "data" / f"team-{args.database}.json"
    out.unlink(missing_ok=True)
    env = use_environment(args.database, data_dir)
    from bench import generate as bench_generate

    bench_generate.setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    data = generate(SMALL_SCALE if args.small else SCALE[args.database])
    call_command("collectstatic", interactive=False, verbosity=0)

    cookie_file = data_dir / "cookies-educator.txt"
    cookie, _ = _session_cookies([data.educator_id], with_csrf=False)[0]
    cookie_file.write_text(f"{cookie}\n")
    pages = _pages(data, str(cookie_file))
    results: dict = {
        "database": args.database,
        "data": data.__dict__,
        "queries": {page.key: _queries(page) for page in pages},
        "pages": {},
        "bars": {
            "server_seconds_max": SERVER_SECONDS_MAX,
            "mail_memory_ratio_max": MAIL_MEMORY_RATIO_MAX,
        },
    }
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    with Server(port, env, data_dir) as server:
        for page in pages:
            _wrk(origin, page, seconds=2)
            server.wait_until_idle()
            results["pages"][page.key] = {"title": page.title, "path": page.path, "rounds": []}
        for _ in range(args.rounds):
            for page in pages:
                with server.measure(page.key) as measured:
                    run = _wrk(origin, page, seconds=args.seconds)
                results["pages"][page.key]["rounds"].append({**run, **measured})
                server.wait_until_idle()

    sink_port = _free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{sink_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        cwd=REPO_DIR,
    )
    try:
        time.sleep(1)
        mail_env = {
            **env,
            "STOA_EMAIL_HOST": "127.0.0.1",
            "STOA_EMAIL_PORT": str(sink_port),
            "STOA_EMAIL_USE_TLS": "0",
        }
        results["mail"] = {
            "small": _send(data, data.small_run_id, mail_env, data_dir),
            "big": _send(data, data.mail_run_id, mail_env, data_dir),
        }
    finally:
        sink.terminate()
        sink.wait()
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"Results written to {out}")
    write_report()
    print(summary(results))
    return 0 if all(ok for _, ok in checks(results)) else 1


# The report -----------------------------------------------------------------------------------

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PAGE_KINDS = [("dashboard", "Dashboard"), ("learners", "Learners list"), ("inbox", "Inbox")]


def _page_figures(page: dict) -> dict:
    import statistics

    rounds = page["rounds"]
    requests = sum(run["requests"] for run in rounds)
    failed = sum(
        run["client_errors"] + run["server_errors"] + run["socket_errors"] + run["timeouts"]
        for run in rounds
    )
    return {
        "requests": requests,
        "failed": failed,
        "cpu_ms": statistics.median(
            1000 * run["cpu_seconds"] / run["requests"] if run["requests"] else float("inf")
            for run in rounds
        ),
        "rps": statistics.median(run["rps"] for run in rounds),
        "p50_ms": statistics.median(run["p50_us"] for run in rounds) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in rounds) / 1000,
        # The workers were never idle under load, so each request had at most this much of
        # a worker's time, waits on the database included.
        "worker_ms": statistics.median(
            1000 * WORKERS * run["duration_us"] / 1e6 / run["requests"]
            if run["requests"]
            else float("inf")
            for run in rounds
        ),
    }


def checks(results: dict) -> list[tuple[str, bool]]:
    out = []
    queries = results["queries"]
    learners = results["data"]["big_learners"]
    for kind, name in PAGE_KINDS:
        big, small = queries[f"{kind}-big"], queries[f"{kind}-small"]
        out.append(
            (
                f"{name}: {big} queries for {learners:,} learners, {small} for {SMALL_RUN:,}",
                big == small,
            )
        )
        figures = _page_figures(results["pages"][f"{kind}-big"])
        out.append(
            (
                f"{name} of {learners:,} learners: {figures['cpu_ms']:.1f} ms of server CPU and "
                f"at most {figures['worker_ms']:.0f} ms of a worker's time per request (bar "
                f"{SERVER_SECONDS_MAX * 1000:.0f} ms), {figures['failed']} failed",
                figures["worker_ms"] < SERVER_SECONDS_MAX * 1000 and not figures["failed"],
            )
        )
    mail = results["mail"]
    big, small = mail["big"], mail["small"]
    ratio = big["peak_rss_kib"] / small["peak_rss_kib"] if small["peak_rss_kib"] else float("inf")
    out.append(
        (
            f"Announcement to {big['recipients']:,} learners: {big['delivered']:,} delivered, "
            f"{big['emails_per_second']:.0f} emails/s, worker peak memory {ratio:.2f} x that "
            f"for {small['recipients']:,} (bar {MAIL_MEMORY_RATIO_MAX})",
            big["finished"]
            and big["delivered"] == big["recipients"]
            and small["delivered"] == small["recipients"]
            and ratio <= MAIL_MEMORY_RATIO_MAX,
        )
    )
    return out


def summary(results: dict) -> str:
    lines = [f"The team's workspace on {NAMES[results['database']]}:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks(results)]
    return "\n".join(lines)


def section(results: dict) -> str:
    data = results["data"]
    lines = [
        f"## {NAMES[results['database']]}",
        "",
        f"Generated: a run of {data['big_learners']:,} learners with "
        f"{data['counts'].get('big_completions', 0):,} step completions and "
        f"{data['counts'].get('big_comments', 0):,} comments; a run of {SMALL_RUN:,} made alike; "
        f"a run of {MAIL_RUN:,} for the announcement. Finished {results['finished_at']}.",
        "",
        "Seconds spent generating: "
        + ", ".join(f"{name} {value}" for name, value in data["seconds"].items())
        + ".",
        "",
        "| page | learners | queries | server CPU per request | worker time per request "
        "| req/s | p50 | p99 | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, name in PAGE_KINDS:
        for run_name, size in (("big", data["big_learners"]), ("small", SMALL_RUN)):
            key = f"{kind}-{run_name}"
            figures = _page_figures(results["pages"][key])
            lines.append(
                f"| {name} | {size:,} | {results['queries'][key]} | {figures['cpu_ms']:.1f} ms | "
                f"{figures['worker_ms']:.0f} ms | "
                f"{figures['rps']:.1f} | {figures['p50_ms']:.0f} ms | {figures['p99_ms']:.0f} ms | "
                f"{figures['failed']} |"
            )
    lines += [
        "",
        "| announcement | recipients | delivered | wall time | CPU time | emails/s "
        "| worker peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, run in (("small", results["mail"]["small"]), ("big", results["mail"]["big"])):
        lines.append(
            f"| {label} | {run['recipients']:,} | {run['delivered']:,} | "
            f"{run['wall_seconds']:.1f} s | {run['cpu_seconds']:.1f} s | "
            f"{run['emails_per_second']:.0f} | "
            f"{run['peak_rss_kib'] / 1024:.1f} MiB |"
        )
    lines += ["", "```", summary(results), "```", ""]
    return "\n".join(lines)


def report() -> int:
    """Writes the report from both databases' results; non-zero when one is missing or fails."""
    write_report()
    return verdict("team", "The team's workspace", summary, checks)


def write_report() -> None:
    write_sections(
        "team",
        "# The course team's workspace at scale\n\n"
        "Written by `python -m bench.team` (part of `make bench`); see that module for the "
        "data and the load: wrk with 16 connections against 2 granian workers, so p50 and p99 "
        "include waiting for a worker. Per request, server CPU is the workers' CPU time and "
        "worker time is their busy time (waits on the database included); each is the median "
        "over the rounds. Queries are counted in-process on the same database.\n\n",
        section,
    )


if __name__ == "__main__":
    sys.exit(main())
