"""The centres' demo: the seed-000 centre in the right tree, every demo login, and idempotence.

The whole demo (`manage.py load_demo`, every app's data on top of these) is reporting's; its tests
are in reporting/tests/test_demo.py.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from centers.demo import load_centres_demo
from centers.models import Authority, AuthorityMembership, Centre, CentreMembership

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_centres_demo_builds_the_tree_and_logins():
    centres = load_centres_demo()
    assert set(centres) == {"ciqikou", "shuangbei", "xiaolongkan", "yangjiaping"}
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


def test_centres_demo_twice_changes_nothing():
    load_centres_demo()
    before = _counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    load_centres_demo()
    assert _counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords


def test_no_demo_logins_without_demo_data():
    assert not get_user_model().objects.exists()


def test_demo_centre_carries_the_seed_record():
    import datetime as dt
    from decimal import Decimal

    from centers.models import CentreYear, Department, Donation, Licence, PerformanceRecord
    from centers.validators import validate_credit_code

    load_centres_demo()
    c = Centre.objects.get(slug="ciqikou")
    validate_credit_code(c.credit_code)
    assert c.capital == Decimal("233.88")
    assert c.funding_source.name == "财政补助(全额拨款)"
    assert c.purpose.startswith("为人民健康提供基本医疗卫生服务。")
    year = CentreYear.objects.get(centre=c, year=2024)
    assert (year.net_assets_begin, year.net_assets_end) == (Decimal("244.64"), Decimal("233.88"))
    changes = list(
        c.registration_changes.order_by("registered_on").values_list(
            "item", "old_value", "new_value", "registered_on"
        )
    )
    assert changes == [
        ("legal_representative", "李洁", "彭娅", dt.date(2022, 2, 7)),
        (
            "address",
            "沙坪坝区磁器口正街48号",
            "重庆市沙坪坝区金磁路4号附1-23号",
            dt.date(2022, 3, 23),
        ),
        ("capital", "96.70", "233.88", dt.date(2024, 4, 9)),
    ]
    licence = Licence.objects.get(centre=c)
    assert (licence.valid_from, licence.valid_to) == (dt.date(2024, 9, 5), dt.date(2026, 7, 4))
    honours = PerformanceRecord.objects.filter(centre=c, date__year=2024, kind="honour")
    assert honours.count() == 2
    assert not Donation.objects.filter(centre=c).exists()
    names = set(Department.objects.filter(centre=c).values_list("name", flat=True))
    assert {
        "全科门诊",
        "儿科门诊",
        "中医康复科",
        "口腔科",
        "检验科",
        "B超室",
        "预防接种门诊",
    } <= names
