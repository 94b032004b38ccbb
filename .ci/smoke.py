"""Serve the app on its default settings and log in as the demo manager over real HTTP."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str) -> None:
    for _ in range(60):
        try:
            with urllib.request.urlopen(base + "/healthz/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit("smoke: the server did not come up")


def login(base: str) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/").read().decode()
    assert "登录" in page, "login page is not in Chinese"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "manager", "password": "chc-demo"}
    ).encode()
    request = urllib.request.Request(base + "/accounts/login/", data, headers={"Referer": base})
    with opener.open(request) as response:
        return response.geturl(), response.read().decode()


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
    )
    try:
        wait_until_up(base)
        url, body = login(base)
        assert url.endswith("/centres/ciqikou/"), url
        assert "重庆市沙坪坝区磁器口社区卫生服务中心" in body
        assert "彭娅" in body
        print(f"smoke: logged in as manager and landed on {url}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
