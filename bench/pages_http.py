"""HTTP benchmark: our pages against a bare Django page of the same size, on production settings.

Run:  make bench-http        (= .venv/bin/python -m bench.pages_http; ~12 minutes)
      .venv/bin/python -m bench.pages_http --only dashboard --pairs 5

What it does (method of the performance notes, part A1):
- builds a throwaway PostgreSQL database (migrate, collectstatic into a temp folder, the demo data)
  with `scripts/prod.sh prepare`, through bench/drills/stack.py, and starts the Procfile's gunicorn
  (config/deploy/gunicorn.conf.py, 2 sync workers) and one Celery worker on a Redis database of
  its own; settings are config.settings.production (bench/http_settings.py only moves
  STATIC_ROOT). wrk talks to gunicorn directly with `X-Forwarded-Proto: https`, as nginx would,
  so TLS is not measured;
- starts bench/bare.py under the same gunicorn config: one view, no middleware, no database,
  returning an HTML body of exactly N bytes;
- logs in the demo users through the login form, and for each page: fetches it once to learn its
  body size N, then runs wrk (-t2 -c16, --latency) on ours and on the bare page of N bytes,
  interleaved A B A B, after a short warm-up of each;
- prints req/s and p50/p99 (medians over the runs) and ours ÷ bare (req/s) as the median of the
  pairs, with its min–max.

Both servers run with worker recycling off (GUNICORN_MAX_REQUESTS=0): the production value (2,000
requests) would restart a bare worker every second or so and flatter the ratio. wrk shares the two
cores with the servers, so the req/s are floors; compare the ratios. Without wrk on PATH it falls
back to Python threads with http.client keep-alive, which are much slower than wrk and starve the
bare page most (the ratio then understates our cost); the table says which generator ran.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.drills.stack import ROOT, Stack, free_port

VENV_BIN = Path(ROOT) / ".venv" / "bin"
PROTO = {"X-Forwarded-Proto": "https"}  # what nginx adds; production redirects plain HTTP


@dataclass
class Page:
    label: str
    user: str
    url: str
    size: int = 0
    cookie: str = ""


@dataclass
class Run:
    rps: float
    p50: float  # ms
    p99: float  # ms
    problems: list[str] = field(default_factory=list)
    bytes_per_request: float = 0.0  # a check that the pages were ours, not a redirect
    other_cpu: float = 0.0  # cores used meanwhile by processes that are not the benchmark's


# --- the servers ---------------------------------------------------------------------------
def make_stack(var: Path, redis_db: int) -> Stack:
    """The Procfile's processes on a database and Redis database of their own (not started)."""
    stack = Stack(var, web=1, workers=1, broker=f"redis://127.0.0.1:6379/{redis_db}")
    stack.db = f"chc_bench_http_{os.getpid()}_{int(time.time())}"
    stack.env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{stack.db}",
        DJANGO_SETTINGS_MODULE="bench.http_settings",
        CHC_BENCH_STATIC_ROOT=str(var / "static"),
        WEB_CONCURRENCY="2",
        GUNICORN_MAX_REQUESTS="0",
        GUNICORN_LOG_LEVEL="warning",
    )
    return stack


def start_stack(stack: Stack) -> None:
    """Migrate, collectstatic, load the demo; then gunicorn (2 sync workers) and one worker."""
    stack.prepare()
    stack.start("web")
    stack.start("worker")
    wait_ok(f"http://127.0.0.1:{stack.web_ports[0]}/readyz/", stack.logs)


