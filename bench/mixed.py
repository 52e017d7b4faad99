"""A course in its first week: a mixed load of page views and writes, on one database.

    python -m bench.mixed --database sqlite
    scripts/with-services python -m bench.mixed --database postgresql
    python -m bench.mixed --report

The data, in a fresh database: the demo course with one run that started 3 days ago (week 1
open, the only week the load touches) and 100,000 learners enrolled (10,000 with --small),
written by the database itself as bench.team writes its runs. The learners the load sends
have joined and done nothing yet; the others have three days of history: each visited one to
four of week 1's steps and completed all but the last of them, and one in four posted a
comment on a week-1 step (half of them on the discussion step). `stoa insights recount` builds
the tallies from those rows, as it would for data loaded from elsewhere.

The load: 1,000 learners for 60 s (--small: 100 for 10 s), each a keep-alive connection of
wrk, with production settings behind granian run as `stoa serve` runs it (two workers, as the
machine has 2 cores, each of 4 threads, where granian's default would be 256, and a backlog of
8,192, where granian's 1,024 leaves connections unaccepted: see the bars below). The
learners are split between five kinds of request, each kind its own wrk process (all started
together), so that each kind gets its own latency percentiles:

- step pages of week 1 as a signed-in learner (500 of 1,000): each learner opens a step, then
  comes back to it (as after marking it complete, whose redirect lands there), then the next
  step. The first opening records a visit (a write); the return writes nothing;
- step pages of week 1 as a visitor (200);
- marking a step complete (120): each learner the article, video and discussion steps in
  turn, each once, so every request stores a first completion;
- answering the week-1 quiz (80): each learner its questions in turn, rightly and at the first
  try, so every request stores a first answer and the third completes the step;
- posting a comment (100): each learner on the discussion step, then on the other steps with a
  conversation, each post a new comment (as bench.run posts); learners are many enough that
  none comes near the limit of 10 comments a minute.

A learner's actions are a round of all the kind's learners apart, so no learner has two
requests in flight. About half the requests write: the writes (POST) and the first openings
of learners' pages, counted from the rows stored; the report gives the shares.

Each learner thinks before every request: uniformly between 5 and 15 s (10 s on average; 1 s
with --small, for the same rate from 100 learners), so 1,000 learners offer about 100 requests
a second. Think time is what makes them 1,000 concurrent learners rather than 1,000 requests
always in flight: wrk without it sends a connection's next request the moment the last answer
arrives, and 1,000 requests in flight on 2 cores that serve a few hundred a second wait about
1,000 / (requests a second) seconds each (Little's law), which no p99 bar below that can pass
and which is not what 1,000 people reading a course do. `--think 0` runs that saturated load
anyway, to find the ceiling. Latency is wrk's, from sending a request to its answer, the think
time excluded.

The bars (from the issue): no 5xx; no socket errors or timeouts (wrk's --timeout is 10 s); no
"database is locked" in the server's log; and p99 under 1 s for every kind of request. And two
that keep the others honest: every answer as expected (a 200 for a page, a 302 to where a
stored write goes), so that no refusal passes for a fast answer; and no request taken by the
server 10 s or more after it was sent, from the server's access log (each request carries the
second it was sent), because wrk counts only the answers it gets: a connection that granian
leaves unaccepted (each worker takes at most backlog / workers connections, and the kernel
deals connections to the workers by hash) waits, unanswered and uncounted, until the load
ends.

Production settings log no errors anywhere (Django's console handler needs DEBUG, its email
handler needs ADMINS), so the server is given a granian logging configuration
(GRANIAN_LOG_CONFIG) whose root handler writes errors, tracebacks included, to its log,
bench/data/mixed-<database>/granian.log, beside its access log (each request's time in the
application, and when it was taken). On PostgreSQL, the server's database sessions
are sampled from pg_stat_activity every 100 ms during the load: which statements wait for a
lock, and after which statements transactions sit open while Python works, so that a slow
kind of request points at the write that holds it up.

Results go to bench/data/mixed-<database>.json; --report writes bench/reports/mixed.md from
both databases' results and fails when a bar is missed.
"""

import argparse
import contextlib
import copy
import datetime
import json
import math
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.run import (
    BENCH,
    Page,
    Server,
    _comment_fields,
    _comment_post_path,
    _database_description,
    _free_port,
    _machine,
    _run_wrk,
    _session_cookies,
    _software,
    _wrk,
    use_environment,
    verdict,
    write_sections,
)

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LEARNERS = {"full": 100_000, "small": 10_000}
# (concurrent learners, seconds, think time in seconds): about 100 requests a second either way.
LOAD = {"full": (1_000, 60, 10.0), "small": (100, 10, 1.0)}
THREADS = 2  # per wrk process
WRK_TIMEOUT_S = 10
P99_MAX_MS = 1_000


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    share: int  # learners of every 1,000
    method: str = "POST"


