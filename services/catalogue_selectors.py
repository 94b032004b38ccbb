"""Reads for a commission's catalogue page: which definitions it sees, which it owns, what an
edit would reach, and why a definition cannot be deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from centers.models import Authority, Centre

from .definitions import owner_path
from .models import Activity, ActivityKind, Definition, Indicator, Rate, TallyValue, ValidationRule

# The catalogue's sections, by the slug their URLs use.
KINDS: dict[str, type[Definition]] = {
    "indicators": Indicator,
    "rates": Rate,
    "rules": ValidationRule,
    "kinds": ActivityKind,
}
# The fields whose change alters figures already counted: an edit of one asks to confirm first.
COUNTING_FIELDS: dict[type[Definition], tuple[str, ...]] = {
    Indicator: ("aggregation", "frequency", "active_from", "active_to"),
    Rate: ("numerator", "denominator", "scale", "active_from", "active_to"),
}
PREVIEW_NAMES = 20  # centres named in the preview; the rest are counted


def visible(
    model: type[Definition], authority: Authority, path: frozenset[int] | None = None
) -> QuerySet:
    """The system's definitions and those of the commission and every commission above it
    (`path`, when the caller knows it already)."""
    path = owner_path(authority.pk) if path is None else path
    return model.objects.filter(Q(owner=None) | Q(owner_id__in=path))


@dataclass
class Section:
    slug: str
    own: list = field(default_factory=list)
    above: list = field(default_factory=list)  # the system's and the commissions' above


def catalogue_sections(*, authority: Authority, path: frozenset[int]) -> list[Section]:
    """The four sections of the page, each split into the commission's own and the rest (one
    query per section, however many definitions there are)."""
    sections = []
    for slug, model in KINDS.items():
        rows = visible(model, authority, path)
        if model is Rate:
            rows = rows.select_related("numerator", "denominator")
        elif model is ValidationRule:
            rows = rows.select_related("left", "right").order_by("left__code", "right__code")
        section = Section(slug)
        for row in rows:
            (section.own if row.owner_id == authority.pk else section.above).append(row)
        sections.append(section)
    return sections


def covers(operand: Definition, first: dt.date | None, last: dt.date | None) -> bool:
    """Whether the operand is in force for every month from first to last (None: open)."""
    starts_in_time = operand.active_from is None or (
        first is not None and operand.active_from <= first
    )
    lasts = operand.active_to is None or (last is not None and operand.active_to >= last)
    return starts_in_time and lasts


def code_taken(code: str, *, exclude: Definition | None = None) -> bool:
    """Whether an indicator or a rate already has the code (figures and rollups key on codes,
    so the two share one namespace)."""
    for model in (Indicator, Rate):
        rows = model.objects.filter(code=code)
        if isinstance(exclude, model):
            rows = rows.exclude(pk=exclude.pk)
        if rows.exists():
            return True
    return False


def later_users(indicator: Indicator, until: dt.date) -> list[str]:
    """The rates and rules that use the indicator after `until`: retiring it would leave them
    referring to an indicator not in force."""
    later = Q(active_to=None) | Q(active_to__gt=until)
    rates = Rate.objects.filter(later, Q(numerator=indicator) | Q(denominator=indicator))
    rules = ValidationRule.objects.filter(later, Q(left=indicator) | Q(right=indicator))
    return [r.name for r in rates] + [str(r) for r in rules.select_related("left", "right")]


def deletion_refusal(definition: Definition) -> str:
    """Why the definition can only be retired ("" when it can be deleted): it has data, or
    other definitions refer to it."""
    if isinstance(definition, ActivityKind):
        if Activity.objects.filter(kind=definition).exists():
            return _("Activities of this kind are recorded; retire it instead.")
        return ""
    if isinstance(definition, Indicator):
        if TallyValue.objects.filter(indicator=definition).exists():
            return _("Centres have reported this indicator; retire it instead.")
        if definition.targets.exists():
            return _("Annual targets are set for this indicator; retire it instead.")
        users = later_users(definition, dt.date.min)
        if users:
            return _("Still used by %(users)s; delete or change those first.") % {
                "users": "、".join(users)
            }
        return ""
    sides = (
        (definition.numerator_id, definition.denominator_id)
        if isinstance(definition, Rate)
        else (definition.left_id, definition.right_id)
    )
    if TallyValue.objects.filter(indicator_id__in=sides).exists():
        return _("Figures already counted use it; retire it instead.")
    return ""


@dataclass
class Reach:
    """What an edit changes: the centres below the commission with data of the indicators
    involved, and the years that data covers."""

    count: int
    names: list[str]
    years: list[int]


def change_reach(*, authority_ids: set[int], indicator_ids: set[int]) -> Reach:
    """Three queries, however many centres, indicators or values there are."""
    centres = Centre.objects.filter(
        sponsor_id__in=authority_ids, tallies__indicator_id__in=indicator_ids
    ).distinct()
    count = centres.count()
    names = list(centres.order_by("name").values_list("name", flat=True)[:PREVIEW_NAMES])
    days = TallyValue.objects.filter(
        centre__sponsor_id__in=authority_ids, indicator_id__in=indicator_ids
    ).dates("period", "year")
    return Reach(count, names, [d.year for d in days])
