"""Figures per centre computed ahead for every half-year and year, so city-wide reports add up
~100 rows per centre instead of scanning two years of monthly tallies.

Never stale without saying so, because it never serves stale data: each tally write bumps the
centre's `RollupState.changed` in its own transaction and queues `refresh_rollups_task` on commit;
readers use rollups only for centres whose `built == changed` and compute every other centre live
with `centre_totals`, the same function the rollups are built from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

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


def mark_changed(centre_id: int) -> None:
    """Call inside the transaction that wrote a tally: readers go live until the refresh ran."""
    from .tasks import refresh_rollups_task

    RollupState.objects.get_or_create(centre_id=centre_id)
    RollupState.objects.filter(centre_id=centre_id).update(
        changed=F("changed") + 1, changed_at=timezone.now()
    )
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


def build(centre_ids: list[int]) -> int:
    """(Re)build the rollups of these centres; returns the rows written.

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
    with transaction.atomic():
        # Centre rows first, as tally_save takes them: the rollup rows' foreign keys need a share
        # lock on them, which would otherwise deadlock with a save holding the centre and waiting
        # for the state row.
        list(Centre.objects.select_for_update().filter(pk__in=centre_ids).order_by("pk"))
        list(RollupState.objects.select_for_update().filter(centre_id__in=centre_ids))
        FigureRollup.objects.filter(centre_id__in=centre_ids).delete()
        FigureRollup.objects.bulk_create(rows, batch_size=5000)
        for centre in centre_ids:
            RollupState.objects.filter(centre_id=centre).update(
                built=targets[centre], catalogue=key
            )
    return len(rows)


def refresh(centre_id: int) -> int:
    return build([centre_id])


# A centre stale this long after its last save lost its refresh (broker restarted, worker died).
LOST_REFRESH = dt.timedelta(seconds=60)


def queue_lost_refreshes() -> int:
    """Queue a refresh for every centre left stale past LOST_REFRESH; returns how many.

    Readers are never wrong meanwhile (stale centres are computed live), only slower.
    """
    from .tasks import refresh_rollups_task

    lost = list(
        RollupState.objects.filter(
            built__lt=F("changed"), changed_at__lt=timezone.now() - LOST_REFRESH
        ).values_list("centre_id", flat=True)
    )
    with transaction.atomic():
        for centre_id in lost:
            outbox.enqueue(
                refresh_rollups_task.name, key=f"rollups:{centre_id}", centre_id=centre_id
            )
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
