"""load_demo: the seed-000 centre in the right tree, every demo login, and idempotence."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from centers.models import Authority, AuthorityMembership, Centre, CentreMembership

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_load_demo_builds_the_tree_and_logins(capsys):
    call_command("load_demo", force=True)
    ciqikou = Centre.objects.get(slug="ciqikou")
    assert ciqikou.name == "重庆市沙坪坝区磁器口社区卫生服务中心"
    assert ciqikou.address == "重庆市沙坪坝区金磁路4号附1-23号"
    assert ciqikou.legal_representative == "彭娅"
    assert ciqikou.sponsor.name == "重庆市沙坪坝区卫生健康委员会"
    assert ciqikou.sponsor.parent.name == "重庆市卫生健康委员会"
    assert Centre.objects.filter(sponsor=ciqikou.sponsor).count() == 3
    second = Authority.objects.exclude(pk=ciqikou.sponsor_id).get(parent__isnull=False)
    assert Centre.objects.filter(sponsor=second).count() == 1
    User = get_user_model()
    for username in ("admin", "cityreviewer", "reviewer", "manager", "clerk", "othermanager"):
        assert User.objects.get(username=username).check_password("chc-demo")
    assert User.objects.get(username="admin").is_superuser
    assert AuthorityMembership.objects.get(user__username="cityreviewer").authority.parent is None
    assert CentreMembership.objects.get(user__username="manager").role == "MANAGER"
    assert CentreMembership.objects.get(user__username="clerk").role == "CLERK"
    assert CentreMembership.objects.get(user__username="othermanager").centre.sponsor == second
    out = capsys.readouterr().out
    assert "manager" in out and "chc-demo" in out


def test_load_demo_twice_changes_nothing():
    call_command("load_demo", force=True)
    before = _counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    call_command("load_demo", force=True)
    assert _counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords


def test_no_demo_logins_without_demo_data():
    assert not get_user_model().objects.exists()


def test_load_demo_refuses_without_debug_unless_forced():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not get_user_model().objects.exists()
