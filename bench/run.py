"""Runs the benchmark on one database and writes its results.

    python -m bench.run --database sqlite
    scripts/with-services python -m bench.run --database postgresql

Generates the data (bench.generate) into a fresh database, serves the app with granian (WSGI,
two workers) on a free loopback port with production settings, and puts it under concurrent
load with wrk: the hot step page (100,000 comments), the same page in a later cohort (10
comments) and in another (30 comments: a full page), a quiet step in the big run (10
comments), the hot page sorted by likes, the hot page for visitors, marking an article step
complete and answering a test question (many learners in turn, each once, the two loads
taking turns), and posting comments on the hot step. Queries per request are counted
in-process against the same database; memory and CPU time are read from the server's
processes during each load. Then `stoa certificate issue` runs in its own process on the big
run twice (the learners who finished get their certificates, then nobody gets any) and on a
cohort of 50 learners, each run's wall time, CPU time and peak memory measured.

Requests say they came through a TLS-terminating proxy (X-Forwarded-Proto: https, which
production settings trust), so HTTPS redirects, secure cookies and CSRF checks all stay on.
Results go to bench/data/results-<database>.json; bench.report turns them into Markdown.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.generate import Dataset

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
WORKERS = 2
THREADS, CONNECTIONS = 2, 16
WARM_SECONDS = 3  # each load's warm-up, before its measured rounds
# What the step page's comment form posts (CommentForm in stoa/conversation/comments/forms.py),
# besides its CSRF and submission tokens.
COMMENT_TEXT = "Benchmark comment: *where* did this number come from?"
# Learners whose sessions post comments, in turn: enough that none reaches the per-user rate
# limit (10 a minute) in one posting run. A refused post (429) fails the report's checks.
POSTERS = 4_000
# Marking a step complete and answering a test question take each learner once, so that every
# request stores a first completion or a first answer: learners for this many requests a second
# in every load, about three times what two cores serve marking complete. A learner sent twice
# counts as a replay, which fails the report's checks.
SUBMIT_RATE_ROOM = 600
# What the test's form posts for its first question at the first try: the right option (1 of
# 3 in demo/numbers-in-the-news/week-3/03-final-test.md), besides the CSRF token.
ANSWER_FIELDS = {"choice": ["1"], "attempt": ["1"]}


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    path: str
    cookie_file: str  # "-" for visitors
    viewer_id: int | None  # for counting queries in-process
    block: str = "compared"  # or "own": measured after the others, on its own


@dataclass(frozen=True)
class Submission:
    """A form that learners of the big run post in turn, each once."""

    key: str
    title: str
    path: str  # where the form posts
    redirect: str  # where a stored submission redirects (the Location of its 302)
    fields: dict[str, list[str]]  # besides the CSRF token


@dataclass(frozen=True)
class Submitters:
    """The big run's learners who post the submission forms, each once per form, and the
    learners whose submissions are counted in-process (outside them, so that theirs are first
    submissions too)."""

    sessions_file: str
    first_id: int
    last_id: int
    # (first line, count) of the sessions file for the warm-up, then for each round: the same
    # learners mark complete and answer in the same round, which touch different steps.
    slices: tuple[tuple[int, int], ...]
    # A warming learner and a counted one in the big run and in the cohort of 50 learners.
    counted: dict[str, tuple[int, int]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--small", action="store_true", help="a small data set, for trying out")
    parser.add_argument("--seconds", type=int, default=12, help="length of each measured load")
    parser.add_argument("--rounds", type=int, default=3, help="measured loads of each page")
    parser.add_argument("--post-seconds", type=int, default=20)
    args = parser.parse_args(argv)

    data_dir = BENCH / "data" / args.database
    (BENCH / "data" / f"results-{args.database}.json").unlink(missing_ok=True)
    env = use_environment(args.database, data_dir)

    from bench import generate

    generate.setup_django()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.perf_counter() - started
    dataset = generate.generate(generate.SMALL if args.small else generate.FULL)
    dataset.seconds["migrate"] = round(migrate_seconds, 1)
    call_command("collectstatic", interactive=False, verbosity=0)

    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    pages, posting = _prepare_sessions(dataset, data_dir)
    submissions, submitters = _prepare_submissions(
        dataset, data_dir, rounds=args.rounds, seconds=args.seconds
    )
    queries = {page.key: _queries_for(page) for page in pages}
    queries["post"] = _queries_for_post(posting)
    results: dict = {
        "database": _database_description(),
        "machine": _machine(),
        "software": _software(),
        "dataset": dataset.as_json(),
        "queries": queries,
        "settings": {
            "server": f"granian --interface wsgi --workers {WORKERS}",
            "load": f"wrk -t{THREADS} -c{CONNECTIONS}, {args.rounds} rounds of "
            f"{args.seconds} s per page, taking turns (the most-liked page on its own, after "
            f"the others), each after the server has gone idle; then {args.rounds} rounds of "
            f"{args.seconds} s of marking complete and of answering, taking turns; posting "
            f"{args.post_seconds} s",
            "posters": posting["posters"],
            "submitters": submitters.last_id - submitters.first_id + 1,
            "connections": CONNECTIONS,
        },
        "pages": {},
    }
    # The pages compared with each other take turns, round after round, so that whatever else
    # the machine does weighs on all of them alike. Pages in a block of their own come after, so
    # that a slow page cannot leave a queue of requests (or grown workers) behind for the others.
    blocks = [[page for page in pages if page.block == block] for block in ("compared", "own")]
    with Server(port, env, data_dir) as server:
        for block in blocks:
            for page in block:  # warm each page in both workers first
                _wrk(origin, page, seconds=WARM_SECONDS)
                server.wait_until_idle()
            for page in block:
                results["pages"][page.key] = {"title": page.title, "path": page.path, "rounds": []}
            for _ in range(args.rounds):
                for page in block:
                    with server.measure(page.key) as measured:
                        run = _wrk(origin, page, seconds=args.seconds)
                    results["pages"][page.key]["rounds"].append({**run, **measured})
                    server.wait_until_idle()
        # Marking complete and answering take turns in the same way, each round with learners
        # who have not submitted yet. The warm-up's submissions are stored too, and counted.
        warmup, *round_slices = submitters.slices
        for submission in submissions:
            run = _wrk_submit(origin, submission, submitters, warmup, seconds=WARM_SECONDS)
            results["pages"][submission.key] = {
                "title": submission.title,
                "path": submission.path,
                "warmup": run,
                "rounds": [],
            }
            server.wait_until_idle()
        for learners in round_slices:
            for submission in submissions:
                with server.measure(submission.key) as measured:
                    run = _wrk_submit(
                        origin, submission, submitters, learners, seconds=args.seconds
                    )
                results["pages"][submission.key]["rounds"].append({**run, **measured})
                server.wait_until_idle()
        with server.measure("post") as measured:
            run = _wrk_post(origin, posting, seconds=args.post_seconds)
        results["pages"]["post"] = {
            "title": "Post a comment on the hot step (big run)",
            "path": posting["path"],
            "rounds": [{**run, **measured}],
        }
        for key, peak in server.memory.peaks.items():
            results["pages"][key]["memory"] = peak
        results["server_memory"] = server.memory.high_water_marks()
    results["pages"]["post"]["stored"] = _stored_posts()
    for key, stored in _stored_submissions(dataset, submitters).items():
        results["pages"][key]["stored"] = stored
    for submission in submissions:  # after the loads, so the big run holds their rows
        queries[submission.key] = _queries_for_submission(submission, submitters)
    results["certificates"] = _issue_certificates(dataset, env, data_dir)
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["load_average_after"] = [round(load, 2) for load in os.getloadavg()]

    out = BENCH / "data" / f"results-{args.database}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"Results written to {out.relative_to(REPO)}")
    from bench import report

    print(report.summary(results))
    return 0 if report.passes(results) else 1


def _environment(database: str, data_dir: Path) -> dict[str, str]:
    """Production settings, served over loopback behind a pretend TLS proxy."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="stoa.settings",
        STOA_ENV="production",
        STOA_SECRET_KEY=secrets.token_urlsafe(48),
        STOA_ALLOWED_HOSTS="127.0.0.1",
        STOA_DATA_DIR=str(data_dir),
        STOA_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    for name in ("STOA_DEBUG", "STOA_SSL_REDIRECT", "STOA_S3_BUCKET", "STOA_EMAIL_HOST"):
        env.pop(name, None)
    if database == "postgresql":
        if not env.get("DATABASE_URL", "").startswith("postgres"):
            raise SystemExit(
                "--database postgresql needs DATABASE_URL: run it under scripts/with-services"
            )
    else:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
    return env


