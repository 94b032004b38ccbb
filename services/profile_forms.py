"""Forms for import profiles: the profile with one row per column of the file (what the column
is, its scale, how empty cells read), the sample upload that proposes those rows, and the upload
of a file to import through a profile."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from core.forms import TextGuard, explain_decimal_limits
from core.imports import CSV, XLSX, SpreadsheetField
from core.periods import MonthField
from core.spreadsheet import header_key
from core.stale import BasedOnForm
from core.tables import MAX_COLUMNS

from .models import Category, ImportProfile, Indicator
from .profile_files import HEADER_CHARS
from .profile_proposals import CODE, NAME, PERIOD

ROLE_LABELS = {
    PERIOD: _("the month (统计月份)"),
    CODE: _("centre: unified social credit code"),
    NAME: _("centre: name"),
}
MISSING = [
    ("skip", _("empty and “-” leave the stored value")),
    ("zero", _("empty and “-” read as 0")),
    ("dash_zero", _("empty leaves the value, “-” reads as 0")),
]
ROLE_FIELDS = {PERIOD: "period_column", CODE: "centre_code_column", NAME: "centre_name_column"}


def role_choices(indicators: list[Indicator]) -> list:
    """Not imported, the three roles, then the indicators grouped by category."""
    groups: dict[str, list] = {}
    for indicator in indicators:
        label = f"{indicator.name}（{indicator.unit}）"
        groups.setdefault(indicator.category, []).append((indicator.code, label))
    labels = dict(Category.choices)
    return [
        ("", _("not imported")),
        (_("the row's month and centre"), list(ROLE_LABELS.items())),
        *[(labels.get(cat, cat), items) for cat, items in groups.items()],
    ]


class ProfileForm(TextGuard, BasedOnForm, forms.ModelForm):
    class Meta:
        model = ImportProfile
        fields = ("name", "file_type", "encoding", "header_row", "rows_combine")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["header_row"].widget.attrs.update(min=1, max=50)
        self.fields["encoding"].help_text = _("Only for CSV files.")

    def clean_header_row(self):
        row = self.cleaned_data.get("header_row")
        if row is not None and not 1 <= row <= 50:
            raise forms.ValidationError(_("Give a row from 1 to 50, or leave it empty."))
        return row


class ColumnForm(TextGuard, forms.Form):
    header = forms.CharField(label=_("column header"), max_length=HEADER_CHARS, required=False)
    role = forms.ChoiceField(label=_("imported as"), required=False)
    scale = explain_decimal_limits(
        forms.DecimalField(
            label=_("multiply by"),
            required=False,
            max_digits=16,
            decimal_places=8,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
        )
    )
    missing = forms.ChoiceField(
        label=_("empty cells"), choices=MISSING, initial="skip", required=False
    )
    # What the sample showed: kept through a refused save, never stored.
    example = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles

    def clean_scale(self):
        scale = self.cleaned_data.get("scale")
        if scale is None:
            return Decimal(1)
        if scale <= 0:
            raise forms.ValidationError(_("The factor must be greater than 0."))
        return scale


BaseColumns = formset_factory(
    ColumnForm, extra=0, max_num=MAX_COLUMNS, validate_max=True, absolute_max=MAX_COLUMNS
)


class ColumnFormSet(BaseColumns):
    def __init__(self, *args, roles=(), **kwargs):
        self.roles = roles
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "roles": self.roles}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), roles=self.roles
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        """Each header once; each role and indicator for one column; at least one indicator."""
        if any(self.errors):
            return
        headers: dict[str, int] = {}
        roles: dict[str, int] = {}
        for number, form in enumerate(self.forms, start=1):
            header, role = form.cleaned_data.get("header", ""), form.cleaned_data.get("role", "")
            if not header:
                if role:
                    form.add_error("header", _("Type the column's header as the file writes it."))
                continue
            key = header_key(header)
            if key in headers:
                form.add_error(
                    "header", _("The same header is on row %(n)s.") % {"n": headers[key]}
                )
            headers.setdefault(key, number)
            if role and role in roles:
                form.add_error("role", _("Row %(n)s is this already.") % {"n": roles[role]})
            if role:
                roles.setdefault(role, number)
        if not any(r for r in roles if not r.startswith("@")):
            raise forms.ValidationError(_("Map at least one column to an indicator."))

    def profile_data(self) -> dict:
        """The columns as the model keeps them: the three roles, and every other named column."""
        data = dict.fromkeys(ROLE_FIELDS.values(), "")
        mappings = []
        for form in self.forms:
            header, role = form.cleaned_data.get("header", ""), form.cleaned_data.get("role", "")
            if not header:
                continue
            if role in ROLE_FIELDS:
                data[ROLE_FIELDS[role]] = header
                continue
            scale = form.cleaned_data["scale"] if role else Decimal(1)
            mappings.append(
                {
                    "header": header,
                    "indicator": role,
                    "scale": _plain(scale),
                    "missing": form.cleaned_data.get("missing") or "skip",
                }
            )
        data["mappings"] = mappings
        return data


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def column_rows(profile: ImportProfile) -> list[dict]:
    """A saved profile as the editor's rows: its month and centre columns, then the others."""
    rows = [
        {"header": getattr(profile, field), "role": role, "scale": "1", "missing": "skip"}
        for role, field in ROLE_FIELDS.items()
        if getattr(profile, field)
    ]
    rows += [
        {
            "header": m["header"],
            "role": m.get("indicator", ""),
            "scale": m.get("scale", "1"),
            "missing": m.get("missing", "skip"),
        }
        for m in profile.mappings
    ]
    return rows


class SampleForm(forms.Form):
    file = SpreadsheetField(
        label=_("A sample file (.xlsx or .csv)"),
        formats=(XLSX, CSV),
        error_messages={"required": _("Choose a sample file.")},
    )


class ProfileImportForm(forms.Form):
    profile = forms.ChoiceField(label=_("import profile"))
    month = MonthField(
        label=_("month"),
        required=False,
        help_text=_("For profiles without a month column: the month the file holds."),
    )
    file = SpreadsheetField(label=_("File (.xlsx or .csv)"), formats=(XLSX, CSV))

    def __init__(self, *args, choices=(), needs_month=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = choices
        self.needs_month = set(needs_month)  # the refs of profiles that read no month column

    def clean(self):
        data = super().clean()
        if data.get("profile") in self.needs_month and not data.get("month"):
            self.add_error(
                "month", _("This profile reads no month column: choose the month the file holds.")
            )
        return data
