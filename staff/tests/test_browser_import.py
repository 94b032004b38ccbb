"""In a browser: a clerk imports a roster, checks the preview, confirms, and the figures change."""

from __future__ import annotations

import datetime as dt

import pytest

from centers.models import Department
from conftest import browser_login
from staff.tests.test_excel_import import GOOD, workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_imports_a_roster_and_the_figures_change(page, live_server, clerk, centre, tmp_path):
    Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )
    rows = [
        {
            **GOOD,
            "姓名": f"护士{i}",
            "身份证号": "",
            "出生日期": f"199{i}-01-0{i + 1}",
            "入职日期": "2024-01-01",
        }
        for i in range(3)
    ]
    rows.append(
        {
            **GOOD,
            "姓名": "离职者",
            "身份证号": "",
            "出生日期": "1991-02-03",
            "入职日期": "2023-01-01",
            "离职日期": "2024-06-30",
            "离职原因": "辞职",
        }
    )
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(workbook(*rows))

    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/staff/figures/?year=2024")
    assert page.locator("#departure-rate").inner_text() == "—"

    page.goto(f"/centres/{centre.slug}/staff/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.get_by_label("花名册文件（.xlsx）").set_input_files(str(path))
    page.get_by_role("button", name="检查文件").click()
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "新增人员 4" in summary.inner_text()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("导入完成：新增人员 4 人").wait_for()

    page.goto(f"/centres/{centre.slug}/staff/figures/?year=2024")
    # Month ends: Jan–Jun 4 people, Jul–Dec 3 → average 3.5; 1 departure ÷ 3.5 = 28.57%.
    assert page.locator("#average-headcount").inner_text() == "3.50"
    assert page.locator("#departure-rate").inner_text() == "28.57%"