KINDS = (
    Kind("view", "Step page, learner (a first visit, then a return)", 500, "GET"),
    Kind("visitor", "Step page, visitor", 200, "GET"),
    Kind("complete", "Mark a step complete", 120),
    Kind("answer", "Answer a quiz question", 80),
    Kind("comment", "Post a comment", 100),
)
TITLES = {kind.key: kind.title for kind in KINDS}
HISTORY_COMMENT = "Where does this *number* come from? I could not find the source."
# Each request's method, path, status and time in the application; then the second mixed.lua
# sent it and when the application took it (as "2026-12-02 10:00:00 +0000").
ACCESS_FORMAT = (
    "access %(method)s %(path)s %(status)d %(dt_ms).1f %(header{x-bench-sent})s %(time)s"
)
ROUTES = (  # the server's access log, by what each request did
    ("complete", re.compile(r"^POST /courses/[^/]+/steps/[\d.]+/complete/$")),
    ("answer", re.compile(r"^POST /courses/[^/]+/steps/[\d.]+/questions/\d+/answer/$")),
    ("comment", re.compile(r"^POST /courses/[^/]+/steps/[\d.]+/comments/new/$")),
    ("step page", re.compile(r"^GET /courses/[^/]+/steps/[\d.]+/$")),
)


def _connections(kind: Kind, learners: int) -> int:
    """The kind's share of the learners, in whole learners per wrk thread."""
    return max(THREADS, round(kind.share * learners / 1000 / THREADS) * THREADS)


def _pool(connections: int, actions: int, seconds: int, think: float, per_minute: int = 0) -> int:
    """Learners for a kind: a quarter more than its connections could send in the time at no
    latency, spread over its actions, so that they take the last actions too but none an action
    twice; at least one per connection, so that no learner has two requests in flight; and
    for an action limited to `per_minute`, twice as many as keep each learner within it."""
    rate = connections / max(think, 0.5)
    learners = max(connections, math.ceil(1.25 * rate * seconds / actions))
    if per_minute:
        learners = max(learners, math.ceil(2 * rate * 60 / per_minute))
    return math.ceil(learners / THREADS) * THREADS


def _lua_pattern(literal: str) -> str:
    return re.sub(r"([\^$()%.\[\]*+\-?])", r"%\1", literal)


# The data ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The course, the run and what each kind of request does, as wrk will send it."""

    slug: str
    run_id: int
    first_id: int  # the first learner's user id
    learners: int
    actions: dict[str, list[tuple[str, str, str]]]  # kind: (method, path, fields), in order
    expected: dict[str, str]  # kind: the Lua pattern a stored write's redirect matches
    connections: dict[str, int]
    pools: dict[str, tuple[int, int]]  # kind: (first user id, count); visitors have none
    history_first_id: int
    counts: dict[str, int]
    seconds: dict[str, float]


def _actions(course) -> tuple[dict, dict, list]:
    """Each kind's actions on week 1, and the patterns of where its stored writes redirect."""
    from stoa.conversation.rules import has_conversation
    from stoa.courses.models import Option, Step, StepType
    from stoa.learning.views import SELF_COMPLETED_TYPES

    steps = list(
        Step.objects.filter(week__course=course, week__number=1)
        .select_related("week")
        .order_by("position")
    )
    paths = {step.pk: step.get_absolute_url() for step in steps}
    quiz = next(step for step in steps if step.type == StepType.QUIZ)
    right: dict[int, list[str]] = {}
    for question, position in (
        Option.objects.filter(question__step=quiz, correct=True)
        .order_by("question__position", "position")
        .values_list("question__position", "position")
    ):
        right.setdefault(question, []).append(str(position))
    talk = sorted(
        (step for step in steps if has_conversation(step)),
        key=lambda step: (step.type != StepType.DISCUSSION, step.position),
    )
    comment_fields = _comment_fields() + "&submission_token={submission}"
    actions = {
        "view": [("GET", paths[step.pk], "") for step in steps for _ in range(2)],
        "visitor": [("GET", paths[step.pk], "") for step in steps],
        "complete": [
            ("POST", paths[step.pk] + "complete/", "")
            for step in steps
            if step.type not in SELF_COMPLETED_TYPES
        ],
        "answer": [
            (
                "POST",
                f"{paths[quiz.pk]}questions/{number}/answer/",
                urlencode({"choice": choices, "attempt": "1"}, doseq=True),
            )
            for number, choices in sorted(right.items())
        ],
        "comment": [("POST", _comment_post_path(paths[step.pk]), comment_fields) for step in talk],
    }
    steps_prefix = "^" + _lua_pattern(f"/courses/{course.slug}/steps/")
    expected = {
        "view": "",
        "visitor": "",
        "complete": steps_prefix + r"1%.%d+/$",
        "answer": "^" + _lua_pattern(paths[quiz.pk]) + r"%?question=%d+#question$",
        "comment": steps_prefix + r"1%.%d+/#comment%-%d+$",
    }
    completable = [step.pk for step in steps if step.type not in SELF_COMPLETED_TYPES]
    return actions, expected, [steps, completable, talk]


