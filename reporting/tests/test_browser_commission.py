"""In a browser, a commission configures what is counted (issue 14): the district's administrator
adds two indicators, a rate and a rule in its 指标目录; a clerk of one of its centres enters them
and gets the rule's warning; the district's summary and dashboard quote them; a centre of another
district never sees them, nor can it save them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from conftest import browser_login
from core.periods import add_months
from services.catalogue import load_catalogue
from services.models import ActivityKind, Indicator, Rate, TallyValue, ValidationRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIRST, SECOND = "HPV疫苗首针接种人数", "HPV疫苗第二针接种人数"


def _as(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_login(page, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _add(page, section: str, fields) -> None:
    """Open a section's 添加 form, fill it as a person would, save, and land back on the page."""
    page.locator(f"#new-{section}").click()
    page.locator("#definition-form").wait_for()
    fields(page.locator("#definition-form"))
    page.locator("#definition-form").get_by_role("button", name="保存").click()
    page.get_by_text("定义已保存。").wait_for()


def _indicator(code: str, name: str):
    def fill(form):
        form.get_by_label("代码").fill(code)
        form.get_by_label("名称").fill(name)
        form.get_by_label("类别").select_option(label="预防接种")
        form.get_by_label("单位").fill("人")

    return fill


def _rate(form) -> None:
    form.get_by_label("代码").fill("hpv_completion")
    form.get_by_label("名称").fill("HPV疫苗第二针完成率")
    form.get_by_label("类别").select_option(label="预防接种")
    form.get_by_label("分子").select_option(label=SECOND)
    form.get_by_label("分母").select_option(label=FIRST)
    form.get_by_label("单位换算").select_option(label="%")


def _rule(form) -> None:
    form.get_by_label("左侧指标").select_option(label=SECOND)
    form.get_by_label("比较符").select_option(label="≤")
    form.get_by_label("右侧指标").select_option(label=FIRST)
    form.get_by_label("严重程度").select_option("warning")


def _type(page, code: str, month: str, value: str) -> None:
    cell = page.locator(f"#cell-{code}-{month} input")
    cell.fill(value)
    cell.press("Tab")
    page.locator(f"#cell-{code}-{month}.is-saved").wait_for()


def test_a_district_indicator_from_catalogue_to_grid_summary_and_dashboard(
    browser,
    live_server,
    district,
    district_admin,
    centre,
    clerk,
    reviewer,
    other_centre,
    other_member,
):
    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # flushed by transactional tests
    # The clerk types into this month; the pages are read on the 5th of the next, when it has
    # ended (summaries and the dashboard count ended months) and is still open (30 days).
    # Forward, never back: the browser would drop a session cookie that expired by its clock.
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    month = dt.datetime.now(zone).date().replace(day=1)
    year, ym = month.year, f"{month:%Y-%m}"
    later = dt.datetime.combine(add_months(month, 1).replace(day=5), dt.time(9), tzinfo=zone)

    with time_machine.travel(later, tick=True):
        # 1. The administrator goes from the district's centre list to its 指标目录.
        ctx, page = _as(
            browser, live_server, district_admin.username
        )  # home: the district's centre list
        page.get_by_role("link", name="指标目录").click()
        page.wait_for_url(f"**/authorities/{district.slug}/catalogue/")
        _add(page, "indicators", _indicator("hpv_first_dose", FIRST))
        _add(page, "indicators", _indicator("hpv_second_dose", SECOND))
        _add(page, "rates", _rate)
        _add(page, "rules", _rule)
        expect(page.locator("#indicators-own")).to_contain_text(FIRST)
        expect(page.locator("#indicators-own")).to_contain_text(SECOND)
        expect(page.locator("#rates-own")).to_contain_text("HPV疫苗第二针完成率")
        expect(page.locator("#rules-own")).to_contain_text(f"{SECOND} ≤ {FIRST}")
        ctx.close()

        # 2. A clerk of the district's centre types a second dose above the first: the rule warns.
        ctx, page = _as(browser, live_server, clerk.username)
        page.goto(f"/centres/{centre.slug}/tallies/{year}/vaccination/")
        expect(page.locator("#tally-grid")).to_contain_text(FIRST)
        _type(page, "hpv_first_dose", ym, "40")
        _type(page, "hpv_second_dose", ym, "50")
        span = f"{year}年1月" if month.month == 1 else f"{year}年1–{month.month}月累计"
        warning = f"{span}{SECOND}（50）应 ≤ {FIRST}（40）。"
        expect(page.locator("#open-warnings")).to_contain_text(warning)
        mark = page.locator(f"#cell-hpv_second_dose-{ym} button.mark")
        assert mark.get_attribute("title").strip() == warning  # on the left-hand cell
        assert page.locator(f"#cell-hpv_first_dose-{ym} button.mark").count() == 0
        expect(page.locator(f"#rate-hpv_completion-{ym}")).to_have_text("125.00%")  # 50 ÷ 40
        ctx.close()
        saved = TallyValue.objects.filter(centre=centre, period=month)
        assert {v.indicator.code: int(v.value) for v in saved} == {
            "hpv_first_dose": 40,
            "hpv_second_dose": 50,
        }

        # 3. The district's reviewer writes the year's summary and reads the dashboard.
        ctx, page = _as(browser, live_server, reviewer.username)  # home: the district's centre list
        page.get_by_role("link", name="工作总结").click()
        form = page.locator("#summary-create")
        form.get_by_label("期间").select_option("year")
        form.get_by_label("年度").fill(str(year))
        form.get_by_role("button", name="生成总结").click()
        page.wait_for_selector("form#summary-outline")
        own = page.locator('p.generated[data-source="commission"]')
        expect(page.locator('input.outline-title[value="卫健委自定指标"]')).to_have_count(1)
        expect(own).to_contain_text(f"{FIRST}40人，上年同期无可比数据")
        expect(own).to_contain_text(f"{SECOND}50人")

        page.get_by_role("link", name="全部总结").click()
        page.get_by_role("link", name="数据看板").click()
        period = page.locator("#dashboard-period")
        period.get_by_label("年度").fill(str(year))
        period.get_by_label("期间").select_option("year")
        period.get_by_role("button", name="显示").click()
        page.wait_for_url("**part=year*")
        headers = page.locator("#dashboard thead th").all_inner_texts()
        column = [h.strip() for h in headers].index(FIRST) + 1
        row = page.locator("#dashboard tbody tr", has_text=centre.name)
        expect(row.locator(f"td:nth-child({column})")).to_have_text("40")
        ctx.close()

        # 4. A centre of another district: no such row, and saving it is a 404.
        ctx, page = _as(browser, live_server, other_member.username)
        page.goto(f"/centres/{other_centre.slug}/tallies/{year}/vaccination/")
        grid = page.locator("#tally-grid")
        expect(grid).to_contain_text("建立预防接种证人数")  # the system's rows are there
        expect(grid).not_to_contain_text("HPV")
        token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
        url = f"/centres/{other_centre.slug}/tallies/cell/"

        def save(code: str):
            data = {"indicator": code, "period": month.isoformat(), "value": "5", "base": ""}
            return page.request.post(url, form=data, headers={"X-CSRFToken": token})

        assert save("hpv_first_dose").status == 404
        assert save("vac_cert_done").status == 200  # the same request, for a row it has
        ctx.close()
        theirs = TallyValue.objects.filter(centre=other_centre)
        assert list(theirs.values_list("indicator__code", flat=True)) == ["vac_cert_done"]
