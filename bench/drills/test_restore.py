"""The restore drill: back up a production site, restore it elsewhere, and compare what it serves.

A source site (fresh PostgreSQL database, production settings, demo data, the PDF of 磁器口's 2024
annual report rendered into its media folder) is served by gunicorn to read the report and the
PDF, backed up with scripts/backup.sh and restored with scripts/restore.sh into a fresh database
and media folder; the restored copy, served the same way, must show the same report, hold the
same rows and serve the same PDF bytes. The source is never dropped before the end.

Every Django process is a subprocess with an explicit environment, so this process needs no
settings; the project's conftest.py and pytest-django are kept out (-s shows the figures):

  .venv/bin/python -m pytest bench/drills/test_restore.py -s -p no:django --confcutdir=bench/drills
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import http.client
import os
import re
import shlex
import signal
import subprocess
import tarfile
import time
import urllib.parse
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SERVER = "postgres://postgres@127.0.0.1:5432"
REPORT = "/centres/ciqikou/filings/2024/report/"  # reporting:filing-report, the printable report
PDF = "/centres/ciqikou/filings/2024/pdf/download/"  # reporting:pdf-download
# Renders the PDF of the latest version of 磁器口's 2024 report, as the page's button does (the
# task runs eagerly without CELERY_BROKER_URL), and prints where the file was stored.
RENDER_PDF = """
from django.db import transaction
from django_scopes import scopes_disabled
from reporting import actions
from reporting.models import AnnualFiling, ReportRun
with scopes_disabled():
    version = AnnualFiling.objects.get(centre__slug="ciqikou", year=2024).versions.latest("number")
    with transaction.atomic():
        actions.report_run_request(version=version)
    run = ReportRun.objects.get(version=version)
    print(f"DRILL-PDF {run.status} {run.file.name}")
"""
# Row counts of every table, one line: the restored database must hold exactly the source's rows.
ROW_COUNTS = """
SELECT string_agg(table_name || '=' || (xpath('/row/n/text()', query_to_xml(
         format('SELECT count(*) AS n FROM public.%I', table_name), false, true, '')))[1]::text,
       ' ' ORDER BY table_name)
FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
"""


def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode:
        pytest.fail(
            f"{shlex.join(cmd)} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done


def site_env(db: str, media: Path, tmp: Path) -> dict[str, str]:
    """Production settings on `db` and `media`; nothing inherited from the caller's Django/CHC."""
    dropped = ("DJANGO_", "CHC_", "CELERY_", "GUNICORN_", "DATABASE_URL", "WEB_CONCURRENCY", "PORT")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {
        **base,
        "PY": str(PY),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "restore-drill-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CHC_SITE_URL": "https://127.0.0.1",  # loopback hosts name no address for mail links
        "DATABASE_URL": f"{SERVER}/{db}",
        "DJANGO_MEDIA_ROOT": str(media),
        # No CELERY_BROKER_URL: tasks run in the process (eager).
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_EMAIL_FILE_PATH": str(tmp / "mail"),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "GUNICORN_PROC_NAME": f"chc-restore-drill-{os.getpid()}",
    }


class Browser:
    """HTTP to gunicorn as the TLS proxy would forward it (X-Forwarded-Proto: https).

    Cookies are kept by hand: production marks them Secure, which a cookie jar would not send
    over plain HTTP.
    """

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return answer.status, answer.headers, data

    def login(self, username: str = "manager", password: str = "chc-demo") -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        assert status == 200, status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.decode()).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        status, headers, _ = self.request("POST", "/accounts/login/", form)
        assert status == 302 and "sessionid" in self.cookies, (status, headers.get("Location"))


