"""The figures door (services.figures) gives the numbers the reports gave before it, fresh or
stale, for the demo and for hand-worked cases, and never serves a save stale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Q

from centers.models import Authority, Centre
from core.periods import Period
from reporting.dashboard import dashboard_tables
from services import figures
from services.actions import tally_save
from services.models import Indicator
from services.rollups import build, fresh_centres, mark_changed
from services.selectors import tally_figures

pytestmark = pytest.mark.django_db

PERIODS = [
    Period.half(2024, 1),
    Period.year(2024),
    Period.half(2023, 2),
    Period.quarter(2024, 2),
    Period.month(2024, 5),
    Period.range(dt.date(2023, 11, 1), dt.date(2024, 4, 1)),
]


def _tuples(found: dict) -> dict:
    return {code: (f.value, f.previous) for code, f in found.items()}


def _stale(ids: list[int]) -> None:
    """As after saves in every year whose refresh has not run: readers compute these live."""
    for pk in ids:
        mark_changed(pk, range(2015, 2030))


@pytest.fixture
def demo():
    call_command("load_demo", force=True, verbosity=0)
    return list(Centre.objects.values_list("pk", flat=True))


def test_the_door_gives_the_live_figures_for_the_demo_fresh_and_stale(demo):
    """Every period kind, each centre and the whole city: rollups (fresh), then all stale."""
    build(demo)
    scopes = [[pk] for pk in demo] + [demo]
    live = {
        (tuple(ids), p): _tuples(tally_figures(scope=Q(centre_id__in=ids), period=p))
        for ids in scopes
        for p in PERIODS
    }
    assert fresh_centres(demo) == set(demo)
    for (ids, period), expected in live.items():
        assert _tuples(figures.totals(centre_ids=list(ids), period=period)) == expected
    _stale(demo)
    assert fresh_centres(demo) == set()
    for (ids, period), expected in live.items():
        assert _tuples(figures.totals(centre_ids=list(ids), period=period)) == expected
    # Half fresh, half stale: the same again.
    build(demo[::2])
    for (ids, period), expected in live.items():
        assert _tuples(figures.totals(centre_ids=list(ids), period=period)) == expected
    assert any(v for v in live.values() for v in v.values() if v[0] is not None)


def test_per_centre_figures_equal_each_centre_alone(demo):
    build(demo)
    codes = ["opd_visits", "res_pop", "fd_rate", "htn_std_rate", "elderly_check_rate"]
    for period in (Period.half(2024, 1), Period.quarter(2024, 1)):
        per_centre = figures.by_centre(centre_ids=demo, period=period, codes=codes)
        _stale(demo[:2])
        again = figures.by_centre(centre_ids=demo, period=period, codes=codes)
        for pk in demo:
            alone = figures.totals(centre_ids=[pk], period=period)
            wanted = {code: (alone[code].value, alone[code].previous) for code in codes}
            assert _tuples(per_centre[pk]) == wanted == _tuples(again[pk])


def test_by_group_adds_up_by_hand(district_data):
    """Groups {甲, 乙} and {丙} of reporting/tests/conftest.py, fresh and stale.

    门急诊 H1 2024: 甲 6×6000 + 乙 5×7000 = 71000; H1 2023: 6×5000 + 6×6000 = 66000.
    签约率: (16000 + 8864) / (50000 + 30000) = 31.08%; 丙 opened in April and reported nothing.
    """
    a, b, c = district_data["a"], district_data["b"], district_data["c"]
    for fresh in (True, False):
        if fresh:
            build([a.pk, b.pk, c.pk])
        else:
            _stale([a.pk, b.pk, c.pk])
        found = figures.by_group(
            groups={"ab": [a.pk, b.pk], "c": [c.pk]},
            period=Period.half(2024, 1),
            codes=["opd_visits", "fd_rate"],
        )
        assert _tuples(found["ab"]) == {
            "opd_visits": (71000, 66000),
            "fd_rate": (Decimal("31.08"), Decimal("28.75")),  # 2023: 23000 / 80000
        }
        assert _tuples(found["c"]) == {"opd_visits": (None, None), "fd_rate": (None, None)}


def test_a_save_is_never_served_stale(
    district_data, manager, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))  # March is open
    a = district_data["a"]
    ids = [c.pk for c in district_data.values()]
    build(ids)
    before = figures.totals(centre_ids=ids, period=Period.half(2024, 1))["opd_visits"].value
    old = figures.by_centre(centre_ids=[a.pk], period=Period.year(2024), codes=["opd_visits"])
    opd = Indicator.objects.get(code="opd_visits")
    with django_capture_on_commit_callbacks():  # the refresh is queued, not run
        result = tally_save(
            centre=a, indicator=opd, period=dt.date(2024, 3, 1), raw="9000", actor=manager
        )
    assert not result.error
    assert (
        figures.totals(centre_ids=ids, period=Period.half(2024, 1))["opd_visits"].value
        == before + 3000
    )
    new = figures.by_centre(centre_ids=[a.pk], period=Period.year(2024), codes=["opd_visits"])
    assert new[a.pk]["opd_visits"].value == old[a.pk]["opd_visits"].value + 3000


def test_city_dashboard_summarises_by_district(demo):
    """The city's districts: each row adds up its centres, as the door adds up that district."""
    build(demo)
    city = Authority.objects.get(parent=None)
    subtree = list(Authority.objects.values_list("pk", flat=True))
    period = Period.half(2024, 1)
    today = dt.date(2025, 3, 1)
    rows, districts = dashboard_tables(
        authority_ids=subtree, period=period, today=today, authority=city
    )
    assert sum(d.centres for d in districts) == len(rows) == len(demo)
    for d in districts:
        ids = list(
            Centre.objects.filter(
                Q(sponsor_id=d.authority.pk) | Q(sponsor__parent_id=d.authority.pk)
            ).values_list("pk", flat=True)
        )
        whole = figures.totals(centre_ids=ids, period=period)
        assert (d.opd, d.opd_previous) == (whole["opd_visits"].value, whole["opd_visits"].previous)
        assert d.rates["fd_rate"] == whole["fd_rate"].value
        members = [r for r in rows if r.centre.pk in ids]
        assert d.reported == sum(r.reported for r in members)
        mean = sum(r.score for r in members) / len(members)
        assert d.mean_score == mean.quantize(Decimal("0.01"))


def test_a_report_marked_after_midnight_beijing_time_is_late(district_data, settings):
    """June is due on 10 July (TALLY_DUE_DAY); 10 July 17:00 UTC is 11 July 01:00 in Beijing."""
    from services.models import MonthReport

    settings.TALLY_DUE_DAY = 10
    a, b = district_data["a"], district_data["b"]
    june = dt.date(2024, 6, 1)
    late = dt.datetime(2024, 7, 10, 17, 0, tzinfo=dt.UTC)
    on_time = dt.datetime(2024, 7, 10, 15, 59, tzinfo=dt.UTC)  # 23:59 in Beijing
    MonthReport.objects.filter(centre=a, period=june).update(created_at=late)
    MonthReport.objects.filter(centre=b, period=june).update(created_at=on_time)
    state = figures.reporting(
        centres=[(a.pk, None), (b.pk, None)], months=[june], today=dt.date(2024, 8, 1)
    )
    assert state.submitted[(a.pk, june)] == dt.date(2024, 7, 11)
    assert (state.status(a.pk, june), state.status(b.pk, june)) == ("late", "reported")
