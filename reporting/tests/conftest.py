"""Fixtures shared by the reporting tests: a filing ready to submit, a hand-built district."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from centers.models import CentreYear, FundingSource
from centers.tests.factories import CentreFactory
from reporting import actions
from reporting.annual_narrative import TO_WRITE
from reporting.models import AnnualFiling
from services.models import MonthReport

from .data import put


@pytest.fixture
def district_data(district, other_centre):
    """Two reporting centres and one opened in April 2024; figures worked out in the tests."""
    a = CentreFactory(name="甲中心", slug="jia", sponsor=district, founded_on=dt.date(2010, 1, 1))
    b = CentreFactory(name="乙中心", slug="yi", sponsor=district)
    c = CentreFactory(name="丙中心", slug="bing", sponsor=district, founded_on=dt.date(2024, 4, 15))
    for m in range(1, 7):
        put(a, "opd_visits", (2024, m), 6000)
        put(a, "opd_visits", (2023, m), 5000)
        put(b, "opd_visits", (2023, m), 6000)
        if m != 5:  # 乙 has not entered May
            put(b, "opd_visits", (2024, m), 7000)
    for year, signed_a, signed_b, smi_a, smi_b in (
        (2024, 16000, 8864, 200, 130),
        (2023, 15000, 8000, 190, 120),
    ):
        put(a, "res_pop", (year, 1), 50000)
        put(b, "res_pop", (year, 1), 30000)
        put(a, "fd_signed", (year, 6), signed_a)
        put(b, "fd_signed", (year, 6), signed_b)
        put(a, "smi_registered", (year, 6), smi_a)
        put(b, "smi_registered", (year, 6), smi_b)
    put(a, "discharges", (2024, 1), 100)
    put(a, "discharges", (2023, 1), 120)
    put(a, "referrals_up", (2024, 1), 1000)
    put(a, "referrals_up", (2023, 1), 1000)
    put(a, "referrals_down", (2024, 1), 50)
    put(other_centre, "opd_visits", (2024, 1), 99999)  # another district: never counted
    for m in range(1, 7):
        MonthReport.objects.create(centre=a, period=dt.date(2024, m, 1))
        if m != 5:
            MonthReport.objects.create(centre=b, period=dt.date(2024, m, 1))
        if m in (4, 6):
            MonthReport.objects.create(centre=c, period=dt.date(2024, m, 1))
    return {"a": a, "b": b, "c": c}


@pytest.fixture
def ready(centre, manager):
    """A centre whose certificate data is complete, and its opened 2024 draft."""
    centre.credit_code = "12500106450412352T"
    centre.purpose = "为人民健康提供基本医疗卫生服务。"
    centre.capital = Decimal("233.88")
    centre.funding_source = FundingSource.objects.get(name="自收自支")
    centre.save()
    CentreYear.objects.create(
        centre=centre,
        year=2024,
        net_assets_begin=Decimal("244.64"),
        net_assets_end=Decimal("233.88"),
    )
    filing = actions.filing_open(centre=centre, year=2024, actor=manager)
    # The centre writes the parts the draft leaves to it (problems, plans): submittable.
    written = filing.narrative.replace(TO_WRITE, "加强家庭医生签约服务。")
    AnnualFiling.objects.filter(pk=filing.pk).update(narrative=written)
    filing.refresh_from_db()
    return filing


@pytest.fixture
def fake_pdf():
    """WeasyPrint replaced by a fixed byte string, for tests about runs rather than layout."""
    with mock.patch("reporting.pdf.report_pdf", return_value=b"%PDF-1.4 fake") as render:
        yield render
