"""A tally save and an approval of the same year cannot interleave: the save checks the freeze
again once it holds the centre's lock, which approval takes too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from services import actions
from services.models import FrozenYear, Indicator, TallyValue

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2024, 5, 20, 10, 0))
def test_a_save_is_refused_when_the_year_was_approved_while_it_waited(centre, clerk, monkeypatch):
    real = actions._cell_catalogue

    def approve_meanwhile(*args, **kwargs):
        # Runs before the save takes the centre's row lock, where a concurrent approval would
        # commit while the save waits.
        FrozenYear.objects.create(centre=centre, year=2024)  # what approving the filing writes
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "_cell_catalogue", approve_meanwhile)
    result = actions.tally_save(
        centre=centre,
        indicator=Indicator.objects.get(code="opd_visits"),
        period=dt.date(2024, 4, 1),
        raw="10",
        actor=clerk,
    )
    assert "2024年度报告已审核通过" in result.error
    assert not TallyValue.objects.exists()
