"""Small template helpers shared by every app."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

from core.history import person_name

register = template.Library()

# (model, field name, language) → {stored value: label}, built on first use.
_CHOICE_LABELS: dict[tuple, dict] = {}


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes in a duration, rounded up, for messages such as lockout time left."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.filter
def person(user) -> str:
    """A user as people know them (姓名), as the history names them; "—" for nobody."""
    return person_name(user) or "—"


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template, or the key itself when it is missing."""
    return mapping.get(key, key)


@register.filter
def value_at(mapping: dict, key):
    """mapping[key] in a template, or None when it is missing: a value never shows its key."""
    return mapping.get(key)


@register.filter
def age_on(person, day: dt.date):
    """A person's completed years on a day."""
    return person.age_on(day)


@register.filter
def plain(value):
    """A decimal without trailing zeros (120.00 → 120, 12.50 → 12.5); None stays None."""
    if value is None or value == "":
        return value
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def index_month(columns, index: int) -> str:
    """The YYYY-MM of the grid's index-th month column (for stable element ids)."""
    return f"{columns[index].month:%Y-%m}"


@register.filter
def can(access, capability: str) -> bool:
    """Whether the request's access allows a capability (templates cannot call methods)."""
    return bool(access) and access.can(capability)


@register.filter
def display(obj, field_name: str):
    """`obj.get_<field_name>_display()`, from a table of labels built once per language.

    Django's method rebuilds the field's choices and translates every label on each call, which
    a 50-row table pays a few hundred times per page.
    """
    model = type(obj)
    key = (model, field_name, get_language())
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        field = model._meta.get_field(field_name)
        labels = {make_hashable(value): str(label) for value, label in field.flatchoices}
        _CHOICE_LABELS[key] = labels
    value = getattr(obj, field_name)
    return labels.get(make_hashable(value), value)


# The links of a centre's sub-navigation (templates/centers/_centre_nav.html), by link name.
CENTRE_NAV = {
    "overview": "centers:centre-detail",
    "registration": "centers:registration",
    "year": "centers:year-list",
    "licence": "centers:licence-list",
    "performance": "centers:performance-list",
    "donation": "centers:donation-list",
    "department": "centers:department-list",
    "roster": "staff:roster",
    "figures": "staff:figures",
    "party": "staff:party",
    "tallies": "services:tally-home",
    "activity": "services:activity-list",
    "summaries": "reporting:centre-summaries",
    "history": "centers:history",
    "members": "centers:member-list",
}


@register.simple_tag
def centre_nav_urls(slug: str, report_year: int) -> dict[str, str]:
    """Every link of a centre's sub-navigation, reversed once per centre and year rather than
    fifteen `{% url %}` tags on every centre page."""
    return _centre_nav_urls(slug, report_year, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=4096)
def _centre_nav_urls(slug: str, report_year: int, prefix: str, urlconf) -> dict[str, str]:
    urls = {name: reverse(view, args=[slug]) for name, view in CENTRE_NAV.items()}
    urls["filing"] = reverse("reporting:filing", args=[slug, report_year])
    return urls


# An id no row has: reversed in its place, then cut out to leave the URL around it.
_ID_SLOT = 987654321987


class IdUrl:
    """A URL with an integer id still to fill in (see `id_url`)."""

    def __init__(self, viewname: str, args: tuple):
        url = reverse(viewname, args=[*args, _ID_SLOT])
        head, slot, tail = url.partition(str(_ID_SLOT))
        if not slot or str(_ID_SLOT) in tail:
            raise ValueError(f"{viewname} does not take an integer id last")
        self.head, self.tail = head, tail


@register.simple_tag
def id_url(viewname: str, *args) -> IdUrl:
    """`{% id_url 'staff:staff-edit' slug as edit_url %}` before a table, then
    `{{ edit_url|with_id:row.pk }}` in each row: what `{% url 'staff:staff-edit' slug row.pk %}`
    gives, for an `<int:…>` id last, without resolving the pattern once per row."""
    return IdUrl(viewname, args)


@register.filter
def with_id(url: IdUrl, pk: int) -> str:
    return f"{url.head}{int(pk)}{url.tail}"
