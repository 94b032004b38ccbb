"""In a browser: a clerk edits a licence that the manager saves meanwhile; the clerk's save is
refused with the manager's version beside the form, and saving again overwrites knowingly."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from centers import actions
from centers.models import Licence
from conftest import browser_login
from core.stale import stamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_stale_licence_form_is_refused_then_saved_knowingly(page, manager, clerk, centre):
    licence = Licence.objects.create(
        centre=centre, name="医疗机构执业许可证", valid_from="2024-09-05"
    )
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/licences/")
    page.locator(f"#licence-{licence.pk}").get_by_role("link", name="编辑").click()
    page.get_by_label("证照编号").wait_for()
    page.wait_for_load_state("networkidle")  # the form is swapped in by htmx: let it settle
    page.get_by_label("证照编号").fill("乙-0002")
    expect(page.get_by_label("证照编号")).to_have_value("乙-0002")

    # Meanwhile the manager saves the same licence.
    actions.record_update(
        record=licence, data={"number": "甲-0001"}, based_on=stamp(licence), actor=manager
    )

    page.get_by_role("button", name="保存").click()
    page.locator("#stale-conflict").wait_for()
    assert "在您编辑期间，其他人（彭娅" in page.locator("#record-form").inner_text()
    assert page.get_by_label("证照编号").input_value() == "乙-0002"
    assert "甲-0001" in page.locator("#stale-conflict").inner_text()
    assert Licence.objects.get().number == "甲-0001"

    page.get_by_role("button", name="保存").click()
    page.locator("#record-table").get_by_text("乙-0002").wait_for()
    assert Licence.objects.get().number == "乙-0002"
