"""Many tally values written at once, for one centre or many: the API's push (dataValueSets) and
the import profiles. Reads (`value_set_plan`, `value_set_read`) in selectors style, the write
(`value_set_import`) in actions style.

Usage (keyword-only arguments):

    from services.value_sets import Strategy, ValueRow, value_set_import

    summary = value_set_import(
        rows=[ValueRow(centre="ciqikou", indicator="opd_visits", period="2024-04", value="5241")],
        actor=user,                           # acts with exactly this user's places
        strategy=Strategy.CREATE_AND_UPDATE,  # or CREATE (stored values stay), DELETE
        dry_run=False,                        # True: read only, says what would change
        atomic=True,                          # one conflict and nothing is written (default);
    )                                         # False: the other rows are written
    summary.imported, summary.updated, summary.deleted, summary.ignored  # rows, by outcome
    summary.conflicts  # [Conflict(line, centre, indicator, period, code, reason)]: Chinese reasons
    summary.changes    # [Change]: what the valid rows change (old → new); written unless ERROR
    summary.status     # "SUCCESS"; "WARNING": partial, some rows refused; "ERROR": nothing written
    summary.as_dict(changes=True)  # the API's import summary (camelCase keys)

`ValueRow.centre` is a Centre, or its slug, 统一社会信用代码 or exact name; `period` is "2024-04"
or "202404" for a month, "2024" (or "2024-01") for a yearly indicator; `value` is the text as
typed ("" only with DELETE); `line` numbers the row in its file for messages (default: its
position from 1). With `strict_centres=True` a push naming a centre the actor cannot reach (or
that does not exist) raises CentresRefused, as does one where the actor may not enter data,
before anything else is read; without it those rows are conflicts.

Every row goes through what the grid (services.actions.tally_save) and the XLSX import
(services.excel) go through: the indicator must apply to the centre in that month
(services.definitions), `parse_value`'s checks, the lock (services.locking: frozen years,
approved months, the 30-day lock, reviewers' exceptions, back-fill) for any change, and the
commission's error rules on the values as the push would leave them (`_blocking_rules`). A value
equal to the stored one is ignored, locked month or not, so pushing one set twice changes nothing
the second time. Each change is audited as a cell save is (`services.tally.changed`, in bulk) and
marks its centre's rollups (`mark_cells`). Queries: about ten for the whole set, plus one or two
per centre written (its rollup stamp), whatever the number of values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from centers.access import centre_access
from centers.models import Centre
from centers.permissions import EDIT_RECORDS
from centers.selectors import Places, user_places
from core.audit import audit_bulk, audit_entry
from core.errors import DomainError
from core.periods import Period

from .actions import _blocking_rules, _lock_in, _plain
from .definitions import applying, centre_path, in_force, owned_on
from .locking import LockContext, lock_contexts
from .models import Indicator, TallyValue
from .rollups import mark_cells
from .selectors import CellCatalogue, cell_catalogue
from .validation import Values, parse_value

YEARLY = Indicator.Frequency.YEARLY


class Strategy(StrEnum):
    """What a push may do to stored values (DHIS2's importStrategy)."""

    CREATE_AND_UPDATE = "CREATE_AND_UPDATE"
    CREATE = "CREATE"  # only cells without a value; stored values are ignored
    DELETE = "DELETE"  # remove the named cells, whatever value the rows carry


class Code(StrEnum):
    """The stable codes of conflicts; reasons are sentences for people."""

    CENTRE_UNKNOWN = "centre_unknown"
    CENTRE_FORBIDDEN = "centre_forbidden"
    INDICATOR_UNKNOWN = "indicator_unknown"
    INDICATOR_NOT_IN_FORCE = "indicator_not_in_force"
    PERIOD_INVALID = "period_invalid"
    VALUE_MISSING = "value_missing"
    VALUE_INVALID = "value_invalid"
    DUPLICATE = "duplicate"
    LOCKED = "locked"
    RULE = "rule"


@dataclass(frozen=True)
class ValueRow:
    centre: str | Centre
    indicator: str
    period: str
    value: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Conflict:
    line: int
    centre: str
    indicator: str
    period: str
    code: str
    reason: str

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "centre": self.centre,
            "indicator": self.indicator,
            "period": self.period,
            "code": self.code,
            "reason": self.reason,
        }


