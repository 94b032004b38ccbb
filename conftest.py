"""Shared fixtures: a city → district tree, two centres and one user per kind of place.

city (市卫健委)
 ├─ district (区卫健委) ── centre          manager, clerk; reviewer works here
 └─ other_district     ── other_centre    other_member (a manager there)
city_reviewer works at the city level; outsider belongs nowhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from centers.models import AuthorityMembership, CentreMembership
from centers.tests.factories import (
    AuthorityFactory,
    AuthorityMembershipFactory,
    CentreFactory,
    CentreMembershipFactory,
    UserFactory,
)
from config import celery_app
from core import memo

PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _fresh_process_memos():
    """A test's rolled-back catalogue must not outlive it in this process's memos."""
    memo.clear_all()
    yield
    memo.clear_all()


@pytest.fixture(autouse=True)
def _scopes_off_outside_views():
    """Tests build and inspect data across centres; views still enter their centre's scope."""
    with scopes_disabled():
        yield


@pytest.fixture
def city(db):
    return AuthorityFactory(name="重庆市卫生健康委员会", slug="city")


@pytest.fixture
def district(city):
    return AuthorityFactory(name="重庆市沙坪坝区卫生健康委员会", slug="district", parent=city)


@pytest.fixture
def other_district(city):
    return AuthorityFactory(name="重庆市九龙坡区卫生健康委员会", slug="other-district", parent=city)


@pytest.fixture
def centre(district):
    return CentreFactory(name="磁器口社区卫生服务中心", slug="ciqikou", sponsor=district)


@pytest.fixture
def other_centre(other_district):
    return CentreFactory(name="杨家坪社区卫生服务中心", slug="yangjiaping", sponsor=other_district)


@pytest.fixture
def manager(centre):
    user = UserFactory(username="manager", first_name="彭娅")
    CentreMembershipFactory(user=user, centre=centre, role=CentreMembership.Role.MANAGER)
    return user


@pytest.fixture
def clerk(centre):
    user = UserFactory(username="clerk", first_name="李录入")
    CentreMembershipFactory(user=user, centre=centre, role=CentreMembership.Role.CLERK)
    return user


@pytest.fixture
def reviewer(district):
    user = UserFactory(username="reviewer", first_name="区审核员")
    AuthorityMembershipFactory(user=user, authority=district)
    return user


@pytest.fixture
def district_admin(district):
    """A reviewer of the district who also maintains its indicators, targets and schemes."""
    user = UserFactory(username="districtadmin", first_name="区指标管理员")
    AuthorityMembershipFactory(user=user, authority=district, role=AuthorityMembership.Role.ADMIN)
    return user


@pytest.fixture
def city_reviewer(city):
    user = UserFactory(username="cityreviewer", first_name="市审核员")
    AuthorityMembershipFactory(user=user, authority=city)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", first_name="路人")


@pytest.fixture
def other_member(other_centre):
    user = UserFactory(username="othermanager", first_name="他中心管理员")
    CentreMembershipFactory(user=user, centre=other_centre, role=CentreMembership.Role.MANAGER)
    return user


@pytest.fixture
def users(manager, clerk, reviewer, city_reviewer, outsider, other_member, district_admin):
    """Every role at once, keyed by name, for matrix tests."""
    return {
        "district_admin": district_admin,
        "manager": manager,
        "clerk": clerk,
        "reviewer": reviewer,
        "city_reviewer": city_reviewer,
        "outsider": outsider,
        "other_member": other_member,
    }


# --- Browser tests ------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright; never a downloaded browser."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test, so cookies never leak between tests."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


# --- a real Celery worker on the local Redis (tests marked `worker`; PostgreSQL only) -------

ROOT = Path(__file__).resolve().parent
BROKER = os.environ.get("CHC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database, which needs PostgreSQL (CI runs it)")
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = f"chc-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CHC_CELERY_EAGER": "0",
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": _database_url(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),  # a file, not a pipe: a full pipe would stall the worker
        stderr=subprocess.STDOUT,
    )
    conf = celery_app.conf
    eager = conf.task_always_eager
    conf.task_always_eager = False  # send to the broker instead of running in this process
    try:
        yield queue, process, log
    finally:
        conf.task_always_eager = eager
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
