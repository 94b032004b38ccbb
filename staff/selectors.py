"""Reads about the roster: the filtered list, and the workforce figures reports quote.

A spell counts on every day from hired_on to left_on, both included. Figures are aggregated in
the database: one query for the counts, one for departures by reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone

from centers.access import centre_access
from centers.models import Centre, CentreYear
from centers.permissions import VIEW_ID_NUMBERS
from centers.selectors import user_places
from core.models import AuditEntry

from .actions import ID_CONFLICT, ID_CONFLICT_LIMIT, ID_CONFLICT_WINDOW
from .models import (
    HEALTH_PROFESSIONALS,
    PHYSICIANS,
    TITLE_LEVELS,
    Category,
    Establishment,
    LeaveReason,
    Position,
    PracticeType,
    Spell,
    Title,
    TitleLevel,
)

CENT = Decimal("0.01")


def in_service(day: dt.date) -> Q:
    """Spells that count on a day."""
    return Q(hired_on__lte=day) & (Q(left_on__isnull=True) | Q(left_on__gte=day))


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Month-ends inside [start, end]; a period inside one month uses its last day instead."""
    ends = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        if start <= last <= end:
            ends.append(last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends or [end]


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part ÷ whole as a percentage, rounded half-up to two decimals (41.666… → 41.67)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _age_on(day: dt.date):
    """Completed years on a day, as a database expression over the person's birth date."""
    not_yet = Q(person__birth_date__month__gt=day.month) | Q(
        person__birth_date__month=day.month, person__birth_date__day__gt=day.day
    )
    return (
        Value(day.year)
        - ExtractYear("person__birth_date")
        - Case(When(not_yet, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


@dataclass
class StaffingCheck:
    """One minimum of 《城市社区卫生服务中心基本标准》 held against the roster's last day."""

    label: str
    required: int
    actual: int

    @property
    def met(self) -> bool:
        return self.actual >= self.required


class WorkforceRates:
    """The shares both figure sets derive from their counts."""

    departures: int
    average_headcount: Decimal
    off_establishment_end: int
    headcount_end: int
    nurses: int
    physicians: int

    @property
    def departure_rate(self) -> Decimal | None:
        return percent(self.departures, self.average_headcount)

    @property
    def off_share_end(self) -> Decimal | None:
        return percent(self.off_establishment_end, self.headcount_end)

    @property
    def nurses_per_physician(self) -> Decimal | None:
        """医护比 as 1 : x (registered nurses per licensed (assistant) physician)."""
        return ratio(self.nurses, self.physicians)


@dataclass
class WorkforceFigures(WorkforceRates):
    """The workforce figures of a period, as the annual and half-year reports quote them."""

    start: dt.date
    end: dt.date
    headcount_start: int
    headcount_end: int
    month_end_counts: list[tuple[dt.date, int]]
    average_headcount: Decimal
    average_off_establishment: Decimal
    hires: int
    hires_by_level: dict[str, int]
    departures: int
    departures_by_reason: dict[str, int]
    departures_health: int
    departures_other: int
    departures_by_position: dict[str, int]
    departures_by_establishment: dict[str, int]
    off_establishment_end: int
    average_age: Decimal | None
    average_age_off: Decimal | None
    health_professionals: int
    physicians: int
    general_practitioners: int
    nurses: int
    served_population: int | None
    checks: list[StaffingCheck] = field(default_factory=list)

    @property
    def off_share_average(self) -> Decimal | None:
        return percent(self.average_off_establishment, self.average_headcount)

    @property
    def gps_per_10k(self) -> Decimal | None:
        if not self.served_population:
            return None
        return ratio(self.general_practitioners * 10000, self.served_population)


def _count_aggregates(start: dt.date, end: dt.date, ends: list[dt.date]) -> dict:
    on_end = in_service(end)
    off = Q(establishment=Establishment.OFF)
    hired = Q(hired_on__gte=start, hired_on__lte=end)
    left = Q(left_on__gte=start, left_on__lte=end)
    health = Q(category__in=HEALTH_PROFESSIONALS)
    physician = Q(category=Category.PHYSICIAN)
    aggs = {
        "start": Count("id", filter=in_service(start)),
        "end": Count("id", filter=on_end),
        "off_end": Count("id", filter=on_end & off),
        "hires": Count("id", filter=hired),
        "departures": Count("id", filter=left),
        "departures_health": Count("id", filter=left & health),
        "health": Count("id", filter=on_end & health),
        "physicians": Count("id", filter=on_end & Q(category__in=PHYSICIANS)),
        "gps": Count("id", filter=on_end & Q(category__in=PHYSICIANS, general_practice=True)),
        "nurses": Count("id", filter=on_end & Q(category=Category.NURSE)),
        "licensed": Count("id", filter=on_end & physician),
        "gp_licensed": Count(
            "id",
            filter=on_end
            & physician
            & Q(general_practice=True, practice_type__in=[PracticeType.CLINICAL, PracticeType.TCM]),
        ),
        "senior_physicians": Count(
            "id",
            filter=on_end & physician & Q(title__in=[Title.SENIOR, Title.ASSOCIATE_SENIOR]),
        ),
        "tcm_intermediate": Count(
            "id",
            filter=on_end
            & physician
            & Q(practice_type=PracticeType.TCM)
            & Q(title__in=[Title.SENIOR, Title.ASSOCIATE_SENIOR, Title.INTERMEDIATE]),
        ),
        "public_health": Count(
            "id", filter=on_end & physician & Q(practice_type=PracticeType.PUBLIC_HEALTH)
        ),
        "age": Avg(_age_on(end), filter=on_end),
        "age_off": Avg(_age_on(end), filter=on_end & off),
    }
    for i, day in enumerate(ends):
        aggs[f"m{i}"] = Count("id", filter=in_service(day))
        aggs[f"o{i}"] = Count("id", filter=in_service(day) & off)
    for level in TitleLevel:
        titles = [t for t, lv in TITLE_LEVELS.items() if lv == level]
        aggs[f"hire_{level}"] = Count("id", filter=hired & Q(title__in=titles))
    for position in Position:
        aggs[f"pos_{position}"] = Count("id", filter=left & Q(position=position))
    for kind in Establishment:
        aggs[f"est_{kind}"] = Count("id", filter=left & Q(establishment=kind))
    return aggs


def _staffing_checks(row: dict) -> list[StaffingCheck]:
    return [
        StaffingCheck("全科执业医师（临床或中医类别）", 6, row["gp_licensed"]),
        StaffingCheck("注册护士", 9, row["nurses"]),
        StaffingCheck("副高级以上职称执业医师", 1, row["senior_physicians"]),
        StaffingCheck("中级以上职称中医类别执业医师", 1, row["tcm_intermediate"]),
        StaffingCheck("公共卫生类别执业医师", 1, row["public_health"]),
        StaffingCheck("注册护士不少于执业医师数", row["licensed"], row["nurses"]),
    ]


def _one_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def workforce_figures(
    *, centre: Centre | None = None, scope: Q | None = None, start: dt.date, end: dt.date
) -> WorkforceFigures:
    """Every workforce figure of a period in three queries, whatever the roster's size.

    One centre, or several through `scope` (a filter on spells, e.g. by sponsor), for summaries.
    """
    ends = month_ends(start, end)
    spells = Spell.objects.filter(Q(centre=centre) if centre is not None else scope)
    # Only spells that touch the period count towards any figure; skip the rest of the history.
    overlapping = spells.filter(Q(left_on__isnull=True) | Q(left_on__gte=start), hired_on__lte=end)
    row = overlapping.aggregate(**_count_aggregates(start, end, ends))
    reasons = dict(
        spells.filter(left_on__gte=start, left_on__lte=end)
        .values_list("leave_reason")
        .annotate(n=Count("id"))
        .values_list("leave_reason", "n")
    )
    served = None
    if centre is not None:
        served = (
            CentreYear.objects.filter(centre=centre, year__lte=end.year)
            .order_by("-year")
            .values_list("served_population", flat=True)
            .first()
        )
    counts = [row[f"m{i}"] for i in range(len(ends))]
    offs = [row[f"o{i}"] for i in range(len(ends))]
    return WorkforceFigures(
        start=start,
        end=end,
        headcount_start=row["start"],
        headcount_end=row["end"],
        month_end_counts=list(zip(ends, counts, strict=True)),
        average_headcount=Decimal(sum(counts)) / len(counts),
        average_off_establishment=Decimal(sum(offs)) / len(offs),
        hires=row["hires"],
        hires_by_level={level: row[f"hire_{level}"] for level in TitleLevel},
        departures=row["departures"],
        departures_by_reason={r: reasons.get(r, 0) for r in LeaveReason}
        | ({"": reasons[""]} if reasons.get("") else {}),
        departures_health=row["departures_health"],
        departures_other=row["departures"] - row["departures_health"],
        departures_by_position={p: row[f"pos_{p}"] for p in Position},
        departures_by_establishment={e: row[f"est_{e}"] for e in Establishment},
        off_establishment_end=row["off_end"],
        average_age=_one_decimal(row["age"]),
        average_age_off=_one_decimal(row["age_off"]),
        health_professionals=row["health"],
        physicians=row["physicians"],
        general_practitioners=row["gps"],
        nurses=row["nurses"],
        served_population=served,
        checks=_staffing_checks(row),
    )


@dataclass
class WorkforceBrief(WorkforceRates):
    """The workforce figures a work summary quotes, for one centre or many, in one query."""

    headcount_end: int
    average_headcount: Decimal
    off_establishment_end: int
    hires: int
    departures: int
    health_professionals: int
    physicians: int
    general_practitioners: int
    nurses: int


def workforce_brief(*, scope: Q, start: dt.date, end: dt.date) -> WorkforceBrief:
    """What `workforce_figures` gives for the summary's sentences, without the annual report's
    breakdowns: a quarter of the aggregates, so city-wide summaries stay fast."""
    ends = month_ends(start, end)
    on_end = in_service(end)
    aggs = {f"m{i}": Count("id", filter=in_service(day)) for i, day in enumerate(ends)}
    aggs |= {
        "end": Count("id", filter=on_end),
        "off_end": Count("id", filter=on_end & Q(establishment=Establishment.OFF)),
        "hires": Count("id", filter=Q(hired_on__gte=start)),
        "departures": Count("id", filter=Q(left_on__gte=start, left_on__lte=end)),
        "health": Count("id", filter=on_end & Q(category__in=HEALTH_PROFESSIONALS)),
        "physicians": Count("id", filter=on_end & Q(category__in=PHYSICIANS)),
        "gps": Count("id", filter=on_end & Q(category__in=PHYSICIANS, general_practice=True)),
        "nurses": Count("id", filter=on_end & Q(category=Category.NURSE)),
    }
    touching = Q(hired_on__lte=end) & (Q(left_on__isnull=True) | Q(left_on__gte=start))
    row = Spell.objects.filter(scope, touching).aggregate(**aggs)
    counts = [row[f"m{i}"] for i in range(len(ends))]
    return WorkforceBrief(
        headcount_end=row["end"],
        average_headcount=Decimal(sum(counts)) / len(counts),
        off_establishment_end=row["off_end"],
        hires=row["hires"],
        departures=row["departures"],
        health_professionals=row["health"],
        physicians=row["physicians"],
        general_practitioners=row["gps"],
        nurses=row["nurses"],
    )


# --- The roster list ----------------------------------------------------------------------

SORTS = {
    "name": ("person__name", "hired_on"),
    "-hired_on": ("-hired_on", "person__name"),
    "hired_on": ("hired_on", "person__name"),
    "department": ("department__name", "person__name"),
    "title": ("title", "person__name"),
}


def roster(
    *,
    centre: Centre,
    status: str = "active",
    on: dt.date,
    search: str = "",
    department_id: int | None = None,
    category: str = "",
    title: str = "",
    establishment: str = "",
    sort: str = "name",
) -> QuerySet[Spell]:
    """Spells of a centre, filtered as the roster page asks; one row per spell."""
    qs = Spell.objects.filter(centre=centre).select_related("person", "department")
    if status == "active":
        qs = qs.filter(in_service(on))
    elif status == "left":
        qs = qs.filter(left_on__lt=on)
    if search:
        qs = qs.filter(person__name__icontains=search)
    if department_id:
        qs = qs.filter(department_id=department_id)
    for name, value in (("category", category), ("title", title), ("establishment", establishment)):
        if value:
            qs = qs.filter(**{name: value})
    return qs.order_by(*SORTS.get(sort, SORTS["name"]))


def sees_id_numbers(*, user, centre: Centre) -> bool:
    """Whether a user may see full ID numbers at a centre; needs no request, for tasks."""
    if user is None:
        return False
    access = centre_access(user_places(user), centre)
    return access is not None and access.can(VIEW_ID_NUMBERS)


def id_number_entry_blocked(*, user) -> bool:
    """Whether a user ran into others' numbers too often lately to enter a full one unseen."""
    if user is None:  # an upload whose account is gone: its conflicts are refused one by one
        return False
    since = timezone.now() - ID_CONFLICT_WINDOW
    recent = AuditEntry.objects.filter(actor=user, action=ID_CONFLICT, created_at__gte=since)
    return recent.count() >= ID_CONFLICT_LIMIT
