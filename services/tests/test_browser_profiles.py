"""In a browser: a clerk makes an import profile from a HIS sample, corrects one proposal, imports
a month through it, checks the preview, confirms, and finds the values in the grid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from openpyxl import Workbook

from conftest import browser_login
from services.catalogue import load_catalogue
from services.models import ActivityKind, ImportProfile, Indicator, Rate, TallyValue, ValidationRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sample(path, month: dt.date, visits: int, discharges: int, income: int):
    """A HIS export whose 就诊人次 is what this centre's system calls 门急诊人次; the month an
    Excel date."""
    book = Workbook()
    sheet = book.active
    sheet.append(["磁器口社区卫生服务中心工作量统计"])
    sheet.append([])
    sheet.append(["统计月份", "就诊人次", "出院人次", "门急诊收入(元)"])
    sheet.append([month, visits, discharges, income])
    sheet.cell(4, 1).number_format = "yyyy年m月"
    book.save(path)
    return path


def test_clerk_makes_a_profile_from_a_sample_and_imports_a_month(page, clerk, centre, tmp_path):
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    month = timezone.localdate().replace(day=1)
    sample = _sample(tmp_path / "HIS导出.xlsx", month, 8000, 30, 1234567)
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/tallies/profiles/")
    page.get_by_role("link", name="由样例文件新建配置").click()
    # Pressed before choosing a file: the file field alone says so.
    page.get_by_role("button", name="读取列名").click()
    page.locator("#id_file-error").filter(has_text="请选择样例文件。").wait_for()
    assert page.locator(".error").count() == 1 and page.locator("#profile-form").count() == 0
    page.get_by_label("样例文件（.xlsx或.csv）").set_input_files(str(sample))
    page.get_by_role("button", name="读取列名").click()

    rows = page.locator("#profile-columns tbody tr")
    rows.first.wait_for()
    visits = rows.filter(has=page.locator('input[value="就诊人次"]'))
    # Proposed, with its reason shown: 就诊人次 resembles 总诊疗人次 …
    assert visits.locator("select[name$='-role']").input_value() == "total_visits"
    assert "相似" in visits.inner_text()
    income = rows.filter(has=page.locator('input[value="门急诊收入(元)"]'))
    assert income.locator("select[name$='-role']").input_value() == "opd_income"
    assert income.locator("input[name$='-scale']").input_value() == "0.0001"
    # … but in this HIS it counts 门急诊: the clerk corrects it, names the profile, saves.
    visits.locator("select[name$='-role']").select_option("opd_visits")
    page.get_by_label("名称").fill("本院HIS月报")
    page.get_by_role("button", name="保存配置").click()
    page.get_by_text("导入配置已保存。").wait_for()
    profile = ImportProfile.objects.get()
    assert [m["indicator"] for m in profile.mappings] == ["opd_visits", "discharges", "opd_income"]

    # A month through the new profile: the preview first, nothing saved until confirmed.
    page.get_by_role("link", name="导入文件").click()
    page.get_by_label("导入配置").select_option(label="本院HIS月报")
    upload = _sample(tmp_path / "本月.xlsx", month, 8150, 28, 1150000)
    page.get_by_label("文件（.xlsx或.csv）").set_input_files(str(upload))
    page.get_by_role("button", name="检查文件").click()
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "将修改 3 个数值" in summary.inner_text()
    changes = page.locator("#import-changes").inner_text()
    assert "门急诊人次" in changes and "8150" in changes and "115" in changes
    assert not TallyValue.objects.exists()
    page.get_by_role("button", name="确认导入").click()
    page.locator("#import-result").wait_for()
    assert "新增3个数值" in page.locator("#import-result").inner_text()

    # The values are in the grid: 8150 门急诊, 28 出院, 1,150,000 元 = 115 万元.
    page.goto(f"/centres/{centre.slug}/tallies/{month.year}/medical/")
    ym = f"{month:%Y-%m}"
    assert page.locator(f"#cell-opd_visits-{ym} input").input_value() == "8150"
    assert page.locator(f"#cell-discharges-{ym} input").input_value() == "28"
    assert page.locator(f"#cell-opd_income-{ym} input").input_value() == "115"
