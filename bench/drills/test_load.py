"""Load: 50 simulated users for 60 s (locust, headless, 127.0.0.1 only) against the production
stack with two app servers and two workers: no errors, every acknowledged write is in the
database, the PDF is made; the request count and p50/p95 are printed for the closing note."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import time
from collections import Counter
from zoneinfo import ZoneInfo

from .fixtures import stack  # noqa: F401 (the fixture)
from .stack import ROOT

USERS, SECONDS = int(os.environ.get("LOAD_USERS", 50)), int(os.environ.get("LOAD_SECONDS", 60))
LOGINS = ("manager", "clerk", "othermanager")
CENTRE_OF = {"manager": "ciqikou", "clerk": "ciqikou", "othermanager": "yangjiaping"}


def _cells(stack) -> list[list[str]]:  # noqa: F811
    """One open cell per user: this month (Asia/Shanghai), a monthly indicator of its own."""
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1).isoformat()
    codes = stack.sql(
        "SELECT code FROM services_indicator WHERE is_active AND frequency = 'monthly' ORDER BY id"
    ).split()
    assert len(codes) >= USERS
    return [[LOGINS[i % 3], code, month] for i, code in enumerate(codes[:USERS])]


def test_fifty_users_for_a_minute_lose_nothing(stack, tmp_path):  # noqa: F811
    cells = _cells(stack)
    results, prefix = tmp_path / "acked.json", tmp_path / "load"
    env = {
        **os.environ,
        "LOAD_CELLS": json.dumps(cells),
        "LOAD_CERT": stack.cert,
        "LOAD_RESULTS": str(results),
    }
    started = time.monotonic()
    run = subprocess.run(
        [
            str(ROOT / ".venv/bin/locust"),
            *("-f", str(ROOT / "bench/drills/locustfile.py"), "--headless"),
            *("-u", str(USERS), "-r", "10", "-t", f"{SECONDS}s", "--stop-timeout", "10"),
            *("--host", stack.url, "--csv", str(prefix), "--only-summary"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        check=False,
    )
    print(run.stdout[-3000:], run.stderr[-3000:])
    total = _aggregate(prefix)
    print(
        f"LOAD {USERS} users {time.monotonic() - started:.0f} s: "
        f"{total['Request Count']} requests, "
        f"{total['Failure Count']} errors, p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"{float(total['Requests/s']):.1f} req/s"
    )
    assert int(total["Failure Count"]) == 0 and run.returncode == 0, run.stderr[-2000:]
    acked = json.loads(results.read_text())
    _every_save_landed(stack, acked["saves"])
    _every_record_landed(stack, acked["records"])
    _the_pdf_is_made(stack, expected=bool(acked["pdf"]))


def _aggregate(prefix) -> dict:
    with open(f"{prefix}_stats.csv") as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


def _every_save_landed(stack, saves, minimum: int = USERS, exact: bool = True) -> None:  # noqa: F811
    """Per cell: its stored value is the last acknowledged one, and one audit row per save.

    Not exact (a database restart): a save may commit and still lose its answer, so the cell
    may hold a later value and more audit rows than were acknowledged, never fewer.
    """
    per_cell = Counter((login, code, period) for login, code, period, _ in saves)
    last = {(login, code, period): value for login, code, period, value in saves}
    assert sum(per_cell.values()) >= minimum  # each user saved at least once
    for (login, code, period), count in per_cell.items():
        centre = f"(SELECT id FROM centers_centre WHERE slug = '{CENTRE_OF[login]}')"
        stored = stack.sql(
            "SELECT v.value FROM services_tallyvalue v JOIN services_indicator i "
            f"ON i.id = v.indicator_id WHERE v.centre_id = {centre} AND i.code = '{code}' "
            f"AND v.period = '{period}'"
        )
        audited = stack.sql(
            "SELECT count(*) FROM core_auditentry WHERE action = 'services.tally.changed' "
            f"AND centre_id = {centre} AND target_id = '{code}@{period[:7]}'"
        )
        got, want = (float(stored), int(audited)), (last[(login, code, period)], count)
        assert got == want if exact else got >= want, (code, got, want)
    print(f"LOAD writes: {len(saves)} cell saves acknowledged, all stored and audited")


def _every_record_landed(stack, records, exact: bool = True) -> None:  # noqa: F811
    """Every acknowledged record is stored; after a database restart a few more may be."""
    titles = set(
        stack.sql("SELECT title FROM services_activity WHERE title LIKE 'load %'").split("\n")
    )
    stored = len(titles - {""})
    assert all(title in titles for _centre, title in records)
    want = len({t for _c, t in records})
    assert stored == want if exact else stored >= want
    print(f"LOAD writes: {stored} work records acknowledged and stored")


def _the_pdf_is_made(stack, *, expected: bool) -> None:  # noqa: F811
    if not expected:
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if stack.sql("SELECT count(*) FROM reporting_reportrun WHERE status = 'done'") != "0":
            return
        time.sleep(1)
    raise AssertionError("the annual report's PDF was not made")