def _prepare(size: str, concurrent: int, seconds: int, think: float) -> Plan:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.generate import DEMO_PACKAGE, Laps
    from bench.team import _insert, _literal, _plus_seconds
    from stoa.accounts.models import User
    from stoa.conversation.comments.services import POSTS_PER_MINUTE
    from stoa.conversation.models import Comment
    from stoa.courses.models import CourseRun
    from stoa.courses.services import import_package
    from stoa.insights.services import recount_tallies
    from stoa.learning.models import Enrolment, StepCompletion, StepVisit
    from stoa.lib.markdown import render_comment_markdown

    learners = LEARNERS[size]
    laps = Laps()
    seconds_spent = laps.seconds
    lap = laps.lap

    print(f"Generating a course in its first week: {learners:,} learners", flush=True)
    course = import_package(root=DEMO_PACKAGE).course
    today = timezone.localdate()
    run = CourseRun.objects.create(course=course, starts_on=today - datetime.timedelta(days=3))
    actions, expected, (steps, completable, talk) = _actions(course)
    connections = {kind.key: _connections(kind, concurrent) for kind in KINDS}
    vendor = connection.vendor
    first_id = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    pools: dict[str, tuple[int, int]] = {}
    next_id = first_id
    for kind in KINDS:
        if kind.key == "visitor":
            continue
        limit = POSTS_PER_MINUTE.limit if kind.key == "comment" else 0
        count = _pool(connections[kind.key], len(actions[kind.key]), seconds, think, limit)
        pools[kind.key] = (next_id, count)
        next_id += count
    history_first = next_id
    history = learners - (history_first - first_id)
    if history < learners // 2:
        raise SystemExit(f"{learners:,} learners are too few for this load")
    # Joined over the 10 days before the start and the 3 since; the history's last activity
    # within the 3 days, the load's learners none yet.
    started = datetime.datetime.combine(run.starts_on, datetime.time(8), tzinfo=datetime.UTC)
    base = (started - datetime.timedelta(days=10)).strftime("%Y-%m-%d %H:%M:%S+00:00")
    span, since_start = 13 * 86_400, 10 * 86_400
    offset = history_first - first_id  # n of the history's first learner
    active = _plus_seconds(vendor, base, f"{since_start} + (n * 7919) % {2 * 86_400}")
    with connection.cursor() as cursor:
        with transaction.atomic():
            _insert(cursor, vendor, User, learners, {
                "id": f"{first_id} + n",
                "email": "'mixed' || n || '@bench.example'",
                "display_name": "'Learner ' || n",
                "password": "'!'",
                "date_joined": f"'{base}'",
            })  # fmt: skip
            _insert(cursor, vendor, Enrolment, learners, {
                "user_id": f"{first_id} + n",
                "run_id": str(run.pk),
                "course_id": str(course.pk),
                "joined_at": _plus_seconds(vendor, base, f"(n * {span // learners or 1}) % {span}"),
                "last_activity_at": f"CASE WHEN n >= {offset} THEN {active} END",
                # The history completed 0 to 3 steps, and visited one more.
                "completed_count": f"CASE WHEN n >= {offset} THEN n % 4 ELSE 0 END",
            })  # fmt: skip
        lap(f"{learners:,} learners")
        enrolments = (
            'SELECT id, completed_count, last_activity_at FROM "learning_enrolment" '
            f"WHERE run_id = {run.pk} AND last_activity_at IS NOT NULL"
        )
        with transaction.atomic():
            for index, step_id in enumerate(completable):
                cursor.execute(
                    'INSERT INTO "learning_stepcompletion" (enrolment_id, step_id, completed_at) '
                    f"SELECT id, {step_id}, last_activity_at FROM ({enrolments}) e "
                    f"WHERE completed_count > {index}"
                )
            for index, step in enumerate(steps):
                cursor.execute(
                    'INSERT INTO "learning_stepvisit" '
                    "(enrolment_id, step_id, first_visited_at, last_visited_at) "
                    f"SELECT id, {step.pk}, last_activity_at, last_activity_at "
                    f"FROM ({enrolments}) e WHERE completed_count >= {index}"
                )
        lap("the history's visits and completions")
        # One comment for every fourth learner of the history, half on the discussion step.
        talk_ids = [step.pk for step in talk]
        weighted = [talk_ids[0]] * (len(talk_ids) - 1) + talk_ids[1:]
        step_case = " ".join(f"WHEN {i} THEN {step_id}" for i, step_id in enumerate(weighted))
        with transaction.atomic():
            _insert(cursor, vendor, Comment, history // 4, {
                "run_id": str(run.pk),
                "step_id": f"CASE n % {len(weighted)} {step_case} END",
                "author_id": f"{history_first} + 4 * n",
                "body": _literal(HISTORY_COMMENT),
                "body_html": _literal(render_comment_markdown(HISTORY_COMMENT)),
                "created_at": _plus_seconds(vendor, base, f"{since_start} + (n * 7919) % 259200"),
                "like_count": "n % 5",
            })  # fmt: skip
        lap(f"{history // 4:,} comments")
    CourseRun.objects.filter(pk=run.pk).update(learner_count=learners)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    recount_tallies(run)
    lap("stoa insights recount")
    counts = {
        "learners": learners,
        "history_learners": history,
        "history_visits": StepVisit.objects.filter(enrolment__run=run).count(),
        "history_completions": StepCompletion.objects.filter(enrolment__run=run).count(),
        "history_comments": Comment.objects.filter(run=run).count(),
    }
    return Plan(
        slug=course.slug,
        run_id=run.pk,
        first_id=first_id,
        learners=learners,
        actions=actions,
        expected=expected,
        connections=connections,
        pools=pools,
        history_first_id=history_first,
        counts=counts,
        seconds=seconds_spent,
    )