def use_environment(database: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a run on `database` (production settings; `extra` on top), applied
    to this process too, with a fresh data_dir."""
    env = {**_environment(database, data_dir), **extra}
    os.environ.update(env)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in env:
            os.environ.pop(name, None)
    _fresh_data_dir(data_dir)
    return env


def verdict(stem: str, title: str, summary, checks) -> int:
    """Prints each database's summary from bench/data/<stem>-<database>.json; non-zero when
    one is missing or a bar fails."""
    ok = True
    for vendor, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        path = BENCH / "data" / f"{stem}-{vendor}.json"
        if not path.exists():
            print(f"{title} on {name}: no results", file=sys.stderr)
            ok = False
            continue
        results = json.loads(path.read_text())
        print(summary(results))
        ok = ok and all(passed for _, passed in checks(results))
    return 0 if ok else 1


def write_sections(stem: str, heading: str, section) -> None:
    """bench/reports/<stem>.md: `heading` (Markdown, ending in a blank line), then
    section(results) for each database with results in bench/data/<stem>-<database>.json."""
    sections = [
        section(json.loads(path.read_text()))
        for vendor in ("sqlite", "postgresql")
        if (path := BENCH / "data" / f"{stem}-{vendor}.json").exists()
    ]
    (BENCH / "reports" / f"{stem}.md").write_text(heading + "\n".join(sections))


def _fresh_data_dir(data_dir: Path) -> None:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Sessions -------------------------------------------------------------------------------------


def _session_cookies(user_ids: list[int], *, with_csrf: bool) -> list[tuple[str, str]]:
    """Signs the users in by writing sessions directly, as the sign-in view would, and returns
    each one's Cookie header value and CSRF token."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction
    from django.middleware.csrf import CSRF_SESSION_KEY, _get_new_csrf_string

    from stoa.accounts.models import User

    store = import_module(settings.SESSION_ENGINE).SessionStore
    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)}
    cookies = []
    # One transaction for them all: thousands of sessions, one commit each, would be slow.
    with transaction.atomic():
        for user_id in user_ids:
            user = users[user_id]
            session = store()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            cookie = ""
            token = ""
            if with_csrf:
                token = _get_new_csrf_string()  # an unmasked secret is a valid form token
                if settings.CSRF_USE_SESSIONS:
                    session[CSRF_SESSION_KEY] = token
                else:
                    cookie = f"; {settings.CSRF_COOKIE_NAME}={token}"
            session.create()
            cookies.append((f"{settings.SESSION_COOKIE_NAME}={session.session_key}{cookie}", token))
    return cookies


