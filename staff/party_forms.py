"""Forms for the party records: the branch, a member's stay on its books, a committee election.

Each carries the stamp of what it shows (core.stale); the rules between records are the
actions' (staff/party.py), whose messages land beside the field concerned.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from centers.forms import RecordForm
from core.dates import PlausibleDate

from .models import CommitteeTerm, PartyBranch, PartyMember, PartyOrigin, Person
from .party import order_errors
from .validators import mask_id_number

# From the Party's founding to today: a party date is never ahead of the day it is entered.
PARTY_DATE = PlausibleDate(
    dt.date(1921, 7, 1),
    years_ahead=0,
    late_message=_("A party record's date cannot be in the future."),
)


def _party_dates(form: forms.Form) -> None:
    """The party's range replaces the centre records' (1949–2100) that RecordForm gives every
    date: two ranges would put two contradicting messages beside one field."""
    for field in form.fields.values():
        if isinstance(field, forms.DateField):
            field.validators = [v for v in field.validators if not isinstance(v, PlausibleDate)]
            field.validators.append(PARTY_DATE)


class PartyBranchForm(RecordForm):
    class Meta:
        model = PartyBranch
        fields = ("name", "founded_on", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _party_dates(self)


class PersonChoice(forms.ModelChoiceField):
    """A roster person by name, told apart by their ID number masked as the roster masks it."""

    def __init__(self, *args, show_id: bool = False, **kwargs):
        self.show_id = show_id
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Person) -> str:
        number = obj.id_number if self.show_id else mask_id_number(obj.id_number)
        return f"{obj.name}（{number}）" if number else obj.name


class PartyMemberForm(RecordForm):
    """A stay on the books; a member admitted here is on them from admission (in_on = joined_on)."""

    class Meta:
        model = PartyMember
        fields = (
            "person",
            "joined_on",
            "full_on",
            "origin",
            "in_on",
            "in_from",
            "out_on",
            "out_to",
            "note",
        )
        help_texts = {
            "full_on": _("Empty while a probationary member (预备党员)."),
            "in_on": _("For a member admitted here, leave empty: the date admitted."),
            "out_on": _("The last day on this branch's books; it still counts."),
        }

    # Declared, not derived: the scoped managers refuse a query outside a centre's scope, so each
    # form narrows these choices to its centre.
    person = PersonChoice(Person._base_manager.none(), label=_("staff member"), empty_label="—")

    def __init__(self, *args, centre, show_id: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_id = show_id
        self.fields["person"].queryset = Person.objects.filter(centre=centre).order_by("name")
        self.fields["person"].show_id = show_id
        self.fields["in_on"].required = False
        _party_dates(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("origin") == PartyOrigin.DEVELOPED and not cleaned.get("in_on"):
            cleaned["in_on"] = cleaned.get("joined_on")
        elif not cleaned.get("in_on") and "in_on" not in self.errors:
            self.add_error("in_on", _("Give the day the relation came onto the books."))
        # Put each broken order beside its field; the model's own checks then skip those fields.
        for field, message in order_errors(cleaned).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        self._check_repeat(cleaned)
        return cleaned

    def _check_repeat(self, cleaned: dict) -> None:
        """A stay already recorded from that day, named beside the person (the model's unique
        check, which it then skips, would say only that a 党员 "with Person" exists)."""
        person, in_on = cleaned.get("person"), cleaned.get("in_on")
        if person is None or in_on is None or "person" in self.errors:
            return
        stays = PartyMember.objects.filter(person=person, in_on=in_on)
        if stays.exclude(pk=self.instance.pk).exists():
            message = _("%(name)s is already on the branch's books from %(day)s; edit that record.")
            self.add_error("person", message % {"name": person.name, "day": in_on.isoformat()})

    def shown(self, name: str, value) -> str:
        if name == "person" and isinstance(value, Person) and not self.show_id:
            return self.fields["person"].label_from_instance(value)
        return super().shown(name, value)


class SharedRows(ModelChoiceIterator):
    """A member list's options from the rows its form read once for all its lists (the field's
    `rows`), instead of a query per list; without them, the field's own query."""

    def __iter__(self):
        if self.field.rows is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        if self.field.rows is None:
            return super().__len__()
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        if self.field.rows is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(self.field.rows())


class MemberChoice(forms.ModelChoiceField):
    iterator = SharedRows
    rows: Callable[[], list[PartyMember]] | None = None

    def label_from_instance(self, obj: PartyMember) -> str:
        return obj.person.name


class MembersChoice(forms.ModelMultipleChoiceField):
    iterator = SharedRows
    rows: Callable[[], list[PartyMember]] | None = None

    def label_from_instance(self, obj: PartyMember) -> str:
        return obj.person.name


class CommitteeTermForm(RecordForm):
    """An election: its day and kind, the secretary, the deputy and the other members."""

    class Meta:
        model = CommitteeTerm
        fields = ("elected_on", "kind", "secretary", "deputy", "members", "note")

    secretary = MemberChoice(
        PartyMember._base_manager.none(), label=_("secretary"), required=False, empty_label="—"
    )
    deputy = MemberChoice(
        PartyMember._base_manager.none(),
        label=_("deputy secretary"),
        required=False,
        empty_label="—",
    )
    members = MembersChoice(
        PartyMember._base_manager.none(),
        label=_("other committee members"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        stays = PartyMember.objects.filter(centre=centre).select_related("person")
        stays = stays.order_by("person__name", "in_on")
        rows = functools.cache(lambda: list(stays))  # read when first shown, then shared
        for name in ("secretary", "deputy", "members"):
            self.fields[name].queryset = stays  # what comes back is still checked against it
            self.fields[name].rows = rows
        _party_dates(self)

    def term_data(self) -> dict:
        return {k: v for k, v in self.values().items() if k != "members"}

    def chosen_members(self) -> list[PartyMember]:
        return list(self.cleaned_data.get("members") or [])

    def shown(self, name: str, value) -> str:
        if name == "members":  # the refusal lists names already (staff.party.term_values)
            return value or "—"
        return super().shown(name, value)
