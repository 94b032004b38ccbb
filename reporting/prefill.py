"""Filling a filing from stored data: nothing on the report is typed twice.

Every section except 开展业务活动情况 comes from the centre record, the roster and the tallies as
they stood at the end of the report year; the narrative gets a first draft built from the year's
figures, which the centre then edits into its own words.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centers import selectors as centre_selectors
from centers.models import Centre, CentreYear, Donation, Licence, PerformanceRecord
from staff.establishment import establishment_at
from staff.models import Spell
from staff.selectors import in_service

from . import annual_narrative

NONE = "无"


def _day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


def staff_count(centre: Centre, year: int) -> tuple[int, str]:
    """从业人数 by the configured definition, with the words the form prints beside it."""
    end = dt.date(year, 12, 31)
    serving = Spell.objects.filter(centre=centre).filter(in_service(end))
    if settings.FILING_STAFF_COUNT == "establishment":
        # 在编 serving that day, beside the approved establishment when one is recorded.
        position = establishment_at(centre_id=centre.pk, day=end)
        basis = _("staff on the establishment serving on 31 December")
        if position.known:
            basis += _(" (approved establishment %(n)s)") % {"n": position.approved}
        return position.actual, basis
    return serving.count(), _("all staff serving on 31 December")


def licences_text(centre: Centre, year: int) -> str:
    """Each licence valid at some point of the year, with its validity; 无 if none."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lines = []
    for licence in Licence.objects.filter(centre=centre, valid_from__lte=last).order_by(
        "name", "valid_from"
    ):
        if licence.valid_to is not None and licence.valid_to < first:
            continue
        until = _day(licence.valid_to) if licence.valid_to else _("no expiry")
        lines.append(
            _("%(name)s, valid from %(start)s to %(end)s.")
            % {"name": licence.name, "start": _day(licence.valid_from), "end": until}
        )
    return "\n".join(lines) or NONE


def performance_text(centre: Centre, year: int) -> str:
    records = PerformanceRecord.objects.filter(centre=centre, date__year=year).order_by(
        "-date", "-id"
    )
    return "\n".join(r.text for r in records) or NONE


def donations_text(centre: Centre, year: int) -> str:
    lines = []
    for d in Donation.objects.filter(centre=centre, date__year=year).order_by("date", "id"):
        line = _("%(day)s, %(donor)s gave %(amount)s ten-thousand yuan for %(purpose)s.") % {
            "day": _day(d.date),
            "donor": d.donor,
            "amount": centre_selectors.format_amount(d.amount),
            "purpose": d.purpose or _("unspecified purposes"),
        }
        if d.usage:
            line += _("Use: %(usage)s") % {"usage": d.usage}
        lines.append(line)
    return "\n".join(lines) or NONE


def registered_data(centre: Centre, year: int) -> dict:
    """The registered items as at 31 December of the year, and the certificate's other data."""
    items = centre_selectors.registered_items_at(centre=centre, day=dt.date(year, 12, 31))
    figures = CentreYear.objects.filter(centre=centre, year=year).first()
    capital = items["capital"]
    return {
        "credit_code": centre.credit_code,
        "name": items["name"],
        "purpose": items["purpose"],
        "address": items["address"],
        "legal_representative": items["legal_representative"],
        "capital": centre_selectors.format_amount(capital) if capital else "",
        "funding_source": items["funding_source"],
        "sponsor": items["sponsor"],
        "net_assets_begin": _money(figures.net_assets_begin if figures else None),
        "net_assets_end": _money(figures.net_assets_end if figures else None),
        "online_name": centre.online_name or NONE,
    }


def _money(value) -> str:
    return "" if value is None else f"{value:.2f}"


def prefill(centre: Centre, year: int) -> dict:
    """Every section filled from stored data (the narrative's draft is separate)."""
    count, basis = staff_count(centre, year)
    return {
        **registered_data(centre, year),
        "staff_count": str(count),
        "staff_count_basis": basis,
        "registration": centre_selectors.report_registration_statement(centre=centre, year=year),
        "licences": licences_text(centre, year),
        "performance": performance_text(centre, year),
        "donations": donations_text(centre, year),
    }


# --- the narrative's first draft ---------------------------------------------------------------


def narrative_draft(centre: Centre, year: int) -> str:
    """A first draft of 开展业务活动情况 from the year's figures, for the centre to rewrite, in the
    filed report's outline (reporting/annual_narrative.py)."""
    return annual_narrative.draft(centre, year)
