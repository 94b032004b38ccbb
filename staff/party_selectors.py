"""Reads about the party branch (党支部): its committee, its members on a day, and the counts the
summaries quote (在职党员, 发展党员).

A member counts on the branch's books from in_on to out_on, both included, as a spell does; a
member is 在职 on a day when they are on the books and serve at the centre (a Spell) that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import ExtractYear

from centers.models import Centre

from .models import CommitteeTerm, PartyBranch, PartyMember, PartyOrigin, Person, Spell
from .selectors import any_of_centres, in_service


def on_books(day: dt.date) -> Q:
    """Members on the branch's books on a day."""
    return Q(in_on__lte=day) & (Q(out_on__isnull=True) | Q(out_on__gte=day))


def serving(day: dt.date) -> Exists:
    """The member's person serves at the centre on the day (any of their spells)."""
    return Exists(Spell.objects.filter(in_service(day), person_id=OuterRef("person_id")))


def branch_get(*, centre: Centre) -> PartyBranch | None:
    return PartyBranch.objects.filter(centre=centre).first()


@dataclass(frozen=True)
class BranchDates:
    """When a centre's branch and its committee were founded (None: no committee yet)."""

    founded_on: dt.date
    committee_on: dt.date | None


def branch_dates(*, centre_ids: list[int]) -> dict[int, BranchDates]:
    """Each centre's branch founding and first committee election, in one query; centres without
    a branch are left out."""
    rows = (
        PartyBranch.objects.filter(centre_id__any_of=centre_ids)
        .annotate(committee_on=Min("terms__elected_on"))
        .values_list("centre_id", "founded_on", "committee_on")
    )
    return {pk: BranchDates(founded, committee) for pk, founded, committee in rows}


def committee_terms(*, centre: Centre) -> list[CommitteeTerm]:
    """The committee's terms, latest first, with their secretaries and members (three queries)."""
    return list(
        CommitteeTerm.objects.filter(centre=centre)
        .select_related("secretary__person", "deputy__person")
        .prefetch_related("members__person")
        .order_by("-elected_on")
    )


def member_list(*, centre: Centre, day: dt.date) -> list[PartyMember]:
    """Every stay on the branch's books with its person, marked `listed` (on the books on the day)
    and `at_work` (serving that day); those on the books first, then by name (one query)."""
    members = (
        PartyMember.objects.filter(centre=centre)
        .select_related("person")
        .annotate(at_work=serving(day))
        .order_by("person__name", "in_on")
    )
    rows = list(members)
    for m in rows:
        m.listed = m.in_on <= day and (m.out_on is None or m.out_on >= day)
    rows.sort(key=lambda m: not m.listed)  # stable: names stay in order within each group
    return rows


@dataclass(frozen=True)
class PartyCounts:
    """A set of centres' branch figures: on the `day`, and moves within [first, last]."""

    on_books: int  # members on the books, serving or not
    at_work: int  # 在职党员
    probationary: int  # 预备党员 among the 在职党员
    developed: int  # 发展党员: admitted by the branch within the period
    transferred_in: int
    transferred_out: int


@dataclass(frozen=True)
class PartySummary:
    counts: PartyCounts
    dates: dict[int, BranchDates]  # the centres with a branch


# The members' counts (people, not stays: a member back on the books is one person), then one row
# per branch with its first committee; written out because Django spent longer building the
# counts (an EXISTS under DISTINCT aggregates) than the database took to answer them.
_PARTY_SQL = """
SELECT NULL, NULL, NULL,
  COUNT(DISTINCT m.person_id) FILTER (WHERE m.listed),
  COUNT(DISTINCT m.person_id) FILTER (WHERE m.serves),
  COUNT(DISTINCT m.person_id) FILTER (WHERE m.serves AND NOT m.is_full),
  COUNT(*) FILTER (WHERE m.origin = %(developed)s AND m.joined_on BETWEEN %(first)s AND %(last)s),
  COUNT(*) FILTER (WHERE m.origin = %(transferred)s AND m.in_on BETWEEN %(first)s AND %(last)s),
  COUNT(*) FILTER (WHERE m.out_on BETWEEN %(first)s AND %(last)s)
FROM (
  SELECT p.person_id, p.origin, p.joined_on, p.in_on, p.out_on, {listed} AS listed,
    (p.full_on IS NOT NULL AND p.full_on <= %(day)s) AS is_full,
    {listed} AND EXISTS (
      SELECT 1 FROM staff_spell s WHERE s.person_id = p.person_id
        AND s.hired_on <= %(day)s AND (s.left_on IS NULL OR s.left_on >= %(day)s)
    ) AS serves
  FROM staff_partymember p WHERE p.centre_id {centres}
) m
UNION ALL
SELECT b.centre_id, b.founded_on, MIN(t.elected_on), 0, 0, 0, 0, 0, 0
FROM staff_partybranch b LEFT JOIN staff_committeeterm t ON t.branch_id = b.id
WHERE b.centre_id {centres}
GROUP BY b.centre_id, b.founded_on
"""
_LISTED = "(p.in_on <= %(day)s AND (p.out_on IS NULL OR p.out_on >= %(day)s))"


def _date(value) -> dt.date | None:
    """A date column as the driver returns it (SQLite gives text where a union hides its type)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def party_summary(
    *, centre_ids: list[int], day: dt.date, first: dt.date, last: dt.date
) -> PartySummary:
    """The branch figures of these centres (people on the books and 在职 on `day`, moves within
    [first, last]) and each branch's dates, in one query whatever the centres' number."""
    centres, ids = any_of_centres(centre_ids)
    params = {"day": day, "first": first, "last": last, "centres": ids}
    params |= {"developed": PartyOrigin.DEVELOPED, "transferred": PartyOrigin.TRANSFERRED}
    with connection.cursor() as cursor:
        cursor.execute(_PARTY_SQL.format(listed=_LISTED, centres=centres), params)
        rows = cursor.fetchall()
    (counts,) = [row[3:] for row in rows if row[0] is None]  # the branches have their centre
    return PartySummary(
        counts=PartyCounts(*counts),
        dates={
            row[0]: BranchDates(_date(row[1]), _date(row[2])) for row in rows if row[0] is not None
        },
    )


def party_counts(
    *, centre_ids: list[int], day: dt.date, first: dt.date, last: dt.date
) -> PartyCounts:
    """The branch figures of these centres, counted in one query (people, not stays)."""
    return party_summary(centre_ids=centre_ids, day=day, first=first, last=last).counts


def developed_by_year(*, centre: Centre) -> list[tuple[int, int]]:
    """发展党员 per year of admission, latest first (one query)."""
    rows = (
        PartyMember.objects.filter(centre=centre, origin=PartyOrigin.DEVELOPED)
        .annotate(year=ExtractYear("joined_on"))
        .values("year")
        .annotate(people=Count("id"))
        .order_by("-year")
    )
    return [(r["year"], r["people"]) for r in rows]


def flagged_without_record(*, centre: Centre, day: dt.date) -> list[Person]:
    """People serving on the day whom the roster marks 党员 but who have no stay on the books:
    what is left to enter (one query, at most 50)."""
    return list(
        Person.objects.filter(centre=centre, party_member=True)
        .filter(Exists(Spell.objects.filter(in_service(day), person_id=OuterRef("pk"))))
        .exclude(Exists(PartyMember.objects.filter(person_id=OuterRef("pk"))))
        .order_by("name")[:50]
    )