class Action(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True)
class Change:
    """One cell a valid row changes: created, updated or deleted (old and new as the grid shows
    them, None for no value)."""

    line: int
    centre: Centre
    indicator: Indicator
    period: dt.date
    old: Decimal | None
    new: Decimal | None
    action: Action
    pk: int | None = None  # the stored row, when there is one
    comment: str = ""  # its explanation, which a deletion drops

    @property
    def period_text(self) -> str:
        return period_text(self.indicator, self.period)

    @property
    def key(self) -> tuple[int, int, dt.date]:
        return (self.centre.pk, self.indicator.pk, self.period)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "centre": self.centre.slug,
            "centreName": self.centre.name,
            "indicator": self.indicator.code,
            "indicatorName": self.indicator.name,
            "period": self.period_text,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "action": str(self.action),
        }


@dataclass
class ImportSummary:
    strategy: Strategy
    dry_run: bool
    atomic: bool
    rows: int
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Nothing is (or would be) written: a conflict in an atomic push."""
        return self.atomic and bool(self.conflicts)

    @property
    def status(self) -> str:
        if not self.conflicts:
            return "SUCCESS"
        return "ERROR" if self.atomic else "WARNING"

    def _count(self, action: Action) -> int:
        return 0 if self.refused else sum(1 for c in self.changes if c.action == action)

    @property
    def imported(self) -> int:
        return self._count(Action.IMPORTED)

    @property
    def updated(self) -> int:
        return self._count(Action.UPDATED)

    @property
    def deleted(self) -> int:
        return self._count(Action.DELETED)

    @property
    def ignored(self) -> int:
        """Rows that leave their cell as it is: unchanged, skipped by the strategy, refused."""
        return self.rows - self.imported - self.updated - self.deleted

    @property
    def description(self) -> str:
        """The outcome in one sentence, as the summary's `description`."""
        if self.refused:
            return _("%(n)s conflicts: nothing was imported.") % {"n": len(self.conflicts)}
        counts = {
            "imported": self.imported,
            "updated": self.updated,
            "deleted": self.deleted,
            "ignored": self.ignored,
            "n": len(self.conflicts),
        }
        if self.conflicts:
            return (
                _(
                    "%(imported)s imported, %(updated)s updated, %(deleted)s deleted, %(ignored)s "
                    "ignored, of which %(n)s refused (see the conflicts)."
                )
                % counts
            )
        return (
            _(
                "%(imported)s imported, %(updated)s updated, %(deleted)s deleted, "
                "%(ignored)s ignored."
            )
            % counts
        )

    def as_dict(self, *, changes: bool = False) -> dict:
        out = {
            "status": self.status,
            "description": self.description,
            "dryRun": self.dry_run,
            "importStrategy": str(self.strategy),
            "atomic": self.atomic,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "deleted": self.deleted,
                "ignored": self.ignored,
            },
            "conflicts": [c.as_dict() for c in self.conflicts],
        }
        if changes:
            out["changes"] = [c.as_dict() for c in self.changes]
        return out


class CentresRefused(DomainError):
    """A strict push names centres the actor cannot reach (or that do not exist), or where the
    actor may not enter data: the API answers 404 or 403 for the whole request, as the UI."""

    def __init__(self, unknown: list[str], forbidden: list[str], names: Sequence[str] = ()):
        self.unknown, self.forbidden = unknown, forbidden
        if unknown:
            message = _unknown_centre("、".join(unknown))
        else:
            message = _("You may not enter data at %(centre)s.") % {
                "centre": "、".join(names or forbidden)
            }
        super().__init__(message)


def _unknown_centre(key: str) -> str:
    return _("No centre “%(centre)s” within your reach.") % {"centre": key}


# --- periods ----------------------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-?(\d{2})(?:-01)?")
_YEAR = re.compile(r"\d{4}")


def period_text(indicator: Indicator, period: dt.date) -> str:
    """A cell's period as the API writes it: 2024-04, or 2024 for a yearly indicator."""
    return str(period.year) if indicator.frequency == YEARLY else f"{period:%Y-%m}"


