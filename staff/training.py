"""Reads about training and 进修: a centre's list, and the counts figures and summaries quote.

A training counts once (one 人次) in the period it starts in, with all its hours and credits;
training marked external (outside the person's employment here) is kept on their record but
never counted as the centre's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value

from centers.models import Centre

from .models import Training, TrainingKind

ZERO = Decimal("0")


@dataclass(frozen=True)
class KindCount:
    times: int  # 人次
    people: int
    hours: Decimal
    credits: Decimal


@dataclass(frozen=True)
class TrainingCounts:
    """One period's training: 人次, distinct people, hours and credits, in all and by kind."""

    times: int
    people: int
    hours: Decimal
    credits: Decimal
    by_kind: dict[str, KindCount] = field(default_factory=dict)

    def of(self, kind: str) -> KindCount:
        return self.by_kind.get(kind, KindCount(0, 0, ZERO, ZERO))


def counted(scope: Q, start: dt.date, end: dt.date) -> QuerySet[Training]:
    """The centre's own training that starts in [start, end], within `scope` (a filter on it)."""
    return Training.objects.filter(scope, external=False, started_on__range=(start, end))


def training_counts(*, scope: Q, start: dt.date, end: dt.date) -> TrainingCounts:
    """人次, people, hours and credits for a period, by kind and in all, in one query.

    `scope` filters training (Q(centre=…), Q(centre_id__in=…)); a person trained twice is two
    人次 and one person, in all and within a kind (so the whole is its own row, kind NULL, not
    the kinds added up).
    """
    rows = counted(scope, start, end)
    aggregates = {
        "times": Count("id"),
        "people": Count("person_id", distinct=True),
        "hours": Sum("hours"),
        "credits": Sum("credits"),
    }
    by_kind = rows.values("kind").order_by().annotate(**aggregates)
    whole = rows.annotate(every=Value(None, output_field=CharField())).values("every")
    found = by_kind.union(whole.order_by().annotate(**aggregates), all=True)
    counts = {
        row["kind"]: KindCount(
            row["times"], row["people"], row["hours"] or ZERO, row["credits"] or ZERO
        )
        for row in found
    }
    total = counts.pop(None)
    return TrainingCounts(
        times=total.times,
        people=total.people,
        hours=total.hours,
        credits=total.credits,
        by_kind={k: counts[k] for k in TrainingKind.values if k in counts},
    )


def training_list(
    *,
    centre: Centre,
    start: dt.date,
    end: dt.date,
    kind: str = "",
    search: str = "",
    external: bool | None = None,
) -> QuerySet[Training]:
    """The centre's training starting in the period, newest first, with each person's name."""
    qs = Training.objects.filter(centre=centre, started_on__range=(start, end))
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(person__name__icontains=search) | Q(place__icontains=search))
    if external is not None:
        qs = qs.filter(external=external)
    return qs.select_related("person").order_by("-started_on", "person__name", "-id")


def person_trainings(*, person_id: int) -> QuerySet[Training]:
    return Training.objects.filter(person_id=person_id).order_by("-started_on", "-id")