def _write_files(plan: Plan, data_dir: Path) -> dict[str, tuple[str, str]]:
    """Each kind's sessions file ("-" for visitors) and actions file, for mixed.lua."""
    files = {}
    for kind in KINDS:
        actions_file = data_dir / f"actions-{kind.key}.txt"
        actions_file.write_text(
            "".join(
                f"{method}\t{path}\t{fields}\n" for method, path, fields in plan.actions[kind.key]
            )
        )
        sessions_file = "-"
        if kind.key in plan.pools:
            first, count = plan.pools[kind.key]
            sessions = _session_cookies(list(range(first, first + count)), with_csrf=True)
            path = data_dir / f"sessions-{kind.key}.txt"
            path.write_text("".join(f"{cookie}\t{token}\n" for cookie, token in sessions))
            sessions_file = str(path)
        files[kind.key] = (sessions_file, str(actions_file))
    return files


def _log_config(data_dir: Path) -> Path:
    """granian's own logging configuration with a root handler for errors: Django's errors
    (and Stoa's) reach the root logger, and production settings write them nowhere else."""
    from granian.log import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["errors"] = {"format": "[error] %(name)s: %(message)s"}
    config["handlers"]["errors"] = {
        "class": "logging.StreamHandler",
        "formatter": "errors",
        "level": "ERROR",
        "stream": "ext://sys.stderr",
    }
    config["root"] = {"handlers": ["errors"], "level": "ERROR"}
    path = data_dir / "granian-logging.json"
    path.write_text(json.dumps(config, indent=2))
    return path


# The load ---------------------------------------------------------------------------------------


def _wrk_mixed(
    origin: str, kind: Kind, plan: Plan, files: tuple[str, str], *, seconds: int, think: float
) -> dict:
    sessions_file, actions_file = files
    connections = plan.connections[kind.key]
    command = [
        "wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", f"{WRK_TIMEOUT_S}s", "-s", str(BENCH / "wrk" / "mixed.lua"),
        origin + plan.actions[kind.key][0][1], "--",
        sessions_file, actions_file, str(THREADS), str(connections), str(round(think * 1000)),
        origin.replace("http://", "https://"), plan.expected[kind.key], str(plan.run_id),
    ]  # fmt: skip
    return _run_wrk(command, seconds)


def _warm(origin: str, plan: Plan, server: Server, data_dir: Path) -> None:
    """A few seconds of each week-1 page, as learners of the history (whose visits change
    nothing the load counts) and as visitors, so that both workers have loaded everything."""
    cookie_file = data_dir / "cookies-warm.txt"
    warmers = list(range(plan.history_first_id, plan.history_first_id + 50))
    cookie_file.write_text("".join(f"{c}\n" for c, _ in _session_cookies(warmers, with_csrf=True)))
    for _, path, _ in plan.actions["visitor"]:
        _wrk(origin, Page("warm", "Warm-up", path, str(cookie_file), None), seconds=1)
        _wrk(origin, Page("warm", "Warm-up", path, "-", None), seconds=1)
    server.wait_until_idle()