def _parse_period(text: str) -> tuple[dt.date | None, bool]:
    """(the month start, whether only a year was given); None when it is not a period."""
    text = text.strip()
    if _YEAR.fullmatch(text):
        year, month, year_only = int(text), 1, True
    elif match := _MONTH.fullmatch(text):
        year, month, year_only = int(match[1]), int(match[2]), False
    else:
        return None, False
    # Checked before building the date: year 0000 matches the pattern but is no date at all.
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None, False
    return dt.date(year, month, 1), year_only


def _cell_period(indicator: Indicator, text: str) -> tuple[dt.date | None, str]:
    """The cell a row's period names for this indicator, or why it names none."""
    period, year_only = _parse_period(text)
    if period is None:
        return None, _(
            "“%(period)s” is not a period: write a month as 2024-04 and a year as 2024."
        ) % {"period": text[:20]}
    if indicator.frequency == YEARLY and period.month != 1:
        return None, _("This indicator is reported once a year: write the year, as 2024.")
    if indicator.frequency != YEARLY and year_only:
        return None, _("This indicator is reported monthly: write the month, as 2024-04.")
    return period, ""


# --- rows to cells -----------------------------------------------------------------------------


@dataclass
class _Cell:
    line: int
    centre: Centre
    indicator: Indicator
    period: dt.date
    value: Decimal | None  # None: delete

    @property
    def key(self) -> tuple[int, int, dt.date]:
        return (self.centre.pk, self.indicator.pk, self.period)


def _key_text(key: str | Centre) -> str:
    return key.slug if isinstance(key, Centre) else str(key)


def _usable_key(key: str) -> bool:
    """A centre key worth looking up (no NUL for PostgreSQL to refuse, no essay)."""
    return 0 < len(key) <= 100 and "\x00" not in key


def _find_centres(keys: Iterable[str | Centre]) -> dict[str, Centre]:
    """Each key's centre (one query): by slug first, then 统一社会信用代码, then exact name."""
    given = {k for k in keys if isinstance(k, Centre)}
    texts = {k.strip() for k in keys if isinstance(k, str) and _usable_key(k.strip())}
    found: dict[str, Centre] = {c.slug: c for c in given}
    if not texts:
        return found
    rows = Centre.objects.filter(
        Q(slug__in=texts) | Q(credit_code__in={t.upper() for t in texts}) | Q(name__in=texts)
    ).select_related("sponsor")
    by_slug, by_code, by_name = {}, {}, {}
    for centre in rows:
        by_slug[centre.slug] = by_code[centre.credit_code] = by_name[centre.name] = centre
    for text in texts:
        centre = by_slug.get(text) or by_code.get(text.upper()) or by_name.get(text)
        if centre is not None:
            found[text] = centre
    return found


@dataclass
class _Reach:
    """Which of the push's centres the actor may write to, decided once per centre."""

    centres: dict[str, Centre]
    places: Places
    catalogue: CellCatalogue  # read once per push: without a shared cache each read is 3 queries
    decided: dict[int, str] = field(default_factory=dict)  # centre id → "" or a conflict code

    def of(self, key: str | Centre) -> tuple[Centre | None, str]:
        centre = self.centres.get(_key_text(key).strip())
        if centre is None:
            return None, Code.CENTRE_UNKNOWN
        if centre.pk not in self.decided:
            access = centre_access(self.places, centre)
            if access is None:
                self.decided[centre.pk] = Code.CENTRE_UNKNOWN
            elif not access.can(EDIT_RECORDS):
                self.decided[centre.pk] = Code.CENTRE_FORBIDDEN
            else:
                self.decided[centre.pk] = ""
        return centre, self.decided[centre.pk]


def _reach(rows: Sequence[ValueRow], actor) -> _Reach:
    return _Reach(_find_centres({r.centre for r in rows}), user_places(actor), cell_catalogue())


