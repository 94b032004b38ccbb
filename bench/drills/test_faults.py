"""Faults, each a drill that fails if the behaviour regresses: a worker killed mid-PDF, the broker
gone during saves and a submission, the file store unwritable, PostgreSQL restarted under load.

The stack here has a Redis of its own (a second redis-server on a free port), so stopping the
broker touches nothing else on the machine.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from .stack import ROOT, Stack, free_port

SHANGHAI_MONTH = (
    "SELECT to_char(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')"
)


class Redis:
    def __init__(self, var: Path):
        self.port, self.dir = free_port(), var

    def start(self) -> None:
        subprocess.run(
            [
                *("redis-server", "--daemonize", "yes", "--port", str(self.port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.dir), "--pidfile", str(self.dir / "redis.pid")),
            ],
            check=True,
        )
        self.wait(up=True)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], check=False)
        self.wait(up=False)

    def wait(self, *, up: bool) -> None:
        for _ in range(100):
            ok = (
                subprocess.run(
                    ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
                ).returncode
                == 0
            )
            if ok == up:
                return
            time.sleep(0.1)
        raise TimeoutError("redis did not change state")


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory):
    var = tmp_path_factory.mktemp("faults")
    redis = Redis(var)
    redis.start()
    s = Stack(var, broker=f"redis://127.0.0.1:{redis.port}/0")
    s.redis = redis
    try:
        s.prepare()
        s.start_all()
        _STACKS.append(s)
        yield s
    finally:
        s.stop()
        redis.stop()


_STACKS: list[Stack] = []  # the running stack, whose logs a failed wait prints


def _wait(what: str, check, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    logs = _STACKS[-1].tails() if _STACKS else ""
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{logs}")


def _fresh_pdf_run(stack) -> None:
    """Forget the demo report's PDF runs so that the next request renders anew."""
    stack.sql("DELETE FROM reporting_reportrun")


def _run_state(stack) -> tuple[str, int]:
    row = stack.sql("SELECT status || ' ' || attempts FROM reporting_reportrun LIMIT 1")
    status, attempts = row.split() if row else ("none", "0")
    return status, int(attempts)


def test_a_worker_killed_mid_render_loses_no_pdf_and_nobody_clicks(fault_stack):
    s = fault_stack
    _fresh_pdf_run(s)
    manager = s.session("manager")
    for i in range(s.workers):  # one cold worker only, so the kill lands mid-render
        s.kill("worker", i)
    assert manager.post(s.url + "/centres/ciqikou/filings/2024/pdf/", timeout=10).ok
    s.start("worker", 0)
    with psycopg.connect(s.env["DATABASE_URL"], autocommit=True) as db:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = db.execute("SELECT status FROM reporting_reportrun").fetchone()
            if row and row[0] == "running":
                break
            time.sleep(0.005)
        assert row and row[0] == "running", row
    s.kill("worker", 0)  # kill -9 mid-render
    killed = time.monotonic()
    assert _run_state(s)[0] == "running"
    for i in range(s.workers):
        s.start("worker", i)
    _wait("PDF done after the kill", lambda: _run_state(s)[0] == "done", 90)
    took = time.monotonic() - killed
    attempts = _run_state(s)[1]
    page = manager.get(s.url + "/centres/ciqikou/filings/2024/pdf/status/", timeout=10)
    assert "pdf/download" in page.text and attempts == 2
    download = manager.get(s.url + "/centres/ciqikou/filings/2024/pdf/download/", timeout=20)
    assert download.ok and download.content.startswith(b"%PDF")
    print(f"FAULT worker killed mid-render: PDF done {took:.1f} s later, no click, 2 attempts")


def test_the_broker_down_fails_no_save_and_its_work_follows(fault_stack):
    s = fault_stack
    # 杨家坪's own district reviews it (separation of duties: the city reads but does not act).
    clerk, reviewer = s.session("clerk"), s.session("otherreviewer")
    manager = s.session("othermanager")
    month = s.sql(SHANGHAI_MONTH)
    mails = Path(s.env["DJANGO_EMAIL_FILE_PATH"])
    # Mails of earlier steps (the demo's, or ones delayed by the killed worker) land first.
    _wait(
        "earlier mails sent",
        lambda: (
            s.sql(
                "SELECT count(*) FROM reporting_filingevent WHERE mailed_at IS NULL "
                "AND to_status IN ('submitted', 'returned', 'approved', 'published') "
                "AND created_at > now() - interval '2 days'"
            )
            == "0"
        ),
        90,
    )
    time.sleep(2)  # a mail is claimed just before it is written
    mails_before = set(mails.iterdir()) if mails.exists() else set()
    s.redis.stop()
    ready = _readyz(s)
    assert ready["status"] == "fail" and not ready["checks"]["broker"]["ok"]
    saved = []
    for i, code in enumerate(("edu_lectures", "edu_consults", "live_births", "tb_notified")):
        base = _shown(s, clerk, code, month)  # what the grid shows: a save without it is stale
        answer = clerk.post(
            s.url + "/centres/ciqikou/tallies/cell/",
            {"indicator": code, "period": month, "value": str(40 + i), "base": base},
            headers={"HX-Request": "true"},
            timeout=15,
        )
        assert answer.status_code == 200 and "is-saved" in answer.text, answer.text[:300]
        saved.append(code)
    # A reviewer reopens 杨家坪's approved 2024 report and its manager submits it again: two
    # steps, two mails, one PDF, all while the broker is away.
    filing = s.url + "/centres/yangjiaping/filings/2024/"
    reopen = reviewer.post(filing + "reopen/", {"reason": "演练：请补充说明"}, timeout=15)
    assert reopen.status_code in (200, 302), reopen.status_code
    submit = manager.post(filing + "submit/", timeout=15)
    assert submit.status_code in (200, 302), submit.status_code
    status = s.sql(
        "SELECT status FROM reporting_annualfiling f JOIN centers_centre c "
        "ON c.id = f.centre_id WHERE c.slug = 'yangjiaping' AND f.year = 2024"
    )
    assert status == "submitted"
    pending = int(s.sql("SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL"))
    assert pending >= 3  # rollups, two mails, the PDF
    s.redis.start()
    came_back = time.monotonic()
    _wait(
        "outbox emptied",
        lambda: s.sql("SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL") == "0",
        60,
    )
    _wait(
        "rollups fresh",
        lambda: s.sql("SELECT count(*) FROM services_rollupstate WHERE built <> changed") == "0",
        60,
    )
    _wait(
        "PDF of the new version",
        lambda: (
            s.sql(
                "SELECT count(*) FROM reporting_reportrun r JOIN reporting_filingversion v "
                "ON v.id = r.version_id WHERE r.status = 'done' AND v.number = "
                "(SELECT max(number) FROM reporting_filingversion)"
            )
            == "1"
        ),
        60,
    )
    _wait(
        "both mails",
        lambda: (
            s.sql(
                "SELECT count(*) FROM reporting_filingevent WHERE mailed_at IS NULL "
                "AND to_status IN ('submitted', 'returned')"
            )
            == "0"
        ),
        60,
    )
    took = time.monotonic() - came_back
    time.sleep(5)  # let any duplicate delivery show itself
    new_mails = set(mails.iterdir()) - mails_before
    subjects = sorted(
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]
        for p in new_mails
    )
    assert len(subjects) == 2, subjects  # one per step: exactly once
    assert _readyz(s)["status"] == "ok"
    print(
        f"FAULT broker down: {len(saved)} saves and 2 steps answered success; "
        f"{pending} hand-offs waited, all done {took:.1f} s after Redis returned; mails: {subjects}"
    )