@contextlib.contextmanager
def served(env: dict[str, str], log: Path) -> Iterator[Browser]:
    """gunicorn with the production config; always stopped on the way out.

    It binds port 0 and its log says which port it got: no other process can take it meanwhile.
    """
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "-c", "config/deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "PORT": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master and its workers
        )
    try:
        listening = re.compile(rf"Listening at: http://127\.0\.0\.1:(\d+) \({proc.pid}\)")
        deadline, browser = time.monotonic() + 30, None
        while True:
            assert proc.poll() is None, f"gunicorn exited {proc.returncode}"
            if browser is None and (found := listening.search(log.read_text(errors="replace"))):
                browser = Browser(int(found.group(1)))
            if browser is not None:
                with contextlib.suppress(OSError):
                    if browser.request("GET", "/healthz/")[0] == 200:
                        break
            assert time.monotonic() < deadline, "gunicorn not answering after 30 s"
            time.sleep(0.2)
        yield browser
    except BaseException:
        print(
            f"--- last lines of {log}\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        )
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def visit(env: dict[str, str], log: Path) -> tuple[str, bytes]:
    """Log in as the demo manager; the printable report (normalised) and the downloaded PDF."""
    with served(env, log) as browser:
        browser.login()
        status, _, page = browser.request("GET", REPORT)
        assert status == 200, status
        status, headers, pdf = browser.request("GET", PDF)
        assert status == 200 and headers["Content-Type"] == "application/pdf", status
        return normalised(page.decode(), browser.port), pdf


def normalised(page: str, port: int) -> str:
    """The page without what changes from one request or server to the next."""
    page = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1-", page)
    page = re.sub(r'("X-CSRFToken": ?")[^"]*', r"\1-", page)
    page = re.sub(r'(nonce=")[^"]*', r"\1-", page)
    return page.replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")


def report_text(page: str) -> str:
    """The report's visible text, whitespace collapsed."""
    body = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def figures(page: str) -> list[str]:
    """Every number on the report, in order (amounts, counts, rates, years, dates)."""
    return re.findall(r"\d+(?:\.\d+)?[%‰]?", report_text(page))


def fields(page: str) -> dict[str, str]:
    """Labelled cells of the form: <th>label</th><td>value</td>."""
    pairs = re.findall(r"(?s)<th[^>]*>([^<]*)</th>\s*<td[^>]*>(.*?)</td>", page)
    return {label.strip(): report_text(value) for label, value in pairs}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def restore_databases() -> Iterator[dict[str, str]]:
    """A fresh source database and the name of the (missing) target; both dropped at the end."""
    names = {"src": f"chc_drill_src_{os.getpid()}", "dst": f"chc_drill_dst_{os.getpid()}"}
    for name in names.values():
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{names["src"]}"')
    try:
        yield names
    finally:
        for name in names.values():
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_site_serving_the_same_annual_report(restore_databases, tmp_path):
    started = time.monotonic()
    src_media, dst_media, backups = tmp_path / "media-src", tmp_path / "media-dst", tmp_path / "bk"
    src = site_env(restore_databases["src"], src_media, tmp_path)
    dst = site_env(restore_databases["dst"], dst_media, tmp_path)
    src_media.mkdir()

    # The source site: schema, demo data, and the annual report's PDF in its media folder.
    run([str(PY), "manage.py", "migrate", "--noinput", "-v0"], src)
    run([str(PY), "manage.py", "load_demo", "--force"], src)
    rendered = run([str(PY), "manage.py", "shell", "-v0", "-c", RENDER_PDF], src).stdout
    status, pdf_name = re.search(r"^DRILL-PDF (\S+) (\S+)$", rendered, re.M).groups()
    assert status == "done" and pdf_name.startswith("filings/"), rendered
    src_pdf = (src_media / pdf_name).read_bytes()
    assert src_pdf.startswith(b"%PDF-")
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():  # pages need the manifest
        run([str(PY), "manage.py", "collectstatic", "--noinput", "-v0"], src, timeout=300)
    src_page, src_download = visit(src, tmp_path / "gunicorn-src.log")
    assert src_download == src_pdf

    # Back up.
    clock = time.monotonic()
    out = run(["bash", "scripts/backup.sh", str(backups)], src).stdout
    backup_seconds = time.monotonic() - clock
    (dump,) = backups.glob("chc-*.dump")
    (media_tar,) = backups.glob("chc-*-media.tar.gz")
    (manifest,) = backups.glob("chc-*.sha256")
    assert re.fullmatch(r"chc-\d{8}T\d{6}Z\.dump", dump.name), dump.name
    assert str(dump) in out and str(media_tar) in out
    listed = dict(line.split("  ", 1)[::-1] for line in manifest.read_text().splitlines())
    assert listed == {
        dump.name: sha256(dump.read_bytes()),
        media_tar.name: sha256(media_tar.read_bytes()),
    }
    with tarfile.open(media_tar) as tar:
        assert f"./{pdf_name}" in tar.getnames()
    src_rows = psql(ROW_COUNTS, restore_databases["src"])

    # Restore into a database that does not exist yet and an empty media folder.
    clock = time.monotonic()
    run(["bash", "scripts/restore.sh", str(dump), str(media_tar)], dst, timeout=180)
    restore_seconds = time.monotonic() - clock
    dst_rows = psql(ROW_COUNTS, restore_databases["dst"])
    assert dst_rows == src_rows
    tables = len(dst_rows.split())
    assert tables > 20 and "reporting_reportrun=1" in dst_rows, dst_rows

    # A second restore onto the restored site is refused without --force and changes nothing.
    again = subprocess.run(
        ["bash", "scripts/restore.sh", str(dump), str(media_tar)],
        cwd=ROOT,
        env=dst,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1 and "--force" in again.stderr, (again.returncode, again.stderr)
    assert psql(ROW_COUNTS, restore_databases["dst"]) == src_rows

    # The restored site serves the same report and the same PDF.
    dst_pdf = (dst_media / pdf_name).read_bytes()
    assert sha256(dst_pdf) == sha256(src_pdf)
    dst_page, dst_download = visit(dst, tmp_path / "gunicorn-dst.log")
    assert sha256(dst_download) == sha256(src_pdf)
    assert dst_page == src_page
    assert figures(dst_page) == figures(src_page)
    assert fields(dst_page) == fields(src_page)
    # Known figures of the demo report, so that "equal" cannot mean "equally empty".
    shown, text = fields(dst_page), report_text(dst_page)
    assert shown["单位名称"] == "重庆市沙坪坝区磁器口社区卫生服务中心"
    assert shown["法定代表人"] == "彭娅"
    assert shown["开办资金"] == "233.88(万元)"
    assert shown["从业人数"] == "60"
    assert "年初数(万元) 年末数(万元) 244.64 233.88" in text
    assert "离职25人，离职率41.67%" in text
    assert "门急诊人次66424人次" in text
    count = len(figures(dst_page))
    assert count >= 50, count

    print(
        f"\nrestore drill: dump {dump.stat().st_size:,} bytes, "
        f"media tar {media_tar.stat().st_size:,} bytes ({dump.name}, {media_tar.name})"
        f"\nrestore drill: backup {backup_seconds:.2f} s, restore {restore_seconds:.2f} s "
        "(pg_restore, media, migrate, check)"
        f"\nrestore drill: {count} figures and {len(shown)} labelled fields of the report equal; "
        f"row counts of {tables} tables equal"
        f"\nrestore drill: PDF {len(dst_pdf):,} bytes, sha256 {sha256(dst_pdf)[:16]}… equal in "
        "media and downloaded from both sites"
        f"\nrestore drill: {time.monotonic() - started:.1f} s in all"
    )
