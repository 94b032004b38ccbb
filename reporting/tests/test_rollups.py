"""Rollups give exactly the live figures, and a save is never served stale while they catch up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from services.actions import tally_save
from services.models import Indicator, RollupState
from services.periods import Period
from services.rollups import build, fresh_centres, is_span, span_figures
from services.selectors import tally_figures

pytestmark = pytest.mark.django_db


def _ids(district_data) -> list[int]:
    return [c.pk for c in district_data.values()]


def _as_tuples(figures):
    return {code: (f.value, f.previous) for code, f in figures.items()}


@pytest.mark.parametrize("period", [Period.half(2024, 1), Period.year(2024), Period.half(2023, 2)])
def test_rollups_equal_the_live_figures(district_data, period):
    ids = _ids(district_data)
    build(ids)
    assert fresh_centres(ids) == set(ids)
    live = tally_figures(scope=Q(centre_id__in=ids), period=period)
    assert _as_tuples(span_figures(centre_ids=ids, period=period)) == _as_tuples(live)
    # and by hand: 6×6000 + 5×7000 against 6×5000 + 6×6000; 签约率 24864/80000
    if period == Period.half(2024, 1):
        rolled = span_figures(centre_ids=ids, period=period)
        assert (rolled["opd_visits"].value, rolled["opd_visits"].previous) == (71000, 66000)
        assert rolled["fd_rate"].value == Decimal("31.08")


def test_only_half_years_and_years_are_rolled_up():
    assert is_span(Period.half(2024, 2)) and is_span(Period.year(2024))
    assert not is_span(Period.quarter(2024, 1))
    assert not is_span(Period.range(dt.date(2024, 2, 1), dt.date(2024, 7, 1)))
    assert span_figures(centre_ids=[], period=Period.quarter(2024, 1)) is None


def test_a_save_is_served_live_until_the_refresh_has_run(
    district_data, manager, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))  # March still open
    ids = _ids(district_data)
    a = district_data["a"]
    build(ids)
    opd = Indicator.objects.get(code="opd_visits")
    with django_capture_on_commit_callbacks() as callbacks:
        result = tally_save(
            centre=a, indicator=opd, period=dt.date(2024, 3, 1), raw="9000", actor=manager
        )
    assert not result.error
    # The refresh has not run: 甲 is stale and computed live, so the new value shows at once.
    assert a.pk not in fresh_centres(ids)
    figures = span_figures(centre_ids=ids, period=Period.half(2024, 1))
    assert figures["opd_visits"].value == 71000 + 3000
    assert len(callbacks) == 1
    callbacks[0]()  # the Celery task (eager in tests) rebuilds 甲
    state = RollupState.objects.get(centre=a)
    assert state.built == state.changed and a.pk in fresh_centres(ids)
    figures = span_figures(centre_ids=ids, period=Period.half(2024, 1))
    assert figures["opd_visits"].value == 74000


def test_a_write_during_a_refresh_leaves_the_centre_live(district_data):
    a = district_data["a"]
    build([a.pk])
    RollupState.objects.filter(centre=a).update(changed=5, built=5)
    # A refresh started at changed=5; a write bumped it to 6 before the refresh finished.
    RollupState.objects.filter(centre=a).update(changed=6)
    assert a.pk not in fresh_centres([a.pk])


def test_the_refresh_task_runs_outside_any_centre_scope(district_data):
    from django_scopes import scope

    from services.tasks import refresh_rollups_task

    a = district_data["a"]
    with scope():  # as in a worker or `load_demo`: scoping on, no centre, scoped managers refuse
        assert refresh_rollups_task(centre_id=a.pk) > 0
    assert a.pk in fresh_centres([a.pk])
