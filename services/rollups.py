"""Figures per centre computed ahead for every half-year and year, so city-wide reports add up
~100 rows per centre instead of scanning two years of monthly tallies.

Never stale without saying so, because it never serves stale data: each tally write bumps the
centre's `RollupState.changed` in its own transaction and queues `refresh_rollups_task` on commit;
readers use rollups only for centres whose `built == changed` and compute every other centre live
with `centre_totals`, the same function the rollups are built from.

A write costs its own years, not the centre's history: it records the years it touched in
`dirty_years`, and the refresh rebuilds only those years' spans and the next year's (a yearly
denominator carries into the next year). One refresh per centre is queued or running at a time
(`refresh_queued_at`); saves meanwhile only add their years, and the refresh queues one more at its
end if a write outran it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import F, Max, Min, Q, Sum
from django.utils import timezone

from centers.models import Centre
from core import outbox

from .models import FigureRollup, Indicator, Rate, RollupState, TallyValue
from .periods import Period
from .selectors import Figure, centre_totals, rate_sums, rate_value, sum_present


def spans_of(year: int) -> list[Period]:
    return [Period.half(year, 1), Period.half(year, 2), Period.year(year)]


def is_span(period: Period) -> bool:
    """A half-year or a calendar year: the periods rollups hold."""
    return any(
        (period.first, period.last) == (s.first, s.last) for s in spans_of(period.first.year)
    )


def mark_changed(centre_id: int, years: Iterable[int]) -> None:
    """Call inside the transaction that wrote tallies of these years: readers go live until the
    refresh ran, and a refresh already queued takes these years too instead of queueing another.
    """
    state = RollupState.objects.select_for_update().filter(centre_id=centre_id).first()
    if state is None:
        RollupState.objects.bulk_create([RollupState(centre_id=centre_id)], ignore_conflicts=True)
        state = RollupState.objects.select_for_update().get(centre_id=centre_id)
    now = timezone.now()
    queue = state.refresh_queued_at is None
    stamp = state.changed + 1  # the row is locked: this is the `changed` written below
    RollupState.objects.filter(centre_id=centre_id).update(
        changed=F("changed") + 1,
        changed_at=now,
        dirty_years=state.dirty_years | {str(year): stamp for year in years},
        refresh_queued_at=now if queue else state.refresh_queued_at,
    )
    if queue:
        _enqueue(centre_id)


def _enqueue(centre_id: int) -> None:
    from .tasks import refresh_rollups_task

    outbox.enqueue(refresh_rollups_task.name, key=f"rollups:{centre_id}", centre_id=centre_id)


def _rows(centre_ids: list[int], span: Period, indicators, rates) -> list[FigureRollup]:
    per_centre = centre_totals(
        scope=Q(centre_id__in=centre_ids), period=span, indicators=indicators
    )
    rows = [
        FigureRollup(centre_id=c, first=span.first, last=span.last, code=code, value=now)
        for (c, code), (now, _then) in per_centre.items()
        if now is not None
    ]
    for rate in rates:
        for centre in centre_ids:
            num, den = rate_sums(
                per_centre, rate.numerator.code, rate.denominator.code, 0, [centre]
            )
            if num is not None:
                rows.append(
                    FigureRollup(
                        centre_id=centre,
                        first=span.first,
                        last=span.last,
                        code=rate.code,
                        value=num,
                        denominator=den,
                    )
                )
    return rows


def catalogue_key(indicators, rates) -> str:
    """What the rollups were computed with: a changed catalogue makes every centre stale."""
    parts = sorted(f"i{i.pk}:{i.code}:{i.aggregation}:{i.frequency}" for i in indicators)
    parts += sorted(f"r{r.code}:{r.numerator_id}/{r.denominator_id}/{r.scale}" for r in rates)
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]  # noqa: S324 (not security)


def _catalogue() -> tuple[list[Indicator], list[Rate], str]:
    indicators = list(Indicator.objects.filter(is_active=True))
    rates = list(Rate.objects.select_related("numerator", "denominator"))
    return indicators, rates, catalogue_key(indicators, rates)


def _years(centre_ids: list[int]) -> list[int]:
    """Every year from the centres' first tally to the year after their last (no gaps: a yearly
    denominator carries into the next year)."""
    found = TallyValue.objects.filter(centre_id__in=centre_ids).aggregate(
        first=Min("period"), last=Max("period")
    )
    if found["first"] is None:
        return []
    return list(range(found["first"].year, found["last"].year + 2))


def build(centre_ids: list[int], *, from_task: bool = False) -> int:
    """(Re)build every year of these centres' rollups; returns the rows written.

    The state rows exist before anything is read, and each centre is marked built at the
    `changed` it had then; a write that lands meanwhile leaves it stale (computed live) until that
    write's own refresh has run.
    """
    RollupState.objects.bulk_create(
        [RollupState(centre_id=c, changed=1) for c in centre_ids], ignore_conflicts=True
    )
    targets = dict(
        RollupState.objects.filter(centre_id__in=centre_ids).values_list("centre_id", "changed")
    )
    indicators, rates, key = _catalogue()
    rows = [
        row
        for year in _years(centre_ids)
        for span in spans_of(year)
        for row in _rows(centre_ids, span, indicators, rates)
    ]
    return _write(centre_ids, targets, key, rows, None, from_task=from_task)


def refresh(centre_id: int) -> int:
    """The refresh task's work: the spans of the years written since the last build and of the
    years after them; everything for a centre never built or built with another catalogue."""
    indicators, rates, key = _catalogue()
    state = RollupState.objects.filter(centre_id=centre_id).first()
    if state is None or state.catalogue != key:
        return build([centre_id], from_task=True)
    years = sorted({int(year) + after for year in state.dirty_years for after in (0, 1)})
    spans = [span for year in years for span in spans_of(year)]
    rows = [row for span in spans for row in _rows([centre_id], span, indicators, rates)]
    return _write([centre_id], {centre_id: state.changed}, key, rows, spans, from_task=True)


def _write(centre_ids, targets, key, rows, spans: list[Period] | None, *, from_task) -> int:
    """Replace the rollups of these spans (all of them for None) and mark each centre built at its
    target, in one transaction; returns the rows written."""
    with transaction.atomic():
        # Centre rows first, as tally_save takes them: the rollup rows' foreign keys need a share
        # lock on them, which would otherwise deadlock with a save holding the centre and waiting
        # for the state row.
        list(Centre.objects.select_for_update().filter(pk__in=centre_ids).order_by("pk"))
        states = list(RollupState.objects.select_for_update().filter(centre_id__in=centre_ids))
        # A refresh that read later has written already: what this one read is older, and
        # writing it would put old figures under a newer `built`.
        behind = {s.centre_id for s in states if s.built > targets[s.centre_id]}
        states = [s for s in states if s.centre_id not in behind]
        ids = [s.centre_id for s in states]
        rows = [row for row in rows if row.centre_id not in behind]
        old = FigureRollup.objects.filter(centre_id__in=ids)
        if spans is not None:  # no spans: nothing to replace
            spans_q = (Q(first=span.first, last=span.last) for span in spans)
            old = old.filter(reduce(or_, spans_q, Q(pk__in=[])))
        old.delete()
        FigureRollup.objects.bulk_create(rows, batch_size=5000)
        for state in states:
            _settle(state, targets[state.centre_id], key, from_task=from_task)
    return len(rows)


def _settle(state: RollupState, target: int, key: str, *, from_task: bool) -> None:
    """Mark a centre built at `target` and clear the years that build covered; years written
    after it stay dirty, and the refresh task queues one more refresh for them."""
    left = {year: stamp for year, stamp in state.dirty_years.items() if stamp > target}
    queued = state.refresh_queued_at
    if from_task:  # saves meanwhile saw this refresh queued and left their years to it
        queued = timezone.now() if left else None
        if left:
            _enqueue(state.centre_id)
    RollupState.objects.filter(centre_id=state.centre_id).update(
        built=target, catalogue=key, dirty_years=left, refresh_queued_at=queued
    )


# A centre stale this long after its last save lost its refresh (broker restarted, worker died).
LOST_REFRESH = dt.timedelta(seconds=60)


def queue_lost_refreshes() -> int:
    """Queue a refresh for every centre whose queued refresh or stale state is older than
    LOST_REFRESH; returns how many.

    Readers are never wrong meanwhile (stale centres are computed live), only slower.
    """
    now = timezone.now()
    cutoff = now - LOST_REFRESH
    with transaction.atomic():
        lost = list(
            RollupState.objects.select_for_update(skip_locked=True)
            .filter(
                Q(refresh_queued_at__lt=cutoff)
                | Q(refresh_queued_at__isnull=True, built__lt=F("changed"), changed_at__lt=cutoff)
            )
            .values_list("centre_id", flat=True)
        )
        for centre_id in lost:
            _enqueue(centre_id)
        RollupState.objects.filter(centre_id__in=lost).update(refresh_queued_at=now)
    return len(lost)


def fresh_centres(centre_ids: list[int], key: str | None = None) -> set[int]:
    """Centres whose rollups are current for their tallies and for today's catalogue."""
    if key is None:
        key = _catalogue()[2]
    return set(
        RollupState.objects.filter(
            centre_id__in=centre_ids, built=F("changed"), built__gte=1, catalogue=key
        ).values_list("centre_id", flat=True)
    )


