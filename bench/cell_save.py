"""The tally cell save over HTTP on the production path, against a bare POST of one UPDATE.

Run:  make bench-save        (= .venv/bin/python -m bench.cell_save; ~3 minutes)
      .venv/bin/python -m bench.cell_save --saves 30 --pairs 3 --writers 1,4

What it does (method of the performance notes, parts A1 and A6):
- builds a throwaway PostgreSQL database with `scripts/prod.sh prepare` (migrate, collectstatic,
  the demo data) through bench/drills/stack.py, as bench/pages_http.py does, and starts the
  Procfile's gunicorn (config/deploy/gunicorn.conf.py, 2 sync workers, production settings) and
  one Celery worker (concurrency 1) on a Redis database of its own: each save's rollup refresh
  runs in that worker, as in production;
- gives the demo centre 磁器口 a history that reaches this month (the demo's last two years moved
  forward, so a save's checks read a real year), and logs in one clerk per writer (created in the
  throwaway database) through the login form;
- each writer saves its own indicator of the current month, which is open (services/locking.py),
  value + 1 each time with the value it showed as base, one request after the other, checking
  every answer is the saved cell; 1 and 4 writers at once, all at the same centre (they share its
  row lock and its rollup refresh);
- interleaved with each run, the same number of writers POSTs to bench/bare.py's `bare-save/`
  under the same gunicorn config: the same middleware minus ours, CSRF checked, one UPDATE of a
  row of a tiny table of its own in the same database, in autocommit;
- after each run of ours it waits until the worker has caught up (the centre's rollups fresh,
  the outbox empty), then reads the worker's log: every refresh task's own runtime ("succeeded
  in …s"), and the worker processes' CPU time over the run, each divided by the saves.

Printed: p50/p99 of ours and bare at each number of writers (all requests of the runs), ours ÷
bare as the median of the per-pair ratios of p50 (min–max), and the worker's time per save.
The load generator is Python threads in this process (one connection each, as a browser tab's
requests follow one another), sharing the two cores: the milliseconds are ceilings, compare the
ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.drills.stack import Stack
from bench.pages_http import login, make_stack, start_bare, start_stack

WRITERS = ["opd_visits", "tcm_visits", "discharges", "referrals_up"]

# Run in the throwaway database (manage.py shell): the centre's history up to this month, one
# clerk per writer, fresh rollups; prints what the benchmark needs as JSON.
SETUP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled
from centers.models import Centre, CentreMembership
from services.models import Indicator, TallyValue
from services.rollups import build

WRITERS = {writers!r}
with scopes_disabled():
    centre = Centre.objects.get(slug="ciqikou")
    month = timezone.localdate().replace(day=1)
    last = TallyValue.objects.filter(centre=centre).order_by("-period").first().period
    shift = max(0, month.year - last.year)
    moved = [
        TallyValue(centre=centre, indicator_id=v.indicator_id, value=v.value,
                   period=v.period.replace(year=v.period.year + shift))
        for v in TallyValue.objects.filter(centre=centre, period__year__gte=last.year - 1)
        if v.period.replace(year=v.period.year + shift) <= month
    ]
    TallyValue.objects.bulk_create(moved, ignore_conflicts=True)
    ids = {{}}
    for code in WRITERS:
        ind = Indicator.objects.get(code=code)
        cell, _ = TallyValue.objects.get_or_create(
            centre=centre, indicator=ind, period=month, defaults={{"value": 1000}})
        ids[code] = int(cell.value)
    User = get_user_model()
    for i in range(len(WRITERS)):
        user, _ = User.objects.get_or_create(username=f"benchclerk{{i}}")
        user.set_password("chc-demo")
        user.save()
        CentreMembership.objects.get_or_create(
            user=user, centre=centre, role=CentreMembership.Role.CLERK)
    build([centre.pk])
    print(json.dumps({{"centre": centre.pk, "month": month.isoformat(), "values": ids,
                      "moved": len(moved)}}))
"""

TASK_DONE = re.compile(r"refresh_rollups_task\[[^\]]+\] succeeded in ([\d.e-]+)s")


