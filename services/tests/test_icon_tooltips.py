"""An icon inside an element with a tooltip leaves that tooltip to show (no SVG <title>)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from services.actions import tally_comment, tally_save
from services.models import Indicator

pytestmark = pytest.mark.django_db


def test_a_cells_mark_shows_its_comment_on_hover(client, centre, manager):
    indicator = Indicator.objects.filter(frequency=Indicator.Frequency.MONTHLY).first()
    period = dt.date.today().replace(day=1)
    tally_save(centre=centre, indicator=indicator, period=period, raw="12", actor=manager)
    tally_comment(
        centre=centre, indicator=indicator, period=period, comment="义诊", actor=manager, base=""
    )
    client.force_login(manager)
    url = reverse("services:tally-grid", args=[centre.slug, period.year, indicator.category])
    html = client.get(url).content.decode()
    button = re.search(r'<button type="button" class="mark"[^>]*title="义诊">(.*?)</button>', html)
    assert button, "the cell's mark button carries the comment as its tooltip"
    assert "<svg" in button.group(1) and "<title" not in button.group(1)
