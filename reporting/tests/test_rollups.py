"""Rollups give exactly the live figures, and a save is never served stale while they catch up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q

from core.models import OutboxMessage
from core.periods import Period
from services import rollups
from services.actions import tally_save
from services.models import FigureRollup, Indicator, RollupState, TallyValue
from services.rollups import build, fresh_centres, is_span, queue_lost_refreshes, span_figures
from services.selectors import tally_figures

from .data import put

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


# --- a save costs its own years, and a burst of saves one refresh ------------------------------


def _stored(centre) -> set[tuple]:
    return set(
        FigureRollup.objects.filter(centre=centre).values_list(
            "first", "last", "code", "value", "denominator"
        )
    )


def _refresh_messages(centre) -> int:
    return OutboxMessage.objects.filter(key=f"rollups:{centre.pk}").count()


def _save(centre, code, month, raw, actor):
    result = tally_save(
        centre=centre,
        indicator=Indicator.objects.get(code=code),
        period=dt.date(*month, 1),
        raw=raw,
        actor=actor,
    )
    assert not result.error, result.error


@pytest.fixture
def april(time_machine):
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))  # March, April open


def test_a_burst_of_saves_queues_one_refresh_that_equals_a_full_rebuild(
    april, district_data, manager, django_capture_on_commit_callbacks
):
    a = district_data["a"]
    build(_ids(district_data))
    with django_capture_on_commit_callbacks() as callbacks:
        _save(a, "opd_visits", (2024, 3), "9000", manager)
        _save(a, "opd_visits", (2024, 4), "6500", manager)
        _save(a, "res_pop", (2024, 1), "52000", manager)  # a denominator: carries into 2025
        _save(a, "referrals_down", (2024, 4), "20", manager)
        _save(a, "opd_visits", (2024, 3), "", manager)  # cleared
    # Five saves, one message: the others found the refresh queued and added their year to it.
    assert len(callbacks) == 1 and _refresh_messages(a) == 1
    state = RollupState.objects.get(centre=a)
    # Each save recorded its indicator with the year: readers compute live only those three.
    saved = Indicator.objects.filter(code__in=["opd_visits", "res_pop", "referrals_down"])
    assert set(state.dirty_years) == {f"2024/{pk}" for pk in saved.values_list("pk", flat=True)}
    assert state.refresh_queued_at is not None
    callbacks[0]()  # the refresh (eager in tests)
    state.refresh_from_db()
    assert state.built == state.changed and state.dirty_years == {}
    assert state.refresh_queued_at is None and a.pk in fresh_centres([a.pk])
    incremental = _stored(a)
    build([a.pk])  # the whole history, from scratch
    assert incremental == _stored(a)
    assert ("res_pop", Decimal("52000")) in {(r[2], r[3]) for r in incremental if r[0].year == 2025}


def _by_span_reference(centre) -> set[tuple]:
    """The rollup rows as defined: `centre_totals` span by span (what `build` did before it read
    every span in one pass), for each year from the first tally to the year after the last."""
    from services.models import Rate
    from services.selectors import centre_totals, rate_sums

    indicators = list(Indicator.objects.filter(is_active=True))
    rates = list(Rate.objects.select_related("numerator", "denominator"))
    rows = set()
    for year in rollups._years([centre.pk]):
        for span in rollups.spans_of(year):
            totals = centre_totals(scope=Q(centre_id=centre.pk), period=span, indicators=indicators)
            rows |= {
                (span.first, span.last, code, now, None)
                for (_c, code), (now, _then) in totals.items()
                if now is not None
            }
            for rate in rates:
                num, den = rate_sums(totals, rate.numerator.code, rate.denominator.code, 0)
                if num is not None:
                    rows.add((span.first, span.last, rate.code, num, den))
    return rows


def test_a_one_pass_refresh_of_several_years_equals_a_full_build(
    april, district_data, django_assert_max_num_queries, monkeypatch
):
    """Dirty 2021 and 2024: the refresh reads 2021, 2022, 2024 and 2025 in one pass (a handful of
    queries whatever the years) and writes what a full build and the span-by-span definition
    give, with a yearly figure carried into a year without one and stocks per half-year."""
    a = district_data["a"]
    build([a.pk])
    put(a, "res_pop", (2021, 1), 48000)  # yearly: 2022 has none, so 2022's spans carry it
    put(a, "fd_signed", (2021, 3), 14000)  # a stock: H1's latest month is March…
    put(a, "fd_signed", (2021, 9), 14500)  # …H2's and the year's September
    put(a, "opd_visits", (2021, 2), 4000)  # a flow in each half
    put(a, "opd_visits", (2021, 11), 4500)
    put(a, "fd_signed", (2024, 9), 16500)  # 2024: a later stock month, a changed flow
    TallyValue.objects.filter(
        centre=a, indicator__code="opd_visits", period=dt.date(2024, 2, 1)
    ).update(value=6100)
    with transaction.atomic():
        rollups.mark_changed(a.pk, [2021, 2024])
    real, calls = rollups._rows_of_years, []
    monkeypatch.setattr(
        rollups,
        "_rows_of_years",
        lambda ids, years, *rest: calls.append(years) or real(ids, years, *rest),
    )
    # catalogue 2, state 1, the spans 3; write: centre and state locks, stored rows, delete,
    # insert, settle; and the savepoint pair of the test's transaction. 40 before for one year.
    with django_assert_max_num_queries(14):
        rollups.refresh(a.pk)
    monkeypatch.setattr(rollups, "_rows_of_years", real)
    assert calls == [[2021, 2022, 2024, 2025]]
    assert a.pk in fresh_centres([a.pk])
    incremental = _stored(a)
    assert incremental == _by_span_reference(a)
    build([a.pk])
    assert incremental == _stored(a)
    spans = {(r[0], r[1], r[2]): r[3] for r in incremental}
    assert spans[(dt.date(2022, 1, 1), dt.date(2022, 6, 1), "res_pop")] == 48000
    assert spans[(dt.date(2021, 1, 1), dt.date(2021, 6, 1), "fd_signed")] == 14000
    assert spans[(dt.date(2021, 1, 1), dt.date(2021, 12, 1), "fd_signed")] == 14500
    assert spans[(dt.date(2021, 1, 1), dt.date(2021, 12, 1), "opd_visits")] == 8500
    assert spans[(dt.date(2024, 1, 1), dt.date(2024, 12, 1), "fd_signed")] == 16500


def test_a_reader_between_saves_and_their_refresh_computes_live(
    april, district_data, manager, django_capture_on_commit_callbacks
):
    ids = _ids(district_data)
    a = district_data["a"]
    build(ids)
    with django_capture_on_commit_callbacks() as callbacks:
        _save(a, "opd_visits", (2024, 3), "9000", manager)
        _save(a, "opd_visits", (2024, 3), "9500", manager)  # the refresh is queued already
        # Its refresh has not run: 甲 is stale, computed live, so the newest value shows at once.
        assert a.pk not in fresh_centres(ids)
        figures = span_figures(centre_ids=ids, period=Period.half(2024, 1))
        assert figures["opd_visits"].value == 71000 + 3500
    callbacks[0]()
    assert a.pk in fresh_centres(ids)
    assert span_figures(centre_ids=ids, period=Period.half(2024, 1))["opd_visits"].value == 74500


def test_a_refresh_after_saves_in_two_years_rebuilds_both_and_no_other(
    district_data, manager, django_capture_on_commit_callbacks, time_machine, monkeypatch
):
    time_machine.move_to(dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC))  # Dec 2023 still open
    a = district_data["a"]
    build([a.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        _save(a, "opd_visits", (2023, 12), "4000", manager)
        _save(a, "opd_visits", (2024, 1), "6100", manager)
    opd = Indicator.objects.get(code="opd_visits").pk
    assert set(RollupState.objects.get(centre=a).dirty_years) == {f"2023/{opd}", f"2024/{opd}"}
    real, calls = rollups._rows_of_years, []
    monkeypatch.setattr(
        rollups,
        "_rows_of_years",
        lambda ids, years, *rest: calls.append(years) or real(ids, years, *rest),
    )
    callbacks[0]()
    monkeypatch.setattr(rollups, "_rows_of_years", real)
    # The two years and the one after the later (denominators carry), in one pass.
    assert calls == [[2023, 2024, 2025]]
    incremental = _stored(a)
    build([a.pk])
    assert incremental == _stored(a) and a.pk in fresh_centres([a.pk])
    figures = span_figures(centre_ids=[a.pk], period=Period.half(2023, 2))
    assert figures["opd_visits"].value == 4000


def test_a_save_leaves_the_spans_of_other_years_served_from_rollups(
    district_data, manager, django_capture_on_commit_callbacks, time_machine, monkeypatch
):
    """A save in December 2024 changes the spans of 2024 and 2025 (denominators carry), not
    2023's: a summary of 2023 H2 (同比 2022) still reads rollups, 2024 and 2025 compute it live,
    each side on its own: 2024's 同比 (2023) still comes from rollups, 2025's (2024) does not."""
    time_machine.move_to(dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC))  # Dec 2024 still open
    ids = _ids(district_data)
    a = district_data["a"]
    build(ids)
    with django_capture_on_commit_callbacks():
        _save(a, "opd_visits", (2024, 12), "9000", manager)
    assert a.pk not in fresh_centres(ids)  # of every year: no
    assert a.pk in fresh_centres(ids, years=[2023])
    assert a.pk not in fresh_centres(ids, years=[2024])
    assert a.pk not in fresh_centres(ids, years=[2025])
    # Years given once, as a generator, count for every centre (judged in Python, per centre).
    assert fresh_centres(list(reversed(ids)), years=(y for y in [2024])) == set(ids) - {a.pk}
    real, live_for = rollups.summed_totals, []

    def live(**kw):
        if sides := [s for s in (0, 1) if kw["centres"][s]]:
            live_for.append((kw["period"], sides, kw["centres"][sides[0]]))
        return real(**kw)

    monkeypatch.setattr(rollups, "summed_totals", live)
    for period in (Period.half(2023, 2), Period.year(2024), Period.half(2025, 1)):
        expected = _as_tuples(tally_figures(scope=Q(centre_id__in=ids), period=period))
        assert _as_tuples(span_figures(centre_ids=ids, period=period)) == expected
    # 2023 H2 from rollups alone; 2024 live for its own side only; only 磁器口 computed live.
    assert live_for == [(Period.year(2024), [0], [a.pk]), (Period.half(2025, 1), [0, 1], [a.pk])]


def test_a_save_during_a_refresh_queues_exactly_one_more(
    april, district_data, manager, django_capture_on_commit_callbacks, monkeypatch
):
    a = district_data["a"]
    build([a.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        _save(a, "opd_visits", (2024, 3), "9000", manager)
    real = rollups._rows_of_years

    def racing(*args):
        out = real(*args)
        if not racing.done:  # the refresh has read its data; a clerk saves meanwhile
            racing.done = True
            _save(a, "opd_visits", (2024, 4), "6600", manager)
        return out

    racing.done = False
    monkeypatch.setattr(rollups, "_rows_of_years", racing)
    with django_capture_on_commit_callbacks() as more:
        callbacks[0]()
    monkeypatch.setattr(rollups, "_rows_of_years", real)
    # The save saw the refresh running and queued nothing; the refresh queued one for it.
    assert len(more) == 1 and _refresh_messages(a) == 2
    state = RollupState.objects.get(centre=a)
    opd = Indicator.objects.get(code="opd_visits").pk
    assert state.built < state.changed and set(state.dirty_years) == {f"2024/{opd}"}
    assert span_figures(centre_ids=[a.pk], period=Period.half(2024, 1))["opd_visits"].value == (
        6000 * 4 + 9000 + 6600
    )
    more[0]()
    state.refresh_from_db()
    assert state.built == state.changed and state.refresh_queued_at is None
    incremental = _stored(a)
    build([a.pk])
    assert incremental == _stored(a)


def test_a_lost_refresh_is_recovered_by_the_sweeper_with_every_year_it_missed(
    april, district_data, manager, django_capture_on_commit_callbacks, time_machine
):
    a = district_data["a"]
    build([a.pk])
    with django_capture_on_commit_callbacks():  # not run: the broker lost the message
        _save(a, "opd_visits", (2024, 3), "9000", manager)
    assert queue_lost_refreshes() == 0  # too early: it may still come
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 5, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks():
        _save(a, "opd_visits", (2024, 4), "6600", manager)
    assert _refresh_messages(a) == 1  # still "queued": the save queues nothing of its own
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_lost_refreshes() == 1
    state = RollupState.objects.get(centre=a)
    assert state.built == state.changed and state.refresh_queued_at is None
    assert queue_lost_refreshes() == 0
    incremental = _stored(a)
    build([a.pk])
    assert incremental == _stored(a)


def test_after_a_catalogue_change_the_sweeper_rebuilds_centres_in_batches(
    district_data, django_capture_on_commit_callbacks, monkeypatch
):
    ids = _ids(district_data)
    build(ids)
    assert queue_lost_refreshes() == 0  # all current: nothing to do
    RollupState.objects.filter(centre_id__in=ids).update(catalogue="an-older-key")
    assert fresh_centres(ids) == set()  # computed live meanwhile, never wrong
    monkeypatch.setattr(rollups, "CATALOGUE_BATCH", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_lost_refreshes() == 2  # a batch, not the city at once
    assert len(fresh_centres(ids)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_lost_refreshes() == 1
    assert fresh_centres(ids) == set(ids)
    assert queue_lost_refreshes() == 0


# --- a cell save outdates its indicator, not the centre's year --------------------------------


def test_dirty_keys_and_what_they_outdate():
    assert rollups.dirty_keys([2024, 2023]) == ["2023", "2024"]
    assert rollups.dirty_keys([2024], [17, 5, 17]) == ["2024/5", "2024/17"]
    assert rollups.dirty_keys([2024], range(rollups.CELL_KEYS + 1)) == ["2024"]  # a month whole
    dirty = {"2024/5": 3, "2023/7": 2}
    # A span of 2024 reads the writes of 2024 and 2023 (a yearly figure carries a year on).
    assert rollups.stale_indicators(dirty, [2024]) == {5, 7}
    assert rollups.stale_indicators(dirty, [2025]) == {5}
    assert rollups.stale_indicators(dirty, [2022]) == frozenset()
    assert rollups.stale_indicators(dirty | {"2024": 4}, [2025]) is rollups.EVERY


def test_a_bulk_write_records_each_year_with_the_indicators_written_in_it(district_data):
    a = district_data["a"]
    build([a.pk])
    cells = [(dt.date(2023, 12, 1), 5), (dt.date(2024, 1, 1), 7), (dt.date(2024, 2, 1), 7)]
    rollups.mark_cells(a.pk, cells)
    assert set(RollupState.objects.get(centre=a).dirty_years) == {"2023/5", "2024/7"}


def _spied(monkeypatch) -> list[tuple[list, set[str]]]:
    """Each live computation span_figures asks for: (its centres by side, its indicators)."""
    calls, real = [], rollups.summed_totals

    def spy(**kwargs):
        calls.append((kwargs["centres"], {i.code for i in kwargs["indicators"]}))
        return real(**kwargs)

    monkeypatch.setattr(rollups, "summed_totals", spy)
    return calls


def test_a_cell_save_is_live_for_its_indicator_and_the_rates_on_it_only(
    april, district_data, manager, monkeypatch
):
    ids = _ids(district_data)
    a = district_data["a"]
    build(ids)
    _save(a, "res_pop", (2024, 1), "40000", manager)  # 50000 before
    res_pop = Indicator.objects.get(code="res_pop").pk
    assert set(RollupState.objects.get(centre=a).dirty_years) == {f"2024/{res_pop}"}
    calls = _spied(monkeypatch)
    h1 = Period.half(2024, 1)
    figures = span_figures(centre_ids=ids, period=h1)
    # 甲 reads everything but res_pop and the rates on it from its rollups: no centre is live
    # whole, and the live part reads res_pop and the rates' other sides, not opd_visits.
    (whole, _indicators), (partly, read) = calls
    assert whole == ([], []) and partly == ([a.pk], [])
    assert "res_pop" in read and "fd_signed" in read and "opd_visits" not in read
    # By hand: 常住人口 40000 + 30000; 签约率 (16000 + 8864) / 70000 = 35.52 %; 门诊 unchanged.
    assert figures["res_pop"].value == 70000 and figures["res_pop"].previous == 80000
    assert figures["fd_rate"].value == Decimal("35.52")
    assert figures["opd_visits"].value == 71000
    for period in (h1, Period.year(2024), Period.half(2025, 1), Period.half(2023, 2)):
        live = tally_figures(scope=Q(centre_id__in=ids), period=period)
        assert _as_tuples(span_figures(centre_ids=ids, period=period)) == _as_tuples(live)


def test_per_centre_figures_after_a_cell_save_read_the_rest_from_rollups(
    april, district_data, manager, monkeypatch
):
    from services import figures

    ids = _ids(district_data)
    a, b, c = district_data["a"], district_data["b"], district_data["c"]
    build(ids)
    _save(a, "res_pop", (2024, 1), "40000", manager)
    _save(b, "opd_visits", (2024, 3), "7500", manager)  # 7000 before
    calls, real = [], rollups.centre_totals
    monkeypatch.setattr(
        rollups,
        "centre_totals",
        lambda **kw: calls.append((kw["scope"], {i.code for i in kw["indicators"]})) or real(**kw),
    )
    rows = figures.by_centre(
        centre_ids=ids, period=Period.half(2024, 1), codes=["res_pop", "opd_visits", "fd_rate"]
    )
    # 丙 has no rollup row (nothing entered) and is live whole; 甲 and 乙 only for what they saved.
    (whole, _every), (partly, read) = calls
    assert whole.children == [("centre_id__any_of", [c.pk])]
    assert sorted(partly.children[0][1]) == sorted([a.pk, b.pk])
    assert read == {"res_pop", "opd_visits"}
    pairs = {c: {k: (f.value, f.previous) for k, f in row.items()} for c, row in rows.items()}
    # 甲: 40000 (50000 a year before), 6 × 6000 against 6 × 5000, 16000 / 40000 = 40 %.
    assert pairs[a.pk]["res_pop"] == (40000, 50000)
    assert pairs[a.pk]["opd_visits"] == (36000, 30000)
    assert pairs[a.pk]["fd_rate"][0] == Decimal("40.00")
    # 乙: 7000 × 4 + 7500 (May not entered) against 6 × 6000; 8864 / 30000 = 29.55 %.
    assert pairs[b.pk]["opd_visits"] == (35500, 36000)
    assert pairs[b.pk]["fd_rate"][0] == Decimal("29.55")


def test_a_whole_year_write_after_a_cell_save_makes_the_year_live(
    april, district_data, manager, monkeypatch
):
    ids = _ids(district_data)
    a = district_data["a"]
    build(ids)
    _save(a, "res_pop", (2024, 1), "40000", manager)
    with transaction.atomic():
        TallyValue.objects.filter(
            centre=a, indicator__code="opd_visits", period=dt.date(2024, 2, 1)
        ).update(value=6600)
        rollups.mark_changed(a.pk, [2024])  # as an import marks its years
    calls = _spied(monkeypatch)
    figures = span_figures(centre_ids=ids, period=Period.half(2024, 1))
    assert calls[0][0] == ([a.pk], []) and len(calls) == 1  # 甲 live whole, on 2024's side
    assert figures["opd_visits"].value == 71000 + 600
    assert figures["res_pop"].value == 70000


def test_a_refresh_clears_a_whole_year_and_keeps_a_cell_saved_meanwhile(
    april, district_data, manager, monkeypatch
):
    a = district_data["a"]
    build([a.pk])
    rollups.mark_changed(a.pk, [2024])
    real = rollups._rows_of_years

    def racing(*args):
        out = real(*args)
        if not racing.done:  # the refresh has read; a clerk saves a cell meanwhile
            racing.done = True
            _save(a, "opd_visits", (2024, 4), "6600", manager)
        return out

    racing.done = False
    monkeypatch.setattr(rollups, "_rows_of_years", racing)
    rollups.refresh(a.pk)
    opd = Indicator.objects.get(code="opd_visits").pk
    # What the refresh read covered the year; only the cell saved after it is still outdated.
    assert RollupState.objects.get(centre=a).dirty_years.keys() == {f"2024/{opd}"}
    figures = span_figures(centre_ids=[a.pk], period=Period.half(2024, 1))
    assert figures["opd_visits"].value == 6000 * 5 + 6600
