"""Personal API tokens in the app: created with a name and an optional last day, the secret shown
once and stored only as its hash, revoked by their owner alone; both audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core import tokens
from core.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db
PAGE = "/accounts/tokens/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2024, 5, 20, 10, 0)):
        yield


def test_the_user_menu_links_to_the_token_page(client, clerk):
    client.force_login(clerk)
    page = client.get("/accounts/password/")
    assert f'href="{PAGE}"' in page.content.decode()


def test_a_token_is_created_shown_once_and_stored_as_a_hash(client, clerk):
    client.force_login(clerk)
    response = client.post(PAGE, {"name": "HIS 接口", "expires_on": "2024-12-31"}, follow=True)
    # Redirected after the POST: reloading the page shows the list, it makes no second token.
    assert response.redirect_chain == [(PAGE, 302)]
    html = response.content.decode()
    secret = re.search(r'<code id="token-secret">([^<]+)</code>', html)[1]
    assert secret.startswith("chc_") and len(secret) == 4 + 43
    assert "请立即复制" in html
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and secret not in repr(token.__dict__)
    assert (token.user, token.name, token.expires_on) == (clerk, "HIS 接口", dt.date(2024, 12, 31))
    entry = AuditEntry.objects.get(action="core.api_token.created")
    assert entry.actor == clerk and entry.changes == {
        "name": "HIS 接口",
        "prefix": token.prefix,
        "expires_on": "2024-12-31",
    }
    listed = client.get(PAGE).content.decode()  # the reload
    assert ApiToken.objects.count() == 1
    assert secret not in listed and f"{token.prefix}…" in listed and "2024-12-31" in listed
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/centres/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bad_input_is_refused_beside_the_field_and_kept(client, clerk):
    client.force_login(clerk)
    response = client.post(PAGE, {"name": "脚本", "expires_on": "2024-05-19"})
    html = response.content.decode()
    assert response.status_code == 200 and "最后有效日不能早于今天。" in html
    assert 'value="脚本"' in html and not ApiToken.objects.exists()
    assert 'id="id_name-error"' in client.post(PAGE, {"name": ""}).content.decode()


def test_a_user_has_at_most_twenty_working_tokens(client, clerk):
    for n in range(tokens.MAX_ACTIVE):
        tokens.api_token_create(user=clerk, name=f"t{n}")
    client.force_login(clerk)
    html = client.post(PAGE, {"name": "one more"}).content.decode()
    assert "您已有20个有效令牌" in html and ApiToken.objects.count() == 20


def test_the_owner_revokes_and_nobody_else_can(client, clerk, manager):
    token, secret = tokens.api_token_create(user=clerk, name="HIS")
    url = reverse("api-token-revoke", args=[token.pk])
    client.force_login(manager)
    assert client.post(url).status_code == 404
    client.force_login(clerk)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "令牌“HIS”已吊销。" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.post(url).status_code == 302  # again: nothing more happens
    confirmed = client.post(url, headers={"HX-Request": "true"})  # the button asks first
    assert confirmed.status_code == 200 and confirmed["HX-Redirect"] == PAGE
    assert AuditEntry.objects.filter(action="core.api_token.revoked").count() == 1
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/centres/").status_code == 401


def test_the_token_page_lists_only_ones_own_tokens(client, clerk, manager):
    tokens.api_token_create(user=manager, name="经理的令牌")
    tokens.api_token_create(user=clerk, name="录入员的令牌")
    client.force_login(clerk)
    html = client.get(PAGE).content.decode()
    assert "录入员的令牌" in html and "经理的令牌" not in html


def test_an_inactive_account_s_token_is_refused(clerk):
    _token, secret = tokens.api_token_create(user=clerk, name="HIS")
    clerk.is_active = False
    clerk.save()
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/centres/").status_code == 401
