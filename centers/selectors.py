"""Reads about organisations and who belongs where."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import rawsql
from core.calendar import calendar_exceptions, working_days_after
from core.history import HistoryRow, history_row
from core.models import AuditEntry

from .models import (
    DEFAULT_BACKFILL_MONTHS,
    Authority,
    AuthorityMembership,
    Centre,
    CentreMembership,
    CentreYear,
    Department,
    FundingSource,
    Licence,
    RegistrationChange,
)
from .standards import ROOMS, STANDARDS, Room, Standard


def authority_parent_map() -> dict[int, int | None]:
    """Every authority's parent, in one query: the tree is small (a city has dozens)."""
    return dict(Authority.objects.values_list("id", "parent_id"))


class TreeNode(NamedTuple):
    pk: int
    parent_id: int | None
    name: str
    slug: str


def authority_tree() -> list[TreeNode]:
    """Every authority, by name, in one query: the parent map, and the names and links an
    authority page lists (its sponsors filter, a dashboard's districts) together."""
    return [
        TreeNode(*row)
        for row in Authority.objects.order_by("name").values_list("id", "parent_id", "name", "slug")
    ]


def authority_subtree_ids(
    root_ids: Iterable[int], parents: dict[int, int | None] | None = None
) -> set[int]:
    """The given authorities and all their descendants, at any depth."""
    parents = authority_parent_map() if parents is None else parents
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [i for i in root_ids if i in parents]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def authority_ancestor_ids(authority_id: int, parents: dict[int, int | None]) -> list[int]:
    """The authority itself and every authority above it, nearest first."""
    chain: list[int] = []
    current: int | None = authority_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def backfill_months(*, centre: Centre) -> int:
    """Months before its start a centre may back-fill: the nearest commission's setting up the
    tree from its sponsor, else DEFAULT_BACKFILL_MONTHS (one query: the tree is small)."""
    rows = Authority.objects.values_list("id", "parent_id", "backfill_months")
    parents, months = {}, {}
    for pk, parent_id, value in rows:
        parents[pk], months[pk] = parent_id, value
    for pk in authority_ancestor_ids(centre.sponsor_id, parents):
        if months.get(pk) is not None:
            return months[pk]
    return DEFAULT_BACKFILL_MONTHS


@dataclass
class Places:
    """Where a user belongs: centre memberships and the authorities they review for."""

    centre_memberships: list[CentreMembership] = field(default_factory=list)
    authority_memberships: list[AuthorityMembership] = field(default_factory=list)
    # Every authority, by name, read with a reviewer's memberships: a reviewer's reach is by
    # ancestry, so their pages need the tree. None when not read (users who review nowhere).
    authority_tree: list[TreeNode] | None = None

    @property
    def count(self) -> int:
        return len(self.centre_memberships) + len(self.authority_memberships)

    def centre_roles(self, centre_id: int) -> set[str]:
        return {m.role for m in self.centre_memberships if m.centre_id == centre_id}

    def tree(self) -> list[TreeNode]:
        """Every authority: the one read with the memberships, or a query when none was."""
        return authority_tree() if self.authority_tree is None else self.authority_tree

    def authority_parents(self) -> dict[int, int | None]:
        if self.authority_tree is None:
            return authority_parent_map()
        return {node.pk: node.parent_id for node in self.authority_tree}


class _PlacesSql(NamedTuple):
    sql: str
    # Column slices of each model in a row, in its concrete field order.
    membership: slice
    centre: slice
    authority: slice
    funding: slice
    tree: tuple[int, int, int, int]  # where a tree row keeps id, parent_id, name, slug
    fields: list  # the field each column holds, for the converters (None: no conversion)