def _prepare_sessions(dataset, data_dir: Path) -> tuple[list[Page], dict]:
    from bench.generate import Scale

    first, last = dataset.big_run_learner_ids
    later_first, later_last = dataset.later_run_learner_ids
    viewers = Scale().viewers
    slug = dataset.course_slug
    hot_path = f"/courses/{slug}/steps/{dataset.hot_step[0]}.{dataset.hot_step[1]}/"
    quiet_path = f"/courses/{slug}/steps/{dataset.quiet_step[0]}.{dataset.quiet_step[1]}/"

    def cookie_file(name: str, user_ids: list[int]) -> str:
        path = data_dir / f"cookies-{name}.txt"
        path.write_text("".join(f"{c}\n" for c, _ in _session_cookies(user_ids, with_csrf=False)))
        return str(path)

    half = viewers // 2
    big_run_viewers = list(range(first, first + half))
    quiet_viewers = list(range(first + half, first + viewers))
    later_viewers = list(range(later_first, later_last + 1))
    full_page_first, full_page_last = dataset.full_page_run_learner_ids
    full_page_viewers = list(range(full_page_first, full_page_last + 1))
    pages = [
        Page(
            "hot",
            "Hot step, 100,000 comments (big run), learner",
            hot_path,
            cookie_file("hot", big_run_viewers),
            big_run_viewers[0],
        ),
        Page(
            "same-step-10",
            "Same step, 10 comments (later cohort), learner",
            hot_path,
            cookie_file("same-step-10", later_viewers),
            later_viewers[0],
        ),
        Page(
            "same-step-30",
            "Same step, 30 comments (another cohort), learner",
            hot_path,
            cookie_file("same-step-30", full_page_viewers),
            full_page_viewers[0],
        ),
        Page(
            "quiet-step-10",
            "Quiet step, 10 comments (big run), learner",
            quiet_path,
            cookie_file("quiet-step-10", quiet_viewers),
            quiet_viewers[0],
        ),
        Page(
            "hot-liked",
            "Hot step, most liked first (big run), learner",
            hot_path + "?filter=liked",
            cookie_file("hot-liked", big_run_viewers),
            big_run_viewers[0],
            block="own",
        ),
        Page("hot-visitor", "Hot step, 100,000 comments, visitor", hot_path, "-", None),
    ]
    # Posters: learners who load no pages, so their follows and notifications stay small.
    poster_ids = list(range(first + viewers, min(first + viewers + POSTERS, last + 1)))
    sessions = _session_cookies(poster_ids, with_csrf=True)
    sessions_file = data_dir / "sessions-post.txt"
    sessions_file.write_text("".join(f"{c}\t{t}\n" for c, t in sessions))
    posting = {
        "path": _comment_post_path(hot_path),
        "step_path": hot_path,
        "sessions_file": str(sessions_file),
        "posters": len(poster_ids),
        "first_poster_id": poster_ids[0],
        "fields": _comment_fields(),
    }
    return pages, posting


