"""Hardening: the content security policy and Permissions-Policy, sessions that end, a lockout
that a forged X-Forwarded-For cannot dodge, bounded login input, an audited password change."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import reverse

from conftest import PASSWORD
from core.http import client_ip
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


# --- Content-Security-Policy, Permissions-Policy ---------------------------------------


def test_every_page_has_a_strict_policy_and_the_nonce_of_its_scripts(client, manager, centre):
    client.force_login(manager)
    response = client.get(reverse("centers:centre-detail", args=[centre.slug]))
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    nonce = next(s for s in policy["script-src"] if s.startswith("'nonce-"))[7:-1]
    body = response.content.decode()
    assert f'nonce="{nonce}"' in body  # htmx's script tag carries it
    assert '<meta name="htmx-config"' in body and '"includeIndicatorStyles": false' in body


def test_error_pages_and_json_carry_the_headers_too(client):
    for response in (client.get("/no-such-page/"), client.get(reverse("healthz"))):
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert "camera=()" in response["Permissions-Policy"]
        assert "microphone=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


# Features Chromium knows (an unknown one is a warning in every page's console); the browser
# test services/tests/test_browser_tallies.py checks the console itself.
KNOWN_FEATURES = {
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "usb",
    "serial",
    "hid",
    "xr-spatial-tracking",
    "browsing-topics",
}


def test_the_permissions_policy_names_only_features_chromium_knows(client):
    policy = client.get(reverse("healthz"))["Permissions-Policy"]
    features = {part.strip().removesuffix("=()") for part in policy.split(",")}
    assert "bluetooth" not in features
    assert features <= KNOWN_FEATURES, features - KNOWN_FEATURES


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (INLINE_HANDLER, "an inline event handler (onclick=…)"),
        (INLINE_SCRIPT, "an inline <script> without a nonce"),
        (STYLE_ATTRIBUTE, "a style= attribute"),
        (STYLE_BLOCK, "a <style> block without a nonce"),
    ],
)
def test_templates_have_nothing_inline_that_the_policy_blocks(pattern, what):
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)[:80]}"
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*.html")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == [], f"{what} is blocked by the CSP; move it to static/ or add the nonce"


# --- Sessions end ------------------------------------------------------------------------


def _signed_in(client, username: str = "manager"):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_session_ends_after_the_idle_time_with_a_message_on_the_login_page(client, manager):
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _signed_in(client)
        clock.shift(dt.timedelta(minutes=settings.CHC_SESSION_IDLE_MINUTES - 1))
        assert client.get(reverse("home")).status_code == 302  # to the centre: still signed in
        assert "_auth_user_id" in client.session
        clock.shift(dt.timedelta(minutes=settings.CHC_SESSION_IDLE_MINUTES + 1))
        response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert "分钟未操作" in response.content.decode()


@override_settings(CHC_SESSION_IDLE_MINUTES=30, CHC_SESSION_MAX_HOURS=10)
def test_a_busy_session_still_ends_after_a_working_day(client, manager):
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _signed_in(client)
        for _ in range(10 * 3):  # a request every 20 minutes for ten hours
            clock.shift(dt.timedelta(minutes=20))
            client.get(reverse("home"))
        assert "_auth_user_id" in client.session
        clock.shift(dt.timedelta(minutes=20))
        response = client.get(reverse("home"), follow=True)
    assert "_auth_user_id" not in client.session
    assert "登录已超过 10 小时" in response.content.decode()


def test_an_expired_htmx_request_sends_the_browser_to_the_login_page(client, manager, centre):
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _signed_in(client)
        clock.shift(dt.timedelta(hours=2))
        response = client.get(
            reverse("centers:centre-detail", args=[centre.slug]), HTTP_HX_REQUEST="true"
        )
    assert response["HX-Redirect"] == reverse("login")


def test_signing_in_again_restarts_the_clock(client, manager):
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _signed_in(client)
        clock.shift(dt.timedelta(hours=11))
        client.get(reverse("home"))  # signed out
        _signed_in(client)
        clock.shift(dt.timedelta(minutes=5))
        assert client.get(reverse("home")).status_code == 302
        assert "_auth_user_id" in client.session


# --- Login lockout and the client address --------------------------------------------------


@override_settings(
    AXES_ENABLED=True,
    AXES_FAILURE_LIMIT=3,
    CHC_TRUSTED_PROXIES=["10.0.0.2"],
    # The setting this replaced, as production had it: X-Forwarded-For trusted from anyone.
    TRUSTED_PROXY_COUNT=1,
)
def test_rotating_x_forwarded_for_from_an_untrusted_address_still_locks_out(client, manager):
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": "manager", "password": "bad"},
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        reverse("login"),
        {"username": "manager", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.50",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(CHC_TRUSTED_PROXIES=["127.0.0.1", "::1", "10.1.0.0/16"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.7", "6.6.6.6", "203.0.113.7"),  # not a proxy: the header is the client's
        ("127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # what nginx saw
        ("127.0.0.1", "203.0.113.7, 10.1.2.3", "203.0.113.7"),  # two proxies of ours
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ],
)
def test_client_address_trusts_the_header_only_from_our_proxies(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- Login input, password change ---------------------------------------------------------


@override_settings(AXES_ENABLED=True)
def test_an_overlong_username_gets_a_message_and_reaches_no_backend(client, manager):
    from axes.models import AccessAttempt

    response = client.post(reverse("login"), {"username": "x" * 10_000, "password": "p"})
    assert response.status_code == 200
    assert "150" in response.content.decode()  # the limit, in Django's Chinese message
    # Nothing went to axes' log, whose username column (varchar 255) PostgreSQL would overflow.
    assert not AccessAttempt.objects.filter(username__startswith="xxx").exists()


def test_changing_ones_password_is_audited_without_the_password(client, manager):
    client.force_login(manager)
    new = "Longer-pass-42"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.password.changed")
    assert entry.actor == manager and entry.target_id == str(manager.pk)
    manager.refresh_from_db()
    stored = str(entry.changes) + entry.target_repr
    assert new not in stored and PASSWORD not in stored and manager.password not in stored


def test_a_refused_password_change_writes_no_audit(client, manager):
    client.force_login(manager)
    client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "Longer-pass-42", "new_password2": "x"},
    )
    assert not AuditEntry.objects.filter(action="auth.password.changed").exists()


@override_settings(AXES_ENABLED=True)
def test_the_admin_login_bounds_the_username_too(client):
    from axes.models import AccessAttempt

    response = client.post("/admin/login/", {"username": "x" * 10_000, "password": "p"})
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
