"""The API at city scale: a month pushed for 1,000 centres, and the figures query of the city.

Run:  make bench-api        (= .venv/bin/python -m bench.api_push; ~10 minutes)
      .venv/bin/python -m bench.api_push --pairs 2 --part push
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python -m bench.api_push \
          --part figures [--keepdb]

Part 1, the push (method of the performance notes, part A1, as bench/cell_save.py):
- builds a throwaway PostgreSQL database with `scripts/prod.sh prepare` through
  bench/drills/stack.py and starts the Procfile's gunicorn (2 sync workers, production settings,
  GUNICORN_TIMEOUT raised to 300 s for the one-request push), as bench/pages_http.py does; the
  Celery worker starts only after the timed runs, and the time it takes to refresh the rollups of
  every centre the pushes marked is printed last (the refreshes a push queues run there, not in
  the request);
- adds 1,000 established centres in 40 districts, a clerk of every one of them with a personal
  API token, and a reviewer's exception opening the last twelve months for each (so that each run
  pushes a month of its own through the lock's exception path);
- pushes one month of every monthly indicator in force (≈ 56 values a centre) for all 1,000
  centres with the token: `POST /api/v1/dataValueSets/` with the default atomic CREATE_AND_UPDATE,
  in one request ("1 × 1,000 centres") and in 40 requests of a district's 25 centres each, one
  after the other ("40 × 25 centres"); then the same month again with every value + 1
  ("update") and once more unchanged ("unchanged": every row ignored);
- interleaved with each run (A B A B), the same rows are POSTed as the same JSON to bench/bare.py's
  `bare-push/` under the same gunicorn config: the JSON parsed, every row COPY'd into a table of
  its own in the same database, no checks, no audit;
- prints, per kind, ours and bare in seconds and values per second (medians), and ours ÷ bare as
  the median of the pairs with its min–max; each answer is checked (status, import counts).

Part 2, the figures at city scale (in-process, as bench/city.py, whose city it builds: 1,000
centres, 2 million tallies, rollups built): `GET /api/v1/commissions/city/figures/` with a city
reviewer's token for the first half of 2024 (rollups) and for May 2024 (live from the tallies),
and a district's, against bench/city.py's plain SQL for the same tally figures, interleaved.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.drills.stack import ROOT
from bench.pages_http import make_stack, start_bare, wait_ok

DISTRICTS, CENTRES = 40, 1000

# Run in the throwaway database (manage.py shell): the centres, their clerk and token, the
# exceptions opening the last twelve months; prints the months and the rows' catalogue as JSON.
SETUP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled
from centers.models import Authority, Centre, CentreMembership
from core.periods import add_months
from core.tokens import api_token_create
from services.models import Indicator, LockException

with scopes_disabled():
    city = Authority.objects.get(slug="chongqing")
    districts = Authority.objects.bulk_create(
        [Authority(name=f"压测第{{i}}区卫健委", slug=f"bench-d{{i}}", parent=city)
         for i in range({districts})])
    centres = Centre.objects.bulk_create(
        [Centre(name=f"压测第{{i}}社区卫生服务中心", slug=f"bench-c{{i}}",
                sponsor=districts[i % {districts}], reporting_since=dt.date(2020, 1, 1))
         for i in range({centres})])
    user = get_user_model().objects.create(username="benchpush")
    CentreMembership.objects.bulk_create(
        [CentreMembership(user=user, centre=c, role="CLERK") for c in centres])
    this = timezone.localdate().replace(day=1)
    months = [add_months(this, -n) for n in range(12, 0, -1)]
    LockException.objects.bulk_create(
        [LockException(centre=c, first_month=months[0], last_month=months[-1],
                       open_until=this.replace(year=this.year + 1), reason="压测")
         for c in centres])
    indicators = [
        (i.code, int(i.max_value), i.whole_numbers)
        for i in Indicator.objects.filter(is_active=True, frequency="monthly", owner=None)
    ]
    print(json.dumps({{
        "token": api_token_create(user=user, name="bench")[1],
        "centres": [[c.slug, c.sponsor.slug] for c in centres],
        "months": [f"{{m:%Y-%m}}" for m in months],
        "indicators": indicators,
    }}))
"""


