"""Reads about training and 进修: a centre's list, and the counts figures and summaries quote.

A training counts once (one 人次) in the period it starts in, with all its hours and credits;
training marked external (outside the person's employment here) is kept on their record but
never counted as the centre's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, router
from django.db.models import Q, QuerySet

from centers.models import Centre
from core import rawsql

from .models import Training, TrainingKind

ZERO = Decimal("0")


def _column(name: str) -> str:
    return rawsql.column(Training, name)


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


def training_counts(*, centre_ids: list[int], start: dt.date, end: dt.date) -> TrainingCounts:
    """人次, people, hours and credits for a period, by kind and in all, in one query.

    A person trained twice is two 人次 and one person, in all and within a kind (so the whole is
    its own row, kind NULL, not the kinds added up). Hand-written (core.rawsql): every staff
    figures page and summary reads it, and Django took longer to build the UNION than the
    database to answer it.
    """
    db = connections[router.db_for_read(Training)]
    centres, params = rawsql.any_of(db, _column("centre"), centre_ids)
    period = f"{_column('started_on')} >= %s AND {_column('started_on')} <= %s"
    where = f"{centres} AND {_column('external')} = %s AND {period}"
    params += [False, start, end]
    rows = [
        rawsql.convert(row, rawsql.converters(db, "training-counts", _COUNT_FIELDS), db)
        for row in _fetch(db, _counts_sql(where), params * 2)
    ]
    counts = {
        kind: KindCount(times, people, hours or ZERO, credits or ZERO)
        for kind, times, people, hours, credits in rows
    }
    total = counts.pop(None)
    return TrainingCounts(
        times=total.times,
        people=total.people,
        hours=total.hours,
        credits=total.credits,
        by_kind={k: counts[k] for k in TrainingKind.values if k in counts},
    )


_COUNT_FIELDS = [
    None,
    None,
    None,
    Training._meta.get_field("hours"),
    Training._meta.get_field("credits"),
]


def _counts_sql(where: str) -> str:
    """By kind, then in all (kind NULL); identifiers from the model, values as parameters."""
    table, kind = rawsql.table(Training), _column("kind")
    person, hours, credits = _column("person"), _column("hours"), _column("credits")
    aggregates = f"COUNT(*), COUNT(DISTINCT {person}), SUM({hours}), SUM({credits})"
    return (
        f"SELECT {kind}, {aggregates} FROM {table} WHERE {where} GROUP BY {kind}"  # noqa: S608
        f" UNION ALL SELECT NULL, {aggregates} FROM {table} WHERE {where}"
    )


def _fetch(db, sql: str, params: list) -> list:
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