def _comment_post_path(step_path: str) -> str:
    """Where the step page's comment form posts."""
    return step_path + "comments/new/"


def _comment_fields() -> str:
    from urllib.parse import urlencode

    return urlencode({"body": COMMENT_TEXT})


def _prepare_submissions(
    dataset: "Dataset", data_dir: Path, *, rounds: int, seconds: int
) -> tuple[list[Submission], Submitters]:
    """Marking the article step complete and answering the test's first question, and the
    learners who do it: the big run's, after those who load pages (some of them post comments
    too, on another step). Each learner belongs to one load (the warm-up or a round) and posts
    each form once."""
    from django.urls import reverse

    from bench.generate import Scale

    slug = dataset.course_slug
    week, position = dataset.complete_step
    complete = Submission(
        "complete",
        f"Mark an article step complete ({week}.{position}, big run)",
        reverse("learning:complete", args=[slug, week, position]),
        reverse("learning:step", args=[slug, week, position]),
        {},
    )
    week, position = dataset.test_step
    at_question = reverse("learning:step", args=[slug, week, position]) + "?question=1"
    answer = Submission(
        "answer",
        f"Answer a test question, first try ({week}.{position}, big run)",
        reverse("questions:answer", args=[slug, week, position, 1]),
        at_question + "#question",  # as the view redirects; "&again=1" if it refused
        ANSWER_FIELDS,
    )

    first, _ = dataset.big_run_learner_ids
    # The last learners of the big run finished the course and wait for `stoa certificate
    # issue`: none of them submits, so that no submission issues their certificates. The two
    # before them are counted in-process.
    last = dataset.finisher_ids[0] - 1
    loads = rounds + 1  # the warm-up, then each round
    wanted = loads * SUBMIT_RATE_ROOM * max(seconds, WARM_SECONDS)
    first_id = first + Scale().viewers
    available = last - 2 - first_id + 1
    share = min(wanted, available) // loads
    if share < THREADS:
        raise SystemExit(f"{available} learners are too few for {loads} submission loads")
    last_id = first_id + share * loads - 1
    sessions = _session_cookies(list(range(first_id, last_id + 1)), with_csrf=True)
    sessions_file = data_dir / "sessions-submit.txt"
    sessions_file.write_text("".join(f"{c}\t{t}\n" for c, t in sessions))
    open_first, _ = dataset.open_weeks_run_learner_ids
    submitters = Submitters(
        sessions_file=str(sessions_file),
        first_id=first_id,
        last_id=last_id,
        slices=tuple((1 + n * share, share) for n in range(loads)),
        counted={"big": (last - 1, last), "small": (open_first, open_first + 1)},
    )
    return [complete, answer], submitters