@dataclass
class Run:
    kind: str
    who: str
    seconds: float
    values: int
    problems: list[str]

    @property
    def rate(self) -> float:
        return self.values / self.seconds


def rows_for(data: dict, month: str, bump: int, centres: list[list[str]]) -> list[dict]:
    """One value of every monthly indicator for each centre: plausible, distinct, reproducible."""
    rows = []
    for n, (slug, _district) in enumerate(centres):
        for k, (code, largest, _whole) in enumerate(data["indicators"]):
            value = min(largest, 40 + (n * 7 + k * 13) % 900) + bump
            rows.append({"centre": slug, "indicator": code, "period": month, "value": str(value)})
    return rows


class Bench:
    def __init__(self, stack, var: Path) -> None:
        self.stack = stack
        out = stack.manage(
            "shell", "-c", SETUP.format(districts=DISTRICTS, centres=CENTRES)
        ).splitlines()[-1]
        self.data = json.loads(out)
        stack.sql(
            "CREATE TABLE bench_bare_value (centre text, indicator text, period text,"
            " value numeric(14, 2))"
        )
        self.bare, bare_port = start_bare(var, stack.env["DATABASE_URL"])
        self.ours_url = f"http://127.0.0.1:{stack.web_ports[0]}/api/v1/dataValueSets/"
        self.bare_url = f"http://127.0.0.1:{bare_port}/bare-push/"
        self.session = requests.Session()
        self.session.trust_env = False
        self.months = list(self.data["months"])

    def batches(self, split: bool) -> list[list[list[str]]]:
        centres = self.data["centres"]
        if not split:
            return [centres]
        by_district: dict[str, list] = {}
        for centre in centres:
            by_district.setdefault(centre[1], []).append(centre)
        return list(by_district.values())

    def post(self, who: str, rows: list[dict]) -> tuple[int, dict]:
        body = json.dumps({"dataValues": rows})
        headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https"}
        if who == "ours":
            headers["Authorization"] = f"Bearer {self.data['token']}"
        url = self.ours_url if who == "ours" else self.bare_url
        answer = self.session.post(url, data=body.encode(), headers=headers, timeout=600)
        with contextlib.suppress(ValueError):
            return answer.status_code, answer.json()
        return answer.status_code, {"text": answer.text[:200]}

    def run(self, who: str, kind: str, month: str, bump: int, split: bool) -> Run:
        expected = {"create": "imported", "update": "updated", "unchanged": "ignored"}[kind]
        problems, values = [], 0
        batches = [rows_for(self.data, month, bump, b) for b in self.batches(split)]
        start = time.perf_counter()
        for rows in batches:
            status, answer = self.post(who, rows)
            values += len(rows)
            if status != 200:
                problems.append(f"HTTP {status}: {str(answer)[:200]}")
            elif who == "ours" and answer["importCount"][expected] != len(rows):
                problems.append(f"{expected} {answer['importCount']} of {len(rows)}")
        label = f"{kind}, {'40 × 25' if split else '1 × 1,000'} centres"
        return Run(label, who, time.perf_counter() - start, values, problems)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bare.pid, signal.SIGTERM)
        self.bare.wait(timeout=30)


def describe(r: Run) -> str:
    return f"  {r.who:<4} {r.kind:<28} {r.seconds:7.2f} s  {r.rate:9,.0f} values/s"


