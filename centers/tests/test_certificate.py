"""Certificate data: GB 32100 codes, bad input kept with a Chinese message, stale forms refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from centers import actions
from centers.models import Centre, FundingSource
from centers.validators import credit_code_check_char, validate_credit_code
from core.models import AuditEntry
from core.stale import StaleEdit, stamp

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("code", ["12500106450412352T", "91350100M000100Y43", "91440300708461136T"])
def test_valid_codes_pass(code):
    validate_credit_code(code)


def test_check_character_worked_by_hand():
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4
    # weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    # 9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 + 0 + 8 + 0 + 0 + 900 + 112 = 1640;
    # 1640 mod 31 = 28; 31 - 28 = 3 → "3".
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12500106450412352A", "校验码错误：按前17位计算，第18位应为 T"),
        ("1250010645041235", "统一社会信用代码应为18位，当前为 16 位"),
        ("12500106450412352TX", "统一社会信用代码应为18位"),
        ("125001064504I2352T", "代码中不能含有 I"),
    ],
)
def test_invalid_codes_are_refused_with_a_chinese_reason(code, message):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    from django.utils import translation

    with translation.override("zh-hans"):
        assert message in " ".join(exc.value.messages)


@pytest.fixture
def blank_centre(centre):
    """A centre whose registered items are not yet filled in (only name and sponsor)."""
    Centre.objects.filter(pk=centre.pk).update(address="", legal_representative="")
    centre.refresh_from_db()
    return centre


def _info_data(centre, **overrides):
    data = {
        "based_on": stamp(centre),
        "credit_code": "12500106450412352T",
        "purpose": "为人民健康提供基本医疗卫生服务。",
        "address": "重庆市沙坪坝区金磁路4号附1-23号",
        "legal_representative": "彭娅",
        "capital": "233.88",
        "funding_source": FundingSource.objects.get(name="自收自支").pk,
        "certificate_valid_from": "2021-12-20",
        "certificate_valid_to": "2026-12-19",
        "online_name": "无",
        "founded_on": "2019-06-18",
    }
    return {**data, **overrides}


def _post_info(client, centre, data):
    return client.post(reverse("centers:registration-edit", args=[centre.slug]), data, **HX)


def test_first_entry_fills_the_certificate_and_is_audited(client, clerk, blank_centre):
    client.force_login(clerk)
    response = _post_info(
        client, blank_centre, _info_data(blank_centre, credit_code=" 12500106 450412352t ")
    )
    assert response.status_code == 200 and "已保存" in response.content.decode()
    blank_centre.refresh_from_db()
    assert blank_centre.credit_code == "12500106450412352T"
    assert blank_centre.capital == Decimal("233.88")
    assert blank_centre.version == 2
    entry = AuditEntry.objects.get(action="centers.centre.updated")
    assert entry.actor == clerk
    assert entry.changes["legal_representative"] == ["", "彭娅"]
    assert entry.changes["funding_source"] == [None, "自收自支"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "12500106450412352A", "校验码错误"),
        ("capital", "233.885", "最多保留 2 位小数。"),
        ("capital", "-1", "确保该值大于或等于0"),
        ("certificate_valid_to", "2020-01-01", "有效期的截止日期早于起始日期"),
        ("founded_on", "2024-02-30", "输入一个有效的日期"),
        # A future founding would hide every month it owes from the commission's lists.
        ("founded_on", "2030-01-01", "成立日期不能晚于今天"),
        ("founded_on", "2022-01-01", "成立日期晚于证书有效期起始日"),
        ("legal_representative", "张" * 10000, "确保该变量包含不超过 50 字符"),
        ("address", "路\x00", "不能包含空字符"),
    ],
)
def test_bad_certificate_input_keeps_the_values_and_says_why(
    client, clerk, blank_centre, field, value, message
):
    client.force_login(clerk)
    response = _post_info(client, blank_centre, _info_data(blank_centre, **{field: value}))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'value="重庆市沙坪坝区金磁路4号附1-23号"' in body or field == "address"
    assert "2019-06-18" in body or field == "founded_on"
    blank_centre.refresh_from_db()
    assert blank_centre.credit_code == ""


def test_registered_items_once_filled_cannot_be_edited_directly(client, clerk, centre):
    client.force_login(clerk)
    assert centre.legal_representative == "张三"
    _post_info(client, centre, _info_data(centre, legal_representative="王五", address="别处"))
    centre.refresh_from_db()
    assert centre.legal_representative == "张三"
    assert centre.address == "重庆市沙坪坝区某路1号"
    assert centre.credit_code == "12500106450412352T"  # non-registered fields still save


def test_a_stale_form_is_refused_and_keeps_what_was_typed(client, clerk, manager, blank_centre):
    opened = stamp(blank_centre)
    actions.centre_update_info(
        centre=blank_centre, data={"online_name": "磁器口.公益"}, based_on=opened, actor=manager
    )
    client.force_login(clerk)
    response = _post_info(
        client, blank_centre, _info_data(blank_centre, based_on=opened, online_name="无")
    )
    body = response.content.decode()
    assert "在您编辑期间，其他人（彭娅" in body and "已保存了此记录" in body
    assert 'value="重庆市沙坪坝区金磁路4号附1-23号"' in body
    assert "磁器口.公益" in body  # their value, shown beside the form
    blank_centre.refresh_from_db()
    assert blank_centre.online_name == "磁器口.公益"


def test_stale_update_raises_in_the_action(manager, centre):
    opened = stamp(centre)
    actions.centre_update_info(
        centre=centre, data={"online_name": "a"}, based_on=opened, actor=manager
    )
    with pytest.raises(StaleEdit) as refused:
        actions.centre_update_info(
            centre=centre, data={"online_name": "b"}, based_on=opened, actor=manager
        )
    assert refused.value.values["online_name"] == "a"


def test_a_code_used_by_another_centre_is_refused(client, clerk, blank_centre, other_centre):
    Centre.objects.filter(pk=other_centre.pk).update(credit_code="12500106450412352T")
    client.force_login(clerk)
    response = _post_info(client, blank_centre, _info_data(blank_centre))
    assert "已有其他中心使用该统一社会信用代码" in response.content.decode()


def test_reviewer_reads_the_certificate_without_edit_controls(client, reviewer, centre):
    client.force_login(reviewer)
    body = client.get(reverse("centers:registration", args=[centre.slug])).content.decode()
    assert centre.name in body
    assert reverse("centers:registration-edit", args=[centre.slug]) not in body
    assert reverse("centers:change-add", args=[centre.slug]) not in body