# Queries per request, in-process ------------------------------------------------------------


def _client_for(user_id: int | None):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    if user_id is not None:
        cookie, _ = _session_cookies([user_id], with_csrf=False)[0]
        name, _, value = cookie.partition("=")
        client.cookies[name] = value
    return client


def _queries_for(page: Page) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(page.viewer_id)
    client.get(page.path)  # the first visit records it, and warms caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path)
    if response.status_code != 200:
        raise SystemExit(f"{page.path} answered {response.status_code} in-process")
    html = response.content.decode()
    sql = [query["sql"] for query in captured.captured_queries]
    return {
        "count": len(captured),
        "bytes": len(response.content),
        "comments_shown": _comments_shown(html),
        "sql": sql,
        "plans": [_plan(query) for query in sql if 'FROM "conversation_comment"' in query],
    }


def _plan(sql: str) -> dict:
    """How the database runs one of the conversation's queries; on PostgreSQL, with the
    time it took (EXPLAIN ANALYZE)."""
    from django.db import connection

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    try:
        with connection.cursor() as cursor:
            cursor.execute(explain + sql)
            rows = cursor.fetchall()
    except Exception as error:  # a plan is a diagnosis; never fail the run for it
        return {"sql": sql, "plan": f"(no plan: {error})"}
    if connection.vendor == "sqlite":
        plan = "\n".join(str(row[-1]) for row in rows)
    else:
        plan = "\n".join(row[0] for row in rows)
    return {"sql": sql, "plan": plan}


def _comments_shown(html: str) -> int:
    """How many generated comments the page shows, counted by their opening words."""
    from bench.generate import _OPENINGS

    return sum(html.count(opening) for opening in _OPENINGS)


def _queries_for_post(posting: dict) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(posting["first_poster_id"] - 1)
    fields = dict(part.split("=", 1) for part in posting["fields"].split("&"))
    from urllib.parse import unquote_plus

    data = {name: unquote_plus(value) for name, value in fields.items()}
    client.get(posting["step_path"])
    with CaptureQueriesContext(connection) as captured:
        response = client.post(posting["path"], {**data, "submission_token": "bench-in-process-1"})
    if response.status_code not in (200, 302, 303):
        raise SystemExit(f"posting answered {response.status_code} in-process")
    return {
        "count": len(captured),
        "status": response.status_code,
        "sql": [query["sql"] for query in captured.captured_queries],
    }


