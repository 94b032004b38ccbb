"""In a browser: the manager saves a tally cell while a clerk has the grid open; the clerk's
value is not written over theirs but shown beside it, and "save mine" then overwrites on purpose."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import browser_login
from services import actions
from services.catalogue import load_catalogue
from services.models import ActivityKind, Indicator, Rate, TallyValue, ValidationRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cell_saved_meanwhile_is_a_conflict_then_saved_knowingly(page, manager, clerk, centre):
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    today = timezone.localdate()
    month = today.replace(day=1)
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/tallies/{today.year}/medical/")
    cell = page.locator(f"#cell-total_visits-{today:%Y-%m}")
    cell.locator("input").wait_for()

    # Meanwhile the manager saves the same cell from another grid.
    actions.tally_save(
        centre=centre,
        indicator=Indicator.objects.get(code="total_visits"),
        period=month,
        raw="100",
        actor=manager,
        base="",
    )

    cell.locator("input").fill("120")
    cell.locator("input").press("Tab")
    page.locator(f"#cell-total_visits-{today:%Y-%m}.has-conflict").wait_for()
    assert "彭娅" in cell.inner_text() and "100" in cell.inner_text()
    assert cell.locator("input").input_value() == "120"
    assert TallyValue.objects.get().value == 100

    cell.get_by_role("button", name="保存我的值").click()
    page.locator(f"#cell-total_visits-{today:%Y-%m}.is-saved").wait_for()
    assert TallyValue.objects.get().value == 120