@functools.cache
def _places_sql() -> _PlacesSql:
    """One UNION ALL that reads what user_places needs: centre memberships with their centre,
    sponsor and funding source; authority memberships with their authority; and, for a user
    who reviews somewhere, every authority (the tree). Built once from the models' metadata:
    SQL text only, never data."""
    q = connections[router.db_for_read(CentreMembership)].ops.quote_name

    def cols(model, alias: str | None, keep=None) -> list[str]:
        return [
            f"{alias}.{q(f.column)}" if alias and (keep is None or f.name in keep) else "NULL"
            for f in model._meta.concrete_fields
        ]

    cm, am = CentreMembership._meta, AuthorityMembership._meta
    m_fields, am_fields = cm.concrete_fields, am.concrete_fields
    if [f.get_internal_type() for f in m_fields] != [f.get_internal_type() for f in am_fields]:
        raise ImproperlyConfigured("the two membership tables must share one set of columns")
    c_fields = Centre._meta.concrete_fields
    a_fields = Authority._meta.concrete_fields
    f_fields = FundingSource._meta.concrete_fields
    tree_keep = {"id", "parent", "name", "slug"}
    t = {
        "m": q(cm.db_table),
        "am": q(am.db_table),
        "c": q(Centre._meta.db_table),
        "a": q(Authority._meta.db_table),
        "f": q(FundingSource._meta.db_table),
    }
    name = q("name")
    # kind, membership, centre, authority (sponsor / reviewed / tree node), funding, sort name
    centre_rows = [
        "0",
        *cols(CentreMembership, "m"),
        *cols(Centre, "c"),
        *cols(Authority, "a"),
        *cols(FundingSource, "f"),
        f"c.{name}",
    ]
    authority_rows = [
        "1",
        *cols(AuthorityMembership, "m"),
        *cols(Centre, None),
        *cols(Authority, "a"),
        *cols(FundingSource, None),
        f"a.{name}",
    ]
    tree_rows = [
        "2",
        *cols(CentreMembership, None),
        *cols(Centre, None),
        *cols(Authority, "a", tree_keep),
        *cols(FundingSource, None),
        f"a.{name}",
    ]
    user_col, centre_col = q(cm.get_field("user").column), q(cm.get_field("centre").column)
    reviewer_col, authority_col = (
        q(am.get_field("user").column),
        q(am.get_field("authority").column),
    )
    sponsor_col = q(Centre._meta.get_field("sponsor").column)
    funding_col = q(Centre._meta.get_field("funding_source").column)
    pk = q("id")
    select_centres, select_authorities, select_tree = (
        ", ".join(row) for row in (centre_rows, authority_rows, tree_rows)
    )
    # Identifiers from the models' metadata, quoted; the user is the only value, a parameter.
    sql = (
        f"SELECT {select_centres} FROM {t['m']} m"  # noqa: S608
        f" INNER JOIN {t['c']} c ON c.{pk} = m.{centre_col}"
        f" INNER JOIN {t['a']} a ON a.{pk} = c.{sponsor_col}"
        f" LEFT OUTER JOIN {t['f']} f ON f.{pk} = c.{funding_col}"
        f" WHERE m.{user_col} = %s"
        f" UNION ALL SELECT {select_authorities} FROM {t['am']} m"
        f" INNER JOIN {t['a']} a ON a.{pk} = m.{authority_col}"
        f" WHERE m.{reviewer_col} = %s"
        f" UNION ALL SELECT {select_tree} FROM {t['a']} a"
        f" WHERE EXISTS (SELECT 1 FROM {t['am']} r WHERE r.{reviewer_col} = %s)"
    )
    n_m, n_c, n_a, n_f = len(m_fields), len(c_fields), len(a_fields), len(f_fields)
    membership = slice(1, 1 + n_m)
    centre = slice(membership.stop, membership.stop + n_c)
    authority = slice(centre.stop, centre.stop + n_a)
    funding = slice(authority.stop, authority.stop + n_f)
    sort = funding.stop + 1  # ORDER BY positions count from 1
    sql += f" ORDER BY 1, {sort}"
    a_names = [f.name for f in a_fields]
    tree = tuple(authority.start + a_names.index(n) for n in ("id", "parent", "name", "slug"))
    fields = [None, *m_fields, *c_fields, *a_fields, *f_fields, None]
    return _PlacesSql(sql, membership, centre, authority, funding, tree, fields)  # type: ignore[arg-type]


