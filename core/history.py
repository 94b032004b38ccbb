"""Audit entries as people read them: the one table of action and field names, in Chinese.

Every history list (a centre's 历史, a tally cell's history) goes through `history_row`, so an
action code such as ``reporting.filing.submitted`` or a key such as ``comment`` never reaches
the page raw. Apps whose audit rows carry keys that are not model fields (a filing's sections, a
summary's texts) register their labels with `register_field_labels` from their AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.hashable import make_hashable
from django.utils.translation import gettext, pgettext_lazy

from .models import AuditEntry

# Whole action codes first (where the last word alone would mislead), then the last word.
ACTIONS = {
    "auth.password.changed": pgettext_lazy("audit action", "password changed"),
    "reporting.filing.returned": pgettext_lazy("audit action", "returned"),
    "services.tally.changed": pgettext_lazy("audit action", "value changed"),
    "services.month.submitted": pgettext_lazy("audit action", "month marked complete"),
    "services.month.approved": pgettext_lazy("audit action", "month approved"),
    "services.month.returned": pgettext_lazy("audit action", "month returned"),
    "services.month.unapproved": pgettext_lazy("audit action", "month approval withdrawn"),
    "services.month.confirmed": pgettext_lazy("audit action", "month confirmed"),
    "services.month.unconfirmed": pgettext_lazy("audit action", "month confirmation withdrawn"),
    "staff.roster.imported": pgettext_lazy("audit action", "roster imported"),
    "created": pgettext_lazy("audit action", "added"),
    "create": pgettext_lazy("audit action", "added"),
    "granted": pgettext_lazy("audit action", "granted"),
    "updated": pgettext_lazy("audit action", "changed"),
    "changed": pgettext_lazy("audit action", "changed"),
    "role_changed": pgettext_lazy("audit action", "role changed"),
    "registered_item_changed": pgettext_lazy("audit action", "registered item changed"),
    "deleted": pgettext_lazy("audit action", "deleted"),
    "revoked": pgettext_lazy("audit action", "removed"),
    "ended": pgettext_lazy("audit action", "post ended"),
    "password_changed": pgettext_lazy("audit action", "password changed"),
    # staff.id_number.*: someone who may not see 身份证号 typed one in use, or was then refused
    "conflict": pgettext_lazy("audit action", "identity card number in use by someone else"),
    "refused": pgettext_lazy("audit action", "refused"),
    "opened": pgettext_lazy("audit action", "started"),
    "refreshed": pgettext_lazy("audit action", "refilled from stored data"),
    "narrative_saved": pgettext_lazy("audit action", "activities text saved"),
    "narrative_imported": pgettext_lazy("audit action", "activities text from the year summary"),
    "submitted": pgettext_lazy("audit action", "submitted"),
    "approved": pgettext_lazy("audit action", "approved"),
    "published": pgettext_lazy("audit action", "published"),
    "texts": pgettext_lazy("audit action", "texts saved"),
    "regenerate": pgettext_lazy("audit action", "figures regenerated"),
    "restore": pgettext_lazy("audit action", "earlier version restored"),
    "frozen": pgettext_lazy("audit action", "year closed"),
    "unfrozen": pgettext_lazy("audit action", "year reopened"),
    "imported": pgettext_lazy("audit action", "imported"),
    "declined": pgettext_lazy("audit action", "declined"),
}

# Keys of `changes` that are not fields of the target model.
FIELDS = {
    "comment": pgettext_lazy("audit field", "comment"),
    "count": pgettext_lazy("audit field", "number of times"),
    "month": pgettext_lazy("audit field", "month"),
    "months": pgettext_lazy("audit field", "months"),
    "open_until": pgettext_lazy("audit field", "open until"),
    "reason": pgettext_lazy("audit field", "reason"),
    "year": pgettext_lazy("audit field", "year"),
    "account": pgettext_lazy("audit field", "account"),
    "role": pgettext_lazy("audit field", "role"),
    "empty_categories": pgettext_lazy("audit field", "categories with no data"),
    "summary": pgettext_lazy("audit field", "work summary"),  # reporting.filing.narrative_imported
    # staff.roster.imported: the file and how many rows did what (staff.importer.Action)
    "file": pgettext_lazy("audit field", "file"),
    "new_person": pgettext_lazy("audit field", "people added"),
    "new_spell": pgettext_lazy("audit field", "posts added"),
    "update": pgettext_lazy("audit field", "people updated"),
    "unchanged": pgettext_lazy("audit field", "rows unchanged"),
    # What a training list or a file of registrations did (staff/record_imports.py).
    "added": pgettext_lazy("audit field", "records added"),
    "updated": pgettext_lazy("audit field", "records corrected"),
}

_TARGET_FIELDS: dict[str, Callable[[], Mapping[str, Any]]] = {}

# Keys whose value is a list of names, never an [old, new] pair (a list of two is still a list).
LIST_VALUES = frozenset({"empty_categories"})

# Audited fields that only viewers with view_id_numbers may read (staff.Person.id_number).
PERSONAL_FIELDS = frozenset({"id_number", "licence_number"})  # and staff.PractisingLicence's
HIDDEN = "******"


def register_field_labels(target_type: str, labels: Callable[[], Mapping[str, Any]]) -> None:
    """Labels for a target type's non-field keys, read when a history is shown (so, lazily)."""
    _TARGET_FIELDS[target_type] = labels