def span_figures(*, centre_ids: list[int], period: Period) -> dict[str, Figure] | None:
    """The figures of a half-year or year from rollups (fresh centres) plus live (the rest);
    None for any other period."""
    if not is_span(period):
        return None
    earlier = period.year_earlier()
    indicators, rates, key = _catalogue()
    fresh = fresh_centres(centre_ids, key)
    stale = [c for c in centre_ids if c not in fresh]
    sums: dict[tuple[str, dt.date], list] = {}
    rows = (
        FigureRollup.objects.filter(
            centre_id__in=list(fresh), first__in=[period.first, earlier.first]
        )
        .filter(Q(last=period.last) | Q(last=earlier.last))
        .values("code", "first")
        .annotate(value=Sum("value"), denominator=Sum("denominator"))
    )
    for r in rows:
        sums[(r["code"], r["first"])] = [r["value"], r["denominator"]]
    live = (
        centre_totals(scope=Q(centre_id__in=stale), period=period, indicators=indicators)
        if stale
        else {}
    )
    live_by_code: dict[str, list[tuple]] = {}
    for (_centre, code), pair in live.items():
        live_by_code.setdefault(code, []).append(pair)
    figures = {}
    for ind in indicators:
        pairs = live_by_code.get(ind.code, [])
        values = []
        for which, first in enumerate((period.first, earlier.first)):
            stored = sums.get((ind.code, first), [None, None])[0]
            values.append(sum_present([stored, *(p[which] for p in pairs)]))
        figures[ind.code] = Figure(
            ind.code, ind.name, ind.unit, False, values[0], values[1], ind.category
        )
    for rate in rates:
        values = []
        for which, first in enumerate((period.first, earlier.first)):
            num, den = sums.get((rate.code, first), [None, None])
            extra_num, extra_den = rate_sums(
                live, rate.numerator.code, rate.denominator.code, which, stale
            )
            num, den = _add(num, extra_num), _add(den, extra_den)
            values.append(rate_value(num, den, rate.scale))
        figures[rate.code] = Figure(
            rate.code, rate.name, rate.suffix, True, values[0], values[1], rate.category
        )
    return figures


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return b if a is None else a if b is None else a + b


def span_totals(
    *, centre_ids: list[int], period: Period, codes: list[str]
) -> dict[tuple[int, str], tuple] | None:
    """`centre_totals`'s {(centre, code): (value, a year earlier)} for some indicators, per centre,
    from rollups where fresh and live elsewhere; None when the period is not a half or a year."""
    if not is_span(period):
        return None
    earlier = period.year_earlier()
    indicators, _rates, key = _catalogue()
    fresh = fresh_centres(centre_ids, key)
    stale = [c for c in centre_ids if c not in fresh]
    totals: dict[tuple[int, str], list] = {}
    rows = (
        FigureRollup.objects.filter(
            centre_id__in=list(fresh),
            code__in=codes,
            first__in=[period.first, earlier.first],
        )
        .filter(Q(last=period.last) | Q(last=earlier.last))
        .values_list("centre_id", "code", "first", "value")
    )
    for centre, code, first, value in rows:
        totals.setdefault((centre, code), [None, None])[0 if first == period.first else 1] = value
    if stale:
        live = centre_totals(scope=Q(centre_id__in=stale), period=period, indicators=indicators)
        totals |= {key: list(pair) for key, pair in live.items() if key[1] in codes}
    return {key: tuple(pair) for key, pair in totals.items()}