def user_places(user) -> Places:
    """A user's memberships, in one query; anonymous users have none.

    Centre memberships carry their centre as its pages print it (sponsor, funding source): a
    centre page takes its centre from here when the user works there (centers.access.
    centre_view). For a reviewer the same query reads the authority tree (Places.authority_tree).
    Nothing is kept between requests: every call reads the memberships afresh.
    """
    if not user.is_authenticated:
        return Places()
    db = router.db_for_read(CentreMembership)
    connection = connections[db]
    plan = _places_sql()
    converters = rawsql.converters(connection, "places", plan.fields)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    places = Places()
    tree: list[TreeNode] = []
    set_centre = CentreMembership._meta.get_field("centre").set_cached_value
    set_authority = AuthorityMembership._meta.get_field("authority").set_cached_value
    set_sponsor = Centre._meta.get_field("sponsor").set_cached_value
    set_funding = Centre._meta.get_field("funding_source").set_cached_value
    for row in rows:
        kind = row[0]
        if kind == 2:
            tree.append(TreeNode(*(row[i] for i in plan.tree)))
            continue
        row = rawsql.convert(row, converters, connection)
        authority = Authority.from_db(db, None, row[plan.authority])
        if kind == 0:
            centre = Centre.from_db(db, None, row[plan.centre])
            set_sponsor(centre, authority)
            funding = row[plan.funding]
            set_funding(
                centre, None if funding[0] is None else FundingSource.from_db(db, None, funding)
            )
            membership = CentreMembership.from_db(db, None, row[plan.membership])
            set_centre(membership, centre)
            places.centre_memberships.append(membership)
        else:
            membership = AuthorityMembership.from_db(db, None, row[plan.membership])
            set_authority(membership, authority)
            places.authority_memberships.append(membership)
    if places.authority_memberships:
        places.authority_tree = tree
    return places


def reviewed_authority_ids(places: Places) -> set[int]:
    """All authorities a user may read: those they review for and everything below."""
    roots = {m.authority_id for m in places.authority_memberships}
    return authority_subtree_ids(roots) if roots else set()


def centre_list(
    *, authority_ids: Iterable[int], search: str = "", sponsor_id: int | None = None
) -> QuerySet[Centre]:
    """Centres sponsored by the given authorities, filtered by name or address and sponsor."""
    qs = Centre.objects.filter(sponsor_id__in=list(authority_ids)).select_related("sponsor")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(address__icontains=search))
    if sponsor_id is not None:
        qs = qs.filter(sponsor_id=sponsor_id)
    return qs.order_by("sponsor__name", "name")


def centre_member_list(*, centre: Centre) -> QuerySet[CentreMembership]:
    """A centre's members with their user, managers first."""
    return (
        CentreMembership.objects.filter(centre=centre)
        .select_related("user")
        .order_by("-role", "user__username")
    )


# --- Centre record ---------------------------------------------------------------------

LATE_REGISTRATION_WORKDAYS = 30  # 实施细则 第四十五条
CAPITAL_CHANGE_THRESHOLD = Decimal("0.20")


def format_amount(value: Decimal | str | None) -> str:
    """Money as the registers print it: 233.88, 96.7, 100 (no trailing zeros)."""
    if value in (None, ""):
        return ""
    text = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def item_value_display(item: str, value: str) -> str:
    """A registered item's stored value as it reads in a sentence (开办资金 with 万元)."""
    if item == RegistrationChange.Item.CAPITAL:
        return _("%(amount)s ten-thousand yuan") % {"amount": format_amount(value)}
    return value


