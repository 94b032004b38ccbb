"""The production stack of config/deploy/Procfile, started process by process for the drills.

Each drill gets its own database, Redis database, ports and var folder, and the very commands of
the Procfile with the environment `scripts/prod.sh env` gives, so what is drilled is what
`make prod` and the README run. Unlike honcho, a drill can kill one process and start it again.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile() -> dict[str, str]:
    lines = (ROOT / "config/deploy/Procfile").read_text().splitlines()
    return dict(
        line.split(":", 1) for line in (raw.strip() for raw in lines) if line and line[0] != "#"
    )


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


class Stack:
    """Two app servers behind nginx, two workers, one beat, on a database of its own."""

    def __init__(
        self, var: Path, *, web: int = 2, workers: int = 2, broker: str = "redis://127.0.0.1:6379/7"
    ):
        self.var, self.web, self.workers = var, web, workers
        self.db = f"chc_drill_{os.getpid()}_{int(time.time())}"
        self.https_port, self.http_port, web_port = free_port(), free_port(), free_port()
        # consecutive app-server ports, as prod.sh lays them out
        while any(not _free(web_port + i) for i in range(web)):
            web_port = free_port()
        overrides = {
            "CHC_VAR": str(var),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db}",
            "CELERY_BROKER_URL": broker,
            "CHC_HTTPS_PORT": str(self.https_port),
            "CHC_HTTP_PORT": str(self.http_port),
            "CHC_WEB_PORT": str(web_port),
            "CHC_WEB_SERVERS": str(web),
            "CHC_SWEEP_SECONDS": "2",
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHC_"))}
        base.pop("DATABASE_URL", None)
        base.pop("CELERY_BROKER_URL", None)
        printed = subprocess.run(
            ["bash", "scripts/prod.sh", "env"],
            cwd=ROOT,
            env={**base, **overrides},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.env = {**base, **dict(line.split("=", 1) for line in printed.splitlines())}
        self.web_ports = [web_port + i for i in range(web)]
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.cert = self.env["CHC_TLS_CERT"]
        self.commands = procfile()
        self.procs: dict[tuple[str, int], subprocess.Popen] = {}
        self.logs = var / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    # --- life cycle ----------------------------------------------------------------------
    def prepare(self) -> None:
        subprocess.run(["redis-cli", "-u", self.env["CELERY_BROKER_URL"], "FLUSHDB"], check=False)
        subprocess.run(["bash", "scripts/prod.sh", "prepare"], cwd=ROOT, env=self.env, check=True)

    def start(self, name: str, index: int = 0) -> None:
        env = dict(self.env)
        if name == "web":
            env["PORT"] = str(self.web_ports[index])
        elif name == "worker":
            env["PORT"] = str(index + 1)  # the worker's node name
            env["CELERY_CONCURRENCY"] = "1"
        log = open(self.logs / f"{name}.{index}.log", "ab")  # noqa: SIM115 (owned by the process)
        self.procs[(name, index)] = subprocess.Popen(
            ["sh", "-c", "exec " + self.commands[name].strip()],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_all(self) -> None:
        for i in range(self.web):
            self.start("web", i)
        for i in range(self.workers):
            self.start("worker", i)
        self.start("beat")
        self.start("proxy")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz/", verify=self.cert, timeout=2).ok:
                    return
            time.sleep(0.3)
        raise TimeoutError(f"the stack did not become ready; logs in {self.logs}")

    def kill(self, name: str, index: int = 0, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group: gunicorn's or celery's master and its children."""
        proc = self.procs.pop((name, index))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for name, index in list(self.procs):
            with contextlib.suppress(Exception):
                self.kill(name, index, signal.SIGTERM)
        with contextlib.suppress(Exception):
            psql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    # --- looking inside ------------------------------------------------------------------
    def tails(self, lines: int = 25) -> str:
        """The last lines of every process' log, for a drill's failure message."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def sql(self, query: str) -> str:
        return psql(query, self.db)

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def session(self, username: str, password: str = "chc-demo") -> requests.Session:
        """A logged-in browser-like session over TLS through nginx."""
        s = requests.Session()
        s.trust_env = False  # else REQUESTS_CA_BUNDLE would replace our certificate
        s.verify = self.cert  # our own self-signed certificate, checked
        login = self.url + "/accounts/login/"
        page = s.get(login, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = s.post(
            login,
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": login},
            timeout=10,
        )
        assert answer.ok and "sessionid" in s.cookies, (answer.status_code, answer.url)
        s.headers["X-CSRFToken"] = s.cookies["csrftoken"]
        s.headers["Referer"] = self.url + "/"
        return s


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
