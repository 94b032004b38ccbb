"""Fixtures shared by the filing tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from centers.models import CentreYear, FundingSource
from reporting import actions


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
    return actions.filing_open(centre=centre, year=2024, actor=manager)