@dataclass
class ChangeRow:
    """A change registration with what the rules say about it."""

    change: RegistrationChange
    warnings: list[str]

    @property
    def old_display(self) -> str:
        return item_value_display(self.change.item, self.change.old_value)

    @property
    def new_display(self) -> str:
        return item_value_display(self.change.item, self.change.new_value)


def _change_warnings(change, previous, exceptions) -> list[str]:
    item = RegistrationChange.Item
    notes = []
    if change.item == item.ADDRESS:
        if change.registered_on > change.effective_on:
            days = (change.registered_on - change.effective_on).days
            notes.append(
                _("A new domicile must be registered before moving in; this was %(n)s days after.")
                % {"n": days}
            )
    else:
        late = working_days_after(change.effective_on, change.registered_on, exceptions)
        if late > LATE_REGISTRATION_WORKDAYS:
            notes.append(
                _("Registered %(n)s working days after the change; the limit is 30.") % {"n": late}
            )
    if change.item == item.CAPITAL:
        old, new = Decimal(change.old_value), Decimal(change.new_value)
        moved = (new != old) if not old else abs(new - old) / old > CAPITAL_CHANGE_THRESHOLD
        if moved:
            pct = format_amount((new - old) / old * 100) if old else "∞"
            notes.append(
                _(
                    "Start-up capital moved by %(pct)s%%, more than 20%%: a change registration "
                    "with a capital verification is required."
                )
                % {"pct": pct}
            )
    if previous is not None and previous.new_value != change.old_value:
        notes.append(
            _("The old value differs from the value after the previous change (%(prev)s).")
            % {"prev": item_value_display(change.item, previous.new_value)}
        )
    return notes


def registration_change_rows(*, centre: Centre) -> list[ChangeRow]:
    """All change registrations of a centre, oldest first, each with its warnings (2 queries)."""
    changes = list(RegistrationChange.objects.filter(centre=centre).order_by(*CHANGE_ORDER))
    if not changes:
        return []
    exceptions = calendar_exceptions(
        min(c.effective_on for c in changes), max(c.registered_on for c in changes)
    )
    rows, last_by_item = [], {}
    for change in changes:
        rows.append(
            ChangeRow(change, _change_warnings(change, last_by_item.get(change.item), exceptions))
        )
        last_by_item[change.item] = change
    return rows


CHANGE_ORDER = ("effective_on", "registered_on", "id")


def change_sentence(change: RegistrationChange) -> str:
    """One sentence of 变更登记执行情况, in the style of the filed reports."""
    return _("%(date)s registered a change: %(item)s changed from %(old)s to %(new)s.") % {
        "date": date_format(change.registered_on, "DATE_FORMAT"),
        "item": change.get_item_display(),
        "old": item_value_display(change.item, change.old_value),
        "new": item_value_display(change.item, change.new_value),
    }


def registration_statement(*, centre: Centre, year: int, since_certificate: bool = False) -> str:
    """对《条例》和实施细则有关变更登记规定的执行情况 for a report year; 无 when nothing changed.

    Either the changes registered in that year, or every change registered since the certificate
    was issued up to the end of that year (filed reports often cite earlier changes). Only the
    current certificate's date is stored: if it was issued after that year, the certificate of
    the time is unknown, and the year's own changes are given.
    """
    qs = RegistrationChange.objects.filter(centre=centre, registered_on__year__lte=year)
    issued = centre.certificate_valid_from
    if not since_certificate or (issued and issued > dt.date(year, 12, 31)):
        qs = qs.filter(registered_on__year=year)
    elif issued:
        qs = qs.filter(registered_on__gte=issued)
    sentences = [change_sentence(c) for c in qs.order_by("registered_on", "effective_on", "id")]
    return "".join(sentences) or _("None")


# The annual report cites every change since the certificate was issued, not only the year's; the
# registration page says which of its two scopes reads as the report does.
REPORT_SINCE_CERTIFICATE = True