def _stored(plan: Plan) -> dict[str, int]:
    """What the load's learners stored: first visits, completions, answers, comments."""
    from stoa.assessments.models import Answer
    from stoa.conversation.models import Comment
    from stoa.learning.models import StepCompletion, StepVisit

    def users(key: str) -> dict:
        first, count = plan.pools[key]
        return {"gte": first, "lt": first + count}

    view, complete, answer = users("view"), users("complete"), users("answer")
    return {
        "visits": StepVisit.objects.filter(
            enrolment__run_id=plan.run_id,
            enrolment__user_id__gte=view["gte"],
            enrolment__user_id__lt=view["lt"],
        ).count(),
        "completions": StepCompletion.objects.filter(
            enrolment__run_id=plan.run_id,
            enrolment__user_id__gte=complete["gte"],
            enrolment__user_id__lt=complete["lt"],
        ).count(),
        # Quiz steps completed by their third right answer are among the answerers' rows.
        "quiz_completions": StepCompletion.objects.filter(
            enrolment__run_id=plan.run_id,
            enrolment__user_id__gte=answer["gte"],
            enrolment__user_id__lt=answer["lt"],
        ).count(),
        "answers": Answer.objects.filter(
            run_id=plan.run_id, user_id__gte=answer["gte"], user_id__lt=answer["lt"]
        ).count(),
        "comments": Comment.objects.filter(
            run_id=plan.run_id, submission_token__startswith="mixed-"
        ).count(),
    }


