"""Workforce figures on small hand-built rosters, every expected number worked out here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from centers.models import CentreYear
from staff.selectors import month_ends, percent, workforce_figures
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_month_ends_of_a_year_a_half_and_a_short_range():
    assert len(month_ends(D(2024, 1, 1), D(2024, 12, 31))) == 12
    assert month_ends(D(2024, 1, 1), D(2024, 6, 30))[-1] == D(2024, 6, 30)
    assert month_ends(D(2024, 2, 1), D(2024, 2, 29)) == [D(2024, 2, 29)]
    assert month_ends(D(2024, 3, 5), D(2024, 3, 20)) == [D(2024, 3, 20)]  # inside one month


def test_percent_rounds_half_up():
    assert percent(25, 60) == Decimal("41.67")  # 41.666…
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 0) is None


def _spell(centre, **kw):
    person_kw = {k: kw.pop(k) for k in ("birth_date", "name") if k in kw}
    return SpellFactory(person=PersonFactory(centre=centre, **person_kw), **kw)


def test_a_small_year_worked_by_hand(centre):
    # A: 在编 physician (GP, clinical, 副高), all year, born 1970-03-01 → 54 on 2024-12-31.
    _spell(
        centre,
        category="physician",
        practice_type="clinical",
        general_practice=True,
        title="associate_senior",
        establishment="on",
        contract_kind="",
        position="leader",
        birth_date=D(1970, 3, 1),
    )
    # B: 编外 nurse, all year, born 1995-12-31 → 29 on 2024-12-31 (birthday that day).
    _spell(centre, birth_date=D(1995, 12, 31))
    # C: 编外 nurse hired 2024-04-10 (中级), born 1996-01-01 → 28.
    _spell(centre, hired_on=D(2024, 4, 10), title="intermediate", birth_date=D(1996, 1, 1))
    # D: 编外 technician, left 2024-06-30 (resigned, 中层), counts at June's end.
    _spell(
        centre,
        category="technician",
        position="middle",
        left_on=D(2024, 6, 30),
        leave_reason="resigned",
    )
    # E: 编外 support worker, left 2024-09-15 (dismissed).
    _spell(
        centre, category="support", title="none", left_on=D(2024, 9, 15), leave_reason="dismissed"
    )
    # F: left in 2023: never counts in 2024.
    _spell(centre, left_on=D(2023, 12, 31), leave_reason="retired")
    f = workforce_figures(centre=centre, start=D(2024, 1, 1), end=D(2024, 12, 31))
    # Month ends: Jan–Mar: A B D E = 4; Apr–Jun: + C = 5; Jul–Aug: A B C E = 4; Sep–Dec: A B C = 3.
    assert [n for _, n in f.month_end_counts] == [4, 4, 4, 5, 5, 5, 4, 4, 3, 3, 3, 3]
    assert f.average_headcount == Decimal(47) / 12  # 3.9166…
    assert (f.headcount_start, f.headcount_end) == (4, 3)
    assert f.hires == 1 and f.hires_by_level == {"high": 0, "middle": 1, "low": 0}
    assert f.departures == 2
    assert f.departures_by_reason["resigned"] == 1 and f.departures_by_reason["dismissed"] == 1
    assert (f.departures_health, f.departures_other) == (1, 1)  # technician yes, support no
    assert f.departures_by_position == {"leader": 0, "middle": 1, "staff": 1}
    assert f.departures_by_establishment == {"on": 0, "off": 2}
    # 2 ÷ (47/12) = 24/47 = 0.51063… → 51.06%
    assert f.departure_rate == Decimal("51.06")
    # 编外 month ends: Jan–Mar 3, Apr–Jun 4, Jul–Aug 3, Sep–Dec 2 → 35/12; share 35/47 = 74.47%
    assert f.average_off_establishment == Decimal(35) / 12
    assert f.off_share_average == Decimal("74.47")
    assert f.off_establishment_end == 2 and f.off_share_end == Decimal("66.67")
    # Ages on 2024-12-31: A 54, B 29, C 28 → 37.0; 编外 B, C → 28.5
    assert f.average_age == Decimal("37.0") and f.average_age_off == Decimal("28.5")
    assert (f.health_professionals, f.physicians, f.general_practitioners, f.nurses) == (3, 1, 1, 2)
    assert f.nurses_per_physician == Decimal("2.00")
    assert f.gps_per_10k is None  # no served population entered


def test_gps_per_ten_thousand_served_and_staffing_checks(centre):
    CentreYear.objects.create(centre=centre, year=2024, served_population=48000)
    for practice in ("clinical", "clinical", "tcm"):
        _spell(
            centre,
            category="physician",
            practice_type=practice,
            general_practice=True,
            title="intermediate",
        )
    f = workforce_figures(centre=centre, start=D(2024, 1, 1), end=D(2024, 12, 31))
    # 3 GPs ÷ 48,000 × 10,000 = 0.625 → 0.63
    assert f.gps_per_10k == Decimal("0.63")
    checks = {c.label: (c.required, c.actual, c.met) for c in f.checks}
    assert checks["全科执业医师（临床或中医类别）"] == (6, 3, False)
    assert checks["中级以上职称中医类别执业医师"] == (1, 1, True)
    assert checks["注册护士"] == (9, 0, False)
    assert checks["注册护士不少于执业医师数"] == (3, 0, False)


def test_a_person_who_returns_has_two_spells_counted_apart(centre):
    person = PersonFactory(centre=centre)
    SpellFactory(
        person=person, hired_on=D(2020, 1, 1), left_on=D(2024, 3, 15), leave_reason="resigned"
    )
    SpellFactory(person=person, hired_on=D(2024, 8, 1))
    f = workforce_figures(centre=centre, start=D(2024, 1, 1), end=D(2024, 12, 31))
    assert [n for _, n in f.month_end_counts] == [1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert (f.hires, f.departures) == (1, 1)


def test_figures_are_two_queries_for_any_roster(centre, django_assert_max_num_queries):
    for i in range(300):
        _spell(centre, hired_on=D(2015 + i % 9, 1 + i % 12, 1), name=f"人{i}")
    with django_assert_max_num_queries(2):
        workforce_figures(centre=centre, start=D(2024, 1, 1), end=D(2024, 12, 31))
