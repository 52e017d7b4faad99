"""Speed: the learner's pages against a bare Django view, on one database.

    python -m bench.speed --database sqlite
    scripts/with-services python -m bench.speed --database postgresql

One granian worker with production settings serves Stoa with two bare baselines in front
(bench.speed_settings): a view behind the same middleware that reads the signed-in user, and
a POST that inserts one row. A client sends each load's requests one after another on one
keep-alive connection (2,000 by default), the loads taking turns round after round, and the
server's CPU time per request is read from /proc: the measure least disturbed by a noisy
machine. Each page is compared with its baseline within the same run (the bars of the issue
"Speed"):

- the learner's article and video steps: at most 2.5 times the bare view;
- to-do, progress and the course page (a visitor's): at most 2 times the bare view;
- a visitor's step page: at most 1.5 times the bare view;
- marking a step complete (each learner once): at most 2 times the bare insert.

Also reported: requests per second, p50 and p99 as the client saw them, queries per request
(counted in-process), each phase's peak RSS of the worker, and the page weight of the article
step (its HTML, stylesheets and scripts as compressed on the wire: the bar is 100 KB).
Results go to bench/data/speed-<database>.json and bench/reports/speed.md.
"""

import argparse
import gzip
import http.client
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field

from bench.run import (
    BENCH,
    Server,
    _free_port,
    _session_cookies,
    use_environment,
    verdict,
    write_sections,
)

LEARNERS = 10_000
REQUESTS = 2_000
BARS = {  # page: (baseline, the most its CPU per request may be, in times the baseline's)
    "article": ("bare", 2.5),
    "video": ("bare", 2.5),
    "todo": ("bare", 2.0),
    "progress": ("bare", 2.0),
    "course": ("bare", 2.0),
    "visitor-step": ("bare", 1.5),
    "complete": ("bare-insert", 2.0),
}
PAGE_WEIGHT_MAX_KB = 100
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Load:
    key: str
    title: str
    path: str
    method: str = "GET"
    # GET: one signed-in learner's Cookie header ("" for a visitor); POST: one per request.
    cookie: str = ""
    posts: list[tuple[str, str]] = field(default_factory=list)  # (cookie, token)
    expect: int = 200