class ActivitySampler:
    """On PostgreSQL, what the server's database sessions are doing during the load, read
    from pg_stat_activity every 100 ms: how many wait for a lock, and on which statement, and
    how many sit idle in a transaction (holding its locks while Python works) after which
    statement. Statements are grouped with their numbers and strings left out."""

    def __init__(self) -> None:
        self.samples = 0
        self.counts: dict[tuple[str, str, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "ActivitySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(0.1):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT state, coalesce(wait_event_type, ''), query FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND state IN ('active', 'idle in transaction')"
                    )
                    rows = cursor.fetchall()
                self.samples += 1
                for state, waiting, query in rows:
                    key = (state, waiting, _statement(query))
                    self.counts[key] = self.counts.get(key, 0) + 1
        finally:
            connection.close()

    def as_json(self) -> dict:
        top = sorted(self.counts.items(), key=lambda item: -item[1])
        return {
            "samples": self.samples,
            "sessions": [
                {"state": state, "wait": waiting, "statement": statement, "count": count}
                for (state, waiting, statement), count in top[:15]
            ],
        }


def _statement(sql: str) -> str:
    """The statement without its values; a SELECT from its FROM on."""
    sql = re.sub(r"'(?:[^']|'')*'", "'?'", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\s+", " ", sql).strip()
    if sql.startswith("SELECT ") and " FROM " in sql:
        sql = "SELECT ... " + sql[sql.index(" FROM ") + 1 :]
    return sql[:160]


def _server_log(path: Path, skip: int = 0) -> dict:
    """Lines of the server's log that say "database is locked", and its error records: how
    many, and the first few with the request they were for and their last line; and each
    route's time in the application, from the access log. The first `skip` lines (the
    warm-up's) are left out."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()[skip:]
    records: list[list[str]] = []
    for line in lines:
        if line.startswith("[error] "):
            records.append([line])
        elif records and not line.startswith("["):
            records[-1].append(line)
    samples = []
    for record in records[:20]:
        last = next((line for line in reversed(record) if line.strip()), record[0])
        samples.append({"first": record[0][:300], "last": last[:300]})
    return {
        "locked_lines": sum("database is locked" in line for line in lines),
        "error_records": len(records),
        "samples": samples,
        "lines": skip + len(lines),
        "routes": _app_times(lines),
    }


def _app_times(lines: list[str]) -> dict[str, dict]:
    """Each route's requests in the access log, and their time in the application."""
    times: dict[str, list[float]] = {}
    waits: dict[str, list[int]] = {}
    slowest: dict[str, tuple[float, str]] = {}
    for line in lines:
        if not line.startswith("access "):
            continue
        _, method, path, _status, ms, sent, taken = line.split(maxsplit=6)
        request = f"{method} {path}"
        route = next((name for name, pattern in ROUTES if pattern.match(request)), "other")
        times.setdefault(route, []).append(float(ms))
        if float(ms) > slowest.get(route, (0.0, ""))[0]:
            slowest[route] = (float(ms), request)
        if sent.isdigit():  # a request of the load, not of the warm-up
            at = datetime.datetime.strptime(taken, "%Y-%m-%d %H:%M:%S %z").timestamp()
            waits.setdefault(route, []).append(int(at) - int(sent))
    out = {}
    for route, values in times.items():
        values.sort()
        out[route] = {
            "requests": len(values),
            "p50_ms": values[len(values) // 2],
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))],
            "max_ms": values[-1],
            "slowest": slowest[route][1],
            # Whole seconds from sending to the application taking it (each side rounds down).
            "most_wait_s": max(waits.get(route, [0])),
            "waited_2s": sum(wait >= 2 for wait in waits.get(route, [])),
            "waited_timeout": sum(wait >= WRK_TIMEOUT_S for wait in waits.get(route, [])),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--small", action="store_true", help="10,000 learners, 100 for 10 s")
    parser.add_argument("--learners", type=int, help="concurrent learners (wrk connections)")
    parser.add_argument("--seconds", type=int, help="length of the load")
    parser.add_argument("--think", type=float, help="mean think time in seconds (0: none)")
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    if args.database is None:
        parser.error("--database is needed to measure")
    size = "small" if args.small else "full"
    concurrent, seconds, think = LOAD[size]
    concurrent = args.learners or concurrent
    seconds = args.seconds or seconds
    think = think if args.think is None else args.think

    data_dir = BENCH / "data" / f"mixed-{args.database}"
    out = BENCH / "data" / f"mixed-{args.database}.json"
    out.unlink(missing_ok=True)
    env = use_environment(args.database, data_dir)
    env["GRANIAN_LOG_CONFIG"] = str(_log_config(data_dir))
    from stoa.serve import BACKLOG as SERVE_BACKLOG
    from stoa.serve import THREADS as SERVE_THREADS

    # Each request's time in the application, from a worker thread taking it to its answer, as
    # against wrk's, which adds the wait for a thread.
    env["GRANIAN_LOG_ACCESS_ENABLED"] = "true"
    env["GRANIAN_LOG_ACCESS_FMT"] = ACCESS_FORMAT
    from bench import generate

    generate.setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    plan = _prepare(size, concurrent, seconds, think)
    files = _write_files(plan, data_dir)
    results: dict = {
        "database": args.database,
        "description": _database_description(),
        "machine": _machine(),
        "software": _software(),
        "data": {
            "course": plan.slug,
            "run_id": plan.run_id,
            "counts": plan.counts,
            "seconds": plan.seconds,
        },
        "load": {
            "learners": sum(plan.connections.values()),
            "seconds": seconds,
            "think_seconds": think,
            "threads_per_kind": THREADS,
            "server": f"granian --interface wsgi --workers 2 --blocking-threads {SERVE_THREADS} "
            f"--backlog {SERVE_BACKLOG}",
        },
        "kinds": {},
    }
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    with Server(port, env, data_dir, workers=2) as server:
        _warm(origin, plan, server, data_dir)
        log_before = _server_log(server.log_path)
        print(
            f"The mixed load: {sum(plan.connections.values()):,} learners for {seconds} s, "
            f"thinking {think:g} s on average",
            flush=True,
        )
        sampler = ActivitySampler() if args.database == "postgresql" else contextlib.nullcontext()
        with (
            server.measure("mixed") as measured,
            sampler,
            ThreadPoolExecutor(len(KINDS)) as pool,
        ):
            wall = time.perf_counter()
            futures = {
                kind.key: pool.submit(
                    _wrk_mixed, origin, kind, plan, files[kind.key], seconds=seconds, think=think
                )
                for kind in KINDS
            }
            runs = {key: future.result() for key, future in futures.items()}
            wall = time.perf_counter() - wall
        server.wait_until_idle()
        results["server"] = {
            **measured,
            "wall_seconds": wall,
            "memory": server.memory.peaks.get("mixed", {}),
        }
    if isinstance(sampler, ActivitySampler):
        results["activity"] = sampler.as_json()
    log = _server_log(server.log_path, skip=log_before["lines"])
    log["warm_up_locked_lines"] = log_before["locked_lines"]
    log["warm_up_error_records"] = log_before["error_records"]
    results["log"] = log
    for kind in KINDS:
        pool_size = plan.pools.get(kind.key, (0, 0))[1]
        results["kinds"][kind.key] = {
            "title": kind.title,
            "method": kind.method,
            "connections": plan.connections[kind.key],
            "learners": pool_size,
            "actions": [path for _, path, _ in plan.actions[kind.key]],
            **runs[kind.key],
        }
    results["stored"] = _stored(plan)
    results["cpus"] = os.cpu_count()
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"Results written to {out}")
    write_report()
    print(summary(results))
    return 0 if all(ok for _, ok in checks(results)) else 1


# The report -------------------------------------------------------------------------------------


