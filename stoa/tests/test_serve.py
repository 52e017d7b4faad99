"""`stoa serve`: the production server from the first command. Started for real on a free
port with production settings, as `make run` and an institution's server start it: pages
come compressed, static files under hashed names with far-future caching."""

import gzip
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

STOA = [sys.executable, "-m", "stoa.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    """(status, headers (their names in any case), body) of a GET through a pretend TLS proxy."""
    request = urllib.request.Request(
        url, headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.fixture
def served(tmp_path: Path):
    """A production server on a fresh SQLite database of its own."""
    env = {
        **os.environ,
        "STOA_ENV": "production",
        "STOA_SECRET_KEY": secrets.token_urlsafe(48),
        "STOA_ALLOWED_HOSTS": "127.0.0.1",
        "STOA_DATA_DIR": str(tmp_path),
        "STOA_LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "STOA_DEBUG", "STOA_S3_BUCKET"):
        env.pop(name, None)
    subprocess.run([*STOA, "migrate", "--verbosity", "0"], env=env, check=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    command = [*STOA, "serve", "--port", str(port), "--workers", "1", "--threads", "2"]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(origin + "/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.3)
        yield origin
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_the_server_compresses_pages_and_caches_hashed_static_files(served):
    status, headers, body = _get(served + "/")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    assert "<h1" in page
    stylesheet = re.search(r'href="(/static/stoa/stoa\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the stylesheet is not under a hashed name"
    status, headers, body = _get(served + stylesheet[1])
    assert status == 200
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    assert b".chart" in gzip.decompress(body)


def test_serve_refuses_nonsense_before_starting():
    result = subprocess.run(
        [*STOA, "serve", "--workers", "0"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "whole number from 1" in result.stderr