def _refuse_centres(rows: Sequence[ValueRow], reach: _Reach) -> None:
    """Strict pushes: raise CentresRefused naming every centre out of reach (or not allowed)."""
    unknown, forbidden, names = [], [], []
    for key in dict.fromkeys(_key_text(r.centre).strip() for r in rows):
        centre, code = reach.of(key)
        if code == Code.CENTRE_UNKNOWN:
            unknown.append(key[:100])
        elif code == Code.CENTRE_FORBIDDEN:
            forbidden.append(key)
            names.append(centre.name)
    if unknown or forbidden:
        raise CentresRefused(unknown, forbidden, names)


def _conflict(row: ValueRow, line: int, code: str, reason: str) -> Conflict:
    return Conflict(
        line, _key_text(row.centre)[:100], row.indicator[:100], row.period[:20], code, reason
    )


def _centre_problem(code: str, key: str) -> str:
    if code == Code.CENTRE_UNKNOWN:
        return _unknown_centre(key[:100])
    return _("You may not enter data at %(centre)s.") % {"centre": key}


def _row_cell(row: ValueRow, line: int, reach: _Reach, strategy: Strategy) -> _Cell | Conflict:
    """A row as the cell it writes, or its first problem, in the order the grid checks them."""
    centre, code = reach.of(row.centre)
    if code:
        # Only a centre in reach is named: out of reach reads as unknown, in the caller's words.
        named = centre.name if code == Code.CENTRE_FORBIDDEN else _key_text(row.centre)
        return _conflict(row, line, code, _centre_problem(code, named))
    indicator = reach.catalogue.indicators.get(row.indicator.strip())
    if indicator is None or not owned_on(indicator, centre_path(centre)):  # another commission's
        message = _("No indicator has the code “%(code)s”.") % {"code": row.indicator[:100]}
        return _conflict(row, line, Code.INDICATOR_UNKNOWN, message)
    period, problem = _cell_period(indicator, row.period)
    if period is None:
        return _conflict(row, line, Code.PERIOD_INVALID, problem)
    last = period.replace(month=12) if indicator.frequency == YEARLY else period
    if not in_force(indicator, period, last):
        message = _("This indicator is not in force in that month.")
        return _conflict(row, line, Code.INDICATOR_NOT_IN_FORCE, message)
    if strategy == Strategy.DELETE:
        return _Cell(line, centre, indicator, period, None)
    value, error = parse_value(indicator, row.value)
    if error:
        return _conflict(row, line, Code.VALUE_INVALID, error)
    if value is None:
        message = _("No value: to delete stored values, push with importStrategy=DELETE.")
        return _conflict(row, line, Code.VALUE_MISSING, message)
    return _Cell(line, centre, indicator, period, value)


def _cells(
    rows: Sequence[ValueRow], reach: _Reach, strategy: Strategy
) -> tuple[list[_Cell], list[Conflict]]:
    cells, conflicts, seen = [], [], {}
    for position, row in enumerate(rows, start=1):
        line = row.line if row.line is not None else position
        found = _row_cell(row, line, reach, strategy)
        if isinstance(found, Conflict):
            conflicts.append(found)
        elif found.key in seen:  # which of two values was meant is not ours to guess
            message = _("The same centre, indicator and period are on line %(n)s too.") % {
                "n": seen[found.key]
            }
            conflicts.append(_conflict(row, line, Code.DUPLICATE, message))
        else:
            seen[found.key] = line
            cells.append(found)
    return cells, conflicts


# --- what the cells change -----------------------------------------------------------------------


@dataclass
class _Stored:
    """The stored cells the push reads: its own cells, and whole years of the indicators on
    the other side of an error rule (a flow's rule compares totals since January)."""

    rows: dict[tuple[int, int, dt.date], tuple[int, Decimal, str]]  # key → (pk, value, comment)


def _error_rule_sides(cells: list[_Cell], catalogue: CellCatalogue) -> set[int]:
    """The indicators an error rule pairs with a pushed one (their values decide the rule)."""
    pushed = {c.indicator.pk for c in cells}
    sides: set[int] = set()
    for rule in catalogue.rules:
        if rule.severity == rule.Severity.ERROR and {rule.left_id, rule.right_id} & pushed:
            sides |= {rule.left_id, rule.right_id}
    return sides


