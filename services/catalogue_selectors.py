"""Reads for a commission's catalogue page: which definitions it sees, which it owns, what an
edit would reach, and why a definition cannot be deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from centers.models import Authority, Centre
from centers.selectors import authority_subtree_ids

from .definitions import owner_path
from .models import (
    Activity,
    ActivityKind,
    Definition,
    FrozenYear,
    Indicator,
    Rate,
    TallyValue,
    Target,
    ValidationRule,
)

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
# The indicators a rate or a rule compares.
SIDES: dict[type[Definition], tuple[str, str]] = {
    Rate: ("numerator", "denominator"),
    ValidationRule: ("left", "right"),
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
    query per section, however many definitions there are); each own row carries `used`: it has
    data or another definition on the page refers to it, so it is retired, not deleted."""
    sections, referred = [], set()
    for slug, model in KINDS.items():
        rows = _with_use(visible(model, authority, path), model, authority)
        if model is Rate:
            rows = rows.select_related("numerator", "denominator")
        elif model is ValidationRule:
            rows = rows.select_related("left", "right").order_by("left__code", "right__code")
        section = Section(slug)
        for row in rows:
            (section.own if row.owner_id == authority.pk else section.above).append(row)
            if model in SIDES:
                referred.update(getattr(row, f"{side}_id") for side in SIDES[model])
        sections.append(section)
    for row in sections[0].own:  # an indicator a rate or rule uses (the page holds them all)
        row.used = row.used or row.pk in referred
    return sections


def _with_use(rows: QuerySet, model: type[Definition], authority: Authority) -> QuerySet:
    """Annotate `used` for the commission's own rows only (the others are never deleted here):
    a subquery of the section's one query, not a query per row. deletion_refusal says why."""
    if model is ActivityKind:
        checks = [Exists(Activity.objects.filter(kind=OuterRef("pk")))]
    elif model is Indicator:
        checks = [
            Exists(TallyValue.objects.filter(indicator=OuterRef("pk"))),
            Exists(Target.objects.filter(indicator=OuterRef("pk"))),
        ]
    else:
        one, two = SIDES[model]
        sides = Q(indicator=OuterRef(f"{one}_id")) | Q(indicator=OuterRef(f"{two}_id"))
        checks = [Exists(TallyValue.objects.filter(sides))]
    used = Case(
        When(~Q(owner_id=authority.pk), then=Value(False)),
        *(When(check, then=Value(True)) for check in checks),
        default=Value(False),
        output_field=BooleanField(),
    )
    return rows.annotate(used=used)


def covers(operand: Definition, first: dt.date | None, last: dt.date | None) -> bool:
    """Whether the operand is in force for every month from first to last (None: open)."""
    starts_in_time = operand.active_from is None or (
        first is not None and operand.active_from <= first
    )
    lasts = operand.active_to is None or (last is not None and operand.active_to >= last)
    return starts_in_time and lasts


def code_taken(code: str, *, exclude: Definition | None = None) -> bool:
    """Whether an indicator or a rate already has the code, in any case (figures and rollups key
    on codes, so the two share one namespace, and HPV_First_Dose reads as hpv_first_dose)."""
    for model in (Indicator, Rate):
        rows = model.objects.filter(code__iexact=code)
        if isinstance(exclude, model):
            rows = rows.exclude(pk=exclude.pk)
        if rows.exists():
            return True
    return False


def name_taken(name: str, *, path: frozenset[int], exclude: Definition | None = None) -> bool:
    """Whether an indicator or a rate the commission sees (the system's and those of `path`, the
    commission and those above) already has the name: figures are quoted by name, so the two
    share one space. A rate's other versions (the same code) are the same rate."""
    owned = Q(owner=None) | Q(owner_id__in=path)
    for model in (Indicator, Rate):
        rows = model.objects.filter(owned, name__iexact=name.strip())
        if isinstance(exclude, Rate) and model is Rate and exclude.pk:
            rows = rows.exclude(code=exclude.code)
        elif isinstance(exclude, model):
            rows = rows.exclude(pk=exclude.pk)
        if rows.exists():
            return True
    return False


# The operator read from the other side: A ≥ B says what B ≤ A says.
MIRRORED = {"<=": ">=", ">=": "<=", "<": ">", ">": "<", "==": "=="}


def rule_exists(
    left: Indicator,
    operator: str,
    right: Indicator,
    *,
    path: frozenset[int],
    exclude: ValidationRule | None = None,
) -> bool:
    """Whether the rule exists already: the same sides and operator anywhere (one rule per pair),
    or the same comparison read from the other side among the rules the commission sees (the
    system's and those of `path`)."""
    same = Q(left=left, operator=operator, right=right)
    mirrored = Q(left=right, operator=MIRRORED.get(operator, operator), right=left)
    owned = Q(owner=None) | Q(owner_id__in=path)
    rows = ValidationRule.objects.filter(same | (mirrored & owned))
    if exclude is not None and exclude.pk:
        rows = rows.exclude(pk=exclude.pk)
    return rows.exists()


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


def approved_year_from(authority, year: int) -> int | None:
    """The latest year from `year` on that is approved (frozen) for a centre below the
    commission, if any: a formula change must not reach it."""
    below = authority_subtree_ids([authority.pk])
    found = FrozenYear.objects.filter(centre__sponsor_id__in=below, year__gte=year)
    return found.order_by("-year").values_list("year", flat=True).first()


def users_of(indicator: Indicator) -> list[tuple[str, Definition]]:
    """(name, definition) of the rates and rules that use the indicator (two queries)."""
    sides = Q(numerator=indicator) | Q(denominator=indicator)
    rates = [(r.name, r) for r in Rate.objects.filter(sides)]
    rules = ValidationRule.objects.filter(Q(left=indicator) | Q(right=indicator))
    return rates + [(str(r), r) for r in rules.select_related("left", "right")]
