"""Approving a filing freezes its year through services (services.FrozenYear, written by
services.actions.year_freeze); reopening lifts it; the tally lock reads only services' table."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from core.models import AuditEntry
from reporting import actions
from reporting.models import AnnualFiling
from services.actions import tally_save
from services.locking import LockContext, lock_state, year_lock_state
from services.models import FrozenYear, Indicator, TallyValue

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))
# December 2024 ends on the 31st and locks 30 days later, from 31 January 2025: on 5 January it is
# still open, so only the freeze can close it.
TODAY = dt.date(2025, 1, 5)
DEC, JAN = dt.date(2024, 12, 1), dt.date(2025, 1, 1)
FROZEN = "2024年度报告已审核通过，该年数据已锁定。"


def _state(centre, month: dt.date):
    return lock_state(month, LockContext.load(centre, TODAY))


def _save(centre, actor, raw: str):
    indicator = Indicator.objects.get(code="opd_visits")
    return tally_save(centre=centre, indicator=indicator, period=DEC, raw=raw, actor=actor)


@time_machine.travel(dt.datetime(2025, 1, 5, 10, 0))
def test_approval_freezes_the_year_in_services_and_reopening_lifts_it(ready, manager, reviewer):
    centre = ready.centre
    assert not _state(centre, DEC).locked  # 31 Dec + 30 days = 30 Jan 2025
    assert _save(centre, manager, "100").error == ""

    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    frozen = FrozenYear.objects.get()
    assert (frozen.centre, frozen.year, frozen.frozen_by) == (centre, 2024, reviewer)
    entry = AuditEntry.objects.get(action="services.year.frozen")
    assert (entry.centre, entry.actor, entry.changes) == (centre, reviewer, {"year": 2024})
    assert _state(centre, DEC).reason == FROZEN
    assert year_lock_state(2024, LockContext.load(centre, TODAY)).reason == FROZEN
    assert not _state(centre, JAN).locked  # 2025 is another year
    assert _save(centre, manager, "120").error == FROZEN
    assert TallyValue.objects.get().value == 100

    filing = actions.filing_reopen(filing=filing, reason="数据有误", actor=reviewer, access=R)
    assert not FrozenYear.objects.exists()
    assert AuditEntry.objects.filter(action="services.year.unfrozen", centre=centre).count() == 1
    assert not _state(centre, DEC).locked
    assert _save(centre, manager, "120").error == ""
    assert TallyValue.objects.get().value == 120

    # Approved again and published: frozen once more, and publishing keeps it frozen.
    filing = actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    actions.filing_publish(filing=filing, actor=reviewer, access=R)
    assert list(FrozenYear.objects.values_list("year", flat=True)) == [2024]
    assert _state(centre, DEC).reason == FROZEN


def test_returning_an_approved_report_also_lifts_the_freeze(ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    assert FrozenYear.objects.filter(centre=ready.centre, year=2024).exists()
    # A reviewer whose page still showed the submitted report returns it after approval.
    actions.filing_return(filing=filing, reason="补充", actor=reviewer, access=R)
    assert not FrozenYear.objects.exists()


def test_the_migration_freezes_the_years_already_approved_or_published(centre, other_centre):
    migration = importlib.import_module("services.migrations.0006_frozen_years")
    S = AnnualFiling.Status
    for owner, year, status in [
        (centre, 2022, S.PUBLISHED),
        (centre, 2023, S.APPROVED),
        (centre, 2024, S.RETURNED),  # reopened: open again
        (other_centre, 2023, S.SUBMITTED),
        (other_centre, 2024, S.APPROVED),
    ]:
        AnnualFiling.objects.create(centre=owner, year=year, status=status)
    migration.freeze_approved_years(apps, None)
    frozen = set(FrozenYear.objects.values_list("centre__slug", "year"))
    assert frozen == {("ciqikou", 2022), ("ciqikou", 2023), ("yangjiaping", 2024)}
