"""Which months a centre reported is counted once (services.selectors.reporting): the
completeness page, the dashboard's 报送完整率 and the summary's 未报 agree, each counting a
centre from its founding. Worked by hand for 2024 as seen on 2024-11-20."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from centers.tests.factories import CentreFactory
from core.periods import Period
from reporting.dashboard import dashboard_rows
from reporting.summary import expected_months
from services.models import MonthReport
from services.selectors import completeness, reporting

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 11, 20)


def _reported(centre, month: int, on: dt.date) -> None:
    report = MonthReport.objects.create(centre=centre, period=dt.date(2024, month, 1))
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(9)))
    MonthReport.objects.filter(pk=report.pk).update(created_at=at)


@pytest.fixture
def centres(district):
    old = CentreFactory(name="老中心", slug="old", sponsor=district, founded_on=None)
    new = CentreFactory(
        name="新中心", slug="new", sponsor=district, founded_on=dt.date(2024, 7, 15)
    )
    for month in (1, 2, 4, 5, 6, 7, 8, 9, 10):  # all but March, each by the 10th after
        _reported(old, month, dt.date(2024, month + 1, 5))
    _reported(new, 8, dt.date(2024, 9, 9))  # on time
    _reported(new, 9, dt.date(2024, 10, 15))  # after the 10th: late
    return old, new


def test_a_centre_founded_in_july_owes_july_to_october(centres):
    old, new = centres
    months = expected_months(Period.year(2024), TODAY)  # January to October have ended
    state = reporting(
        centres=[(old.pk, None), (new.pk, new.founded_on)], months=months, today=TODAY
    )
    assert (state.expected(old.pk), state.reported(old.pk)) == (10, 9)
    assert (state.expected(new.pk), state.reported(new.pk)) == (4, 2)
    assert state.missing_by_month() == {
        dt.date(2024, 3, 1): 1,  # the old centre
        dt.date(2024, 7, 1): 1,  # the new one, founded on the 15th
        dt.date(2024, 10, 1): 1,
    }


def test_the_completeness_page_shows_nothing_before_the_founding(centres):
    _old, new = centres
    rows = dict(completeness(centres=[new], year=2024, today=TODAY))
    assert [status for status, _approval in rows[new]] == [
        "", "", "", "", "", "",  # January to June: before the centre existed
        "missing",  # July: founded on the 15th, never reported, due 10 August: 未报
        "reported",
        "late",  # reported on 15 October, due the 10th: 逾期已报
        "missing",  # October: due 10 November, not reported: 未报
        "pending",  # November: running, not yet due: 待报
        "",
    ]  # fmt: skip


def test_the_dashboard_counts_the_same_months(centres, district):
    old, new = centres
    rows = {r.centre.pk: r for r in dashboard_rows(
        authority_ids=[district.pk], period=Period.year(2024), today=TODAY
    )}  # fmt: skip
    assert (rows[new.pk].reported, rows[new.pk].expected) == (2, 4)
    assert rows[new.pk].completeness == Decimal("50.0")
    assert rows[old.pk].completeness == Decimal("90.0")


def test_a_centre_that_joined_in_september_owes_from_september(district):
    """Founded in 2010, reporting in this system since September 2024: January to August are
    open to back-fill but owed by nobody; a back-filled May marked 已报送 counts on neither side."""
    joined = CentreFactory(
        name="新加入中心",
        slug="joined",
        sponsor=district,
        founded_on=dt.date(2010, 1, 1),
        reporting_since=dt.date(2024, 9, 1),
    )
    _reported(joined, 5, dt.date(2024, 10, 2))  # back-filled
    _reported(joined, 9, dt.date(2024, 10, 8))
    assert joined.owes_from == dt.date(2024, 9, 1)
    months = expected_months(Period.year(2024), TODAY)
    state = reporting(centres=[(joined.pk, joined.owes_from)], months=months, today=TODAY)
    assert (state.expected(joined.pk), state.reported(joined.pk)) == (2, 1)  # Sept, Oct; Sept
    assert state.missing_by_month() == {dt.date(2024, 10, 1): 1}
    ((_centre, cells),) = completeness(centres=[joined], year=2024, today=TODAY)
    statuses = [status for status, _approval in cells]
    assert statuses[:4] == ["", "", "", ""] and statuses[8] != "" and statuses[9] != ""