def push_part(args) -> list[str]:
    var = Path(tempfile.mkdtemp(prefix="chc-bench-api-"))
    stack = bench = None
    lines: list[str] = []
    try:
        print(f"building the database and starting the servers in {var} ...", flush=True)
        stack = make_stack(var, args.redis_db)
        stack.db = stack.db.replace("chc_bench_http_", "chc_bench_api_")
        stack.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{stack.db}"
        stack.env.update(GUNICORN_TIMEOUT="300", CHC_API_RATE="100000/min")
        # The Celery worker starts after the timed runs: the rollup refreshes the pushes queue
        # would otherwise compete for the two cores with whichever run comes next.
        stack.prepare()
        stack.start("web")
        wait_ok(f"http://127.0.0.1:{stack.web_ports[0]}/readyz/", stack.logs)
        bench = Bench(stack, var)
        values = CENTRES * len(bench.data["indicators"])
        print(f"ready: {CENTRES:,} centres × {len(bench.data['indicators'])} monthly indicators")
        months = iter(bench.months)
        bench.run("ours", "create", next(months), 0, True)  # warm-up: imports, caches
        bench.run("bare", "create", "warm-up", 0, True)
        runs: dict[str, dict[str, list[Run]]] = {}
        for split in (False, True):
            pushed = []
            for _pair in range(args.pairs):
                month = next(months)
                pushed.append(month)
                for who in ("ours", "bare"):
                    r = bench.run(who, "create", month, 0, split)
                    runs.setdefault(r.kind, {}).setdefault(who, []).append(r)
                    print(describe(r), flush=True)
            for kind, bump in (("update", 1), ("unchanged", 1)):
                for month in pushed:
                    for who in ("ours", "bare"):
                        r = bench.run(who, kind, month, bump, split)
                        runs.setdefault(r.kind, {}).setdefault(who, []).append(r)
                        print(describe(r), flush=True)
        lines = table(runs, values, args)
        lines.append(drain(stack))
        print(lines[-1], flush=True)
    finally:
        if bench is not None:
            bench.stop()
        if stack is not None:
            stack.stop()
            broker = stack.env["CELERY_BROKER_URL"]
            subprocess.run(["redis-cli", "-u", broker, "FLUSHDB"], check=False, capture_output=True)
        shutil.rmtree(var, ignore_errors=True)
    return lines


def drain(stack) -> str:
    """Start the worker and time how long it takes to refresh every pushed centre's rollups."""
    backlog = "SELECT count(*) FROM services_rollupstate WHERE NOT (built = changed AND"
    backlog += " refresh_queued_at IS NULL)"
    waiting = int(stack.sql(backlog))
    started = time.monotonic()
    stack.start("worker")
    while int(stack.sql(backlog)) and time.monotonic() - started < 1800:
        time.sleep(1)
    left = int(stack.sql(backlog))
    return (
        f"rollups: the worker (concurrency 1) refreshed the {waiting:,} centres the pushes"
        f" marked in {time.monotonic() - started:.0f} s (start-up included)"
        + (f"; {left} still waiting" if left else "")
    )


def table(runs: dict, values: int, args) -> list[str]:
    lines = [
        "",
        f"API push of one month, {values:,} values ({CENTRES:,} centres), gunicorn 2 sync workers"
        f" (the Celery worker started after the runs), production settings; {args.pairs}"
        " interleaved pairs; load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        f"{'kind':<30}{'ours s':>9}{'ours values/s':>15}{'bare s':>9}{'bare values/s':>15}"
        f"  ours÷bare (min–max)",
    ]
    problems = []
    for kind, found in runs.items():
        ours, bare = found["ours"], found["bare"]
        ratios = [a.seconds / b.seconds for a, b in zip(ours, bare, strict=True)]
        o, b = (statistics.median(r.seconds for r in rs) for rs in (ours, bare))
        lines.append(
            f"{kind:<30}{o:>9.2f}{values / o:>15,.0f}{b:>9.2f}{values / b:>15,.0f}"
            f"  {statistics.median(ratios):.1f} ({min(ratios):.1f}–{max(ratios):.1f})"
        )
        problems += [f"{kind} {r.who}: {p}" for r in ours + bare for p in r.problems]
    lines.append(
        "bare: the same JSON POSTed to bench/bare.py, parsed and COPY'd into a table of its own"
        " (no checks, no locks, no audit, no rollup stamps)."
    )
    lines += [f"UNRELIABLE: {p}" for p in sorted(set(problems))[:20]]
    print("\n".join(lines), flush=True)
    return lines