def report_registration_statement(*, centre: Centre, year: int) -> str:
    """The statement as the annual report for a year gives it (its prefill asks only here)."""
    return registration_statement(
        centre=centre, year=year, since_certificate=REPORT_SINCE_CERTIFICATE
    )


def capital_at(
    *, centre: Centre, day: dt.date, changes: list[RegistrationChange]
) -> Decimal | None:
    """The 开办资金 in force on a day, from the change history (else the current value)."""
    capital_changes = [c for c in changes if c.item == RegistrationChange.Item.CAPITAL]
    before = [c for c in capital_changes if c.effective_on <= day]
    if before:
        return Decimal(before[-1].new_value)
    if capital_changes:
        return Decimal(capital_changes[0].old_value)
    return centre.capital


@dataclass
class YearRow:
    """One year's figures with the checks that concern it."""

    figures: CentreYear
    warnings: list[str]


def _year_warnings(row: CentreYear, previous: CentreYear | None, capital) -> list[str]:
    notes = []
    follows = previous and previous.year == row.year - 1 and previous.net_assets_end is not None
    begin = row.net_assets_begin
    if follows and begin is not None and begin != previous.net_assets_end:
        notes.append(
            _("Net assets at start of year differ from last year's end (%(prev)s).")
            % {"prev": format_amount(previous.net_assets_end)}
        )
    end = row.net_assets_end
    if end is not None and capital:
        gap = abs(end - capital) / capital
        if gap > CAPITAL_CHANGE_THRESHOLD:
            notes.append(
                _(
                    "Year-end net assets differ from the start-up capital (%(cap)s) by %(pct)s%%; "
                    "above 20%% the capital must be registered anew."
                )
                % {"cap": format_amount(capital), "pct": format_amount(gap * 100)}
            )
    return notes


def centre_year_rows(*, centre: Centre) -> list[YearRow]:
    """Every year's figures, newest first, with their checks (2 queries)."""
    years = list(CentreYear.objects.filter(centre=centre).order_by("year"))
    changes = list(RegistrationChange.objects.filter(centre=centre).order_by(*CHANGE_ORDER))
    rows, previous = [], None
    for row in years:
        capital = capital_at(centre=centre, day=dt.date(row.year, 12, 31), changes=changes)
        rows.append(YearRow(row, _year_warnings(row, previous, capital)))
        previous = row
    return rows[::-1]


def next_year_defaults(*, centre: Centre) -> dict:
    """A new year's row starts from the latest one: the next year, its 年末数 as 年初数."""
    latest = CentreYear.objects.filter(centre=centre).order_by("-year").first()
    if latest is None:
        return {"year": timezone.localdate().year - 1}
    carried = (
        "service_area_km2",
        "served_population",
        "floor_area_m2",
        "beds",
    )
    initial = {name: getattr(latest, name) for name in carried}
    return {**initial, "year": latest.year + 1, "net_assets_begin": latest.net_assets_end}


def certificate_status(*, centre: Centre) -> str:
    """The 法人证书's validity as of today, by the same rule as licences (90 days' warning)."""
    probe = Licence(
        valid_from=centre.certificate_valid_from or dt.date.min,
        valid_to=centre.certificate_valid_to,
    )
    return probe.status(timezone.localdate()) if centre.certificate_valid_to else ""


def latest_year(*, centre: Centre) -> CentreYear | None:
    """The most recent year's figures, for the overview."""
    return CentreYear.objects.filter(centre=centre).order_by("-year").first()


def licence_list(*, centre: Centre) -> list[Licence]:
    """A centre's licences with their status as of today, soonest expiry first."""
    today = timezone.localdate()
    licences = list(Licence.objects.filter(centre=centre))
    for licence in licences:
        licence.current_status = licence.status(today)
    return sorted(licences, key=lambda x: (x.valid_to is None, x.valid_to or dt.date.max, x.name))


