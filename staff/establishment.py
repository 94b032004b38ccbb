"""Reads about 编制: the centre's 核定编制数 by kind on a day, against the 在编 staff the roster
holds then (实有), and the 空编 or 超编 between them.

A quota row holds from its effective day until a later row of the same kind; a kind given up is
a row of 0. The roster records only 在编/编外, not the kind of 编制, so 实有 is compared with
the sum of the kinds. Across centres vacancies and excesses are each summed centre by centre:
one centre's 超编 does not fill another's 空编.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from centers.models import Centre

from .models import Establishment, EstablishmentQuota, QuotaKind, Spell
from .selectors import in_service


@dataclass(frozen=True)
class EstablishmentPosition:
    """核定 by kind and in all, 实有 (在编 serving), 空编 and 超编 on one day."""

    day: dt.date
    by_kind: dict[str, int] = field(default_factory=dict)
    actual: int = 0
    # Several centres: vacancies and excesses summed per centre (module docstring).
    vacant_sum: int | None = None
    over_sum: int | None = None

    @property
    def approved(self) -> int:
        return sum(self.by_kind.values())

    @property
    def known(self) -> bool:
        """Whether any quota is recorded by that day (without one there is nothing to compare)."""
        return bool(self.by_kind)

    @property
    def vacant(self) -> int:
        """空编: approved posts not filled."""
        if self.vacant_sum is not None:
            return self.vacant_sum
        return max(self.approved - self.actual, 0)

    @property
    def over(self) -> int:
        """超编: 在编 staff beyond the approved posts."""
        if self.over_sum is not None:
            return self.over_sum
        return max(self.actual - self.approved, 0)

    def kinds(self) -> list[tuple[str, str, int]]:
        """(kind, label, approved) in the order of QuotaKind, for pages and sentences."""
        labels = dict(QuotaKind.choices)
        return [(k, labels[k], self.by_kind[k]) for k in QuotaKind.values if k in self.by_kind]


def quotas_at(*, centre_ids: list[int], day: dt.date) -> dict[int, dict[str, int]]:
    """Per centre, each kind's approved posts in force on `day` (kinds at 0 left out); one query."""
    latest: dict[tuple[int, str], tuple[dt.date, int]] = {}
    rows = EstablishmentQuota.objects.filter(
        centre_id__any_of=centre_ids, effective_on__lte=day
    ).values_list("centre_id", "kind", "effective_on", "approved")
    for centre_id, kind, effective_on, approved in rows:
        key = (centre_id, kind)
        if key not in latest or effective_on > latest[key][0]:
            latest[key] = (effective_on, approved)
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for (centre_id, kind), (_day, approved) in latest.items():
        if approved:
            found[centre_id][kind] = approved
    return found


def on_establishment_counts(*, centre_ids: list[int], day: dt.date) -> dict[int, int]:
    """在编 staff serving on `day`, per centre; one grouped query."""
    rows = (
        Spell.objects.filter(in_service(day), centre_id__any_of=centre_ids)
        .filter(establishment=Establishment.ON)
        .values("centre_id")
        .order_by()
        .annotate(n=Count("id"))
    )
    return {row["centre_id"]: row["n"] for row in rows}


def establishment_at(
    *, centre_id: int, day: dt.date, actual: int | None = None
) -> EstablishmentPosition:
    """The centre's 编制 on `day`; `actual` may come from figures already counted (a query less)."""
    by_kind = quotas_at(centre_ids=[centre_id], day=day).get(centre_id, {})
    if actual is None:
        actual = on_establishment_counts(centre_ids=[centre_id], day=day).get(centre_id, 0)
    return EstablishmentPosition(day=day, by_kind=by_kind, actual=actual)


def establishment_brief(
    *, centre_ids: list[int], day: dt.date, actual: dict[int, int] | None = None
) -> EstablishmentPosition:
    """The 编制 of several centres on `day` in two queries: kinds and 实有 summed, vacancies and
    excesses summed per centre among those with a quota recorded. `actual` is each centre's 在编
    serving on `day` when the caller counted it already (a query less)."""
    quotas = quotas_at(centre_ids=centre_ids, day=day)
    if actual is None:
        actual = on_establishment_counts(centre_ids=centre_ids, day=day)
    by_kind: dict[str, int] = defaultdict(int)
    vacant = over = 0
    for centre_id, kinds in quotas.items():
        approved = sum(kinds.values())
        for kind, n in kinds.items():
            by_kind[kind] += n
        here = actual.get(centre_id, 0)
        vacant += max(approved - here, 0)
        over += max(here - approved, 0)
    return EstablishmentPosition(
        day=day,
        by_kind=dict(by_kind),
        actual=sum(actual.values()),
        vacant_sum=vacant,
        over_sum=over,
    )


def quota_list(*, centre: Centre) -> QuerySet[EstablishmentQuota]:
    """Every quota row of the centre, latest first: the history of its 核定编制."""
    return EstablishmentQuota.objects.filter(centre=centre).order_by("-effective_on", "kind")
