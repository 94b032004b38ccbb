"""Login, lockout and password change: Chinese messages, values kept, never a 500."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hans">' in body
    assert "登录" in body and "用户名" in body and "密码" in body


def test_login_with_wrong_password_shows_chinese_error_and_keeps_username(client, manager):
    response = client.post(reverse("login"), {"username": "manager", "password": "wrong-one"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请输入一个正确的" in body  # Django's own zh-hans message
    assert 'value="manager"' in body
    assert "_auth_user_id" not in client.session


def test_login_with_empty_form_marks_both_fields(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.content.decode().count("这个字段是必填项") == 2


@pytest.mark.parametrize("username", ["x" * 5000, "<script>", "管理员\x00", "' OR 1=1 --"])
def test_login_with_odd_input_is_no_500(client, username):
    response = client.post(reverse("login"), {"username": username, "password": "p"})
    assert response.status_code == 200


def test_login_lands_a_manager_on_their_centre(client, manager, centre):
    response = client.post(
        reverse("login"), {"username": "manager", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("centers:centre-detail", args=[centre.slug])
    assert centre.name in response.content.decode()


def test_login_ignores_a_foreign_next_url(client, manager):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "manager", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_login_with_a_clear_message(client, manager):
    for _ in range(2):
        response = client.post(reverse("login"), {"username": "manager", "password": "bad"})
        assert response.status_code == 200
    locked = client.post(reverse("login"), {"username": "manager", "password": "bad"})
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "登录失败次数过多" in body and "15 分钟后重试" in body
    # Even the right password is refused while locked.
    again = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_lockout_of_one_user_leaves_others_alone(client, manager, clerk):
    for _ in range(3):
        client.post(reverse("login"), {"username": "manager", "password": "bad"})
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302


def test_logout_needs_post_and_ends_the_session(client, manager):
    client.force_login(manager)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_password_change_with_wrong_old_password_keeps_the_page(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "Longer-pass-42", "new_password2": "x"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "你的旧密码不正确" in body
    assert "输入的两个密码不一致" in body


def test_password_change_rejects_a_weak_password_in_chinese(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "这个密码太常见了" in response.content.decode()


def test_password_change_works(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Longer-pass-42",
            "new_password2": "Longer-pass-42",
        },
        follow=True,
    )
    assert "密码已修改" in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password("Longer-pass-42")


@override_settings(CHC_TRUSTED_PROXIES=["10.0.0.2"])
def test_client_address_comes_from_our_proxy_not_from_the_client():
    from django.test import RequestFactory

    from core.http import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_ip(request) == "203.0.113.7"  # what our proxy saw; 6.6.6.6 may be forged
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2, CHC_TRUSTED_PROXIES=["10.0.0.2"])
def test_behind_a_proxy_one_address_cannot_lock_out_another(client, manager):
    for _ in range(2):
        client.post(
            reverse("login"),
            {"username": "manager", "password": "bad"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.9",
        )
    response = client.post(
        reverse("login"),
        {"username": "manager", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert response.status_code == 302
