"""Stale edits, refused one way everywhere: a form carries what it was based on, and the action
saves only if the rows are still as the form showed them.

The stamp is each row's `updated_at` as an exact ISO string (rows joined with "|" when a form
edits two rows). The action calls `claim(*rows, based_on=...)` inside its transaction: a
conditional UPDATE … WHERE updated_at = <stamp> both checks and locks the row, so two saves
cannot both pass (on PostgreSQL the second waits, then finds the stamp moved; SQLite writes one
at a time). A refusal is a `StaleEdit` carrying the newer values and who saved them when; the
form (`BasedOnForm.refuse`) keeps what was typed, shows the newer values beside it and takes the
newer stamp, so saving again overwrites knowingly. Tally cells, which are single values, use the
value shown as their base instead (services/actions.py) and raise the same exception; a request
without a base is stale there too, as a form without its stamp is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError
from .models import AuditEntry

STALE_MESSAGE = gettext_lazy(
    "While you were editing, someone else (%(who)s, %(when)s) saved this record. What you typed "
    "is still in the form; their saved version is shown below: check it, then save again."
)
GONE_MESSAGE = gettext_lazy(
    "While you were editing, someone else (%(who)s, %(when)s) deleted this record. What you "
    "typed is still in the form, but it cannot be saved here any more."
)
# Columns that say nothing a person edited: never listed as "their version".
SKIPPED = frozenset({"id", "centre", "created_at", "updated_at", "version"})


class StaleEdit(DomainError):
    """Someone saved (or deleted) the row after the form was opened; nothing was written.

    `values` maps field names to the newer stored values, `based_on` is the newer stamp (saving
    with it overwrites knowingly), `who`/`when` name the last save.
    """

    def __init__(
        self,
        *,
        values: dict[str, Any],
        who: str,
        when: dt.datetime | None,
        based_on: str = "",
        gone: bool = False,
    ):
        self.values, self.who, self.when = values, who, when
        self.based_on, self.gone = based_on, gone
        super().__init__(self.message)

    @property
    def who_shown(self) -> str:
        return self.who or _("another user")

    @property
    def when_shown(self) -> str:
        return dateformat.format(timezone.localtime(self.when), "Y-m-d H:i") if self.when else "—"

    @property
    def message(self) -> str:
        template = GONE_MESSAGE if self.gone else STALE_MESSAGE
        return str(template) % {"who": self.who_shown, "when": self.when_shown}

    def __str__(self) -> str:
        return self.message


def stamp(*rows: models.Model) -> str:
    """What a form editing these rows is based on: their exact last-saved times."""
    return "|".join(row.updated_at.isoformat() for row in rows)  # type: ignore[attr-defined]


def _parse(based_on: str, count: int) -> list[dt.datetime] | None:
    """The stamp's times, or None when it is missing or malformed (which counts as stale)."""
    parts = (based_on or "").split("|")
    if len(parts) != count:
        return None
    try:
        times = [dt.datetime.fromisoformat(part) for part in parts]
    except ValueError:
        return None
    return None if any(t.tzinfo is None for t in times) else times


