"""Annual targets (年度任务): what a commission asks of each of its centres, per indicator and year.

Reads first (the figures door quotes progress from them), then the writes: one cell of the
commission's grid, and an import's rows. A target is set only by a reviewer of the centre's own
commission (centers.access.review_refusal), as every other review action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from centers.access import review_refusal
from centers.models import AuthorityMembership, Centre
from centers.selectors import user_places
from core import stale
from core.audit import audit
from core.errors import DomainError

from .definitions import applying, owner_path, year_span
from .models import Indicator, TallyValue, Target
from .validation import parse_value

# The largest target a Decimal(14, 2) holds.
TARGET_MAX = Decimal("999999999999.99")
VALUE_LIMIT = 20  # characters of a typed target


# --- reads ------------------------------------------------------------------------------------


def target_values(
    *, centre_ids: list[int], year: int, codes: list[str] | None = None
) -> dict[tuple[int, str], Decimal]:
    """{(centre id, indicator code): target} of these centres for the year (one query)."""
    rows = Target.objects.filter(centre_id__any_of=list(centre_ids), year=year)
    if codes is not None:
        rows = rows.filter(indicator__code__in=list(codes))
    return {
        (c, code): v for c, code, v in rows.values_list("centre_id", "indicator__code", "value")
    }


def yearly_values(
    *, centre_ids: list[int], year: int, indicators: dict[int, str]
) -> dict[tuple[int, str], Decimal]:
    """{(centre id, code): value} of yearly indicators (by id → code) for that very year: a
    target counts the year's own figure, never last year's carried forward (one query)."""
    if not indicators or not centre_ids:
        return {}
    rows = TallyValue.objects.filter(
        centre_id__any_of=list(centre_ids),
        indicator_id__in=list(indicators),
        period=dt.date(year, 1, 1),
    ).values_list("centre_id", "indicator_id", "value")
    return {(c, indicators[i]): v for c, i, v in rows}


def targetable_indicators(authority_id: int, year: int) -> list[Indicator]:
    """The active indicators a target of the commission's centres can count in the year (those
    that apply to it, services/definitions.py): monthly flows (summed over the year) and yearly
    figures; a monthly stock has no annual total to aim at."""
    indicators = applying(
        Indicator.objects.filter(is_active=True), owner_path(authority_id), *year_span(year)
    )
    return [
        i
        for i in indicators
        if i.frequency == Indicator.Frequency.YEARLY or i.aggregation == Indicator.Aggregation.FLOW
    ]


@dataclass
class TargetCell:
    """One centre's target for one indicator, with its progress (None without a target)."""

    centre: Centre
    indicator: Indicator
    progress: object | None  # services.figures.Progress

    @property
    def shown(self) -> str:
        return plain(self.progress.target) if self.progress is not None else ""


@dataclass
class TargetGrid:
    """A commission's centres × the indicators it targets in a year."""

    year: int
    indicators: list[Indicator]
    rows: list[tuple[Centre, bool, list[TargetCell]]]  # (centre, may the user set it, cells)
    addable: list[Indicator]  # targetable indicators not yet in the grid


def target_grid(
    *,
    authority_id: int,
    centres: list[Centre],
    year: int,
    progress: dict,
    editable: set[int],
    add: str = "",
) -> TargetGrid:
    """The grid from the progress the figures door computed for these centres (its keys are the
    targets): a column for every indicator with a target, and `add` as a new empty one (one
    query: the targetable indicators)."""
    targetable = targetable_indicators(authority_id, year)
    shown = {code for _centre, code in progress} | {add}
    indicators = [i for i in targetable if i.code in shown]
    rows = [
        (
            c,
            c.pk in editable,
            [TargetCell(c, i, progress.get((c.pk, i.code))) for i in indicators],
        )
        for c in centres
    ]
    addable = [i for i in targetable if i.code not in shown]
    return TargetGrid(year, indicators, rows, addable)