def _stored(cells: list[_Cell], sides: set[int]) -> _Stored:
    """One query for every centre of the push."""
    centre_ids = sorted({c.centre.pk for c in cells})
    wanted = Q(
        indicator_id__any_of=sorted({c.indicator.pk for c in cells}),
        period__in=sorted({c.period for c in cells}),
    )
    if sides:
        years = sorted({c.period.year for c in cells})
        wanted |= Q(indicator_id__any_of=sorted(sides), period__year__in=years)
    rows = TallyValue.objects.filter(wanted, centre_id__any_of=centre_ids).values_list(
        "pk", "centre_id", "indicator_id", "period", "value", "comment"
    )
    return _Stored({(c, i, p): (pk, v, comment) for pk, c, i, p, v, comment in rows})


def _change(cell: _Cell, stored: _Stored, strategy: Strategy) -> Change | None:
    """What the cell changes; None when the strategy or an equal value leaves it as it is."""
    pk, old, comment = stored.rows.get(cell.key, (None, None, ""))
    if strategy == Strategy.DELETE:
        action = Action.DELETED if old is not None else None
    elif strategy == Strategy.CREATE:
        action = Action.IMPORTED if old is None else None
    elif old == cell.value:
        action = None
    else:
        action = Action.IMPORTED if old is None else Action.UPDATED
    if action is None:
        return None
    args = (cell.line, cell.centre, cell.indicator, cell.period, old, cell.value, action)
    return Change(*args, pk=pk, comment=comment)


def _refusal(change: Change, code: str, reason: str) -> Conflict:
    return Conflict(
        change.line,
        change.centre.slug,
        change.indicator.code,
        change.period_text,
        code,
        reason,
    )


def _locked(changes: list[Change], contexts: dict[int, LockContext]) -> list[tuple]:
    """The changes a closed month refuses (a stored value that stays as it is needs no lock)."""
    refused = []
    for change in changes:
        lock = _lock_in(contexts[change.centre.pk], change.indicator, change.period)
        if lock.locked:
            refused.append((change.key, _refusal(change, Code.LOCKED, lock.reason)))
    return refused


def _states(changes: list[Change], stored: _Stored) -> dict[int, dict]:
    """Per centre of the changes, its values as the push leaves them (what the rules read)."""
    states: dict[int, dict] = {c.centre.pk: {} for c in changes}
    for (centre_id, indicator_id, period), (_pk, value, _comment) in stored.rows.items():
        if centre_id in states:
            states[centre_id][(indicator_id, period)] = value
    for change in changes:
        if change.new is None:
            states[change.centre.pk].pop((change.indicator.pk, change.period), None)
        else:
            states[change.centre.pk][(change.indicator.pk, change.period)] = change.new
    return states


def _broken_rules(
    changes: list[Change], stored: _Stored, sides: set[int], catalogue: CellCatalogue
) -> list[tuple]:
    """The values an error rule refuses, checked on every centre's values as the push leaves
    them (so two sides pushed together are compared with each other), with the rules the grid
    checks for the cell (services.actions._cell_catalogue's, from the catalogue held)."""
    checked = [c for c in changes if c.new is not None and c.indicator.pk in sides]
    if not checked:
        return []
    indicators = {i.pk: i for i in catalogue.indicators.values()}
    for rule in catalogue.rules:
        indicators.setdefault(rule.left_id, rule.left)
        indicators.setdefault(rule.right_id, rule.right)
    states = _states(changes, stored)
    refused = []
    for change in checked:
        centre, indicator, period = change.centre, change.indicator, change.period
        mine = [r for r in catalogue.rules if indicator.pk in (r.left_id, r.right_id)]
        rules = applying(mine, centre_path(centre), period, period)
        loaded = (Values(states[centre.pk], indicators), {}, rules)
        if broken := _blocking_rules(centre, indicator, period, change.new, loaded):
            refused.append((change.key, _refusal(change, Code.RULE, broken[0])))
    return refused


@dataclass
class _Plan:
    changes: list[Change]
    conflicts: list[Conflict]