def start_bare(var: Path, database_url: str = "") -> tuple[subprocess.Popen, int]:
    """bench/bare.py under the production gunicorn config; with a database, its `bare-save/`
    answers too (bench/cell_save.py)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(PORT=str(port), WEB_CONCURRENCY="2", GUNICORN_MAX_REQUESTS="0")
    env.update(GUNICORN_LOG_LEVEL="warning", GUNICORN_PROC_NAME="chc-bench-bare")
    if database_url:
        env["CHC_BARE_DATABASE_URL"] = database_url
    log = open(var / "logs" / "bare.log", "ab")  # noqa: SIM115 (owned by the process)
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "bench.bare:application",
            "-c",
            "config/deploy/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_ok(f"http://127.0.0.1:{port}/bare/10/", var / "logs")
    return proc, port


def wait_ok(url: str, logs: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, headers=PROTO, timeout=2).ok:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer; logs in {logs}")


def login(base: str, username: str) -> str:
    """The Cookie header of a fresh session (cookies are Secure, so they are sent by hand)."""
    url = base + "/accounts/login/"
    page = requests.get(url, headers=PROTO, timeout=10)
    csrf = page.cookies["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = requests.post(
        url,
        data={"username": username, "password": "chc-demo", "csrfmiddlewaretoken": token},
        headers={
            **PROTO,
            "Cookie": f"csrftoken={csrf}",
            "Referer": url.replace("http:", "https:", 1),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302 and "sessionid" in answer.cookies, (
        username,
        answer.status_code,
    )
    session = answer.cookies["sessionid"]
    return f"csrftoken={answer.cookies.get('csrftoken', csrf)}; sessionid={session}"


def body_size(url: str, cookie: str) -> int:
    """The body wrk will get: same headers, no compression asked for, no redirect followed."""
    r = requests.get(
        url,
        headers={**PROTO, "Cookie": cookie, "Accept-Encoding": "identity"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 200, (url, r.status_code, r.headers.get("Location"))
    return len(r.content)


# --- the load generators -------------------------------------------------------------------
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def wrk(
    url: str, cookie: str, *, seconds: float, connections: int, threads: int
) -> tuple[Run, str]:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    cmd += ["-H", "X-Forwarded-Proto: https"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out).groups()
    run = Run(rps, latency("50"), latency("99"))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        run.problems.append(f"{m.group(1)} non-2xx")
    if m := re.search(r"Socket errors: (.*)", out):
        run.problems.append("socket errors " + m.group(1))
    run.bytes_per_request = float(value) * SIZES[unit] / rps if rps else 0.0
    return run, out


def pyload(
    url: str, cookie: str, *, seconds: float, connections: int, threads: int
) -> tuple[Run, str]:
    """Fallback without wrk: one thread per connection, http.client keep-alive (GIL-bound)."""
    host, port, target = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    headers = {**PROTO, "Cookie": cookie} if cookie else dict(PROTO)
    latencies: list[float] = []
    problems: list[str] = []
    total_bytes = [0]
    deadline = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        mine: list[float] = []
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                problems.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                continue
            mine.append((time.perf_counter() - start) * 1000)
            total_bytes[0] += len(data)
            if response.status >= 400:
                problems.append(f"HTTP {response.status}")
        conn.close()
        latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(connections)]
    began = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    run = Run(len(latencies) / elapsed, q[49], q[98], sorted(set(problems)))
    run.bytes_per_request = total_bytes[0] / max(len(latencies), 1)
    return run, ""


def other_cpu_seconds(ours: set[int]) -> float:
    """CPU seconds used so far by every process outside our sessions, PostgreSQL excepted.

    Children that have exited count through their parent's cutime/cstime, so a test suite
    running beside the benchmark shows up. PostgreSQL is left out because its backends serve us.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        comm, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        fields = rest.split()  # state ppid pgrp session ... utime stime cutime cstime at 11..14
        if comm != "postgres" and int(fields[3]) not in ours:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the benchmark -------------------------------------------------------------------------