@dataclass
class ChecklistLine:
    room: Room
    departments: list[Department]


@dataclass
class StandardCheck:
    """One standard held against the centre: rooms present and missing, beds and floor space."""

    standard: Standard
    groups: list[tuple[str, list[ChecklistLine]]]
    figures: CentreYear | None

    @property
    def missing(self) -> list[Room]:
        return [line.room for _, lines in self.groups for line in lines if not line.departments]

    @property
    def beds_ok(self) -> bool | None:
        if self.figures is None or self.figures.beds is None:
            return None
        s = self.standard
        return self.figures.beds >= s.min_beds and (
            s.max_beds is None or self.figures.beds <= s.max_beds
        )

    @property
    def min_floor_area(self) -> int | None:
        s = self.standard
        if s.min_floor_area is None:
            return None
        beds = self.figures.beds if self.figures and self.figures.beds else 0
        return s.min_floor_area + (s.floor_area_per_bed or 0) * beds

    @property
    def floor_area_ok(self) -> bool | None:
        if (
            self.min_floor_area is None
            or self.figures is None
            or self.figures.floor_area_m2 is None
        ):
            return None
        return self.figures.floor_area_m2 >= self.min_floor_area


def department_checklist(*, centre: Centre, on: dt.date) -> list[StandardCheck]:
    """The departments open on a day held against each national standard (2 queries)."""
    open_departments = [
        d for d in Department.objects.filter(centre=centre, opened_on__lte=on) if d.is_open(on)
    ]
    figures = CentreYear.objects.filter(centre=centre, year__lte=on.year).order_by("-year").first()
    checks = []
    for standard in STANDARDS:
        groups = []
        for label, codes in standard.groups:
            lines = []
            for code in codes:
                room = ROOMS[code]
                found = [
                    d for d in open_departments if d.standard_item == code or room.matches(d.name)
                ]
                lines.append(ChecklistLine(room, found))
            groups.append((label, lines))
        checks.append(StandardCheck(standard, groups, figures))
    return checks


def centre_history(
    *,
    centre: Centre,
    target_type: str = "",
    target_id: str = "",
    before_id: int | None = None,
    limit: int = 50,
    hidden: frozenset[str] = frozenset(),
    also: tuple[str, str] | None = None,
) -> list[HistoryRow]:
    """Audit entries about a centre's records, newest first, a page at a time (1 query).

    Paging goes by id (entries are written in order), so a long history costs the same per page.
    Values of the `hidden` fields show only as ******. `also` (type, id) is a second target
    listed with the first (a cell's history shows its month's reporting steps).
    """
    qs = AuditEntry.objects.filter(centre=centre)
    if target_type:
        targets = Q(target_type=target_type, target_id=target_id)
        if also:
            targets |= Q(target_type=also[0], target_id=also[1])
        qs = qs.filter(targets)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return [history_row(e, hidden) for e in qs.select_related("actor").order_by("-id")[:limit]]


def registered_items_at(*, centre: Centre, day: dt.date) -> dict[str, str]:
    """The registered items (登载事项) as they stood on a day, rebuilt from the change history.

    For each item: the newest change registered by then; if every change is later, the value
    before the first of them; with no change at all, the value on record now. Registered, not
    effective, date: an item changes on the certificate when the change is registered, and the
    year's 变更登记 statement counts changes by that same date.
    """
    from .actions import registered_item_value

    changes = list(
        RegistrationChange.objects.filter(centre=centre).order_by(
            "registered_on", "effective_on", "id"
        )
    )
    values = {}
    for item in RegistrationChange.Item.values:
        mine = [c for c in changes if c.item == item]
        before = [c for c in mine if c.registered_on <= day]
        if before:
            values[item] = before[-1].new_value
        elif mine:
            values[item] = mine[0].old_value
        else:
            values[item] = registered_item_value(centre, item)
    return values
