"""In a browser, on the demo data: the district reviewer's dashboard (table, sorting, chart, XLSX)
and work summaries (create, trace, save texts, versions, regenerate); a centre manager sees only
the centre's own summaries."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from centers.demo import DEMO_PASSWORD
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR")  # e.g. SHOTS_DIR=/tmp/shots to look at the pages
DISTRICT = {"磁器口", "双碑", "小龙坎"}


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=io.StringIO())


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _login(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, username, DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _column(page, n: int) -> list[str]:
    return page.locator(f"#dashboard tbody tr td:nth-child({n})").all_inner_texts()


def _centres(page) -> list[str]:
    return _column(page, 2)


def _ranks(page) -> list[str]:
    return _column(page, 1)


def test_dashboard_rows_sorting_chart_and_xlsx(browser, live_server, demo):
    ctx, page = _login(browser, live_server, "reviewer")
    page.goto("/authorities/shapingba/dashboard/?year=2024&part=h1")
    names = _centres(page)
    short = {n.removeprefix("重庆市沙坪坝区").removesuffix("社区卫生服务中心") for n in names}
    assert len(names) == 3 and short == DISTRICT  # not 杨家坪, another district
    # Default: best score first; 双碑 and 小龙坎 both score 58.85 in the demo, so they share rank 2.
    assert _ranks(page) == ["1", "2", "2"]
    assert "综合得分（方案" in page.locator("#score-formula").inner_text()  # the default scheme
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('trend-chart')) !== undefined"
    )
    drawn = "document.getElementById('trend-chart').getBoundingClientRect().height > 0"
    assert page.evaluate(drawn)
    _shot(page, "dashboard")
    # Another indicator's trend replaces the chart alone: same page, same table.
    other = page.locator("select[name=trend] option").nth(1)
    value, label = other.get_attribute("value"), other.inner_text()
    page.locator("select[name=trend]").select_option(value)
    page.locator("#trend-card h2", has_text=label).wait_for()
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('trend-chart')) !== undefined"
    )
    assert page.url.endswith("?year=2024&part=h1") and _centres(page) == names

    page.locator("#dashboard thead").get_by_role("link", name="综合得分").click()
    page.wait_for_url("**sort=score*")
    # The score is the last column (沙坪坝's own HPV indicator adds one before it).
    scores = [float(s) for s in page.locator("#dashboard tbody tr td:last-child").all_inner_texts()]
    assert scores == sorted(scores)  # ascending; demo 双碑 and 小龙坎 tie at 58.85
    assert _ranks(page)[-1] == "1" and _centres(page)[-1] == names[0]
    header = page.locator("#dashboard thead").get_by_role("link", name="综合得分")
    assert header.get_attribute("aria-sort") == "ascending"

    with page.expect_download() as download:
        page.locator("#dashboard-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as xlsx:
        assert xlsx.read(2) == b"PK"  # a zip, as XLSX files are
    ctx.close()


def test_reviewer_writes_a_year_summary(browser, live_server, demo):
    ctx, page = _login(browser, live_server, "reviewer")
    page.goto("/authorities/shapingba/summaries/")
    form = page.locator("#summary-create")
    form.locator("select[name=kind]").select_option("year")
    form.locator("input[name=year]").fill("2024")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("form#summary-outline")
    assert page.locator("h1").inner_text().startswith("重庆市沙坪坝区")
    figure = page.locator("p.generated[data-source=medical] span.fig").first
    assert "范围：3个中心" in figure.get_attribute("title")
    assert page.locator("#summary-pdf").is_visible() and page.locator("#summary-docx").is_visible()
    versions = page.locator("#versions li").count()

    medical = page.locator("section.outline-section", has=page.locator('input[value="医疗服务"]'))
    medical.locator("textarea[name^=n-]").fill("门诊量稳步增长，家庭医生签约扎实推进。")
    plans = page.locator("section[data-role=plans]")
    plans.locator("textarea[name^=n-]").fill("下半年重点抓慢病规范管理。")
    page.locator("#save-texts").click()
    page.wait_for_selector("#outline-saved")  # saved without leaving the page
    _shot(page, "summary-saved")
    assert page.locator("#versions li").count() == versions + 1

    page.reload()
    written = medical.locator(".outline-text textarea").first
    assert written.input_value() == "门诊量稳步增长，家庭医生签约扎实推进。"
    page.locator("#regenerate").click()
    page.wait_for_selector("#messages .flash-success")
    assert written.input_value() == "门诊量稳步增长，家庭医生签约扎实推进。"
    assert (
        plans.locator(".outline-text textarea").first.input_value() == "下半年重点抓慢病规范管理。"
    )
    assert "范围：3个中心" in page.locator(
        "p.generated[data-source=medical] span.fig"
    ).first.get_attribute("title")
    ctx.close()


def test_manager_sees_only_the_centre_summaries(browser, live_server, demo):
    ctx, page = _login(browser, live_server, "manager")
    response = page.goto("/authorities/shapingba/summaries/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    _shot(page, "manager-404")

    page.goto("/centres/ciqikou/")
    page.locator("nav.subnav").get_by_role("link", name="工作总结").click()
    page.wait_for_url("**/centres/ciqikou/summaries/")
    rows = page.locator("#summaries tbody tr")
    assert rows.count() == 1
    assert "磁器口" in rows.first.inner_text()
    _shot(page, "centre-summaries")
    rows.first.get_by_role("link").click()
    page.wait_for_selector("form#summary-outline")
    assert "范围：1个中心" in page.locator(
        "p.generated[data-source=medical] span.fig"
    ).first.get_attribute("title")
    ctx.close()
