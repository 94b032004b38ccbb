"""Two people edit the same centre record: the second save is refused, nothing is lost.

Each test opens one form in two logged-in browsers, saves from the first, then from the second:
the second gets its form back with what it typed, the message naming who saved, and the first
person's values beside it; the database keeps the first save. Saving again from the refused form
then overwrites knowingly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from centers import actions
from centers.models import (
    Centre,
    CentreYear,
    Department,
    Donation,
    Licence,
    PerformanceRecord,
    RegistrationChange,
)
from centers.tests.editing import opened, sessions
from core.stale import StaleEdit, claim, stamp

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
REFUSED = "在您编辑期间，其他人（彭娅"  # the manager, 彭娅, saved first


def _licence(centre):
    return Licence.objects.create(centre=centre, name="医疗机构执业许可证", valid_from="2024-09-05")


def _performance(centre):
    return PerformanceRecord.objects.create(
        centre=centre, date="2024-05-01", kind="honour", text="区级先进集体"
    )


def _donation(centre):
    return Donation.objects.create(
        centre=centre, date="2024-03-01", donor="某公司", amount=Decimal("1.00")
    )


def _department(centre):
    return Department.objects.create(
        centre=centre, name="全科诊室", kind="clinical", opened_on="2019-06-18"
    )


def _year(centre):
    return CentreYear.objects.create(centre=centre, year=2024, beds=20)


# kind key, maker, field both people change, the first person's value, the second's
RECORDS = [
    ("licence", _licence, "number", "甲-0001", "乙-0002"),
    ("performance", _performance, "text", "市级先进集体", "省级先进集体"),
    ("donation", _donation, "donor", "甲公司", "乙公司"),
    ("department", _department, "name", "全科一诊室", "全科二诊室"),
    ("year", _year, "beds", "30", "40"),
]


@pytest.mark.parametrize(("key", "make", "field", "first_value", "second_value"), RECORDS)
def test_second_save_of_a_record_is_refused_and_shows_both(
    centre, manager, clerk, key, make, field, first_value, second_value
):
    record = make(centre)
    url = reverse(f"centers:{key}-edit", args=[centre.slug, record.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = opened(first, url), opened(second, url)

    assert first.post(url, {**mine, field: first_value}, **HX).status_code == 200
    refused = second.post(url, {**theirs, field: second_value}, **HX)

    assert refused.status_code == 200  # an htmx partial: htmx 2 swaps only 2xx
    body = refused.content.decode()
    assert REFUSED in body and "已保存了此记录" in body
    assert f'value="{second_value}"' in body or f"{second_value}</textarea>" in body  # kept
    assert 'id="stale-conflict"' in body and first_value in body  # theirs, beside it
    record.refresh_from_db()
    assert str(getattr(record, field)) == first_value

    # The refused form now carries the newer stamp: saving it again is a knowing overwrite.
    again = refused.context["form"]["based_on"].value()
    assert second.post(url, {**theirs, field: second_value, "based_on": again}, **HX)
    record.refresh_from_db()
    assert str(getattr(record, field)) == second_value


def test_a_record_edited_without_htmx_is_a_409_with_the_page(centre, manager, clerk):
    licence = _licence(centre)
    url = reverse("centers:licence-edit", args=[centre.slug, licence.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = opened(first, url), opened(second, url)
    first.post(url, {**mine, "number": "甲-0001"})
    refused = second.post(url, {**theirs, "number": "乙-0002"})
    assert refused.status_code == 409
    assert "<html" in refused.content.decode() and REFUSED in refused.content.decode()


def test_an_unchanged_save_does_not_turn_other_forms_stale(centre, manager, clerk):
    licence = _licence(centre)
    url = reverse("centers:licence-edit", args=[centre.slug, licence.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = opened(first, url), opened(second, url)
    first.post(url, mine, **HX)  # saved without a change
    second.post(url, {**theirs, "number": "乙-0002"}, **HX)
    licence.refresh_from_db()
    assert licence.number == "乙-0002"


def test_second_save_of_the_certificate_data_is_refused(centre, manager, clerk):
    url = reverse("centers:registration-edit", args=[centre.slug])
    first, second = sessions(manager, clerk)
    mine = opened(first, url, "info_form", **HX)
    theirs = opened(second, url, "info_form", **HX)
    first.post(url, {**mine, "online_name": "磁器口.公益"}, **HX)
    refused = second.post(url, {**theirs, "online_name": "磁器口社区"}, **HX)
    body = refused.content.decode()
    assert REFUSED in body
    assert 'value="磁器口社区"' in body and "磁器口.公益" in body
    assert Centre.objects.get(pk=centre.pk).online_name == "磁器口.公益"


def test_second_correction_of_a_change_registration_is_refused(centre, manager, clerk):
    change = actions.registration_change_record(
        centre=centre,
        data={
            "item": "legal_representative",
            "old_value": "张三",
            "new_value": "王五",
            "effective_on": dt.date(2024, 3, 1),
            "registered_on": dt.date(2024, 3, 1),
            "note": "",
        },
        actor=manager,
    )
    url = reverse("centers:change-edit", args=[centre.slug, change.pk])
    first, second = sessions(manager, clerk)
    mine = opened(first, url, "change_form", **HX)
    theirs = opened(second, url, "change_form", **HX)
    first.post(url, {**mine, "note": "按批复"}, **HX)
    refused = second.post(url, {**theirs, "note": "补登"}, **HX)
    body = refused.content.decode()
    assert REFUSED in body and 'value="补登"' in body and "按批复" in body
    assert RegistrationChange.objects.get().note == "按批复"


# --- the mechanism itself ---------------------------------------------------------------


def test_claim_refuses_a_stale_or_malformed_stamp_and_names_the_saver(centre, manager):
    licence = _licence(centre)
    opened_at = stamp(licence)
    actions.record_update(
        record=licence, data={"number": "甲-1"}, based_on=opened_at, actor=manager
    )
    for bad in (opened_at, "", "x", opened_at + "|" + opened_at, opened_at.split("+")[0]):
        with pytest.raises(StaleEdit) as refused:
            actions.record_update(
                record=licence, data={"number": "乙-2"}, based_on=bad, actor=manager
            )
        assert refused.value.values["number"] == "甲-1"
        assert refused.value.who == "彭娅" and refused.value.when is not None
    assert Licence.objects.get().number == "甲-1"


@pytest.mark.django_db(transaction=True)
def test_claim_needs_a_transaction(centre):
    licence = _licence(centre)
    with pytest.raises(RuntimeError):
        claim(licence, based_on=stamp(licence))


def test_a_record_deleted_meanwhile_is_said_so(centre, manager, clerk):
    licence = _licence(centre)
    opened_at = stamp(licence)
    ghost = Licence.objects.get(pk=licence.pk)
    actions.record_delete(record=licence, actor=manager)
    with pytest.raises(StaleEdit) as refused:
        actions.record_update(record=ghost, data={"number": "x"}, based_on=opened_at, actor=clerk)
    assert refused.value.gone and "已删除了此记录" in _zh(refused.value)


def _zh(exc) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return exc.message


def test_a_save_that_left_no_audit_entry_is_not_pinned_on_the_last_auditor(centre, manager):
    licence = _licence(centre)
    opened_at = stamp(licence)
    actions.record_update(
        record=licence, data={"number": "甲-1"}, based_on=opened_at, actor=manager
    )
    later = Licence.objects.get().updated_at + dt.timedelta(minutes=5)
    Licence.objects.filter(pk=licence.pk).update(number="丙-3", updated_at=later)  # e.g. a script
    with pytest.raises(StaleEdit) as refused:
        actions.record_update(
            record=licence, data={"number": "乙-2"}, based_on=opened_at, actor=manager
        )
    assert refused.value.who == "" and refused.value.when == later
    assert "其他人（其他用户，" in _zh(refused.value)