def _prepare(requests: int, rounds: int) -> tuple[dict, list[Load]]:
    """The data: the demo course, a run with every week open, LEARNERS learners; the
    signed-in learner has completed and visited the first week. Returns the loads."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.generate import DEMO_PACKAGE
    from bench.speed_urls import TABLE
    from bench.team import _insert
    from stoa.accounts.models import User
    from stoa.courses.models import CourseRun, Step
    from stoa.courses.services import import_package
    from stoa.learning import services as learning
    from stoa.learning.models import Enrolment

    course = import_package(root=DEMO_PACKAGE).course
    run = CourseRun.objects.create(
        course=course, starts_on=timezone.localdate() - timezone.timedelta(days=15)
    )
    vendor = connection.vendor
    first_id = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with transaction.atomic(), connection.cursor() as cursor:
        key = "BIGSERIAL" if vendor == "postgresql" else "INTEGER"
        cursor.execute(
            f"CREATE TABLE {TABLE} (id {key} PRIMARY KEY, user_id INTEGER NOT NULL, "
            "at TIMESTAMP NOT NULL)"
        )
        _insert(cursor, vendor, User, LEARNERS, {
            "id": f"{first_id} + n",
            "email": "'speed' || n || '@bench.example'",
            "display_name": "'Learner ' || n",
            "password": "'!'",
            "date_joined": f"'{timezone.now().isoformat()}'",
        })  # fmt: skip
        _insert(cursor, vendor, Enrolment, LEARNERS, {
            "user_id": f"{first_id} + n",
            "run_id": str(run.pk),
            "course_id": str(course.pk),
            "joined_at": f"'{timezone.now().isoformat()}'",
        })  # fmt: skip
    CourseRun.objects.filter(pk=run.pk).update(learner_count=LEARNERS)
    steps = {
        (step.week.number, step.position): step
        for step in Step.objects.filter(week__course=course).select_related("week")
    }
    article = next(s for k, s in sorted(steps.items()) if s.type == "article")
    video = next(s for k, s in sorted(steps.items()) if s.type == "video")
    viewer = Enrolment.objects.select_related("run").get(user_id=first_id)
    for (week, _position), step in sorted(steps.items()):
        if week == 1:
            learning.record_visit(enrolment=viewer, step=step)
            learning.complete_step(enrolment=viewer, step=step)
    viewer.refresh_from_db()
    # The viewer's cookies as a browser holds them after signing in: the session's and the CSRF
    # cookie that signing in sets (without it every page with a form would make a new secret).
    viewer_cookie = _session_cookies([first_id], with_csrf=True)[0][0]
    # Learners who post, each once per load: the warm-up's and each round's.
    posters = list(range(first_id + 1, first_id + 1 + requests * (rounds + 1)))
    if len(posters) > LEARNERS - 1:
        raise SystemExit(f"--requests {requests} with --rounds {rounds} needs more learners")
    sessions = _session_cookies(posters, with_csrf=True)
    slug = course.slug
    loads = [
        Load("bare", "Bare view (learner)", "/bench/bare/", cookie=viewer_cookie),
        Load("article", "Article step (learner)", article.get_absolute_url(), cookie=viewer_cookie),
        Load("video", "Video step (learner)", video.get_absolute_url(), cookie=viewer_cookie),
        Load("todo", "To-do (learner)", f"/courses/{slug}/todo/", cookie=viewer_cookie),
        Load("progress", "Progress (learner)", f"/courses/{slug}/progress/", cookie=viewer_cookie),
        Load("course", "Course page (visitor)", f"/courses/{slug}/"),
        Load("visitor-step", "Article step (visitor)", article.get_absolute_url()),
        Load(
            "bare-insert",
            "Bare insert (learner)",
            "/bench/bare-insert/",
            "POST",
            posts=sessions,
            expect=302,
        ),
        Load(
            "complete",
            "Mark complete (learner)",
            article.get_absolute_url() + "complete/",
            "POST",
            posts=sessions,
            expect=302,
        ),
    ]
    data = {
        "course": slug,
        "learners": LEARNERS,
        "viewer_id": first_id,
        "article": article.get_absolute_url(),
        "video": video.get_absolute_url(),
    }
    return data, loads


def _send(connection: http.client.HTTPConnection, load: Load, origin: str, index: int):
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    body = None
    if load.method == "POST":
        cookie, token = load.posts[index]
        headers["Cookie"] = cookie
        headers["Origin"] = "https://127.0.0.1"  # as the Host header says
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = f"csrfmiddlewaretoken={token}"
    elif load.cookie:
        headers["Cookie"] = load.cookie
    connection.request(load.method, load.path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _run_load(port: int, load: Load, requests: int, first: int) -> dict:
    """`requests` requests one after another on one keep-alive connection."""
    origin = f"http://127.0.0.1:{port}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, wrong, reconnects = [], 0, 0
    started = time.perf_counter()
    for index in range(first, first + requests):
        sent = time.perf_counter()
        try:
            status = _send(connection, load, origin, index)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the kept-alive connection: a new one, as a browser would.
            reconnects += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = _send(connection, load, origin, index)
        times.append(time.perf_counter() - sent)
        wrong += status != load.expect
    seconds = time.perf_counter() - started
    connection.close()
    times.sort()
    return {
        "requests": requests,
        "seconds": seconds,
        "wrong_status": wrong,
        "reconnects": reconnects,
        "rps": requests / seconds,
        "p50_ms": 1000 * times[len(times) // 2],
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def _queries(load: Load) -> int:
    """Queries of one request (after one to warm up, for GETs), counted in-process on the
    same database. The test client skips the CSRF check; the server does it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    cookie, token = load.posts[-1] if load.method == "POST" else (load.cookie, "")
    for part in filter(None, cookie.split("; ")):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    if load.method == "POST":
        with CaptureQueriesContext(connection) as captured:
            response = client.post(load.path, {"csrfmiddlewaretoken": token})
    else:
        client.get(load.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(load.path)
    if response.status_code != load.expect:
        raise SystemExit(f"{load.path} answered {response.status_code} in-process")
    return len(captured)


def _page_weight(port: int, path: str, cookie: str) -> dict:
    """The page's HTML, stylesheets and scripts as compressed on the wire."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {
        "X-Forwarded-Proto": "https",
        "Host": "127.0.0.1",
        "Accept-Encoding": "gzip",
        "Cookie": cookie,
    }

    def fetch(url: str) -> tuple[int, bytes]:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.getheader("Content-Encoding") == "gzip":
            return len(body), gzip.decompress(body)
        return len(body), body

    size, html = fetch(path)
    files = {"html": size}
    page = html.decode()
    for url in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) + re.findall(
        r'<script[^>]* src="([^"]+)"', page
    ):
        files[url] = fetch(url)[0]
    connection.close()
    return {"files": files, "total_kb": sum(files.values()) / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per load and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="200 requests per load")
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument(
        "--profile", action="store_true", help="profile each page in-process instead"
    )
    args = parser.parse_args(argv)
    if args.report:
        return report()
    if args.database is None:
        parser.error("--database is needed to measure")
    requests = 200 if args.small else args.requests

    data_dir = BENCH / "data" / f"speed-{args.database}"
    out = BENCH / "data" / f"speed-{args.database}.json"
    if not args.profile:  # a profile leaves the measured results alone
        out.unlink(missing_ok=True)
    env = use_environment(args.database, data_dir, DJANGO_SETTINGS_MODULE="bench.speed_settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    data, loads = _prepare(requests, args.rounds)
    if args.profile:
        return profile(args.database, loads)
    results: dict = {
        "database": args.database,
        "data": data,
        "requests": requests,
        "rounds": args.rounds,
        "queries": {load.key: _queries(load) for load in loads},
        "loads": {
            load.key: {"title": load.title, "path": load.path, "rounds": []} for load in loads
        },
    }
    port = _free_port()
    with Server(port, env, data_dir, workers=1) as server:
        for load in loads:  # the warm-up: each load's first requests
            _run_load(port, load, min(200, requests), 0)
            server.wait_until_idle()
        for round_number in range(args.rounds):
            for load in loads:
                first = requests * (round_number + 1)
                with server.measure(load.key) as measured:
                    run = _run_load(port, load, requests, first if load.method == "POST" else 0)
                results["loads"][load.key]["rounds"].append({**run, **measured})
                server.wait_until_idle()
        for key, peak in server.memory.peaks.items():
            results["loads"][key]["memory"] = peak
        results["page_weight"] = _page_weight(port, data["article"], loads[1].cookie)
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"Results written to {out}")
    write_report()
    print(summary(results))
    return 0 if all(ok for _, ok in checks(results)) else 1


def profile(database: str, loads: list[Load], renders: int = 300) -> int:
    """Each GET page rendered `renders` times in-process under cProfile: where its time goes,
    by the share of Stoa's own functions (cumulative) and of the layers beneath. Written to
    bench/reports/speed-profile-<database>.md."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    sections = []
    for load in loads:
        if load.method != "GET" or load.key == "bare":
            continue
        client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
        for part in filter(None, load.cookie.split("; ")):
            name, _, value = part.partition("=")
            client.cookies[name] = value
        for _ in range(20):
            client.get(load.path)
        captured: list[str] = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            client.get(load.path)
        profiler = cProfile.Profile()
        started = time.process_time()
        profiler.enable()
        for _ in range(renders):
            client.get(load.path)
        profiler.disable()
        per_request = 1000 * (time.process_time() - started) / renders
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = []
        for (filename, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            where = filename.split("site-packages/")[-1].split("/main/")[-1]
            if where.startswith(
                ("stoa/", "django/db/models/sql/compiler", "django/template/", "django/forms/")
            ):
                rows.append((cumulative / total, f"{where}:{line} {name}"))
        rows.sort(reverse=True)
        sections.append(
            f"## {load.title}: {per_request:.1f} ms per render (profiled)\n\n"
            + "\n".join(f"- {share:5.1%} {where}" for share, where in rows[:40])
            + f"\n\n{len(captured)} queries:\n\n"
            + "\n".join(f"- `{sql[:200]}`" for sql in captured)
        )
    out = BENCH / "reports" / f"speed-profile-{database}.md"
    out.write_text(
        f"# Where the learner's pages spend their time ({NAMES[database]})\n\n"
        "Written by `python -m bench.speed --profile`: each page rendered in-process under "
        "cProfile; the share of the time spent inside each function, callees included.\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
    print(f"Profile written to {out}")
    return 0


# The report -----------------------------------------------------------------------------------


def figures(load: dict) -> dict:
    rounds = load["rounds"]
    return {
        "cpu_ms": statistics.median(1000 * r["cpu_seconds"] / r["requests"] for r in rounds),
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "wrong": sum(r["wrong_status"] for r in rounds),
        "worker_mib": load.get("memory", {}).get("worker_kib", 0) / 1024,
    }


def checks(results: dict) -> list[tuple[str, bool]]:
    measured = {key: figures(load) for key, load in results["loads"].items()}
    out = []
    for key, (baseline, most) in BARS.items():
        ratio = measured[key]["cpu_ms"] / measured[baseline]["cpu_ms"]
        out.append(
            (
                f"{results['loads'][key]['title']}: {measured[key]['cpu_ms']:.1f} ms of server "
                f"CPU per request, {ratio:.2f} x the {baseline} baseline (bar {most} x)",
                ratio <= most,
            )
        )
    for key, load in measured.items():
        out.append((f"{key}: every answer as expected ({load['wrong']} not)", load["wrong"] == 0))
    weight = results["page_weight"]["total_kb"]
    out.append(
        (
            f"article step page weight {weight:.1f} KB compressed with its CSS and scripts "
            f"(bar {PAGE_WEIGHT_MAX_KB} KB)",
            weight < PAGE_WEIGHT_MAX_KB,
        )
    )
    return out


def summary(results: dict) -> str:
    lines = [f"Speed on {NAMES[results['database']]}:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks(results)]
    return "\n".join(lines)


def section(results: dict) -> str:
    measured = {key: figures(load) for key, load in results["loads"].items()}
    lines = [
        f"## {NAMES[results['database']]}",
        "",
        f"{results['requests']:,} sequential requests per load and round, {results['rounds']} "
        f"rounds taking turns, one granian worker; {results['data']['learners']:,} learners. "
        f"Finished {results['finished_at']}.",
        "",
        "| request | server CPU | x baseline | bar | req/s | p50 | p99 | queries | worker RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, load in results["loads"].items():
        figure = measured[key]
        baseline, most = BARS.get(key, (key, None))
        ratio = figure["cpu_ms"] / measured[baseline]["cpu_ms"]
        bar = f"{most} x" if most else "baseline"
        lines.append(
            f"| {load['title']} | {figure['cpu_ms']:.1f} ms | {ratio:.2f} | {bar} | "
            f"{figure['rps']:.0f} | {figure['p50_ms']:.1f} ms | {figure['p99_ms']:.1f} ms | "
            f"{results['queries'][key]} | {figure['worker_mib']:.0f} MiB |"
        )
    weight = results["page_weight"]
    lines += [
        "",
        f"Page weight of the article step, compressed: {weight['total_kb']:.1f} KB ("
        + ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in weight["files"].items())
        + ").",
        "",
        "```",
        summary(results),
        "```",
        "",
    ]
    return "\n".join(lines)


def write_report() -> None:
    write_sections(
        "speed",
        "# Speed: the learner's pages against a bare Django view\n\n"
        "Written by `python -m bench.speed` (part of `make bench`); see that module for the "
        "data, the load and the bars. Server CPU per request is the median over the rounds.\n\n",
        section,
    )


def report() -> int:
    """Writes the report from both databases' results; non-zero when one is missing or fails."""
    write_report()
    return verdict("speed", "Speed", summary, checks)


if __name__ == "__main__":
    sys.exit(main())
