"""In a browser: the manager submits, the reviewer returns with a reason, the manager fixes and
resubmits, the reviewer sees the difference and approves; the PDF downloads; the public page shows it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from centers.models import CentreYear, FundingSource
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _complete(centre):
    centre.credit_code = "12500106450412352T"
    centre.purpose = "为人民健康提供基本医疗卫生服务。"
    centre.capital = Decimal("233.88")
    centre.funding_source, _ = FundingSource.objects.get_or_create(name="财政补助(全额拨款)")
    centre.save()
    CentreYear.objects.create(
        centre=centre,
        year=2024,
        net_assets_begin=Decimal("244.64"),
        net_assets_end=Decimal("233.88"),
    )


def _as(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    browser_login(page, username)
    return context, page


def test_submit_return_resubmit_approve_and_pdf(browser, live_server, manager, reviewer, centre):
    _complete(centre)
    url = f"/centres/{centre.slug}/filings/2024/"

    ctx, page = _as(browser, live_server, "manager")
    page.goto(url)
    page.get_by_role("button", name="开始填写（自动按本中心记录预填）").click()
    page.get_by_label("开展业务活动情况").fill("全年开展义诊20次。")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("button", name="提交审核").click()
    assert page.locator("#filing-status").inner_text() == "待审核"
    ctx.close()

    ctx, page = _as(browser, live_server, "reviewer")
    page.goto(url)
    assert page.get_by_text("全年开展义诊20次。").is_visible()
    page.get_by_label("退回原因").fill("请补充集中下社区体检的情况。")
    page.get_by_role("button", name="退回").click()
    assert page.locator("#filing-status").inner_text() == "已退回"
    ctx.close()

    ctx, page = _as(browser, live_server, "manager")
    page.goto(url)
    # The reason is at the top of the page, and in the timeline too.
    assert page.locator("#return-reason").get_by_text("请补充集中下社区体检的情况。").is_visible()
    assert page.locator("q").get_by_text("请补充集中下社区体检的情况。").count() == 1
    page.get_by_label("开展业务活动情况").fill("全年开展义诊20次，集中下社区体检73次。")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("button", name="提交审核").click()
    assert page.locator("#filing-status").inner_text() == "待审核"
    ctx.close()

    ctx, page = _as(browser, live_server, "reviewer")
    page.goto(url)
    diff = page.locator("#diff")
    assert "第2版与第1版相比的修改" in diff.inner_text()
    assert diff.locator("ins").first.inner_text() == "，集中下社区体检73次"
    page.get_by_role("button", name="审核通过").click()
    assert page.locator("#filing-status").inner_text() == "审核通过"
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF（第2版）").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # 公示 is the registration office's, recorded by the centre after filing on 事业单位在线
    # (test_browser_filing_chain.py): the commission has no button of its own for it.
    assert page.get_by_role("button", name="公示", exact=True).count() == 0
    ctx.close()


def test_the_import_asks_first_and_keeps_what_was_typed(browser, live_server, manager, centre):
    """从年度工作总结导入: the button carries the box's unsaved text to a confirmation that shows
    both texts; appending keeps the typing, and the history box lists the save and the import."""
    import datetime as dt

    from reporting import actions
    from reporting.models import Summary
    from reporting.tests.test_annual_narrative import FIGURES, IMPORTED, TEXTS

    _complete(centre)
    actions.filing_open(centre=centre, year=2024, actor=manager)
    Summary.objects.create(
        centre=centre,
        kind="year",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 12, 1),
        title="磁器口社区卫生服务中心2024年工作总结",
        figures=FIGURES,
        texts=TEXTS,
        status="accepted",
    )
    ctx, page = _as(browser, live_server, "manager")
    page.goto(f"/centres/{centre.slug}/filings/2024/")
    typed = "我刚打的字，还没保存。"
    page.get_by_label("开展业务活动情况").fill(typed)
    page.locator("#narrative-import-button").click()
    assert page.locator("#import-current").inner_text() == typed
    assert page.locator("#import-unsaved").is_visible()
    assert "（一）聚焦党建引领" in page.locator("#import-new").inner_text()
    assert "历史记录" in page.locator("#import-question").inner_text()
    page.locator("#import-append").click()
    assert page.get_by_label("开展业务活动情况").input_value() == typed + "\n" + IMPORTED
    history = page.locator("#timeline").inner_text()
    assert "保存业务活动情况" in history and "从年度工作总结导入业务活动情况" in history
    ctx.close()