def _queries_for_submission(submission: Submission, submitters: Submitters) -> dict:
    """The queries of one learner's first submission, in the big run (after the loads stored
    theirs) and in the cohort of 50 learners; each after another learner's, which warms
    caches."""
    from urllib.parse import urlencode

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = urlencode(submission.fields, doseq=True)
    form = "application/x-www-form-urlencoded"
    counted = {}
    for run, (warming_id, user_id) in submitters.counted.items():
        _client_for(warming_id).post(submission.path, body, content_type=form)
        client = _client_for(user_id)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(submission.path, body, content_type=form)
        location = response.get("Location")
        if response.status_code != 302 or location != submission.redirect:
            raise SystemExit(
                f"{submission.path} answered {response.status_code} ({location}) in-process"
            )
        counted[run] = {
            "count": len(captured),
            "status": response.status_code,
            "sql": [query["sql"] for query in captured.captured_queries],
        }
    return {**counted["big"], "small_run": counted["small"]}


def _stored_posts() -> int:
    from stoa.conversation.models import Comment

    return (
        Comment.objects.filter(submission_token__startswith="bench-")
        .exclude(submission_token="bench-in-process-1")
        .count()
    )


def _stored_submissions(dataset: "Dataset", submitters: Submitters) -> dict[str, int]:
    """Completions of the article step and first answers to the test's first question by the
    learners the loads sent."""
    from stoa.assessments.models import Answer
    from stoa.learning.models import StepCompletion

    slug = dataset.course_slug
    week, position = dataset.complete_step
    completions = StepCompletion.objects.filter(
        enrolment__run_id=dataset.big_run_id,
        enrolment__user_id__gte=submitters.first_id,
        enrolment__user_id__lte=submitters.last_id,
        step__week__course__slug=slug,
        step__week__number=week,
        step__position=position,
    )
    week, position = dataset.test_step
    answers = Answer.objects.filter(
        run_id=dataset.big_run_id,
        user_id__gte=submitters.first_id,
        user_id__lte=submitters.last_id,
        question__step__week__course__slug=slug,
        question__step__week__number=week,
        question__step__position=position,
        question__position=1,
        attempt=1,
    )
    return {"complete": completions.count(), "answer": answers.count()}


# Issuing certificates -----------------------------------------------------------------------

ISSUE_TIMEOUT = 3600  # seconds; a run of the command that takes longer has failed


def _issue_certificates(dataset: "Dataset", env: dict[str, str], data_dir: Path) -> dict:
    """`stoa certificate issue` on the big run, twice (the second run finds everyone holding
    what they earned, and issues nothing), then on the cohort of 50 learners with every week
    open, for comparison; each in its own process, with the server's environment, against the
    same database."""
    from stoa.certificates.models import Certificate
    from stoa.learning.models import Enrolment

    runs = [
        ("big", "Big run", dataset.big_run_id),
        ("big-again", "Big run, again", dataset.big_run_id),
        ("small", "Cohort with every week open", dataset.open_weeks_run_id),
    ]
    measured = {}
    for key, title, run_id in runs:
        learners = Enrolment.objects.filter(run_id=run_id, left_at__isnull=True).count()
        command = [
            str(VENV_BIN / "stoa"), "certificate", "issue", dataset.course_slug,
            "--run", str(run_id),
        ]  # fmt: skip
        run = _measure_command(command, env, data_dir / f"certificate-issue-{key}")
        wall = run["wall_seconds"]
        run.update(
            title=title,
            run_id=run_id,
            learners=learners,
            learners_per_second=learners / wall if wall else 0.0,
        )
        measured[key] = run
        print(
            f"stoa certificate issue, {title.lower()}: {learners:,} learners in {wall:.1f} s "
            f"({run['learners_per_second']:,.0f}/s), CPU {run['cpu_seconds']:.1f} s, peak RSS "
            f"{run['peak_rss_kib'] / 1024:,.0f} MiB, issued {run['issued']} "
            f"(exit status {run['returncode']})",
            flush=True,
        )
    return {
        "command": "stoa certificate issue SLUG --run N",
        "runs": measured,
        "earned": dataset.certificates_earned,
        "stored": {
            "big": Certificate.objects.filter(run_id=dataset.big_run_id).count(),
            "small": Certificate.objects.filter(run_id=dataset.open_weeks_run_id).count(),
        },
    }