# --- writes -----------------------------------------------------------------------------------


def parse_target(indicator: Indicator, raw: str) -> tuple[Decimal | None, str]:
    """The typed text as a target, or an error message; empty text means "no target".

    A tally value's checks, but shorter, above zero and bounded by the column, not by what a
    month can plausibly count."""
    return parse_value(
        indicator,
        raw,
        limit=VALUE_LIMIT,
        maximum=TARGET_MAX,
        above_zero=_("A target is more than zero; leave the cell empty for no target."),
    )


def plain(value: Decimal | None) -> str:
    """A target as shown and audited: 1200.00 reads "1200"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class TargetResult:
    value: Decimal | None
    error: str = ""


def _target_key(indicator: Indicator, year: int) -> tuple[str, str]:
    """The audit target of a cell: by indicator and year, as tally cells are by month."""
    return ("services.target", f"{indicator.code}@{year}")


def _refusal(centre: Centre, indicator: Indicator, year: int, row: Target | None):
    return stale.stale_edit(
        targets=[_target_key(indicator, year)],
        values={"value": row.value if row else None},
        based_on=plain(row.value if row else None),
        at=row.updated_at if row else None,
        by=row.set_by if row else None,
    )


def target_refusal(places, centre: Centre) -> str:
    """Why the user of these places may not set the centre's targets ("" if they may): targets
    are set by the administrators of the centre's own commission, never by someone who works at
    the centre."""
    if refusal := review_refusal(places, centre):
        return refusal
    admin = AuthorityMembership.Role.ADMIN
    if not any(
        m.authority_id == centre.sponsor_id and m.role == admin
        for m in places.authority_memberships
    ):
        return _("Only the administrators of the centre's own commission set its targets.")
    return ""


def target_set(
    *,
    centre: Centre,
    indicator: Indicator,
    year: int,
    raw: str,
    actor,
    base: str | None = None,
) -> TargetResult:
    """Set, change or clear (empty) one centre's target for an indicator and year.

    Only an administrator of the centre's own commission (holding no role at the centre) may;
    `base` is the target the grid showed: if someone saved another since, StaleEdit is raised, as
    for a tally cell. Audited with the old and new value.
    """
    if refusal := target_refusal(user_places(actor), centre):
        raise DomainError(refusal)
    value, error = parse_target(indicator, raw)
    if error:
        return TargetResult(None, error)
    with transaction.atomic():
        row = (
            Target.objects.select_for_update(of=("self",))  # set_by may be empty (outer join)
            .select_related("set_by")
            .filter(centre=centre, indicator=indicator, year=year)
            .first()
        )
        old = row.value if row else None
        if base is not None and value != old and not _same(base, old):
            raise _refusal(centre, indicator, year, row)
        if old == value:
            return TargetResult(value)
        _write(centre, indicator, year, row, value, actor)
    return TargetResult(value)


def _same(base: str, current: Decimal | None) -> bool:
    try:
        return (Decimal(base) if base.strip() else None) == current
    except InvalidOperation:
        return False  # an unreadable base counts as stale


def _write(centre, indicator, year, row: Target | None, value, actor) -> None:
    """Insert, update or delete one target and audit it (inside the caller's transaction)."""
    old = row.value if row else None
    if value is None:
        row.delete()  # type: ignore[union-attr]  (old != value, so the row exists)
    elif row is None:
        row = Target.objects.create(
            centre=centre, indicator=indicator, year=year, value=value, set_by=actor
        )
    else:
        row.value, row.set_by = value, actor
        row.save(update_fields=["value", "set_by", "updated_at"])
    target = Target(
        pk=_target_key(indicator, year)[1], centre=centre, indicator=indicator, year=year
    )
    audit(
        actor=actor,
        action="services.target.changed",
        target=target,
        centre=centre,
        changes={"value": [plain(old) or None, plain(value) or None]},
    )
