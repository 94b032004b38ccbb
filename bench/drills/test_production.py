"""The production path end to end, as the README runs it: collectstatic with a manifest, nginx
with TLS in front of two gunicorn servers (production settings), a real login per role, the main
pages answer 200 and link hashed static files that are served with long cache headers."""

from __future__ import annotations

import json
import re

import requests

from .fixtures import stack  # noqa: F401 (the fixture)
from .stack import ROOT

PAGES = {
    "manager": [
        "/centres/ciqikou/",
        "/centres/ciqikou/staff/",
        "/centres/ciqikou/tallies/",
        "/centres/ciqikou/filings/2024/",
    ],
    "clerk": ["/centres/ciqikou/", "/centres/ciqikou/tallies/"],
    "reviewer": [
        "/authorities/shapingba/centres/",
        "/authorities/shapingba/filings/2024/",
        "/authorities/shapingba/tallies/2024/",
        "/authorities/shapingba/dashboard/",
    ],
    "cityreviewer": ["/authorities/chongqing/centres/"],
}


def test_collectstatic_wrote_a_manifest_with_hashed_names():
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["vendor/chartjs/chart.umd.min.js"]
    assert re.fullmatch(r"vendor/chartjs/chart\.umd\.min\.[0-9a-f]{12}\.js", hashed)


def test_plain_http_is_sent_to_https(stack):  # noqa: F811
    answer = requests.get(
        f"http://127.0.0.1:{stack.http_port}/accounts/login/", allow_redirects=False, timeout=5
    )
    assert answer.status_code == 301 and answer.headers["Location"].startswith("https://")


def test_each_role_logs_in_and_its_main_pages_answer_200_with_hashed_static(stack):  # noqa: F811
    seen_static = set()
    for user, paths in PAGES.items():
        s = stack.session(user)
        home = s.get(stack.url + "/", timeout=10)
        assert home.status_code == 200, (user, home.url)
        for path in paths:
            page = s.get(stack.url + path, timeout=20)
            assert page.status_code == 200, (user, path, page.status_code)
            assert "X-Request-ID" in page.headers
            assert page.headers.get("Strict-Transport-Security") is None  # HSTS off locally
            seen_static |= set(re.findall(r'/static/[^"\']+\.[0-9a-f]{12}\.(?:css|js)', page.text))
    assert any(p.endswith(".css") for p in seen_static)
    for path in seen_static:
        asset = requests.get(stack.url + path, verify=stack.cert, timeout=5)
        assert asset.status_code == 200 and "max-age=315360000" in asset.headers["Cache-Control"]


def test_readiness_reports_database_broker_and_storage(stack):  # noqa: F811
    body = requests.get(stack.url + "/readyz/", verify=stack.cert, timeout=5).json()
    assert body["status"] == "ok"
    assert {k for k, v in body["checks"].items() if v["ok"]} == {"database", "broker", "storage"}


def _job_page(session, url: str, timeout: float = 60) -> str:
    """Poll the import job page as its htmx poll does, until the step has ended."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = session.get(url, timeout=10)
        assert page.status_code == 200, page.status_code
        if 'hx-trigger="every 1s"' not in page.text:
            return page.text
        time.sleep(0.5)
    raise AssertionError(f"the import at {url} did not finish in {timeout} s")


def test_an_import_goes_through_the_worker_and_a_bomb_is_refused(stack):  # noqa: F811
    import io
    import zipfile

    manager = stack.session("manager")
    base = stack.url + "/centres/ciqikou/staff/"
    exported = manager.get(base + "export.xlsx", params={"status": "all"}, timeout=20).content
    upload = manager.post(
        base + "import/",
        files={"file": ("花名册.xlsx", exported)},
        timeout=20,
        allow_redirects=False,
    )
    assert upload.status_code == 302, upload.text[:500]
    job = stack.url + upload.headers["Location"]
    preview = _job_page(manager, job)
    assert "新增人员 0 · 新增任职 0 · 修改 0" in preview, preview[:2000]  # the export, unchanged
    confirm = manager.post(job + "confirm/", timeout=20, allow_redirects=False)
    assert confirm.status_code == 302
    assert "该文件已导入" in _job_page(manager, job)

    padded = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(exported)) as src, zipfile.ZipFile(padded, "w", 8) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 100 * 2**20)
            dst.writestr(item.filename, data)
    bomb = manager.post(
        base + "import/", files={"file": ("bomb.xlsx", padded.getvalue())}, timeout=20
    )
    assert "压缩炸弹" in _job_page(manager, bomb.url, timeout=20)