def _measure_command(command: list[str], env: dict[str, str], log_stem: Path) -> dict:
    """Runs a command to its end, its output kept in log_stem.out and .err, and measures it:
    wall time; user and system CPU time, as the kernel accounts them to this child (wait4);
    and the peak resident memory of the command's process.

    The peak is GNU time's (%M) where /usr/bin/time is installed, and otherwise the highest
    VmHWM read from /proc every 50 ms while the command runs (both are sampled and kept).
    Never the rusage of a direct child of this process: a child's ru_maxrss starts from the
    resident size of the process that forked it (the kernel keeps the high-water mark of the
    memory it replaced at exec), and this one holds Django and the generated data's
    bookkeeping; /usr/bin/time forks the command from its own 2 MB."""
    out_path, err_path = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    time_path = log_stem.with_suffix(".time")
    time_path.unlink(missing_ok=True)
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        command = [str(gnu_time), "-f", "%e %U %S %M", "-o", str(time_path), *command]
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        sampler = HighWaterSampler(process.pid)
        sampler.start()
        timer = threading.Timer(ISSUE_TIMEOUT, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
            sampler.stop()
    stdout = out_path.read_text()
    issued = re.search(r"^Issued (\d+) certificates?\.$", stdout, re.MULTILINE)
    run = {
        "returncode": process.returncode,
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "user_seconds": usage.ru_utime,
        "system_seconds": usage.ru_stime,
        "sampled_peak_rss_kib": sampler.peak_kib,
        "issued": int(issued[1]) if issued else None,
        "stdout": stdout[-2000:],
    }
    timed = time_path.read_text().split() if time_path.exists() else []
    if len(timed) >= 4 and timed[-1].isdigit():  # "[Command exited with ...] %e %U %S %M"
        run["time_peak_rss_kib"] = int(timed[-1])
        run["peak_rss_kib"], run["peak_rss_from"] = int(timed[-1]), "/usr/bin/time"
    else:
        run["peak_rss_kib"], run["peak_rss_from"] = sampler.peak_kib, "VmHWM, sampled"
    if process.returncode != 0:
        run["stderr"] = err_path.read_text()[-4000:]
        print(f"{' '.join(command)} failed:\n{run['stderr']}", flush=True)
    return run


class HighWaterSampler:
    """The highest VmHWM (a process's peak resident memory since its exec) among a process
    and its descendants, read every 50 ms until stopped."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for pid in _process_tree(self.root_pid):
                self.peak_kib = max(self.peak_kib, _status_kib(pid, "VmHWM"))
            if self._stop.wait(0.05):
                return


# The server and its memory -----------------------------------------------------------------


class MemorySampler:
    """Samples the resident memory of the server's processes (the granian main process and
    its workers) every 100 ms, and keeps the peak of each phase. Memory a worker has grown
    to stays with it, so a phase's peak includes what earlier phases left."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peaks: dict[str, dict] = {}
        self._phase: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def phase(self, name: str):
        sampler = self

        class _Phase:
            def __enter__(self):
                sampler._phase = name
                sampler.peaks.setdefault(name, {"total_kib": 0, "worker_kib": 0})

            def __exit__(self, *exc):
                sampler._phase = None

        return _Phase()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            phase = self._phase
            if phase is None:
                continue
            sizes = [_status_kib(pid, "VmRSS") for pid in _process_tree(self.root_pid)]
            peak = self.peaks[phase]
            peak["total_kib"] = max(peak["total_kib"], sum(sizes))
            peak["worker_kib"] = max(peak["worker_kib"], max(sizes[1:], default=0))

    def high_water_marks(self) -> dict[str, int]:
        """Each process's peak resident memory since it started (VmHWM)."""
        return {str(pid): _status_kib(pid, "VmHWM") for pid in _process_tree(self.root_pid)}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used, all their threads included."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    for tid_dir in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (tid_dir / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids += _process_tree(int(child))
    return pids


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """granian serving stoa.wsgi on 127.0.0.1:port as `stoa serve` runs it (its threads and
    backlog); always stopped on the way out."""

    def __init__(self, port: int, env: dict[str, str], data_dir: Path, workers: int = 0) -> None:
        self.workers = workers or WORKERS
        self.port = port
        self.env = env
        self.log_path = data_dir / "granian.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        from stoa.serve import THREADS, granian_command

        # As `stoa serve` runs it in production.
        command = granian_command(
            host="127.0.0.1", port=self.port, workers=self.workers, threads=THREADS
        )
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            self._wait_until_ready()
        except BaseException:
            self._stop()
            raise
        self.memory = MemorySampler(self.process.pid)
        self.memory.start()
        return self

    def __exit__(self, *exc) -> None:
        if hasattr(self, "memory"):
            self.memory.stop()
        self._stop()

    def cpu_seconds(self) -> float:
        return _cpu_seconds(_process_tree(self.process.pid))

    @contextlib.contextmanager
    def measure(self, phase: str):
        """Peak memory and the server's CPU time during the block. CPU time per request is
        the measure least disturbed by other work on the machine."""
        measured: dict = {}
        before = self.cpu_seconds()
        with self.memory.phase(phase):
            yield measured
        measured["cpu_seconds"] = self.cpu_seconds() - before

    def wait_until_idle(self, timeout: float = 120) -> None:
        """Waits for requests still in flight after wrk stopped: until the server uses less
        than 5% of a core, so that the next load starts on an idle server."""
        deadline = time.monotonic() + timeout
        previous = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - previous <= 0.025:
                return
            previous = now
        print(f"The server was still busy {timeout:.0f} s after the load stopped.", flush=True)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{self.port}/"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"granian exited; see {self.log_path}")
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                raise SystemExit(f"{url} answered {error.code}; see {self.log_path}") from error
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"granian did not answer within 60 s; see {self.log_path}")

    def _stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # granian stops its workers on SIGTERM
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.log.close()