def totals(results: dict) -> dict:
    kinds = results["kinds"]
    requests = sum(kind["requests"] for kind in kinds.values())
    posts = sum(kind["requests"] for kind in kinds.values() if kind["method"] == "POST")
    # The first openings of the learners' pages are the visits they stored (they had none).
    visits = min(results["stored"]["visits"], kinds["view"]["requests"])
    seconds = max(kind["duration_us"] for kind in kinds.values()) / 1e6
    return {
        "requests": requests,
        "rps": requests / seconds if seconds else 0.0,
        "posts": posts,
        "visits": visits,
        "writes": posts + visits,
        "write_share": (posts + visits) / requests if requests else 0.0,
        "post_share": posts / requests if requests else 0.0,
        "server_errors": sum(kind["server_errors"] for kind in kinds.values()),
        "socket_errors": sum(kind["socket_errors"] + kind["timeouts"] for kind in kinds.values()),
        "cpu_ms": 1000 * results["server"]["cpu_seconds"] / requests if requests else 0.0,
    }


def _unexpected(kind: dict) -> int:
    """Answers that are not what the request is for: a page that is not a 200, a write that is
    not a 302 to where a stored write goes, and a learner sent again."""
    if kind["method"] == "GET":
        return kind["requests"] - kind["ok"] + kind["replays"]
    return kind["requests"] - kind["to_expected"] + kind["replays"]


def checks(results: dict) -> list[tuple[str, bool]]:
    figures = totals(results)
    log = results["log"]
    locked = log["locked_lines"] + log.get("warm_up_locked_lines", 0)
    out = []
    for kind in results["kinds"].values():
        p99 = kind["p99_us"] / 1000
        out.append(
            (
                f"{kind['title']}: p99 {p99:,.0f} ms (bar {P99_MAX_MS:,} ms), "
                f"p50 {kind['p50_us'] / 1000:,.0f} ms, {kind['requests']:,} requests",
                p99 < P99_MAX_MS and kind["requests"] > 0,
            )
        )
    out.append((f"no 5xx ({figures['server_errors']})", figures["server_errors"] == 0))
    out.append(
        (
            f"no socket errors or timeouts ({figures['socket_errors']})",
            figures["socket_errors"] == 0,
        )
    )
    out.append(
        (
            f'no "database is locked" in the server\'s log ({locked} lines; '
            f"{log['error_records']} errors logged during the load)",
            locked == 0,
        )
    )
    # A request the server takes only after wrk's timeout never reaches wrk's figures at all
    # when its connection waits unaccepted until the load ends (granian's workers each take so
    # many connections, and the kernel deals them out to the workers by hash).
    routes = log.get("routes", {}).values()
    late = sum(route.get("waited_timeout", 0) for route in routes)
    longest = max((route.get("most_wait_s", 0) for route in routes), default=0)
    out.append(
        (
            f"no request waits {WRK_TIMEOUT_S} s or more for the server to take it ({late}; "
            f"the longest waited {longest} s)",
            late == 0,
        )
    )
    unexpected = {key: _unexpected(kind) for key, kind in results["kinds"].items()}
    out.append(
        (
            "every answer as expected ("
            + ", ".join(f"{key} {count} not" for key, count in unexpected.items())
            + ")",
            not any(unexpected.values()),
        )
    )
    return out


def summary(results: dict) -> str:
    figures = totals(results)
    load = results["load"]
    lines = [
        f"The mixed load on {NAMES[results['database']]}: {load['learners']:,} learners for "
        f"{load['seconds']} s (thinking {load['think_seconds']:g} s on average), "
        f"{figures['requests']:,} requests, {figures['rps']:.1f} req/s, "
        f"{figures['write_share']:.0%} writes ({figures['post_share']:.0%} POSTs and "
        f"{figures['visits']:,} visits recorded), {results['cpus']} CPUs, finished "
        f"{results['finished_at']}:"
    ]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks(results)]
    return "\n".join(lines)


