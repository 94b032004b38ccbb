"""In a browser, a new centre's first day (issue 13): the administrator creates it and its manager,
the manager imports an office's 花名册 and asks for last year's months, the reviewer opens them
from the work queue; the manager enters a month and submits last year's report; the reviewer finds
it from the home page and returns it; the manager reads why at the top of the report."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from centers.models import FundingSource
from centers.tests.factories import UserFactory
from conftest import PASSWORD, browser_login
from services.catalogue import load_catalogue
from services.models import ActivityKind, Indicator, Rate, TallyValue, ValidationRule
from staff.tests.test_import_optional_columns import office_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NAME = "童家桥社区卫生服务中心"


def _as(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_login(page, username)
    return context, page


def _fact(page, label: str) -> str:
    """The figure a 人员统计 line shows beside its label."""
    return page.locator(f"#professionals dt:text-is('{label}') + dd").inner_text().strip()


def test_a_new_centre_day_one(browser, live_server, district, reviewer, tmp_path):
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    FundingSource.objects.get_or_create(name="财政补助(全额拨款)")
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    last = timezone.localdate().year - 1
    jan = f"{last}-01"

    # 1. The administrator creates the centre under the district, then its manager.
    ctx, page = _as(browser, live_server, "admin")
    page.goto("/admin/centers/centre/add/")
    page.locator("#id_name").fill(NAME)
    page.locator("#id_slug").fill("tongjiaqiao")
    page.locator(".field-sponsor .select2-selection").click()
    page.locator(".select2-search__field").fill("沙坪坝")
    page.locator(".select2-results__option", has_text=district.name).click()
    page.locator("#id_address").fill("重庆市沙坪坝区童家桥正街1号")
    page.locator("#id_legal_representative").fill("周敏")
    page.locator("#id_credit_code").fill("12500106450412352T")
    page.locator("#id_purpose").fill("为人民健康提供基本医疗卫生服务。")
    page.locator("#id_capital").fill("233.88")
    page.locator("#id_funding_source").select_option(label="财政补助(全额拨款)")
    # It reports from this month (the default): last January lies before its back-fill window.
    page.locator("input[name=_save]").click()
    page.locator(".messagelist .success").wait_for()

    page.goto("/admin/auth/user/add/")
    page.locator("#id_username").fill("zhoumin")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("input[name=_continue]").click()
    page.locator("#id_first_name").fill("周敏")
    page.locator("#centre_memberships-group .add-row a").click()
    page.locator("select[name='centre_memberships-0-centre']").select_option(label=NAME)
    page.locator("select[name='centre_memberships-0-role']").select_option("MANAGER")
    page.locator("input[name=_save]").click()
    page.locator(".messagelist .success").wait_for()
    ctx.close()

    # 2. The manager imports the office's 花名册: a title row, 序号 and 备注, 身份证号码, 姓 名,
    # real titles, 大学本科, dates like 2016.07, the department 全科门诊 the centre lacks.
    roster = tmp_path / "职工花名册.xlsx"
    roster.write_bytes(office_file())
    ctx, page = _as(browser, live_server, "zhoumin")
    page.get_by_role("link", name="人员统计").wait_for()  # home: the centre's overview
    page.goto("/centres/tongjiaqiao/staff/import/")
    page.locator("input[type=file]").set_input_files(roster)
    page.get_by_role("button", name="检查文件").click()
    page.locator("#import-summary").get_by_text("新增人员 3").wait_for()
    expect(page.locator("#ignored-columns")).to_contain_text("序号、备注")  # listed, not dropped
    page.locator("#new-departments").get_by_label("全科门诊").check()
    page.locator("#establishment").get_by_label("编外-合同制").check()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("导入完成：新增人员 3 人").wait_for()
    page.get_by_role("link", name="人员统计").click()
    # By hand: 主治医师 and 副主任医师 are physicians, 主管护师 a nurse; all three still serve.
    assert _fact(page, "卫生技术人员") == "3"
    assert _fact(page, "执业（助理）医师") == "2"
    assert _fact(page, "注册护士") == "1"

    # 3. Last year is locked: the manager asks for it from the grid.
    page.goto(f"/centres/tongjiaqiao/tallies/{last}/medical/")
    locked = page.locator("#lock-summary .locked-span")
    assert locked.inner_text().startswith(f"{last}年1月")
    assert page.locator(f"#cell-total_visits-{jan} input").count() == 0
    locked.get_by_role("link", name="申请开放月份").click()
    assert page.get_by_label("起始月份").input_value() == jan
    page.get_by_label("原因").fill("补录开业以来的纸质台账")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("待审批").first.wait_for()
    ctx.close()

    ctx, page = _as(browser, live_server, "reviewer")  # home: the district's centre list
    page.locator("#work-queue").get_by_role("link", name="申请开放月份待处理").click()
    row = page.locator("#open-month-requests tr", has_text=NAME)
    expect(row).to_contain_text("补录开业以来的纸质台账")
    row.get_by_role("button", name="同意开放").click()
    row.get_by_text("已开放").wait_for()
    ctx.close()

    ctx, page = _as(browser, live_server, "zhoumin")
    page.goto(f"/centres/tongjiaqiao/tallies/{last}/medical/")
    cell = page.locator(f"#cell-total_visits-{jan} input")
    cell.fill("1200")
    cell.press("Enter")
    page.locator(f"#cell-total_visits-{jan}.is-saved").wait_for()
    assert TallyValue.objects.get(indicator__code="total_visits").value == 1200

    # 4. The manager opens last year's report, completes what it lacks and submits it.
    page.goto(f"/centres/tongjiaqiao/filings/{last}/")
    page.get_by_role("button", name="开始填写（自动按本中心记录预填）").click()
    expect(page.locator("#missing")).to_have_text(
        "尚未填写： 年初数(万元)、年末数(万元)、开展业务活动情况（标有（待中心填写）的部分）"
    )
    page.get_by_role("link", name="年度数据").click()
    form = page.locator("#record-form")
    form.get_by_label("年度").fill(str(last))
    form.get_by_label("净资产年初数（万元）").fill("244.64")
    form.get_by_label("净资产年末数（万元）").fill("233.88")
    form.get_by_role("button", name="保存").click()
    page.locator("#record-section tr", has_text="233.88").wait_for()
    page.goto(f"/centres/tongjiaqiao/filings/{last}/")
    page.get_by_role("button", name="按最新数据刷新预填内容").click()
    expect(page.locator("#missing")).to_have_text(
        "尚未填写： 开展业务活动情况（标有（待中心填写）的部分）"
    )
    # The draft leaves the coming year's plans to the centre: written, the report is complete.
    box = page.locator("#id_narrative")
    box.fill(box.input_value().replace("（待中心填写）", "做实家庭医生签约服务。"))
    page.locator("#narrative-form").get_by_role("button", name="保存").click()
    expect(page.locator("#missing")).to_have_count(0)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#filing-status")).to_have_text("待审核")
    ctx.close()

    # The reviewer finds it from the home page's queue and returns it with a reason.
    ctx, page = _as(browser, live_server, "reviewer")
    page.locator("#work-queue").get_by_role("link", name=f"{last}年度报告待审核").click()
    page.locator("#filings tr", has_text=NAME).get_by_role("link", name="审核").click()
    page.get_by_label("退回原因").fill("请补充全年诊疗人次。")
    page.get_by_role("button", name="退回").click()
    expect(page.locator("#filing-status")).to_have_text("已退回")
    ctx.close()

    ctx, page = _as(browser, live_server, "zhoumin")
    page.goto(f"/centres/tongjiaqiao/filings/{last}/")
    reason = page.locator("#return-reason")
    expect(reason).to_contain_text("请补充全年诊疗人次。")
    assert reason.bounding_box()["y"] < page.locator("#workflow").bounding_box()["y"]  # on top
    ctx.close()