def claim(
    *rows: models.Model,
    based_on: str,
    fields: Iterable[str] | None = None,
    values: Callable[[models.Model], dict[str, Any]] | None = None,
) -> None:
    """Lock the rows for this transaction if they are still as the form showed them.

    Otherwise raise StaleEdit with the newer values (`fields` of each row, or `values(row)`).
    Call it inside the action's transaction, before anything is written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() locks nothing outside a transaction")
    times = _parse(based_on, len(rows))
    if times is None:
        raise refusal(*rows, fields=fields, values=values)
    for row, at in zip(rows, times, strict=True):
        manager = type(row)._base_manager  # unscoped: the caller has already scoped the row
        # Writing updated_at onto itself changes nothing but takes the row lock, and PostgreSQL
        # re-checks the WHERE against a save that committed meanwhile.
        if not manager.filter(pk=row.pk, updated_at=at).update(updated_at=F("updated_at")):
            raise refusal(*rows, fields=fields, values=values)


def refusal(
    *rows: models.Model,
    fields: Iterable[str] | None = None,
    values: Callable[[models.Model], dict[str, Any]] | None = None,
) -> StaleEdit:
    """The StaleEdit for rows saved by someone else: their values as stored now, and who."""
    fresh = [type(row)._base_manager.filter(pk=row.pk).first() for row in rows]
    targets = [(row._meta.label_lower, str(row.pk)) for row in rows]
    present = [row for row in fresh if row is not None]
    newer: dict[str, Any] = {}
    for row in present:
        newer.update(values(row) if values else instance_values(row, fields))
    latest = max(present, key=lambda r: r.updated_at, default=None)  # type: ignore[attr-defined]
    return stale_edit(
        targets=targets,
        values=newer,
        based_on=stamp(*fresh) if len(present) == len(rows) else "",
        at=getattr(latest, "updated_at", None),
        by=getattr(latest, "updated_by", None),
        gone=len(present) < len(rows),
    )


def stale_edit(
    *,
    targets: Iterable[tuple[str, str]],
    values: dict[str, Any],
    based_on: str,
    at: dt.datetime | None = None,
    by=None,
    gone: bool = False,
) -> StaleEdit:
    """A StaleEdit naming the last save: the newest audit entry of the targets, unless the row
    was saved (at `at`, by `by` if known) after it without one."""
    who, when = last_saved(targets)
    if when is None or (at is not None and when < at):
        who = (by.get_full_name() or by.get_username()) if by is not None else ""
        when = at
    return StaleEdit(values=values, who=who, when=when, based_on=based_on, gone=gone)


def last_saved(targets: Iterable[tuple[str, str]]) -> tuple[str, dt.datetime | None]:
    """Who made the newest audited change to any of the targets, and when ("", None if none)."""
    query = Q()
    for target_type, target_id in targets:
        query |= Q(target_type=target_type, target_id=target_id)
    entry = (
        AuditEntry.objects.filter(query).select_related("actor").order_by("-id").first()
        if query
        else None
    )
    if entry is None:
        return "", None
    name = entry.actor.get_full_name() if entry.actor is not None else ""
    return name or entry.actor_name, entry.created_at


def instance_values(row: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A row's stored values by field name (related rows as objects), for showing beside a form."""
    names = {f.name for f in row._meta.concrete_fields if f.name not in SKIPPED}
    wanted = names if fields is None else names & set(fields)
    return {name: getattr(row, name) for name in sorted(wanted)}


def conflict_status(request) -> int:
    """200 for htmx (htmx 2 does not swap 4xx answers), else 409 Conflict with the form."""
    return 200 if getattr(request, "htmx", False) else 409


# --- Forms --------------------------------------------------------------------------------


class StampField(forms.Field):
    """The hidden stamp; never invalid (a bad one is simply stale), never checked as text."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        return str(value or "").strip()[:200]


@dataclass(frozen=True)
class ConflictRow:
    label: str
    theirs: str
    differs: bool


class BasedOnForm(forms.Form):
    """Form mixin for editing saved rows: `based_on` carries the stamp of what the form showed.

    A ModelForm stamps its instance by itself; other forms get `initial={"based_on": stamp(…)}`.
    Templates render `{{ form.based_on }}` (or all hidden fields) and include
    partials/form_errors.html, which shows the newer values after a refusal.
    """

    based_on = StampField()
    stale: StaleEdit | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and "based_on" not in self.initial:
            self.initial["based_on"] = stamp(instance)

    def values(self) -> dict[str, Any]:
        """The cleaned data without the stamp: what the action writes."""
        return {k: v for k, v in self.cleaned_data.items() if k != "based_on"}

    def refuse(self, exc: StaleEdit) -> None:
        """Keep what was typed, say who saved meanwhile, and take their stamp for the next save."""
        self.stale = exc
        self.add_error(None, exc.message)
        data = self.data.copy()
        data[self.add_prefix("based_on")] = exc.based_on
        self.data = data

    def stale_rows(self) -> list[ConflictRow]:
        """Their saved value for each field of this form, marked where it differs from yours."""
        if self.stale is None:
            return []
        mine = getattr(self, "cleaned_data", {})
        rows = []
        for name, field in self.fields.items():
            if name == "based_on" or name not in self.stale.values:
                continue
            theirs = self.stale.values[name]
            rows.append(
                ConflictRow(
                    label=str(field.label or name),
                    theirs=self.shown(name, theirs),
                    differs=name in mine and not _same(mine[name], theirs),
                )
            )
        return rows

    def shown(self, name: str, value: Any) -> str:
        """A stored value as the person reads it; forms override this to mask a field."""
        return shown(self.fields[name], value)


def shown(field: forms.Field, value: Any) -> str:
    """A stored value in words: choices by label, related rows by name, empty as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(field, forms.ModelChoiceField):
        return str(field.queryset.filter(pk=value).first() or value)
    if isinstance(field, forms.ChoiceField):
        labels = {str(k): v for k, v in _flat_choices(field.choices)}
        return str(labels.get(str(value), value))
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _flat_choices(choices) -> Iterable[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label


def _same(mine: Any, theirs: Any) -> bool:
    def plain(value):
        if isinstance(value, models.Model):
            return value.pk
        return None if value == "" else value

    return plain(mine) == plain(theirs)
