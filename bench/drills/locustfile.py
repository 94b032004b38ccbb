"""Fifty office workers for a minute: page views, cell saves, work records and a PDF.

Every simulated clerk owns one tally cell (an open month, its own indicator) and writes a new
value each time, so the drill can check afterwards that every acknowledged save is in the
database. Like the grid, each save sends the value it last saw as `base` (read from the cell's
panel at the start, then from each answer): a save without it is refused as stale. Users log in
as the demo accounts over TLS; LOAD_RESULTS names the file where the acknowledged writes are
written at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading

from locust import HttpUser, between, events, task

CENTRES = {"manager": "ciqikou", "clerk": "ciqikou", "othermanager": "yangjiaping"}
CELLS = json.loads(os.environ["LOAD_CELLS"])  # [[login, indicator code, "YYYY-MM-01"], …]
_next_cell = itertools.count()
_next_record = itertools.count()
_lock = threading.Lock()
ACKED: dict[str, list] = {"saves": [], "records": [], "pdf": []}
SHOWN = re.compile(r'"base": "([^"]*)"')  # the value a cell shows, as its inputs post it back
PANEL_VALUE = re.compile(r"：<strong>([^<]*)</strong>")  # the cell panel's value, "—" if empty


class Clerk(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.verify = os.environ["LOAD_CERT"]
        self.client.trust_env = False
        self.login, self.code, self.period = CELLS[next(_next_cell) % len(CELLS)]
        self.centre = CENTRES[self.login]
        self.value = 0
        page = self.client.get("/accounts/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.login, "password": "chc-demo", "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        self.headers = {"X-CSRFToken": self.client.cookies["csrftoken"], "Referer": self.host + "/"}
        panel = self.client.get(
            f"/centres/{self.centre}/tallies/cell/detail/",
            params={"indicator": self.code, "period": self.period},
            name="cell detail",
        )
        shown = PANEL_VALUE.search(panel.text)
        self.base = "" if shown is None or shown.group(1) == "—" else shown.group(1)

    @task(6)
    def view_pages(self):
        for path in ("/centres/{c}/", "/centres/{c}/tallies/", "/centres/{c}/staff/"):
            self.client.get(path.format(c=self.centre), name=path)

    @task(6)
    def save_cell(self):
        self.value += 1
        value = 100 + self.value
        with self.client.post(
            f"/centres/{self.centre}/tallies/cell/",
            {"indicator": self.code, "period": self.period, "value": str(value), "base": self.base},
            headers={**self.headers, "HX-Request": "true"},
            name="cell save",
            catch_response=True,
        ) as answer:
            if shown := SHOWN.search(answer.text or ""):  # saved or not, what the cell holds now
                self.base = shown.group(1)
            if answer.status_code == 200 and "is-saved" in answer.text:
                with _lock:
                    ACKED["saves"].append([self.login, self.code, self.period, value])
                answer.success()
            else:
                answer.failure(f"not saved: {answer.status_code} {answer.text[:200]}")

    @task(2)
    def add_work_record(self):
        add = f"/centres/{self.centre}/activities/add/"
        form = self.client.get(add, name="record form")
        kind = re.search(r'<option value="(\d+)"', form.text).group(1)
        title = f"load {self.login} {self.code} {next(_next_record)}"
        with self.client.post(
            add,
            {"date": "2026-11-02", "kind": kind, "title": title, "people": "3", "note": ""},
            headers=self.headers,
            name="record add",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code in (200, 302) and "errorlist" not in answer.text:
                with _lock:
                    ACKED["records"].append([self.centre, title])
                answer.success()
            else:
                answer.failure(f"record not added: {answer.status_code}")

    @task(1)
    def annual_report_pdf(self):
        if self.centre != "ciqikou":
            return
        answer = self.client.post(
            "/centres/ciqikou/filings/2024/pdf/",
            headers={**self.headers, "HX-Request": "true"},
            name="pdf request",
        )
        if answer.ok:
            with _lock:
                ACKED["pdf"].append(1)


@events.test_stop.add_listener
def _write_results(**_kwargs):
    with open(os.environ["LOAD_RESULTS"], "w") as out:
        json.dump(ACKED, out)
