"""Assessment schemes (绩效考核/赛马): each centre's score on a scheme's items, and its rank.

`score_centres` and `rank` are pure: they work on figures already read. `read_values` reads every
centre's figures for a scheme through the figures door (services.figures) in a fixed number of
queries, whatever the number of centres or items.

Rules (an item's weight is its full points):
- target: weight × min(completion / 100, cap); completion is the year so far ÷ the centre's
  annual target (services.figures.target_progress), or the figure ÷ a fixed target of the item;
- bands: the points share of the first band whose lower bound the figure reaches, else 0;
- relative: linear between the commission's worst centre (0) and its best (full weight); all
  equal gives everyone full weight;
- deduction: weight − points per unit × the figure, never below 0 (nothing reported: no units);
- linear: 0 at one value, full weight at another, linear between, never beyond either.
A figure the centre has not reported scores 0 (except deductions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.periods import Period, add_months
from services import figures

COMPLETENESS = "completeness"
# Measures the app derives itself rather than reading from the catalogue (code → name).
DERIVED = {COMPLETENESS: "报送完整率"}
TARGET, BANDS, RELATIVE, DEDUCTION, LINEAR = "target", "bands", "relative", "deduction", "linear"
VALUE, GROWTH = "value", "growth"
HIGHER, LOWER = "higher", "lower"
ZERO, HUNDRED, CENT = Decimal(0), Decimal(100), Decimal("0.01")


@dataclass(frozen=True)
class ItemSpec:
    """One item as scoring sees it (a SchemeItem's fields, or a built-in default)."""

    code: str
    weight: Decimal
    rule: str
    params: dict = field(default_factory=dict, hash=False)
    measure: str = VALUE

    @property
    def key(self) -> str:
        return self.code if self.measure == VALUE else f"{self.code}:{self.measure}"


_WHOLE = {"zero_at": "0", "full_at": "100"}
DEFAULT_NAME = "综合得分"
# The dashboard's score before schemes existed, kept as the default scheme: each rate counts
# at most 100, 门急诊增长分 = 50 + 同比增长% within 0–100, weights summing to 100 points.
DEFAULT_ITEMS = (
    ItemSpec("fd_rate", Decimal(15), LINEAR, _WHOLE),
    ItemSpec("elderly_check_rate", Decimal(20), LINEAR, _WHOLE),
    ItemSpec("htn_std_rate", Decimal(20), LINEAR, _WHOLE),
    ItemSpec("dm_std_rate", Decimal(20), LINEAR, _WHOLE),
    ItemSpec(COMPLETENESS, Decimal(15), LINEAR, _WHOLE),
    ItemSpec("opd_visits", Decimal(10), LINEAR, {"zero_at": "-50", "full_at": "50"}, GROWTH),
)


@dataclass
class Scored:
    """A centre's score (two decimals), its rank, and per item key its value and points."""

    centre_id: int
    score: Decimal
    rank: int = 0
    breakdown: dict[str, dict] = field(default_factory=dict)


def _d(value) -> Decimal:
    return Decimal(str(value))


def _clamp(share: Decimal) -> Decimal:
    return min(max(share, ZERO), Decimal(1))


def plain(value: Decimal) -> str:
    """15.00 → "15", 0.50 → "0.5", 100 → "100" (never "1E+2")."""
    return f"{value.normalize():f}"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def points(
    item: ItemSpec,
    value: Decimal | None,
    completion: Decimal | None = None,
    spread: tuple[Decimal, Decimal] | None = None,
) -> Decimal:
    """One item's points for one centre, unrounded (`spread`: (best, worst) for relative)."""
    weight, params = item.weight, item.params
    if item.rule == DEDUCTION:
        return max(ZERO, weight - _d(params["per_unit"]) * (value or ZERO))
    if item.rule == TARGET:
        if params.get("target"):
            completion = None if value is None else value * HUNDRED / _d(params["target"])
        if completion is None:
            return ZERO
        return weight * min(max(completion / HUNDRED, ZERO), _d(params["cap"]))
    if value is None:
        return ZERO
    if item.rule == BANDS:
        bands = sorted(((_d(lo), _d(share)) for lo, share in params["bands"]), reverse=True)
        return next((weight * share / HUNDRED for lo, share in bands if value >= lo), ZERO)
    if item.rule == LINEAR:
        zero, full = _d(params["zero_at"]), _d(params["full_at"])
        return weight * _clamp((value - zero) / (full - zero))
    best, worst = spread or (value, value)
    if best == worst:
        return weight
    return weight * _clamp((value - worst) / (best - worst))


def most(item: ItemSpec) -> Decimal:
    """The most points an item can give: its weight, or weight × cap for target attainment
    capped above 100% (超额完成 pays), so that no heading promises a 满分 a score passes."""
    if item.rule == TARGET:
        return item.weight * max(_d(item.params.get("cap", 1)), Decimal(1))
    return item.weight


def _spread(item: ItemSpec, values: dict[int, dict]) -> tuple[Decimal, Decimal] | None:
    """(best, worst) of the centres that reported the item's figure."""
    present = [v[item.key] for v in values.values() if v.get(item.key) is not None]
    if not present:
        return None
    low, high = min(present), max(present)
    return (low, high) if item.params.get("direction") == LOWER else (high, low)


def _entry(item: ItemSpec, value, got: Decimal, completion) -> dict:
    """One item's line of a centre's breakdown, as stored with a published ranking."""
    entry = {"value": _text(value), "points": str(got.quantize(CENT, ROUND_HALF_UP))}
    if item.rule == TARGET and not item.params.get("target"):
        entry["completion"] = _text(completion)
    return entry


def rank(scores: dict[int, Decimal]) -> dict[int, int]:
    """Ranks by score descending; equal scores share a rank and the next one skips (1, 1, 3)."""
    first_place: dict[Decimal, int] = {}
    for place, value in enumerate(sorted(scores.values(), reverse=True), 1):
        first_place.setdefault(value, place)
    return {key: first_place[value] for key, value in scores.items()}


def score_centres(
    items: tuple[ItemSpec, ...] | list[ItemSpec],
    values: dict[int, dict[str, Decimal | None]],
    completions: dict[tuple[int, str], Decimal | None] | None = None,
    breakdown: bool = True,
) -> dict[int, Scored]:
    """Every centre's score on the items, with the breakdown (unless a caller that shows only
    the score says so: a city's 6,000 entries cost its dashboard 10 ms), ranked among these
    centres.

    `values`: per centre, per item key, the measured figure; `completions`: per (centre,
    indicator code), the target completion in % (services.figures.target_progress)."""
    completions = completions or {}
    spreads = {item.key: _spread(item, values) for item in items if item.rule == RELATIVE}
    out = {}
    for centre_id, mine in values.items():
        total, entries = ZERO, {}
        for item in items:
            value = mine.get(item.key)
            completion = completions.get((centre_id, item.code))
            got = points(item, value, completion, spreads.get(item.key))
            total += got
            if breakdown:
                entries[item.key] = _entry(item, value, got, completion)
        out[centre_id] = Scored(centre_id, total.quantize(CENT, ROUND_HALF_UP), 0, entries)
    for centre_id, place in rank({k: s.score for k, s in out.items()}).items():
        out[centre_id].rank = place
    return out


# --- measures -----------------------------------------------------------------------------


def growth(now: Decimal | None, then: Decimal | None) -> Decimal | None:
    """同比 in %, to one decimal, as the dashboard shows it."""
    if now is None or not then:
        return None
    return ((now - then) / then * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def completeness(reported: int, expected: int) -> Decimal | None:
    """报送完整率 in %, to one decimal: months marked reported ÷ months owed."""
    if not expected:
        return None
    return (Decimal(reported) / expected * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def measures(items, found: dict, share: Decimal | None) -> dict[str, Decimal | None]:
    """One centre's measured value per item key, from its door figures and 报送完整率."""
    out = {}
    for item in items:
        if item.code == COMPLETENESS:
            out[item.key] = share
            continue
        figure = found.get(item.code)
        if figure is None:
            out[item.key] = None
        elif item.measure == GROWTH:
            out[item.key] = growth(figure.value, figure.previous)
        else:
            out[item.key] = figure.value
    return out


def door_codes(items) -> list[str]:
    """The catalogue codes the items read through the door."""
    return sorted({item.code for item in items if item.code not in DERIVED})


def period_so_far(period: Period, today: dt.date) -> tuple[Period, list[dt.date]]:
    """A running period stops at its last ended month (as the dashboard's does)."""
    current = today.replace(day=1)
    months = [m for m in period.months if m < current]
    if months:
        period = Period(period.first, months[-1], period.label)
    return period, months


def completions(
    items, *, centre_ids: list[int], period: Period, today: dt.date
) -> dict[tuple[int, str], Decimal | None]:
    """Target completion (year so far ÷ annual target, %) at the period's end, for the target
    items without a fixed target; no query when there are none."""
    codes = sorted(
        {i.code for i in items if i.rule == TARGET and not i.params.get("target")} - DERIVED.keys()
    )
    if not codes or not centre_ids:
        return {}
    # As the period's end saw it: months ended by then count, later months do not.
    as_of = min(today, add_months(period.last, 1))
    progress = figures.target_progress(
        centre_ids=centre_ids, year=period.last.year, codes=codes, today=as_of
    )
    return {key: p.completion for key, p in progress.items()}


def read_values(
    items, *, centres: list, period: Period, today: dt.date, catalogue: tuple | None = None
) -> tuple[dict[int, dict], dict[tuple[int, str], Decimal | None]]:
    """(per centre, per item key, the measured value; target completions) for these centres
    (Centre objects with OWES_FIELDS loaded): one read of the door, one of the month reports
    when 报送完整率 is scored, one of the targets when target attainment is."""
    period, months = period_so_far(period, today)
    ids = [c.pk for c in centres]
    found = figures.by_group(
        groups={pk: [pk] for pk in ids}, period=period, codes=door_codes(items), catalogue=catalogue
    )
    shares: dict[int, Decimal | None] = {}
    if any(item.code == COMPLETENESS for item in items):
        state = figures.reporting(
            centres=[(c.pk, c.owes_from) for c in centres], months=months, today=today
        )
        shares = {pk: completeness(state.reported(pk), state.expected(pk)) for pk in ids}
    values = {pk: measures(items, found.get(pk, {}), shares.get(pk)) for pk in ids}
    return values, completions(items, centre_ids=ids, period=period, today=today)


# --- words --------------------------------------------------------------------------------


def names(catalogue: tuple) -> dict[str, str]:
    """Every code an item may name, with its name: active indicators, rates, derived measures."""
    out = {i.code: i.name for i in catalogue[0]}
    out |= {r.code: r.name for r in catalogue[1]}
    return out | DERIVED


def item_label(item: ItemSpec, known: dict[str, str]) -> str:
    name = known.get(item.code, item.code)
    return _("%(name)s growth") % {"name": name} if item.measure == GROWTH else name


def rule_text(item: ItemSpec) -> str:
    """The rule in a sentence, for the scheme page, the dashboard and the printed sheet."""
    p = item.params
    if item.rule == TARGET:
        cap = _d(p.get("cap", 1)) * 100
        if p.get("target"):
            return _("attainment of %(target)s, capped at %(cap)s%%") % {
                "target": p["target"],
                "cap": plain(cap),
            }
        return _("attainment of the annual target, capped at %(cap)s%%") % {"cap": plain(cap)}
    if item.rule == BANDS:
        bands = "，".join(f"≥{lo}→{share}%" for lo, share in p.get("bands", []))
        return _("bands: %(bands)s, else 0") % {"bands": bands}
    if item.rule == RELATIVE:
        if p.get("direction") == LOWER:
            return _("lower is better: best centre full points, worst 0")
        return _("higher is better: best centre full points, worst 0")
    if item.rule == DEDUCTION:
        return _("%(points)s points off per unit, down to 0") % {"points": p.get("per_unit")}
    return _("0 points at %(zero)s, full points at %(full)s, linear between") % {
        "zero": p.get("zero_at"),
        "full": p.get("full_at"),
    }


def marks(weight: str, most: str | None) -> str:
    """An item's points as a ranking heads its column: 满分, and the most 超额 reaches when
    that is more (None: a ranking kept before its columns knew it, so no 满分 is claimed)."""
    if most is None:
        return _("%(weight)s points") % {"weight": weight}
    if _d(most) > _d(weight):
        return _("full marks %(weight)s, up to %(most)s over target") % {
            "weight": weight,
            "most": most,
        }
    return _("full marks %(weight)s") % {"weight": weight}


def describe(items, known: dict[str, str]) -> str:
    """The whole scheme in one line: each item's label, points and rule."""
    parts = [
        _("%(label)s %(weight)s points (%(rule)s)")
        % {"label": item_label(i, known), "weight": plain(i.weight), "rule": rule_text(i)}
        for i in items
    ]
    return "；".join(parts) + _("; a figure not reported scores 0.")
