"""make api-check: schemathesis against the API's served schema, on the production stack.

Run:  make api-check        (= .venv/bin/python -m scripts.api_check; ~5 minutes)
      .venv/bin/python -m scripts.api_check --examples 50 --seed 7

What it does:
- builds a throwaway PostgreSQL database with `scripts/prod.sh prepare` (migrate, collectstatic,
  `check --deploy`, the demo data) through bench/drills/stack.py, and starts the Procfile's
  gunicorn on production settings (bench/http_settings.py only moves STATIC_ROOT) and one Celery
  worker on a Redis database of its own, as bench/pages_http.py does; the throttle is raised
  (CHC_API_RATE) so that the run tests the endpoints, not the 429;
- creates a personal API token for two demo users in that database: `manager` (a centre's
  manager: reads and pushes 磁器口) and `cityreviewer` (reads every centre and commission, may
  push nowhere);
- runs schemathesis on http://127.0.0.1:<port>/api/v1/schema/ once per token, every phase, a
  bounded number of examples per operation, with the header nginx adds (X-Forwarded-Proto).

Passes when schemathesis finds nothing: no server error (5xx) and no response that breaks the
schema (undocumented status, wrong content type, a body or header the schema does not describe),
requests without the token refused, unsupported methods answered 405. Left out are schemathesis'
two checks of input strictness (positive_data_acceptance, negative_data_rejection): a period
code or an indicator code is checked against the calendar and the catalogue, which no schema
pattern can say. Exit status 1 on any failure; the reports are kept in the folder printed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.drills.stack import ROOT
from bench.pages_http import make_stack, start_stack

SCHEMATHESIS = str(Path(ROOT) / ".venv" / "bin" / "schemathesis")
USERS = ("manager", "cityreviewer")
TOKENS = """
from django.contrib.auth import get_user_model
from core.tokens import api_token_create
for name in {users!r}:
    user = get_user_model().objects.get(username=name)
    print(name, api_token_create(user=user, name="schemathesis")[1])
"""


def tokens(stack) -> dict[str, str]:
    out = stack.manage("shell", "-c", TOKENS.format(users=USERS))
    found = dict(line.split() for line in out.splitlines() if line.startswith(USERS))
    if set(found) != set(USERS):
        raise SystemExit(f"could not create the tokens:\n{out}")
    return found


def run(url: str, user: str, token: str, args, reports: Path) -> int:
    """One schemathesis run as this user; its exit status."""
    command = [
        SCHEMATHESIS,
        "run",
        url,
        "--header",
        f"Authorization: Bearer {token}",
        "--header",
        "X-Forwarded-Proto: https",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance,negative_data_rejection",
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",  # Hypothesis' source inspection is not thread-safe on Python 3.11
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(reports / f"{user}.xml"),
        "--no-color",
    ]
    print(f"== schemathesis as {user}", flush=True)
    return subprocess.run(command, cwd=reports, check=False).returncode  # noqa: S603 (ours)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis-db", type=int, default=13, help="flushed at the start")
    parser.add_argument("--keep", action="store_true", help="keep the logs and reports")
    args = parser.parse_args()
    began = time.monotonic()
    var = Path(tempfile.mkdtemp(prefix="chc-api-check-"))
    reports = var / "reports"
    reports.mkdir()
    stack, failed = None, True
    try:
        print(f"building the database and starting the servers in {var} ...", flush=True)
        stack = make_stack(var, args.redis_db)
        stack.db = stack.db.replace("chc_bench_http_", "chc_api_check_")
        stack.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{stack.db}"
        stack.env["CHC_API_RATE"] = "1000000/min"
        start_stack(stack)
        url = f"http://127.0.0.1:{stack.web_ports[0]}/api/v1/schema/"
        found = tokens(stack)
        print(f"ready in {time.monotonic() - began:.0f} s: {url}", flush=True)
        codes = [run(url, user, found[user], args, reports) for user in USERS]
        failed = any(codes)
        print(f"api-check {'FAILED' if failed else 'passed'} in {time.monotonic() - began:.0f} s")
        if failed:
            print(stack.tails(40))
    finally:
        if stack is not None:
            stack.stop()
            broker = stack.env["CELERY_BROKER_URL"]
            flush = ["redis-cli", "-u", broker, "FLUSHDB"]
            subprocess.run(flush, check=False, capture_output=True)  # noqa: S603
        if failed or args.keep:
            print(f"logs and reports kept in {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
