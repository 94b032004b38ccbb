"""In a browser: a clerk adds a training with its certificate on the person page, in place, then
edits it; the section swaps without a page load and the training list counts it."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import browser_login
from staff.models import Training
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_clerk_records_a_training_in_place(page, live_server, clerk, centre, tmp_path):
    spell = SpellFactory(
        person=PersonFactory(centre=centre, name="王芳"), hired_on=dt.date(2022, 3, 1)
    )
    certificate = tmp_path / "结业证书.pdf"
    certificate.write_bytes(PDF)
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/staff/people/{spell.person_id}/")
    form = page.locator("#training-form")
    form.locator("summary").click()  # the add form is folded until opened
    form.get_by_label("培训类型").select_option("further_study")
    form.get_by_label("培训地点（单位）").fill("重庆医科大学附属第一医院")
    form.locator("#id_started_on").fill("2024-03-01")
    form.locator("#id_ended_on").fill("2024-02-01")  # before it starts
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    form.get_by_role("button", name="保存").click()
    page.locator("#id_ended_on-error").wait_for()
    assert "培训结束日期早于开始日期" in page.locator("#training-section").inner_text()
    form = page.locator("#training-form")
    form.locator("#id_ended_on").fill("2024-05-31")
    form.get_by_label("学分").fill("10")
    form.locator("input[type=file]").set_input_files(str(certificate))
    form.get_by_role("button", name="保存").click()
    page.locator("#training-section tr[id^=training-]").wait_for()
    assert page.evaluate("window.__marker") == 1
    record = Training.objects.get()
    assert record.certificate_name == "结业证书.pdf" and record.credits == 10
    page.screenshot(path=str(tmp_path / "person.png"), full_page=True)
    page.locator(f"#training-{record.pk}").get_by_role("link", name="编辑").click()
    page.locator("#training-form summary", has_text="编辑").wait_for()  # the editor swapped in
    form = page.locator("#training-form")
    form.get_by_label("培训地点（单位）").fill("重庆市急救医疗中心")
    form.get_by_role("button", name="保存").click()
    page.locator(f"#training-{record.pk}", has_text="重庆市急救医疗中心").wait_for()
    assert Training.objects.get().place == "重庆市急救医疗中心"
    page.goto(f"/centres/{centre.slug}/staff/training/?year=2024")
    assert page.locator("#training-times").inner_text() == "1"
