"""The summary's one read of the roster (staff.selectors.roster_summary), worked by hand over
three centres and held against the figures the annual report and the brief count one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q

from centers.tests.factories import CentreFactory
from staff.selectors import roster_summary, workforce_brief, workforce_figures
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = pytest.mark.django_db
D = dt.date
START, END = D(2024, 1, 1), D(2024, 6, 30)


def _spell(centre, education="", **kw):
    return SpellFactory(person=PersonFactory(centre=centre, education=education), **kw)


@pytest.fixture
def roster(centre, other_centre):
    """A: 1 在编 clinical GP 副高 physician (postgraduate); 2 在编 TCM 中级 physician hired 15 March;
    3 编外 public-health physician who left 31 May; 4 编外 nurse; 5 编外 GP assistant physician
    (postgraduate); 6 gone before the period; 7 hired after it. B: 8 在编 senior nurse
    (postgraduate); 9 编外 senior clinical physician, not a GP, leaving on the last day.
    C: 10 left in February (touches the period, nobody serving at its end). D: not asked about."""
    c, d = CentreFactory(name="丙中心", slug="c"), CentreFactory(name="丁中心", slug="d")
    physician = {"category": "physician", "contract_kind": ""}
    _spell(
        centre,
        "postgraduate",
        practice_type="clinical",
        general_practice=True,
        title="associate_senior",
        establishment="on",
        **physician,
    )
    _spell(
        centre,
        practice_type="tcm",
        title="intermediate",
        establishment="on",
        hired_on=D(2024, 3, 15),
        **physician,
    )
    _spell(centre, practice_type="public_health", left_on=D(2024, 5, 31), **physician)
    _spell(centre)
    _spell(
        centre,
        "postgraduate",
        category="assistant_physician",
        practice_type="clinical",
        general_practice=True,
        title="none",
    )
    _spell(centre, category="support", establishment="on", left_on=D(2023, 12, 31))
    _spell(centre, category="pharmacist", establishment="on", hired_on=D(2024, 7, 1))
    _spell(other_centre, "postgraduate", title="senior", establishment="on", contract_kind="")
    _spell(
        other_centre,
        practice_type="clinical",
        title="senior",
        left_on=END,
        **physician,
    )
    _spell(c, left_on=D(2024, 2, 15))
    _spell(d)
    return [centre.pk, other_centre.pk, c.pk]


def test_the_roster_worked_by_hand(roster, django_assert_num_queries):
    a, b, c = roster
    with django_assert_num_queries(1):
        r = roster_summary(centre_ids=roster, start=START, end=END)
    # Month ends: January and February 1 3 4 5 + 8 9 + 10 (till 15 Feb) → 7, 6; March to May
    # + 2 → 7, 7, 7 (3 still counts on 31 May); June 1 2 4 5 8 9 → 6. 40 ÷ 6.
    w = r.brief
    assert w.average_headcount == Decimal(40) / 6
    assert (w.headcount_end, w.hires, w.departures, w.off_establishment_end) == (6, 1, 3, 3)
    assert (w.health_professionals, w.physicians, w.general_practitioners, w.nurses) == (6, 4, 2, 2)
    p = r.profile
    assert (p.total, p.on_establishment, p.off_establishment, p.postgraduates) == (6, 3, 3, 3)
    assert p.titles == {"high": 3, "middle": 1, "low": 2}
    assert (p.physicians, p.general_practitioners, p.nurses) == (4, 2, 2)
    assert r.on_establishment == {a: 2, b: 1, c: 0}
    assert set(r.staffing) == {a, b}  # nobody serves at C on 30 June
    by_label = {check.label: check.actual for check in r.staffing[a]}
    assert by_label == {
        "全科执业医师（临床或中医类别）": 1,
        "注册护士": 1,
        "副高级以上职称执业医师": 1,
        "中级以上职称中医类别执业医师": 1,
        "公共卫生类别执业医师": 0,
        "注册护士不少于执业医师数": 1,
    }
    assert [check.actual for check in r.staffing[b]] == [0, 1, 1, 0, 0, 1]


def test_a_city_sized_read_counts_the_same(roster, monkeypatch):
    # From core.rawsql.PARALLEL_FROM centres (PostgreSQL) the counts are read with parallel
    # workers priced in: the same statement, the same figures.
    from staff import selectors

    plain = roster_summary(centre_ids=roster, start=START, end=END)
    monkeypatch.setattr(selectors, "PARALLEL_FROM", 1)
    used = []
    real = selectors.parallel_read
    monkeypatch.setattr(selectors, "parallel_read", lambda *a: used.append(1) or real(*a))
    assert roster_summary(centre_ids=roster, start=START, end=END) == plain
    assert plain.brief.average_headcount == Decimal(40) / 6  # the hand-worked figures
    assert used == ([1] if connection.vendor == "postgresql" else [])


def test_the_same_as_the_figures_counted_one_by_one(roster):
    r = roster_summary(centre_ids=roster, start=START, end=END)
    brief = workforce_brief(scope=Q(centre_id__in=roster), start=START, end=END)
    assert r.brief == brief
    for pk in roster[:2]:
        full = workforce_figures(scope=Q(centre_id=pk), start=START, end=END)
        one = roster_summary(centre_ids=[pk], start=START, end=END)
        assert [(c.label, c.required, c.actual) for c in one.staffing[pk]] == [
            (c.label, c.required, c.actual) for c in full.checks
        ]
        assert one.profile.total == full.headcount_end
        assert one.profile.off_establishment == full.off_establishment_end
        assert one.brief.average_headcount == full.average_headcount


def test_a_period_ending_mid_month_and_no_centre(roster):
    """To 20 March: the average is of the month-ends inside the period, January and February
    (7, 6); on 20 March itself 7 serve (2 is in, 10 gone)."""
    r = roster_summary(centre_ids=roster, start=START, end=D(2024, 3, 20))
    assert (r.brief.average_headcount, r.brief.headcount_end) == (Decimal("6.5"), 7)
    assert r.brief == workforce_brief(
        scope=Q(centre_id__in=roster), start=START, end=D(2024, 3, 20)
    )
    empty = roster_summary(centre_ids=[], start=START, end=END)
    assert (empty.profile.total, empty.staffing, empty.on_establishment) == (0, {}, {})
