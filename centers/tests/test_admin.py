"""The Django admin: Chinese, guarded against tree cycles, and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from centers.tests.factories import UserFactory
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _change(client, obj, **fields):
    """Post the admin change form with no inline rows, as the browser would."""
    inline = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    url = reverse(f"admin:centers_{obj._meta.model_name}_change", args=[obj.pk])
    return client.post(url, {**fields, **inline})


def _centre_fields(centre, **changed) -> dict:
    """The centre's admin form as it stands, with `changed` typed over it."""
    return {
        "name": centre.name,
        "slug": centre.slug,
        "sponsor": centre.sponsor_id,
        "address": centre.address,
        "legal_representative": centre.legal_representative,
        "reporting_since": centre.reporting_since,
        **changed,
    }


def test_admin_speaks_chinese(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert "健康中心通 系统管理" in body and "社区卫生服务中心" in body


def test_admin_lists_load(admin_client, centre, manager, reviewer):
    for name in ("centers_centre", "centers_authority", "auth_user", "core_auditentry"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:centers_centre_change", args=[centre.pk])).status_code
        == 200
    )


def test_authority_cannot_move_below_its_own_descendant(admin_client, city, district):
    response = _change(admin_client, city, name=city.name, slug=city.slug, parent=district.pk)
    assert response.status_code == 200
    assert "上级部门不能是本部门或其下级部门" in response.content.decode()
    city.refresh_from_db()
    assert city.parent is None


def test_admin_change_to_a_centre_is_audited(admin_client, centre):
    response = _change(
        admin_client, centre, **_centre_fields(centre, address="重庆市沙坪坝区新地址1号")
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.centre.changed")
    assert entry.centre == centre and entry.actor_name == "root"
    assert entry.changes == {"address": ["重庆市沙坪坝区某路1号", "重庆市沙坪坝区新地址1号"]}


def test_moving_a_centre_to_another_sponsor_is_audited_by_name(
    admin_client, centre, other_district
):
    old_sponsor = centre.sponsor.name
    _change(admin_client, centre, **_centre_fields(centre, sponsor=other_district.pk))
    entry = AuditEntry.objects.get(action="admin.centre.changed")
    assert entry.changes == {"sponsor": [old_sponsor, other_district.name]}


def test_saving_without_a_change_writes_no_audit_row(admin_client, centre):
    fields = ("name", "slug", "address", "legal_representative")
    fields = (*fields, "reporting_since")
    _change(
        admin_client, centre, sponsor=centre.sponsor_id, **{f: getattr(centre, f) for f in fields}
    )
    assert not AuditEntry.objects.filter(action="admin.centre.changed").exists()


def test_making_someone_superuser_is_audited(admin_client, clerk):
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = {
        "username": "clerk",
        "first_name": clerk.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "centre_memberships-TOTAL_FORMS": "0",
        "centre_memberships-INITIAL_FORMS": "0",
        "authority_memberships-TOTAL_FORMS": "0",
        "authority_memberships-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.user.changed")
    assert entry.changes["is_superuser"] == [False, True]
    assert entry.changes["is_staff"] == [False, True]


def test_bulk_delete_in_the_admin_is_audited(admin_client, city):
    from centers.tests.factories import AuthorityFactory

    spare = AuthorityFactory(name="待撤销部门", parent=city)
    response = admin_client.post(
        reverse("admin:centers_authority_changelist"),
        {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.authority.deleted")
    assert entry.target_repr == "待撤销部门"
    assert entry.changes["name"] == ["待撤销部门", None]


def test_the_admin_refuses_a_founding_day_ahead_of_today_as_the_app_does(admin_client, centre):
    """The founding day decides which months a centre owes: a day to come would hide them."""
    refused = _change(admin_client, centre, **_centre_fields(centre, founded_on="2099-01-01"))
    assert refused.status_code == 200 and "成立日期不能晚于今天" in refused.content.decode()
    centre.refresh_from_db()
    assert centre.founded_on != dt.date(2099, 1, 1)
    saved = _change(admin_client, centre, **_centre_fields(centre, founded_on="2019-06-18"))
    assert saved.status_code == 302