@dataclass
class HistoryRow:
    """An audit entry as people read it: who by name, what was done, field labels, old → new."""

    entry: AuditEntry
    actor: str
    what: str
    verb: str
    changes: list[tuple[str, object, object]]


def person_name(user, fallback: str = "") -> str:
    """A person's name in Chinese order (family name first), else the login name."""
    if user is None:
        return fallback
    name = f"{user.last_name}{user.first_name}".strip()
    return name or fallback or user.get_username()


def action_label(action: str) -> str:
    """The Chinese words for an action code (its last word if the whole code is not listed)."""
    label = ACTIONS.get(action) or ACTIONS.get(action.rsplit(".", 1)[-1])
    return str(label) if label is not None else action


def field_label(model, target_type: str, name: str) -> str:
    """A changed key's label: the model field's name, else the app's or the shared table's."""
    if model is not None:
        try:
            label = getattr(model._meta.get_field(name), "verbose_name", None)  # None: a relation
        except FieldDoesNotExist:
            label = None
        # A field given no verbose_name has Django's default, its own name: not a label.
        if label is not None and str(label) != name.replace("_", " "):
            return str(label)
    extra = _TARGET_FIELDS.get(target_type)
    if extra is not None and name in (labels := extra()):
        return str(labels[name])
    return str(FIELDS.get(name, name))


def value_label(model, name: str, value: Any) -> Any:
    """A stored value as shown: a choice by its label, yes/no in words, a list joined by 、."""
    if isinstance(value, list):
        return "、".join(str(value_label(model, name, v)) for v in value) or None
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if model is None or value is None:
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    if not field.choices:
        return value
    labels = {make_hashable(v): label for v, label in field.flatchoices}
    return str(labels.get(make_hashable(value), value))


_KEY_ORDER = {name: i for i, name in enumerate(FIELDS)}


def _key_order(model, name: str) -> tuple[int, int, str]:
    """Changes read in a fixed order whatever the database keeps (PostgreSQL's jsonb sorts the
    keys its own way): the model's fields in their order, then the known keys in FIELDS'."""
    if model is not None:
        names = [f.name for f in model._meta.concrete_fields]
        if name in names:
            return (0, names.index(name), name)
    return (1, _KEY_ORDER.get(name, len(_KEY_ORDER)), name)


def history_row(entry: AuditEntry, hidden: frozenset[str] = frozenset()) -> HistoryRow:
    """One entry in words; values of the `hidden` fields show only as ******.

    Select the entry's actor with it (select_related("actor")) to name people without a query each.
    """
    try:
        model = apps.get_model(entry.target_type)
    except (LookupError, ValueError):
        model = None
    changes = []
    for name, value in sorted(entry.changes.items(), key=lambda item: _key_order(model, item[0])):
        pair = isinstance(value, list) and len(value) == 2 and name not in LIST_VALUES
        old, new = value if pair else (None, value)
        if name in hidden:
            old, new = (HIDDEN if v else v for v in (old, new))
        else:
            old, new = value_label(model, name, old), value_label(model, name, new)
        changes.append((field_label(model, entry.target_type, name), old, new))
    what = str(model._meta.verbose_name) if model else entry.target_type
    return HistoryRow(
        entry=entry,
        actor=person_name(entry.actor, entry.actor_name),
        what=what,
        verb=action_label(entry.action),
        changes=changes,
    )
