"""The centre's simple record lists, described once: model, form, columns, and how to list them.

Each kind gets the same four pages (list, add, edit, delete) from centers/record_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import forms, selectors
from .models import CentreYear, Department, Donation, Licence, PerformanceRecord


@dataclass(frozen=True)
class Column:
    label: Any
    value: Callable[[Any], Any]
    css: str = ""


@dataclass
class Row:
    """One record as a table shows it, with warnings that concern it."""

    record: Any
    cells: list[Any]
    warnings: list[str] = field(default_factory=list)
    status: str = ""


@dataclass(frozen=True)
class RecordKind:
    key: str
    path: str
    model: type
    form: type
    title: Any
    intro: Any
    columns: tuple[Column, ...]
    rows: Callable[..., list[Row]]
    initial: Callable[..., dict] = lambda centre: {}
    form_kwargs: Callable[..., dict] = lambda centre: {}
    namespace: str = "centers"
    # Optional block above the table: a template and the context it needs.
    summary_template: str = ""
    summary: Callable[..., dict] = lambda request: {}

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def url_name(self, verb: str) -> str:
        return f"{self.namespace}:{self.key}-{verb}"

    @property
    def list_url(self) -> str:
        return self.url_name("list")

    @property
    def add_url(self) -> str:
        return self.url_name("add")

    @property
    def edit_url(self) -> str:
        return self.url_name("edit")

    @property
    def delete_url(self) -> str:
        return self.url_name("delete")


def _cells(record, columns) -> list[tuple[Any, str]]:
    return [(c.value(record), c.css) for c in columns]


def _plain_rows(model, columns):
    def rows(*, centre) -> list[Row]:
        return [Row(r, _cells(r, columns)) for r in model.objects.filter(centre=centre)]

    return rows


def _licence_rows(*, centre) -> list[Row]:
    return [
        Row(r, _cells(r, LICENCE_COLUMNS), status=r.current_status)
        for r in selectors.licence_list(centre=centre)
    ]


def _year_rows(*, centre) -> list[Row]:
    return [
        Row(y.figures, _cells(y.figures, YEAR_COLUMNS), y.warnings)
        for y in selectors.centre_year_rows(centre=centre)
    ]


LICENCE_COLUMNS = (
    Column(_("licence name"), lambda r: r.name),
    Column(_("licence number"), lambda r: r.number),
    Column(_("issued by"), lambda r: r.issuer),
    Column(_("valid from"), lambda r: r.valid_from),
    Column(_("valid to"), lambda r: r.valid_to or _("no expiry")),
    Column(_("status"), lambda r: Licence.Status(r.current_status).label, "status"),
)
PERFORMANCE_COLUMNS = (
    Column(_("date"), lambda r: r.date),
    Column(_("kind"), lambda r: r.get_kind_display()),
    Column(_("issued by or source"), lambda r: r.issuer),
    Column(_("content"), lambda r: r.text, "wide"),
)
DONATION_COLUMNS = (
    Column(_("date received"), lambda r: r.date),
    Column(_("donor"), lambda r: r.donor),
    Column(_("amount (10k yuan)"), lambda r: r.amount, "num"),
    Column(_("purpose"), lambda r: r.purpose),
    Column(_("how it was used"), lambda r: r.usage, "wide"),
)
DEPARTMENT_COLUMNS = (
    Column(_("department name"), lambda r: r.name),
    Column(_("kind"), lambda r: r.get_kind_display()),
    Column(_("opened on"), lambda r: r.opened_on),
    Column(_("closed on"), lambda r: r.closed_on or "—"),
    Column(_("counts as (standard)"), lambda r: r.get_standard_item_display() or "—"),
)
YEAR_COLUMNS = (
    Column(_("year"), lambda r: r.year),
    Column(_("service area (km²)"), lambda r: r.service_area_km2, "num"),
    Column(_("population served"), lambda r: r.served_population, "num"),
    Column(_("floor area for services (m²)"), lambda r: r.floor_area_m2, "num"),
    Column(_("beds"), lambda r: r.beds, "num"),
    Column(_("net assets at start of year (10k yuan)"), lambda r: r.net_assets_begin, "num"),
    Column(_("net assets at end of year (10k yuan)"), lambda r: r.net_assets_end, "num"),
)

RECORD_KINDS = (
    RecordKind(
        key="year",
        path="years",
        model=CentreYear,
        form=forms.CentreYearForm,
        title=_("Yearly figures and net assets"),
        intro=_(
            "A new year starts from the previous one: its net assets at start of year are last "
            "year's year-end figure. Differences are flagged. The resident population is entered "
            "once, as a yearly figure of the service tallies, where the rates read it."
        ),
        columns=YEAR_COLUMNS,
        rows=_year_rows,
        initial=lambda centre: selectors.next_year_defaults(centre=centre),
        form_kwargs=lambda centre: {"centre": centre},
    ),
    RecordKind(
        key="licence",
        path="licences",
        model=Licence,
        form=forms.LicenceForm,
        title=_("Qualifications and practising licences"),
        intro=_("A licence is flagged when it expires within 90 days, and when it has expired."),
        columns=LICENCE_COLUMNS,
        rows=_licence_rows,
    ),
    RecordKind(
        key="performance",
        path="performance",
        model=PerformanceRecord,
        form=forms.PerformanceRecordForm,
        title=_("Honours, penalties, lawsuits and complaints"),
        intro=_("Only those concerning the unit itself, not individual staff."),
        columns=PERFORMANCE_COLUMNS,
        rows=_plain_rows(PerformanceRecord, PERFORMANCE_COLUMNS),
    ),
    RecordKind(
        key="donation",
        path="donations",
        model=Donation,
        form=forms.DonationForm,
        title=_("Donations and grants received"),
        intro=_("Amounts in ten-thousand yuan, two decimals."),
        columns=DONATION_COLUMNS,
        rows=_plain_rows(Donation, DONATION_COLUMNS),
    ),
    RecordKind(
        key="department",
        path="departments",
        model=Department,
        form=forms.DepartmentForm,
        title=_("Departments"),
        intro=_("The checklist holds the open departments against the national standards."),
        columns=DEPARTMENT_COLUMNS,
        rows=_plain_rows(Department, DEPARTMENT_COLUMNS),
    ),
)
KINDS_BY_KEY = {k.key: k for k in RECORD_KINDS}