# wrk ----------------------------------------------------------------------------------------


def _wrk(origin: str, page: Page, *, seconds: int) -> dict:
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "get.lua"),
        origin + page.path, "--", page.cookie_file,
    ]  # fmt: skip
    return _run_wrk(command, seconds)


def _wrk_post(origin: str, posting: dict, *, seconds: int) -> dict:
    https_origin = origin.replace("http://", "https://")
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "post.lua"),
        origin + posting["path"], "--",
        posting["sessions_file"], posting["path"], https_origin,
        str(int(time.time())), posting["fields"],
    ]  # fmt: skip
    return _run_wrk(command, seconds)


def _wrk_submit(
    origin: str,
    submission: Submission,
    submitters: Submitters,
    learners: tuple[int, int],
    *,
    seconds: int,
) -> dict:
    from urllib.parse import urlencode

    https_origin = origin.replace("http://", "https://")
    first_line, count = learners
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "submit.lua"),
        origin + submission.path, "--",
        submitters.sessions_file, str(first_line), str(count), str(THREADS), https_origin,
        submission.redirect, urlencode(submission.fields, doseq=True),
    ]  # fmt: skip
    return _run_wrk(command, seconds)


def _run_wrk(command: list[str], seconds: int) -> dict:
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        raise SystemExit(f"wrk failed: {completed.stderr}")
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line.removeprefix("BENCH-RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise SystemExit(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")


# Descriptions -------------------------------------------------------------------------------


def _machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
         if line.startswith("model name")),
        "unknown",
    )  # fmt: skip
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        # Other work on the machine lowers every number; the report shows how busy it was.
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "kernel": os.uname().release,
    }


def _software() -> dict:
    import django

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    granian = subprocess.run(
        [str(VENV_BIN / "granian"), "--version"], capture_output=True, text=True, check=False
    )
    return {
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "granian": granian.stdout.strip(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" Copyright")[0],
    }


def _database_description() -> dict:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]} (WAL)"
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    sessions = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    return {"vendor": connection.vendor, "version": version, "cache": cache, "sessions": sessions}


if __name__ == "__main__":
    sys.exit(main())
