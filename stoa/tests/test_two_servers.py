"""Two app servers, one site: two `stoa serve` processes on different ports share PostgreSQL,
Redis and media storage, as app servers behind a load balancer do. A session made on one
works on the other, a completion written through one shows through the other, imported
media is served by both, and when one is killed (SIGKILL) in the middle of a stream of
completions the other keeps answering and no acknowledged completion is lost.

It needs PostgreSQL and Redis: `make test-scaled` runs it."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from stoa.courses.models import Step, StepType
from stoa.courses.services import import_package
from stoa.learning import services as learning
from stoa.learning.models import StepCompletion
from stoa.lib.shared import shared_dir
from stoa.testing import PASSWORD, make_course, make_user, step_of

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (make test-scaled)",
    ),
    pytest.mark.django_db(transaction=True),
]

STOA = [sys.executable, "-m", "stoa.cli"]
EXAMPLE = shared_dir() / "examples" / "qi-basics"


class Browser:
    """Just enough of a browser over urllib: cookies (secure ones too, as behind the TLS
    proxy the servers are told they sit behind), and the CSRF token of the last form."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, origin: str, path: str, data: dict | None = None):
        headers = {"X-Forwarded-Proto": "https", "Origin": origin.replace("http:", "https:")}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(origin + path, data=body, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers, response.read().decode("utf-8", "replace")

    def form_token(self, page: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def servers(tmp_path: Path, media_root: Path):
    """Two servers on the test database, with Redis and media storage of their own."""
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{urllib.parse.quote(db['USER'])}:{urllib.parse.quote(db['PASSWORD'] or '')}"
        f"@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    redis = urllib.parse.urlsplit(settings.REDIS_URL)._replace(path="/15").geturl()
    env = {
        **os.environ,
        "STOA_ENV": "production",
        "STOA_SECRET_KEY": secrets.token_urlsafe(48),
        "STOA_ALLOWED_HOSTS": "127.0.0.1",
        "STOA_DATA_DIR": str(tmp_path),
        "STOA_MEDIA_ROOT": str(media_root),
        "STOA_LOG_LEVEL": "WARNING",
        "STOA_TASKS_BACKEND": "immediate",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
    }
    env.pop("STOA_DEBUG", None)
    subprocess.run([*STOA, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    processes, origins = [], []
    for name in ("a", "b"):
        port = _free_port()
        log = (tmp_path / f"server-{name}.log").open("w")
        command = [*STOA, "serve", "--port", str(port), "--workers", "1", "--no-collectstatic"]
        # A session of its own, so that its workers stop with it.
        processes.append(
            subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
        origins.append(f"http://127.0.0.1:{port}")
    try:
        for process, origin in zip(processes, origins, strict=True):
            _wait_for(process, origin)
        yield processes, origins
    finally:
        for process in processes:
            _stop(process, signal.SIGTERM)


def _stop(process: subprocess.Popen, signal_number: int) -> None:
    """Stops the server and its workers, as a machine going down would with SIGKILL."""
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        return
    process.wait(timeout=20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until the workers, too, are gone
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _wait_for(process, origin: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on {origin} stopped"
        try:
            status, _, _ = Browser().request(origin, "/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{origin} did not answer within 60 s")


def _sign_in(browser: Browser, origin: str, email: str) -> None:
    _, _, page = browser.request(origin, "/accounts/signin/")
    token = browser.form_token(page)
    status, _, _ = browser.request(
        origin,
        "/accounts/signin/",
        {"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD},
    )
    assert status == 302, "signing in failed"


def _complete(browser: Browser, origin: str, step) -> int:
    _, _, page = browser.request(origin, step.get_absolute_url())
    token = browser.form_token(page)
    status, _, _ = browser.request(
        origin, step.get_absolute_url() + "complete/", {"csrfmiddlewaretoken": token}
    )
    return status


def test_two_servers_share_sessions_completions_and_media(servers):
    (first, second), (a, b) = servers
    course = make_course(weeks=3, steps_per_week=10, run_started_days_ago=14)
    Step.objects.filter(week__course=course).update(type=StepType.ARTICLE)
    learner = make_user("lee@example.org", name="Lee Learner")
    learning.enrol(user=learner, course=course)
    browser = Browser()

    # A session made on one server works on the other.
    _sign_in(browser, a, learner.email)
    status, _, page = browser.request(b, f"/courses/{course.slug}/todo/")
    assert status == 200 and "Lee Learner" in page

    # A completion written through one shows through the other.
    assert _complete(browser, a, step_of(course, 1, 1)) == 302
    _, _, progress = browser.request(b, f"/courses/{course.slug}/progress/")
    assert "(1 of 30)" in progress

    # Media imported once is served by both.
    imported = import_package(root=EXAMPLE).course
    media = imported.media_files.get()
    for origin in (a, b):
        status, _, _ = Browser().request(origin, media.file.url)
        assert status == 200, (origin, media.file.url)

    # A stream of completions through the first server, killed (with its workers) while
    # requests are in flight; a completion not acknowledged is tried again through the
    # second, as a learner would, and completing twice stores one.
    acknowledged = [step_of(course, 1, 1)]

    def kill_in_the_middle() -> None:
        while len(acknowledged) < 12:
            time.sleep(0.005)
        time.sleep(0.02)
        _stop(first, signal.SIGKILL)

    killer = threading.Thread(target=kill_in_the_middle)
    killer.start()
    steps = [step_of(course, week, position) for week in (1, 2, 3) for position in range(1, 11)]
    for step in steps[1:]:
        origin = a if first.returncode is None else b
        try:
            if _complete(browser, origin, step) == 302:
                acknowledged.append(step)
                continue
        except OSError:  # the killed server's connection
            pass
        assert _complete(browser, b, step) == 302
        acknowledged.append(step)
    killer.join()
    assert first.poll() is not None and second.poll() is None
    assert len(acknowledged) == 30
    stored = set(
        StepCompletion.objects.filter(enrolment__user=learner).values_list("step_id", flat=True)
    )
    assert {step.pk for step in acknowledged} <= stored
    status, _, _ = browser.request(b, f"/courses/{course.slug}/progress/")
    assert status == 200