def _rules_refusals(
    changes: list[Change], stored: _Stored, sides: set[int], catalogue: CellCatalogue, atomic: bool
) -> list[tuple]:
    """The error rules' refusals. A partial push writes only what passes, so a value that passed
    against a side refused meanwhile is checked again against what will really be stored."""
    refused = _broken_rules(changes, stored, sides, catalogue)
    while refused and not atomic:
        gone = {key for key, _conflict in refused}
        changes = [c for c in changes if c.key not in gone]
        more = _broken_rules(changes, stored, sides, catalogue)
        if not more:
            break
        refused += more
    return refused


def _decide(
    cells: list[_Cell], reach: _Reach, strategy: Strategy, today: dt.date, atomic: bool = True
) -> _Plan:
    """Read the push's stored cells and locks, and decide every cell: a few queries in all."""
    if not cells:
        return _Plan([], [])
    sides = _error_rule_sides(cells, reach.catalogue)
    stored = _stored(cells, sides)
    changes = [c for cell in cells if (c := _change(cell, stored, strategy)) is not None]
    centres = list({c.centre.pk: c.centre for c in changes}.values())
    contexts = lock_contexts(centres, today, [c.period for c in changes]) if centres else {}
    refused = _locked(changes, contexts)
    if sides and strategy != Strategy.DELETE:
        locked = {key for key, _conflict in refused}
        valid = [c for c in changes if c.key not in locked]
        refused += _rules_refusals(valid, stored, sides, reach.catalogue, atomic)
    keys = {key for key, _conflict in refused}
    return _Plan([c for c in changes if c.key not in keys], [c for _key, c in refused])


def value_set_plan(
    *,
    rows: Sequence[ValueRow],
    actor,
    strategy: Strategy = Strategy.CREATE_AND_UPDATE,
    atomic: bool = True,
    today: dt.date | None = None,
    strict_centres: bool = False,
) -> ImportSummary:
    """What pushing the rows would do, read only (a dry run): the summary of `value_set_import`."""
    return value_set_import(
        rows=rows,
        actor=actor,
        strategy=strategy,
        dry_run=True,
        atomic=atomic,
        today=today,
        strict_centres=strict_centres,
    )


def _summary(rows, strategy, dry_run, atomic, plan: _Plan, early: list[Conflict]):
    conflicts = sorted([*early, *plan.conflicts], key=lambda c: c.line)
    return ImportSummary(strategy, dry_run, atomic, len(rows), plan.changes, conflicts)


def value_set_import(
    *,
    rows: Sequence[ValueRow],
    actor,
    strategy: Strategy = Strategy.CREATE_AND_UPDATE,
    dry_run: bool = False,
    atomic: bool = True,
    today: dt.date | None = None,
    strict_centres: bool = False,
) -> ImportSummary:
    """Check every row as the grid would and write the changes in bulk, audited (module doc).

    The push's centres are locked as a cell save locks its centre (in id order, so two pushes
    never wait on each other crosswise), and everything the decision reads is read after that.
    """
    strategy = Strategy(strategy)
    today = today or timezone.localdate()
    with scopes_disabled():  # a push spans centres by design; each row's centre is checked
        reach = _reach(rows, actor)
        if strict_centres:
            _refuse_centres(rows, reach)
        cells, early = _cells(rows, reach, strategy)
        if dry_run:
            plan = _decide(cells, reach, strategy, today, atomic)
            return _summary(rows, strategy, True, atomic, plan, early)
        with transaction.atomic():
            _lock_centres({c.centre.pk for c in cells})
            plan = _decide(cells, reach, strategy, today, atomic)
            summary = _summary(rows, strategy, False, atomic, plan, early)
            if not summary.refused:
                _write(plan.changes, actor)
    return summary


def _lock_centres(ids: set[int]) -> None:
    """The row lock tally_save takes, on every centre of the push, in id order (one query)."""
    if ids:
        list(
            Centre.objects.select_for_update(no_key=True)
            .filter(pk__any_of=sorted(ids))
            .order_by("pk")
            .values_list("pk")
        )