def test_an_unwritable_store_says_so_and_a_retry_succeeds(fault_stack):
    s = fault_stack
    _fresh_pdf_run(s)
    media = Path(s.env["DJANGO_MEDIA_ROOT"])
    filings = media / "filings"
    shutil.rmtree(filings, ignore_errors=True)
    filings.write_text("not a folder")  # even root cannot write under a file
    manager = s.session("manager")
    url = s.url + "/centres/ciqikou/filings/2024/pdf/"
    assert manager.post(url, timeout=10).ok
    _wait("run failed", lambda: _run_state(s)[0] == "failed", 60)
    page = manager.get(url + "status/", timeout=10).text
    assert "文件存储" in page and "重试" in page
    filings.unlink()
    filings.mkdir()
    assert manager.post(url, timeout=10).ok  # the retry button
    _wait("run done", lambda: _run_state(s)[0] == "done", 60)
    files = [p.name for p in filings.iterdir()]
    assert len(files) == 1, files  # no orphan from the failed attempt
    print(f"FAULT storage unwritable: message shown, retry made {files[0]}, no orphan file")


def test_postgresql_restarted_under_load_recovers_and_loses_nothing(fault_stack, tmp_path):
    s = fault_stack
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    results = tmp_path / "acked.json"
    month = s.sql(SHANGHAI_MONTH)
    codes = s.sql(
        "SELECT code FROM services_indicator WHERE frequency = 'monthly' ORDER BY id DESC LIMIT 20"
    ).split()
    cells = [[("manager", "clerk")[i % 2], c, month] for i, c in enumerate(codes)]
    env = {
        **os.environ,
        "LOAD_CELLS": json.dumps(cells),
        "LOAD_CERT": s.cert,
        "LOAD_RESULTS": str(results),
    }
    load = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            str(ROOT / "bench/drills/locustfile.py"),
            "--headless",
            "-u",
            "20",
            "-r",
            "20",
            "-t",
            "40s",
            "--host",
            s.url,
            "--csv",
            str(tmp_path / "pg"),
            "--only-summary",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(15)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True
    )
    recovered = _wait("readyz after the restart", lambda: _readyz(s)["status"] == "ok", 30)
    load.wait(timeout=120)
    acked = json.loads(results.read_text())
    failures = _failures(tmp_path / "pg")
    from .test_load import _every_record_landed, _every_save_landed

    _every_save_landed(s, acked["saves"], minimum=len(cells), exact=False)
    _every_record_landed(s, acked["records"], exact=False)
    after = s.session("manager").get(s.url + "/centres/ciqikou/", timeout=10)
    assert after.status_code == 200
    print(
        f"FAULT PostgreSQL restarted under load: ready again {recovered:.1f} s later, "
        f"{failures} failed requests during the restart, every acknowledged write stored "
        f"({len(acked['saves'])} saves, {len(acked['records'])} records)"
    )


def _shown(s, session, code: str, month: str) -> str:
    """The value 磁器口's cell shows ("" when empty), read from its panel."""
    panel = session.get(
        s.url + "/centres/ciqikou/tallies/cell/detail/",
        params={"indicator": code, "period": month},
        timeout=10,
    )
    value = re.search(r"：<strong>([^<]*)</strong>", panel.text).group(1)
    return "" if value == "—" else value


def _failures(prefix: Path) -> str:
    import csv

    with open(f"{prefix}_stats.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return f"{row['Failure Count']} of {row['Request Count']}"


def _readyz(s) -> dict:
    import requests

    try:
        return requests.get(s.url + "/readyz/", verify=s.cert, timeout=10).json()
    except (requests.RequestException, ValueError):
        return {"status": "fail", "checks": {}}
