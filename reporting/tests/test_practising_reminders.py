"""A staff member's practising registration: warned to the centre's managers 90 and 30 days before
it expires and once it has run out, each once, unless it was renewed or its holder has left."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reporting import reminders
from reporting.models import Notification
from services.models import MonthReport
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.record_factories import LicenceFactory

pytestmark = pytest.mark.django_db
K = Notification.Kind
D = dt.date


@pytest.fixture
def staffed(centre, manager, clerk):
    centre.founded_on = D(2020, 1, 1)
    centre.save()
    manager.email, clerk.email = "manager@example.org", "clerk@example.org"
    manager.save()
    clerk.save()
    for month in range(1, 12):  # tallies done: only registrations are due
        MonthReport.objects.create(centre=centre, period=D(2025, month, 1))
    return centre


def _nurse(centre, name: str, left_on=None):
    reason = "resigned" if left_on else ""
    person = PersonFactory(centre=centre, name=name)
    SpellFactory(person=person, category="nurse", left_on=left_on, leave_reason=reason)
    return person


def test_a_registration_is_warned_at_90_and_30_days_and_when_expired(staffed, mailoutbox):
    wang = _nurse(staffed, "王芳")
    licence = LicenceFactory(person=wang, kind="nurse", valid_to=D(2025, 9, 1))
    assert reminders.reminders_send(today=D(2025, 6, 2)) == 0  # 91 days
    assert reminders.reminders_send(today=D(2025, 6, 3)) == 1  # 90 days: the manager alone
    assert reminders.reminders_send(today=D(2025, 6, 3)) == 0  # once
    assert reminders.reminders_send(today=D(2025, 8, 2)) == 1  # 30 days
    assert reminders.reminders_send(today=D(2025, 9, 1)) == 0  # its last valid day
    assert reminders.reminders_send(today=D(2025, 9, 2)) == 1  # expired
    assert reminders.reminders_send(today=D(2025, 10, 2)) == 0
    key = f"practising:{licence.pk}:2025-09-01"
    found = sorted(Notification.objects.values_list("recipient__username", "kind", "key"))
    assert found == [
        ("manager", K.EXPIRED, key),
        ("manager", K.EXPIRY_30, key),
        ("manager", K.EXPIRY_90, key),
    ]
    subjects = [m.subject for m in mailoutbox]
    assert subjects[0] == "磁器口社区卫生服务中心：王芳的护士执业证书将于2025-09-01到期。"
    assert subjects[-1] == "磁器口社区卫生服务中心：王芳的护士执业证书已于2025-09-01过期。"
    assert reverse("staff:person", args=[staffed.slug, wang.pk]) in mailoutbox[0].body


def test_a_renewed_registration_or_a_leaver_is_not_warned(staffed, mailoutbox):
    renewed = _nurse(staffed, "李娜")
    LicenceFactory(person=renewed, kind="nurse", valid_to=D(2025, 7, 1))
    LicenceFactory(person=renewed, kind="nurse", issued_on=D(2025, 6, 1), valid_to=D(2030, 5, 31))
    gone = _nurse(staffed, "陈静", left_on=D(2025, 5, 31))
    LicenceFactory(person=gone, kind="nurse", valid_to=D(2025, 7, 1))
    elsewhere = _nurse(staffed, "刘洋")
    LicenceFactory(
        person=elsewhere, kind="nurse", valid_to=D(2025, 7, 1), registered_here=False,
        registered_at="区人民医院",
    )  # fmt: skip
    assert reminders.reminders_send(today=D(2025, 6, 20)) == 0
    assert not mailoutbox