def pages(stack: Stack) -> list[Page]:
    def one(sql: str) -> str:
        value = stack.sql(sql)
        assert value, sql
        return value.splitlines()[0]

    centre = one("SELECT id FROM centers_centre WHERE slug = 'ciqikou'")
    district = one("SELECT id FROM centers_authority WHERE slug = 'shapingba'")
    half = "first = '2024-01-01' AND last = '2024-06-01'"
    centre_summary = one(f"SELECT id FROM reporting_summary WHERE centre_id = {centre} AND {half}")
    district_summary = one(
        f"SELECT id FROM reporting_summary WHERE authority_id = {district} AND {half}"
    )
    # the category with the most indicators: the largest grid
    category = one(
        "SELECT category FROM services_indicator GROUP BY category "
        "ORDER BY count(*) DESC, category LIMIT 1"
    )
    c, d = "/centres/ciqikou/", "/authorities/shapingba/"
    return [
        Page("staff figures 2024", "manager", c + "staff/figures/?year=2024&part=year"),
        Page("dashboard 2024 H1 (district)", "reviewer", d + "dashboard/?year=2024&part=h1"),
        # The chart's fragment, which the dashboard fetches right after it.
        Page(
            "dashboard trend fragment",
            "reviewer",
            d + "dashboard/trend/?year=2024&part=h1&trend=opd_visits",
        ),
        Page("centre overview", "manager", c),
        Page("reviewer centre list", "reviewer", d + "centres/"),
        Page(f"tally grid 2024 {category}", "clerk", c + f"tallies/2024/{category}/"),
        Page("roster", "manager", c + "staff/"),
        Page("annual filing 2024", "manager", c + "filings/2024/"),
        Page("district summary 2024 H1", "reviewer", d + f"summaries/{district_summary}/"),
        Page("centre summary 2024 H1", "manager", c + f"summaries/{centre_summary}/"),
    ]


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50 for r in runs),
        statistics.median(r.p99 for r in runs),
        sorted({p for r in runs for p in r.problems}),
        other_cpu=max(r.other_cpu for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up run of each, unmeasured")
    parser.add_argument("--pairs", type=int, default=3, help="A B pairs per page (>= 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="pages whose label contains this text")
    parser.add_argument("--redis-db", type=int, default=11, help="flushed at the start")
    parser.add_argument("--python-load", action="store_true", help="use the fallback generator")
    args = parser.parse_args()

    began = time.monotonic()
    load = wrk if shutil.which("wrk") and not args.python_load else pyload
    generator = (
        f"wrk -t{args.threads} -c{args.connections}"
        if load is wrk
        else f"Python http.client, {args.connections} threads"
    )
    var = Path(tempfile.mkdtemp(prefix="chc-bench-http-"))
    stack, bare = None, None
    try:
        print(f"building the database and starting the servers in {var} ...", flush=True)
        stack = make_stack(var, args.redis_db)
        start_stack(stack)
        bare, bare_port = start_bare(var)
        ours_base = f"http://127.0.0.1:{stack.web_ports[0]}"
        bare_base = f"http://127.0.0.1:{bare_port}"
        ours_sessions = {os.getsid(0), bare.pid, *(p.pid for p in stack.procs.values())}
        todo = [p for p in pages(stack) if args.only in p.label]
        cookies = {user: login(ours_base, user) for user in {p.user for p in todo}}
        setup = time.monotonic() - began
        print(f"ready in {setup:.0f} s; {generator}, {args.seconds:g} s runs, {args.pairs} pairs")

        rows = []
        for page in todo:
            page.cookie = cookies[page.user]
            page.size = body_size(ours_base + page.url, page.cookie)
            bare_url = f"{bare_base}/bare/{page.size}/"
            # A fragment smaller than the bare page's empty layout is set against that layout:
            # a larger bare page, so the ratio can only flatter the bare side.
            bare_size = body_size(bare_url, "")
            assert bare_size >= page.size, (bare_size, page.size)
            targets = [(ours_base + page.url, page.cookie), (bare_url, "")]

            def measure(target, seconds, page=page):
                before, start = other_cpu_seconds(ours_sessions), time.monotonic()
                run, _ = load(
                    target[0],
                    target[1],
                    seconds=seconds,
                    connections=args.connections,
                    threads=args.threads,
                )
                run.other_cpu = (other_cpu_seconds(ours_sessions) - before) / (
                    time.monotonic() - start
                )
                got = run.bytes_per_request
                if got < 0.95 * page.size:  # a redirect or an error page instead of ours
                    run.problems.append(f"{got:.0f} B/response, expected {page.size}")
                return run

            for target in targets:
                measure(target, args.warmup)
            ours, base = [], []
            for _ in range(args.pairs):
                ours.append(measure(targets[0], args.seconds))
                base.append(measure(targets[1], args.seconds))
            ratios = [a.rps / b.rps for a, b in zip(ours, base, strict=True)]
            rows.append((page, median_run(ours), median_run(base), ratios))
            print(
                f"  {page.label}: {page.size} B, ours {[round(r.rps) for r in ours]} req/s,"
                f" bare {[round(r.rps) for r in base]} req/s, other CPU"
                f" {[round(r.other_cpu, 2) for r in ours + base]}",
                flush=True,
            )
        print_table(rows, generator, args)
        print(f"total {time.monotonic() - began:.0f} s (setup {setup:.0f} s)")
    finally:
        if bare is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(bare.pid, signal.SIGTERM)
            bare.wait(timeout=30)
        if stack is not None:
            stack.stop()
            broker = stack.env["CELERY_BROKER_URL"]
            subprocess.run(["redis-cli", "-u", broker, "FLUSHDB"], check=False, capture_output=True)
        shutil.rmtree(var, ignore_errors=True)


def print_table(rows, generator: str, args) -> None:
    print()
    print(
        f"{generator}, {args.seconds:g} s runs, medians of {args.pairs} interleaved pairs; "
        "latency p50/p99 in ms; gunicorn 2 sync workers each; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    head = (
        "page",
        "bytes",
        "ours req/s",
        "ours p50/p99",
        "bare req/s",
        "bare p50/p99",
        "ours÷bare (min–max)",
        "other CPU",
        "target ≥ 0.5×",
    )
    lines = []
    problems = []
    for page, ours, base, ratios in rows:
        ratio = statistics.median(ratios)
        lines.append(
            (
                page.label,
                f"{page.size:,}",
                f"{ours.rps:.0f}",
                f"{ours.p50:.0f}/{ours.p99:.0f}",
                f"{base.rps:.0f}",
                f"{base.p50:.1f}/{base.p99:.1f}",
                f"{ratio:.3f} ({min(ratios):.3f}–{max(ratios):.3f})",
                f"{max(ours.other_cpu, base.other_cpu):.2f}",
                "met" if ratio >= 0.5 else "NOT MET",  # issue 12: half the bare page or better
            )
        )
        for who, run in (("ours", ours), ("bare", base)):
            if run.problems:
                problems.append(f"{page.label} ({who}): {'; '.join(run.problems)}")
    widths = [max(len(row[i]) for row in [head, *lines]) for i in range(len(head))]
    for row in [head, *lines]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(
        "other CPU: the most cores that processes outside the benchmark (PostgreSQL excepted)"
        " used during any run of the page; above 0.10 the two cores were shared."
    )
    for problem in problems:
        print("UNRELIABLE:", problem)


if __name__ == "__main__":
    main()
