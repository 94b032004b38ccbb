"""In a browser: a clerk types a month with the keyboard, meets a warning, explains it, completes
the month; the reviewer then sees it as reported."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from conftest import browser_login
from core.periods import add_months, month_start
from services.catalogue import load_catalogue
from services.models import ActivityKind, Indicator, Rate, TallyValue, ValidationRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Early December: November has ended (a month is marked complete once it has) and is still open.
@time_machine.travel(dt.datetime(2026, 12, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
def test_clerk_fills_explains_and_completes_a_month(browser, live_server, clerk, reviewer, centre):
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    month = add_months(month_start(timezone.localdate()), -1)
    ym = f"{month:%Y-%m}"
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/tallies/{month.year}/medical/")

    first = page.locator(f"#cell-total_visits-{ym} input")
    first.click()
    first.fill("100")
    first.press("Enter")  # saves and moves down to 门急诊人次
    second = page.locator(f"#cell-opd_visits-{ym} input")
    assert second.evaluate("el => el === document.activeElement")
    second.fill("150")
    second.press("Enter")
    page.locator(f"#cell-opd_visits-{ym}.needs-comment").wait_for()
    page.locator(f"#cell-opd_visits-{ym}.is-saved").wait_for()
    page.locator("#open-warnings").get_by_text("门急诊人次").first.wait_for()  # refreshed by itself
    assert TallyValue.objects.get(indicator__code="opd_visits").value == 150

    # Completing is refused while the warning has no explanation.
    page.locator(f"#month-{ym}").get_by_role("button", name="报送").click()
    page.get_by_text("标记已报送前，请先说明本月所有警告").wait_for()

    page.locator(f"#cell-opd_visits-{ym} button.mark").click()
    panel = page.locator("#cell-detail")
    panel.get_by_text("应 ≤ 总诊疗人次").wait_for()
    panel.get_by_label("说明").fill("含发热门诊转诊人次")
    panel.get_by_role("button", name="保存说明").click()
    panel.get_by_text("说明已保存").wait_for()
    page.locator(f"#cell-opd_visits-{ym} button.mark svg.icon-check").wait_for()
    # The answer's history stays in the panel (the out-of-band cell must not unsettle it).
    assert panel.locator("table.grid tr", has_text="含发热门诊转诊人次").count() == 1
    assert page.locator("body > tr, body > td, main > tr").count() == 0
    page.locator("#open-warnings.is-empty").wait_for(state="attached")
    page.locator(f"#month-{ym}").get_by_role("button", name="报送").click()
    page.get_by_text("以下类别本月没有任何数据：").wait_for()  # asked before marking
    page.get_by_role("button", name="确认这些类别为空并标记已报送").click()
    page.get_by_text("已标记为已报送").wait_for()
    assert page.locator(f"#month-{ym}").get_by_text("已报").is_visible()
    context.close()

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    browser_login(page, "reviewer")
    page.goto(f"/authorities/{centre.sponsor.slug}/tallies/{month.year}/")
    row = page.locator("#completeness tbody tr", has_text=centre.name)
    # Only 医疗服务 was filled in: 13 of the 14 categories with monthly indicators are empty.
    assert row.locator("td").nth(month.month).inner_text() == "已报\n13类无数据"
    context.close()


def test_saving_a_cell_leaves_the_console_clean(browser, live_server, clerk, centre):
    # 活产数 weighs on maternal rates too, which are not on the children page: the answer must
    # not carry out-of-band rates without a target (htmx:oobErrorNoTarget), and no page may send
    # a Permissions-Policy feature Chromium does not know.
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    today = timezone.localdate()
    ym = f"{today:%Y-%m}"
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/tallies/{today.year}/children/")
    page.locator(f"#cell-live_births-{ym} input").wait_for()
    assert not [m for m in console if "Permissions-Policy" in m], console
    console.clear()

    births = page.locator(f"#cell-live_births-{ym} input")
    births.fill("10")
    births.press("Enter")
    page.locator(f"#cell-live_births-{ym}.is-saved").wait_for()
    page.locator("#open-warnings").wait_for(state="attached")
    page.wait_for_timeout(300)  # htmx logs a missing target just after the swap
    assert TallyValue.objects.get(indicator__code="live_births").value == 10
    assert [m for m in console if m.startswith(("error", "warning", "pageerror"))] == []
    context.close()


def test_at_1024_px_the_grid_keeps_its_names_in_view_and_the_menu_whole(
    browser, live_server, clerk, centre
):
    """An office screen of 1024 px: the months scroll under a fixed column of indicator names,
    and every item of the centre's menu is inside the window (none clipped)."""
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    today = timezone.localdate()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/tallies/{today.year}/medical/")
    name = page.locator(".tally-grid tbody th[scope=row]").first
    name.wait_for()
    scroller = page.locator(".tally-grid").locator(
        "xpath=ancestor::*[contains(@class,'scroll')][1]"
    )
    before = name.bounding_box()["x"]
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # twelve months do not fit
    scroller.evaluate("e => { e.scrollLeft = 400; }")
    page.wait_for_timeout(100)
    assert abs(name.bounding_box()["x"] - before) < 1  # the names stay where they were
    for link in page.locator(".subnav a").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1024, link.inner_text()
    context.close()
