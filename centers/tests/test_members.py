"""Managers add, re-role and remove members; every change is audited and guarded."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from centers import actions
from centers.models import CentreMembership
from centers.tests.factories import CentreMembershipFactory, UserFactory
from core.errors import DomainError
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
User = get_user_model()
HX = {"HTTP_HX_REQUEST": "true"}


def _url(name, centre, **kw):
    return reverse(f"centers:{name}", kwargs={"centre_slug": centre.slug, **kw})


def test_manager_adds_a_new_account(client, manager, centre):
    client.force_login(manager)
    data = {
        "username": "newclerk",
        "full_name": "王新",
        "role": "CLERK",
        "password": "Sturdy-pass-42",
    }
    response = client.post(_url("member-add", centre), data)
    assert response.status_code == 302
    user = User.objects.get(username="newclerk")
    assert user.first_name == "王新" and user.check_password("Sturdy-pass-42")
    membership = CentreMembership.objects.get(user=user, centre=centre)
    assert membership.role == "CLERK"
    entry = AuditEntry.objects.get(action="centers.membership.granted")
    assert entry.actor == manager and entry.centre == centre
    assert entry.changes == {
        "user": [None, "newclerk"],
        "role": [None, "CLERK"],
        "account": "created",
    }
    assert entry.actor_name == "manager"


@pytest.mark.parametrize("username", ["othermanager", "OtherManager", "cityreviewer", "root"])
def test_manager_cannot_pull_in_an_existing_account(client, manager, centre, users, username):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(manager)
    response = client.post(
        _url("member-add", centre),
        {"username": username, "role": "MANAGER", "password": "Sturdy-pass-42"},
    )
    assert response.status_code == 200
    assert "该用户名已被占用" in response.content.decode()
    assert not CentreMembership.objects.filter(
        centre=centre, user__username__iexact=username
    ).exists()
    assert not AuditEntry.objects.exists()


def test_grant_refuses_a_taken_username_even_past_the_form(manager, centre, other_member):
    with pytest.raises(DomainError):
        actions.membership_grant(
            centre=centre,
            username="othermanager",
            role="MANAGER",
            actor=manager,
            password="Sturdy-pass-42",
        )


def test_add_errors_come_back_beside_the_field_with_the_values(client, manager, centre):
    client.force_login(manager)
    response = client.post(
        _url("member-add", centre),
        {"username": "bad name!", "full_name": "赵六", "role": "CLERK", "password": ""},
        **HX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # only the partial
    assert 'id="members-section"' in body
    assert "请输入合法的用户名" in body
    assert 'value="赵六"' in body


def test_new_account_without_password_is_refused_in_chinese(client, manager, centre):
    client.force_login(manager)
    response = client.post(_url("member-add", centre), {"username": "nopass", "role": "CLERK"})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not User.objects.filter(username="nopass").exists()


def test_password_is_never_sent_back_in_the_page(client, manager, centre):
    client.force_login(manager)
    response = client.post(
        _url("member-add", centre),
        {"username": "bad name!", "role": "CLERK", "password": "Secret-42-x"},
    )
    assert "Secret-42-x" not in response.content.decode()


def test_weak_password_is_refused_and_nothing_is_written(client, manager, centre):
    client.force_login(manager)
    response = client.post(
        _url("member-add", centre), {"username": "weak", "role": "CLERK", "password": "12345678"}
    )
    assert "这个密码太常见了" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()
    assert not AuditEntry.objects.exists()


def test_adding_a_member_twice_says_so(client, manager, clerk, centre):
    client.force_login(manager)
    response = client.post(
        _url("member-add", centre),
        {"username": "clerk", "role": "MANAGER", "password": "Sturdy-pass-42"},
    )
    assert "该用户名已被占用" in response.content.decode()
    assert CentreMembership.objects.get(user=clerk).role == "CLERK"


def test_acting_on_a_membership_removed_meanwhile_is_a_message_not_a_500(manager, clerk, centre):
    membership = CentreMembership.objects.get(user=clerk)
    stale = CentreMembership.objects.get(pk=membership.pk)
    membership.delete()
    with pytest.raises(DomainError):
        actions.membership_change_role(membership=stale, role="MANAGER", actor=manager)
    with pytest.raises(DomainError):
        actions.membership_revoke(membership=stale, actor=manager)


def test_invalid_role_value_is_an_error_not_a_500(client, manager, clerk, centre):
    client.force_login(manager)
    membership = CentreMembership.objects.get(user=clerk)
    response = client.post(_url("member-role", centre, pk=membership.pk), {"role": "GOD"}, **HX)
    assert response.status_code == 200
    assert "请选择有效的角色" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "CLERK"


def test_role_change_is_audited_with_old_and_new(client, manager, clerk, centre):
    client.force_login(manager)
    membership = CentreMembership.objects.get(user=clerk)
    response = client.post(_url("member-role", centre, pk=membership.pk), {"role": "MANAGER"}, **HX)
    assert response.status_code == 200 and "角色已修改" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "MANAGER"
    entry = AuditEntry.objects.get(action="centers.membership.role_changed")
    assert entry.changes == {"role": ["CLERK", "MANAGER"]} and entry.actor == manager


def test_last_manager_cannot_step_down_or_be_removed(manager, centre):
    membership = CentreMembership.objects.get(user=manager)
    with pytest.raises(DomainError):
        actions.membership_change_role(membership=membership, role="CLERK", actor=manager)
    with pytest.raises(DomainError):
        actions.membership_revoke(membership=membership, actor=manager)
    membership.refresh_from_db()
    assert membership.role == "MANAGER"


def test_last_manager_refusal_shows_a_message(client, manager, centre):
    client.force_login(manager)
    membership = CentreMembership.objects.get(user=manager)
    response = client.post(_url("member-remove", centre, pk=membership.pk), **HX)
    assert "中心必须至少保留一名管理员" in response.content.decode()
    assert CentreMembership.objects.filter(pk=membership.pk).exists()


def test_manager_who_demotes_themselves_is_sent_to_the_overview(client, manager, centre):
    CentreMembershipFactory(centre=centre, role="MANAGER")
    client.force_login(manager)
    membership = CentreMembership.objects.get(user=manager)
    response = client.post(_url("member-role", centre, pk=membership.pk), {"role": "CLERK"}, **HX)
    assert response["HX-Redirect"] == _url("centre-detail", centre)


def test_remove_member_keeps_the_account_and_audits(client, manager, clerk, centre):
    client.force_login(manager)
    membership = CentreMembership.objects.get(user=clerk)
    response = client.post(_url("member-remove", centre, pk=membership.pk))
    assert response.status_code == 302
    assert not CentreMembership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=clerk.pk).exists()
    entry = AuditEntry.objects.get(action="centers.membership.revoked")
    assert entry.target_id == str(membership.pk)
    assert entry.changes == {"user": ["clerk", None], "role": ["CLERK", None]}


def test_membership_of_another_centre_is_404(client, manager, centre, other_member):
    client.force_login(manager)
    foreign = CentreMembership.objects.get(user=other_member)
    assert client.post(_url("member-remove", centre, pk=foreign.pk)).status_code == 404
    assert (
        client.post(_url("member-role", centre, pk=foreign.pk), {"role": "CLERK"}).status_code
        == 404
    )
    assert CentreMembership.objects.filter(pk=foreign.pk).exists()


def test_member_list_query_count_is_bounded(client, manager, centre, django_assert_max_num_queries):
    for _ in range(30):
        CentreMembershipFactory(centre=centre)
    client.force_login(manager)
    with django_assert_max_num_queries(4):
        response = client.get(_url("member-list", centre))
    assert len(re.findall(r'id="member-\d', response.content.decode())) == 31


def test_member_list_htmx_returns_only_the_section(client, manager, centre):
    client.force_login(manager)
    response = client.get(_url("member-list", centre), **HX)
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="members-section">')


def test_posts_need_a_csrf_token(manager, centre):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(_url("member-add", centre), {"username": "x", "role": "CLERK"})
    assert response.status_code == 403
