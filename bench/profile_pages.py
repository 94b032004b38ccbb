"""In-process profile of bench/pages_http.py's pages, each beside the bare page of the same size.

Run:  .venv/bin/python -m bench.profile_pages                      (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python -m bench.profile_pages
      .venv/bin/python -m bench.profile_pages --profile roster     (cProfile of one page)

What it does:
- builds a throwaway test database (as bench/city.py does) and loads the demo (`load_demo`);
- for each page of pages_http.pages() (same users, same URLs) it times GET requests through
  django.test.Client (force_login; the settings' middleware, context processors and cached
  template loader; DEBUG off), and counts the queries and bytes of one request;
- beside it, the bare page of bench/bare.py of the same byte size, timed the same way
  (django.test.Client) in a child process, since bench/bare.py configures settings of its own.
  Ours and bare are interleaved A B A B in rounds, so both see the same machine load;
- prints the median ms per request of each, bare ÷ ours (the throughput ratio that issue 12's
  target reads: ≥ 0.5), and the queries.

The in-process time leaves out what gunicorn and the socket cost; both sides would pay that
alike, so the HTTP ratio (bench/pages_http.py) is a little closer to 1 than this one.
Static files use the test settings' plain storage rather than the manifest one of production.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "localhost"  # in ALLOWED_HOSTS of the test settings, without setup_test_environment()


# --- the bare side: a child process serving bench/bare.py's page through a test client ------
def bare_worker() -> None:
    """Read "size runs" lines on stdin, answer each with a JSON list of ms per request."""
    importlib.import_module("bench.bare")  # configures Django for the bare page, first
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    for line in sys.stdin:
        size, runs = (int(x) for x in line.split())
        url = f"/bare/{size}/"
        response = client.get(url)  # finds the layout for this size once
        # A fragment smaller than the empty layout is set against that layout (bench/pages_http.py).
        assert response.status_code == 200 and len(response.content) >= size, (size, response)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        print(json.dumps(times), flush=True)


class Bare:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.profile_pages", "--bare-worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def times(self, size: int, runs: int) -> list[float]:
        self.proc.stdin.write(f"{size} {runs}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --- our side -------------------------------------------------------------------------------
class DbStack:
    """Just enough of bench.drills.stack.Stack for pages_http.pages(): `sql` → first column."""

    def sql(self, query: str) -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(query)
            return "\n".join(str(row[0]) for row in cursor.fetchall())


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import warnings

    warnings.filterwarnings("ignore", "No directory at")
    import django

    django.setup()
    import logging

    # The access line of every request is still formatted and written, as in production,
    # but to /dev/null rather than over the table.
    devnull = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)


def load_data() -> None:
    from django.conf import settings
    from django.utils import translation

    from reporting.demo import load_demo

    with translation.override(settings.LANGUAGE_CODE):
        load_demo()


def clients(users: set[str]) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    User = get_user_model()
    result = {}
    for username in users:
        client = Client(HTTP_HOST=HOST)
        client.force_login(User.objects.get(username=username))
        result[username] = client
    return result


def timed(client, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def one_request(client, url: str) -> tuple[int, int]:
    """(queries, body bytes) of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    return len(queries), len(response.content)


def profile(client, url: str, runs: int, limit: int, match: str = "", callers: str = "") -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs()
    print(f"\n--- cProfile of {runs} requests to {url}: cumulative ---")
    stats.sort_stats("cumulative").print_stats(*([match] if match else []), limit)
    print("--- tottime ---")
    stats.sort_stats("tottime").print_stats(limit // 2)
    if callers:  # who calls an expensive function (a builtin's line says only "__new__")
        stats.print_callers(callers)


def show_queries(client, url: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"\n--- the {len(queries)} queries of {url} ---")
    for i, q in enumerate(queries, 1):
        print(f"{i:>3}. {q['sql'][:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page and side")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds the runs are split in")
    parser.add_argument("--only", default="", help="pages whose label contains this text")
    parser.add_argument("--profile", default="", metavar="LABEL", help="cProfile this page")
    parser.add_argument("--limit", type=int, default=45, help="lines of the profile")
    parser.add_argument("--queries", action="store_true", help="with --profile: list the SQL")
    parser.add_argument(
        "--callers", default="", help="with --profile: callers of functions matching"
    )
    parser.add_argument("--match", default="", help="with --profile: only functions matching")
    parser.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_worker:
        bare_worker()
        return

    setup_django()
    from django.db import connection

    from bench.pages_http import pages

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    bare = None
    try:
        started = time.monotonic()
        load_data()
        todo = [p for p in pages(DbStack()) if (args.profile or args.only) in p.label]
        if not todo:
            raise SystemExit(f"no page label contains {args.profile or args.only!r}")
        by_user = clients({p.user for p in todo})
        print(
            f"{connection.vendor}, demo data loaded in {time.monotonic() - started:.0f} s; "
            f"{args.runs} requests per page and side in {args.rounds} interleaved rounds"
        )
        if args.profile:
            page = todo[0]
            client = by_user[page.user]
            timed(client, page.url, 3)  # warm
            queries, size = one_request(client, page.url)
            print(f"{page.label}: {page.url} as {page.user}, {size:,} B, {queries} queries")
            profile(client, page.url, args.runs, args.limit, args.match, args.callers)
            if args.queries:
                show_queries(client, page.url)
            return

        bare = Bare()
        per_round = max(1, args.runs // args.rounds)
        print(
            f"{'page':<34}{'bytes':>9}{'ours ms':>9}{'bare ms':>9}{'bare/ours':>10}{'queries':>8}"
        )
        for page in todo:
            client = by_user[page.user]
            try:
                timed(client, page.url, 3)  # warm: templates compiled, caches filled
                queries, size = one_request(client, page.url)
            except Exception as exc:  # a page under rewrite elsewhere must not stop the rest
                print(f"{page.label:<34} FAILED: {type(exc).__name__}: {exc}"[:200])
                continue
            bare.times(size, 3)
            ours, base = [], []
            for _ in range(args.rounds):
                ours += timed(client, page.url, per_round)
                base += bare.times(size, per_round)
            a, b = statistics.median(ours), statistics.median(base)
            print(f"{page.label:<34}{size:>9,}{a:>9.1f}{b:>9.1f}{b / a:>10.2f}{queries:>8}")
    finally:
        if bare is not None:
            bare.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
