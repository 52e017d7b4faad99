"""`stoa serve`: Stoa behind granian, the production server, as `make run` and production use it.

    stoa serve [--host 127.0.0.1] [--port 8000] [--workers N] [--threads N]

It collects the static files first (hashed names, compressed copies: WhiteNoise then serves
them with far-future caching), then replaces itself with granian serving stoa.wsgi. Workers
default to the machine's cores: Django is synchronous, so a worker per core keeps them busy.
Each worker runs a few threads, so that a request waiting on the database or the network does
not hold up the next one. Settings come from the environment as for every `stoa` command.
"""

import argparse
import os
import sys

BACKLOG = 8192
THREADS = 4


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="stoa serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: cores)"
    )
    parser.add_argument(
        "--threads", type=int, default=THREADS, help=f"threads per worker (default: {THREADS})"
    )
    parser.add_argument(
        "--no-collectstatic", action="store_true", help="the static files are collected already"
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads take a whole number from 1")
    if not args.no_collectstatic:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["stoa", "collectstatic", "--noinput", "--verbosity", "0"])
    command = granian_command(
        host=args.host, port=args.port, workers=args.workers, threads=args.threads
    )
    print(f"Serving Stoa on http://{args.host}:{args.port}/ ({args.workers} workers)", flush=True)
    os.execv(sys.executable, command)


def granian_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """granian serving Stoa as `stoa serve` runs it (the benchmarks run the same)."""
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        # Learners keep connections open between pages, and each worker takes at most
        # backlog / workers of them: granian's 1,024 would leave the next ones unanswered.
        "--backlog", str(BACKLOG),
        "--no-ws",
        "--respawn-failed-workers",
        "--log-level", "warning",
        "stoa.wsgi:application",
    ]  # fmt: skip