class _CellTarget:
    """What audit_entry reads of a cell's target (its model, id and words), without building a
    TallyValue per audited cell: a city's month is 50,000 of them. The id and the words are the
    grid's (services.actions._cell_target, TallyValue.__str__)."""

    _meta = TallyValue._meta

    def __init__(self, change: Change):
        self.pk = f"{change.indicator.code}@{change.period:%Y-%m}"
        self.text = f"{change.indicator.name} {change.period:%Y-%m}"

    def __str__(self) -> str:
        return self.text


def _audit(change: Change, actor):
    target = _CellTarget(change)
    changes = {"value": [_plain(change.old), _plain(change.new)]}
    if change.action == Action.DELETED and change.comment:  # as a cleared cell drops it
        changes["comment"] = [change.comment, None]
    return audit_entry(
        actor=actor,
        action="services.tally.changed",
        target=target,
        centre=change.centre,
        changes=changes,
    )


UPDATE_BATCH = 5000


def _update(changes: list[Change], actor, now) -> None:
    """Store the changed values: on PostgreSQL one UPDATE … FROM unnest() per 5,000 cells
    (bulk_update's CASE grows with the square of its batch: 1.5 s for 1,350 cells, measured);
    elsewhere bulk_update in small batches."""
    if connection.vendor != "postgresql":
        cells = [
            TallyValue(pk=c.pk, value=c.new, updated_by=actor, updated_at=now) for c in changes
        ]
        TallyValue.objects.bulk_update(cells, ["value", "updated_by", "updated_at"], batch_size=100)
        return
    meta, quote = TallyValue._meta, connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("value", "updated_by")}
    # Identifiers from the model's metadata only; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {column['value']} = v.value, "  # noqa: S608
        f"{column['updated_by']} = %s, updated_at = %s "
        "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, value) WHERE t.id = v.id"
    )
    actor_id = getattr(actor, "pk", None)
    with connection.cursor() as cursor:
        for start in range(0, len(changes), UPDATE_BATCH):
            batch = changes[start : start + UPDATE_BATCH]
            cursor.execute(sql, [actor_id, now, [c.pk for c in batch], [c.new for c in batch]])


def _write(changes: list[Change], actor) -> None:
    """Create, update and delete in bulk, one audit row per cell, each centre's rollups marked."""
    now = timezone.now()
    created, updated, deleted, cells = [], [], [], {}
    for change in changes:
        if change.action == Action.DELETED:
            deleted.append(change.pk)
        elif change.action == Action.UPDATED:
            updated.append(change)
        else:
            created.append(
                TallyValue(
                    centre=change.centre,
                    indicator=change.indicator,
                    period=change.period,
                    value=change.new,
                    updated_by=actor,
                    updated_at=now,
                )
            )
        cells.setdefault(change.centre.pk, []).append((change.period, change.indicator.pk))
    TallyValue.objects.bulk_create(created, batch_size=1000)
    _update(updated, actor, now)
    if deleted:
        TallyValue.objects.filter(pk__any_of=deleted).delete()
    audit_bulk([_audit(change, actor) for change in changes])
    for centre_id, written in sorted(cells.items()):
        mark_cells(centre_id, written)


# --- reading values back -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredValue:
    indicator: str
    period: str
    value: Decimal
    comment: str
    updated_at: dt.datetime


def value_set_read(
    *, centre: Centre, period: Period, codes: Sequence[str] | None = None
) -> list[StoredValue]:
    """A centre's stored values for a period, in catalogue order then by period (one query):
    the monthly indicators' months in it and the yearly indicators' values of its years, in the
    shape a push takes, so that pushing them back changes nothing."""
    years = Q(
        indicator__frequency=YEARLY,
        period__gte=period.first.replace(month=1),
        period__lte=period.last.replace(month=1),
    )
    months = Q(period__gte=period.first, period__lte=period.last) & ~Q(indicator__frequency=YEARLY)
    rows = TallyValue.objects.filter(years | months, centre=centre).select_related("indicator")
    if codes:
        rows = rows.filter(indicator__code__in=list(codes))
    rows = rows.order_by("indicator__category", "indicator__position", "indicator__code", "period")
    return [
        StoredValue(
            v.indicator.code, period_text(v.indicator, v.period), v.value, v.comment, v.updated_at
        )
        for v in rows
    ]