# --- part 2: the figures query at city scale ------------------------------------------------------


def figures_part(args) -> None:
    """In this process: bench/city.py's city, then the API's figures against plain SQL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_scopes import scopes_disabled

    from bench import city  # sets Django up (test settings) on DATABASE_URL
    from centers.models import Authority, Centre
    from core.tokens import api_token_create
    from services.models import RollupState

    if connection.vendor != "postgresql":
        sys.exit("the figures part needs PostgreSQL: set DATABASE_URL=postgres://…")
    logging.getLogger("chc.request").setLevel(logging.WARNING)  # an access line per request
    setup_test_environment()
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=not args.keepdb, keepdb=args.keepdb, serialize=False
    )
    try:
        with scopes_disabled():
            reuse = args.keepdb and Centre.objects.count() == city.CENTRES
            data = city._existing() if reuse else city.build()
            if RollupState.objects.filter(built__gte=1).count() < city.CENTRES:
                call_command("build_rollups", stdout=open(os.devnull, "w"))  # noqa: SIM115
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            city.fresh()
            token = api_token_create(user=data["reviewer"], name="bench")[1]
            client = Client(headers={"Authorization": f"Bearer {token}"})
            below = Authority.objects.filter(parent=data["city"]).values_list("pk", flat=True)
            figures_table(client, city, data, [data["city"].pk, *below])
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old, verbosity=0)


def figures_table(client, city, data, everyone: list[int]) -> None:
    from django.db import connection

    from core.periods import Period

    district = data["district"]
    cases = (
        ("city, 2024S1 (rollups)", "city", "2024S1", everyone, city.PERIOD),
        ("city, 2024-05 (live)", "city", "2024-05", everyone, Period.month(2024, 5)),
        ("district, 2024S1", district.slug, "2024S1", [district.pk], city.PERIOD),
        ("district, 2024-05", district.slug, "2024-05", [district.pk], Period.month(2024, 5)),
    )
    print(f"{'API figures, median of ' + str(city.RUNS) + ', interleaved':<44}"
          f"{'ours ms':>9}{'bare ms':>9}  ratio")  # fmt: skip
    for label, slug, period, ids, bare_period in cases:
        url = f"/api/v1/commissions/{slug}/figures/?period={period}"
        answer = client.get(url)
        assert answer.status_code == 200, answer.content[:300]
        centres = answer.json()["centres"]

        def bare(ids=ids, p=bare_period) -> None:
            earlier = p.year_earlier()
            params = {
                "authorities": ids,
                "from": earlier.first,
                "to": p.last,
                "first": p.first,
                "last": p.last,
                "pfirst": earlier.first,
                "plast": earlier.last,
            }
            with connection.cursor() as cursor:
                cursor.execute(city.BARE_TALLIES, params)
                cursor.fetchall()

        ours, base, ratios = city.paired(lambda u=url: client.get(u), bare)
        size = f"{centres:,} centres, {len(answer.content) // 1024} KB"
        city.report(label, ours, base, size, ratios)
    print(
        "bare: bench/city.py's plain SQL for the same tally figures (flows summed, stocks' last"
        " values, this period and a year earlier), no rollups, no rates, no HTTP."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["push", "figures", "all"], default="all")
    parser.add_argument("--pairs", type=int, default=2, help="A B pairs per kind of push")
    parser.add_argument("--redis-db", type=int, default=11, help="flushed at the start")
    parser.add_argument("--keepdb", action="store_true", help="figures: reuse the city")
    args = parser.parse_args()
    if args.part == "figures":
        figures_part(args)
        return
    began = time.monotonic()
    push_part(args)
    if args.part == "all":  # bench/city.py sets Django up in its own process
        figures = [sys.executable, "-m", "bench.api_push", "--part", "figures"]
        env = {**os.environ}
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chc")
        subprocess.run(figures, cwd=ROOT, env=env, check=True)
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