@dataclass
class Run:
    kind: str
    writers: int
    latencies: list[float]  # ms
    task_seconds: float = 0.0  # the refresh tasks' own runtime, from the worker's log
    tasks: int = 0
    worker_cpu: float = 0.0  # CPU seconds of the worker's processes over the run and its drain
    drain: float = 0.0  # seconds the worker still needed after the last save
    problems: list[str] = field(default_factory=list)

    @property
    def saves(self) -> int:
        return len(self.latencies)


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def group_cpu(sid: int) -> float:
    """CPU seconds used so far by the live processes of one session (a process and its pool)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Writer:
    """One clerk's tab: saves its cell one request after the other, on one connection."""

    def __init__(self, port: int, headers: dict[str, str], path: str, form) -> None:
        self.port, self.headers, self.path, self.form = port, headers, path, form
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self) -> tuple[float, int, bytes]:
        body = urlencode(self.form())
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        start = time.perf_counter()
        for attempt in (0, 1):  # sync workers close each connection: reconnect once if stale
            try:
                self.conn.request("POST", self.path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                if attempt:
                    raise
        return (time.perf_counter() - start) * 1000, response.status, data


def ours_writer(port: int, cookie: str, month: str, code: str, values: dict) -> Writer:
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    headers = {
        "X-Forwarded-Proto": "https",  # what nginx adds; production redirects plain HTTP
        "Cookie": cookie,
        "X-CSRFToken": csrf,
        "Referer": f"https://127.0.0.1:{port}/",
        "HX-Request": "true",
    }

    def form() -> dict:
        old = values[code]
        values[code] = old + 1
        return {"indicator": code, "period": month, "value": str(old + 1), "base": str(old)}

    return Writer(port, headers, "/centres/ciqikou/tallies/cell/", form)


def bare_writer(port: int, row: int, values: dict) -> Writer:
    token = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and header
    headers = {"Cookie": f"csrftoken={token}", "X-CSRFToken": token}

    def form() -> dict:
        values[row] = values.get(row, 0) + 1
        return {"id": row, "value": values[row]}

    return Writer(port, headers, "/bare-save/", form)


def run(writers: list[Writer], saves: int, kind: str) -> Run:
    """Every writer saves `saves` times, all at once; the latencies of every request."""
    latencies: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()

    def loop(w: Writer) -> None:
        mine = []
        for _ in range(saves):
            ms, status, data = w.post()
            mine.append(ms)
            ok = status == 200 and (kind == "bare" or b"is-saved" in data)
            if not ok:
                with lock:
                    problems.append(f"HTTP {status}: {data[:200]!r}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(kind, len(writers), latencies, problems=problems)


def drained(stack: Stack, centre: int) -> bool:
    state = stack.sql(
        "SELECT (built = changed AND refresh_queued_at IS NULL)::int FROM services_rollupstate "
        f"WHERE centre_id = {centre}; SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL"
    ).split()
    return state == ["1", "0"]


class Bench:
    """The running servers, the logged-in writers and the measuring of one run."""

    def __init__(self, stack: Stack, var: Path) -> None:
        self.stack = stack
        self.data = json.loads(
            stack.manage("shell", "-c", SETUP.format(writers=WRITERS)).splitlines()[-1]
        )
        stack.sql(
            "CREATE TABLE bench_bare_cell (id integer PRIMARY KEY, value numeric(14, 2) NOT NULL,"
            " updated_at timestamptz); INSERT INTO bench_bare_cell"
            f" SELECT i, 0, now() FROM generate_series(1, {len(WRITERS)}) i"
        )
        self.bare, self.bare_port = start_bare(var, stack.env["DATABASE_URL"])
        self.port = stack.web_ports[0]
        base = f"http://127.0.0.1:{self.port}"
        self.cookies = [login(base, f"benchclerk{i}") for i in range(len(WRITERS))]
        self.values, self.bare_values = dict(self.data["values"]), {}
        self.worker = stack.procs[("worker", 0)]
        self.worker_log = stack.logs / "worker.0.log"

    def writers(self, kind: str, n: int) -> list[Writer]:
        if kind == "ours":
            month = self.data["month"]
            return [
                ours_writer(self.port, self.cookies[i], month, WRITERS[i], self.values)
                for i in range(n)
            ]
        return [bare_writer(self.bare_port, i + 1, self.bare_values) for i in range(n)]

    def measure(self, kind: str, n: int, saves: int) -> Run:
        """One run; for ours, until the worker has caught up, with its share."""
        offset = self.worker_log.stat().st_size
        cpu = group_cpu(self.worker.pid)
        result = run(self.writers(kind, n), saves, kind)
        if kind == "ours":
            finished = time.monotonic()
            while not drained(self.stack, self.data["centre"]):
                if time.monotonic() > finished + 120:
                    result.problems.append("the worker did not catch up within 120 s")
                    break
                time.sleep(0.02)
            result.drain = time.monotonic() - finished
            time.sleep(0.2)  # the log line is written after the task's commit
        with open(self.worker_log, "rb") as f:
            f.seek(offset)
            done = [float(x) for x in TASK_DONE.findall(f.read().decode(errors="replace"))]
        result.tasks, result.task_seconds = len(done), sum(done)
        result.worker_cpu = group_cpu(self.worker.pid) - cpu
        return result

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bare.pid, signal.SIGTERM)
        self.bare.wait(timeout=30)


def describe(r: Run) -> str:
    line = f"  {r.kind} ×{r.writers}: p50 {pct(r.latencies, 50):.1f} ms"
    line += f", p99 {pct(r.latencies, 99):.1f} ms"
    if r.kind == "ours":
        line += (
            f", {r.tasks} refreshes, task {r.task_seconds * 1000 / r.saves:.1f} ms/save,"
            f" worker CPU {r.worker_cpu * 1000 / r.saves:.1f} ms/save,"
            f" drain {r.drain * 1000:.0f} ms"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40, help="saves per writer per run")
    parser.add_argument("--pairs", type=int, default=3, help="A B pairs per number of writers")
    parser.add_argument("--writers", default="1,4", help="numbers of concurrent writers")
    parser.add_argument("--redis-db", type=int, default=12, help="flushed at the start")
    args = parser.parse_args()
    counts = [int(n) for n in args.writers.split(",")]
    assert max(counts) <= len(WRITERS), f"at most {len(WRITERS)} writers"

    began = time.monotonic()
    var = Path(tempfile.mkdtemp(prefix="chc-bench-save-"))
    stack, bench = None, None
    try:
        print(f"building the database and starting the servers in {var} ...", flush=True)
        stack = make_stack(var, args.redis_db)
        stack.db = stack.db.replace("chc_bench_http_", "chc_bench_save_")
        stack.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{stack.db}"
        start_stack(stack)
        bench = Bench(stack, var)
        print(
            f"ready in {time.monotonic() - began:.0f} s: saving {bench.data['month']} at centre"
            f" {bench.data['centre']} ({bench.data['moved']} tallies moved forward);"
            f" {args.saves} saves per writer per run, {args.pairs} pairs",
            flush=True,
        )
        for n in counts:  # warm-up: imports, connections, caches of both servers and the worker
            bench.measure("ours", n, 5)
            bench.measure("bare", n, 5)
        runs: dict[tuple[str, int], list[Run]] = {}
        for n in counts:
            for _ in range(args.pairs):
                for kind in ("ours", "bare"):  # interleaved A B A B
                    r = bench.measure(kind, n, args.saves)
                    runs.setdefault((kind, n), []).append(r)
                    print(describe(r), flush=True)
        print_table(runs, counts, args)
        print(f"total {time.monotonic() - began:.0f} s")
    finally:
        if bench is not None:
            bench.stop()
        if stack is not None:
            stack.stop()
            broker = stack.env["CELERY_BROKER_URL"]
            subprocess.run(["redis-cli", "-u", broker, "FLUSHDB"], check=False, capture_output=True)
        shutil.rmtree(var, ignore_errors=True)


def target(writers: int, p50: float, task: float, cpu: float) -> str:
    """Issue 12's targets: the worker's time per save at most the save's own; at 4 writers the
    save's p50 at most 20 ms."""
    met = max(task, cpu) <= p50 and (writers != 4 or p50 <= 20)
    text = "p50 ≤ 20 ms, worker ≤ save" if writers == 4 else "worker ≤ save"
    return f"{text}: {'met' if met else 'NOT MET'}"


def print_table(runs: dict[tuple[str, int], list[Run]], counts: list[int], args) -> None:
    print()
    print(
        f"cell save over HTTP, gunicorn 2 sync workers + 1 Celery worker, production settings;"
        f" {args.saves} saves per writer per run, {args.pairs} interleaved pairs; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    head = (
        "writers",
        "ours p50/p99 ms",
        "bare p50/p99 ms",
        "ours÷bare p50 (min–max)",
        "worker task ms/save",
        "worker CPU ms/save",
        "refreshes/saves",
        "target",
    )
    lines, problems = [], []
    for n in counts:
        ours, bare = runs[("ours", n)], runs[("bare", n)]
        all_ours = [x for r in ours for x in r.latencies]
        all_bare = [x for r in bare for x in r.latencies]
        ratios = [
            pct(a.latencies, 50) / pct(b.latencies, 50) for a, b in zip(ours, bare, strict=True)
        ]
        saves = sum(r.saves for r in ours)
        p50 = pct(all_ours, 50)
        task = sum(r.task_seconds for r in ours) * 1000 / saves
        cpu = sum(r.worker_cpu for r in ours) * 1000 / saves
        lines.append(
            (
                str(n),
                f"{p50:.1f}/{pct(all_ours, 99):.1f}",
                f"{pct(all_bare, 50):.1f}/{pct(all_bare, 99):.1f}",
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})",
                f"{task:.1f}",
                f"{cpu:.1f}",
                f"{sum(r.tasks for r in ours)}/{saves}",
                target(n, p50, task, cpu),
            )
        )
        problems += [f"{r.kind} ×{n}: {p}" for r in ours + bare for p in r.problems]
    widths = [max(len(row[i]) for row in [head, *lines]) for i in range(len(head))]
    for row in [head, *lines]:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print(
        "worker task: the refresh tasks' own runtime (Celery's 'succeeded in'); worker CPU: the"
        " worker's processes (main and pool) over the run and until it caught up; both per save."
    )
    for problem in sorted(set(problems))[:20]:
        print("UNRELIABLE:", problem)


if __name__ == "__main__":
    main()