def section(results: dict) -> str:
    figures = totals(results)
    data, load, log = results["data"], results["load"], results["log"]
    counts = data["counts"]
    stored = results["stored"]
    machine, software, database = results["machine"], results["software"], results["description"]
    lines = [
        f"## {NAMES[results['database']]}",
        "",
        f"{database['version']}; cache {database['cache']}, sessions in {database['sessions']}. "
        f"{machine['cores']} CPUs ({machine['usable_cores']} usable), {machine['cpu']}; "
        f"Python {software['python']}, Django {software['django']}, {software['granian']}, "
        f"{software['wrk']}. Load average before {machine['load_average']}, after "
        f"{results['load_average_after']}. Finished {results['finished_at']}.",
        "",
        f"Data: {counts['learners']:,} learners in a run that started 3 days ago; "
        f"{counts['history_learners']:,} of them with a history of "
        f"{counts['history_visits']:,} visits, {counts['history_completions']:,} completions "
        f"and {counts['history_comments']:,} comments. Seconds spent generating: "
        + ", ".join(f"{name} {value}" for name, value in data["seconds"].items())
        + ".",
        "",
        f"Server: `{load['server']}`. "
        f"Load: {load['learners']:,} learners for {load['seconds']} s, each thinking "
        f"{load['think_seconds']:g} s on average between requests; {figures['requests']:,} "
        f"requests, **{figures['rps']:.1f} req/s**; writes **{figures['write_share']:.0%}** "
        f"({figures['posts']:,} POSTs, {figures['post_share']:.0%}, and {figures['visits']:,} "
        f"visits recorded). Server CPU {results['server']['cpu_seconds']:.1f} s, "
        f"{figures['cpu_ms']:.1f} ms per request; peak RSS of the server "
        f"{results['server']['memory'].get('total_kib', 0) / 1024:.0f} MiB.",
        "",
        "| request | concurrent learners | learners sent | requests | req/s | p50 | p90 | p99 "
        "| max | 2xx | 3xx (as expected) | 4xx (429) | 5xx | socket errors, timeouts |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for kind in results["kinds"].values():
        rps = kind["requests"] / (kind["duration_us"] / 1e6) if kind["duration_us"] else 0.0
        expected = kind["to_expected"] if kind["method"] == "POST" else "-"
        lines.append(
            f"| {kind['title']} | {kind['connections']:,} | {kind['learners'] or '-'} | "
            f"{kind['requests']:,} | {rps:.1f} | {kind['p50_us'] / 1000:,.0f} ms | "
            f"{kind['p90_us'] / 1000:,.0f} ms | {kind['p99_us'] / 1000:,.0f} ms | "
            f"{kind['max_us'] / 1000:,.0f} ms | {kind['ok']:,} | {kind['redirects']:,} "
            f"({expected}) | {kind['client_errors']:,} ({kind['too_many']}) | "
            f"{kind['server_errors']:,} | {kind['socket_errors']}, {kind['timeouts']} |"
        )
    if routes := log.get("routes"):
        lines += [
            "",
            "Time in the application, from the server's access log (a worker thread taking "
            "the request to its answer; wrk's latency adds the wait for a thread), and the wait "
            "before it, from the second wrk sent the request to the second the application "
            "took it (so give or take a second):",
            "",
            "| route | requests | p50 | p99 | max | slowest | longest wait | waits of 2 s or more "
            "|",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
        ]
        for route, figure in sorted(routes.items()):
            lines.append(
                f"| {route} | {figure['requests']:,} | {figure['p50_ms']:,.0f} ms | "
                f"{figure['p99_ms']:,.0f} ms | {figure['max_ms']:,.0f} ms | "
                f"`{figure['slowest']}` | {figure.get('most_wait_s', '-')} s | "
                f"{figure.get('waited_2s', '-')} |"
            )
    lines += [
        "",
        f"Rows stored by the load's learners: {stored['visits']:,} first visits, "
        f"{stored['completions']:,} completions, {stored['answers']:,} answers (completing "
        f"{stored['quiz_completions']:,} quizzes), {stored['comments']:,} comments. A request "
        "in flight when wrk stops is stored but not counted.",
        "",
        f'Server log: {log["locked_lines"]} lines with "database is locked", '
        f"{log['error_records']} errors logged during the load (and "
        f"{log.get('warm_up_locked_lines', 0)}, {log.get('warm_up_error_records', 0)} during "
        "the warm-up).",
    ]
    for sample in log["samples"][:5]:
        lines.append(f"- `{sample['first']}` ... `{sample['last']}`")
    if activity := results.get("activity"):
        samples = activity["samples"] or 1
        lines += [
            "",
            f"The server's database sessions, sampled every 100 ms during the load "
            f"({activity['samples']} samples): the states that held most, as the average number "
            "of sessions in each (a lock wait is waiting for another transaction; idle in "
            "transaction is a transaction open while Python works, after the statement shown).",
            "",
            "| state | waiting for | statement | sessions on average |",
            "| --- | --- | --- | ---: |",
        ]
        for row in activity["sessions"]:
            statement = row["statement"].replace("|", "\\|")
            lines.append(
                f"| {row['state']} | {row['wait'] or '-'} | `{statement}` | "
                f"{row['count'] / samples:.2f} |"
            )
    lines += ["", "```", summary(results), "```", ""]
    return "\n".join(lines)


def write_report() -> None:
    write_sections(
        "mixed",
        "# A course in its first week: a mixed load\n\n"
        "Written by `python -m bench.mixed` (part of `make bench`); see that module for the "
        "data, the load and the bars. Each kind of request is its own wrk process, all started "
        "together; latency is from sending a request to its answer (think time excluded), "
        "with wrk's --timeout 10s. 2 granian workers of 4 threads each (as `stoa serve` runs "
        "them) serve everything.\n\n",
        section,
    )


def report() -> int:
    """Writes the report from both databases' results; non-zero when one is missing or fails."""
    write_report()
    return verdict("mixed", "The mixed load", summary, checks)


if __name__ == "__main__":
    sys.exit(main())
