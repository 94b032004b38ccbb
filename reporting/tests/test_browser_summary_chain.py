"""In a browser, on the demo data: 磁器口 hands up its H1 2024 summary; 沙坪坝区 returns it with a
comment; the centre changes it and hands it up again; the district accepts it and compiles a
paragraph of it into the district's summary, where its source is shown."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from centers.demo import DEMO_PASSWORD
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INBOX = "/authorities/shapingba/summaries/received/?year=2024&part=h1"
PARAGRAPH = "磁器口上半年家庭医生签约扎实推进，重点人群签约率提高。"


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=io.StringIO())


def _login(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, username, DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _medical(page):
    return page.locator("section.outline-section", has=page.locator('input[value="医疗服务"]'))


def _open_centre_summary(page):
    page.goto("/centres/ciqikou/summaries/")
    page.locator("#summaries tbody tr").first.get_by_role("link").click()
    page.wait_for_selector("#summary-chain")


def test_hand_up_return_resubmit_accept_and_compile(browser, live_server, demo):
    centre_ctx, centre = _login(browser, live_server, "manager")
    _open_centre_summary(centre)
    centre.locator("#summary-submit").click()
    centre.wait_for_selector("#messages .flash-success")
    assert "已上报" in centre.locator("#summary-chain").inner_text()
    assert centre.locator("textarea").count() == 0  # handed up: nothing to edit

    district_ctx, district = _login(browser, live_server, "reviewer")
    district.goto(INBOX)
    assert (
        "上报截止日期为期末后10天，即2024年7月10日" in district.locator("#inbox-due").inner_text()
    )
    row = district.locator("tr[data-centre=ciqikou]")
    assert "已上报" in row.inner_text()
    row.locator("input[name=comment]").fill("请补充家庭医生签约情况。")
    row.locator("button.return").click()
    district.wait_for_selector("#messages .flash-success")
    assert "已退回" in district.locator("tr[data-centre=ciqikou]").inner_text()

    _open_centre_summary(centre)
    assert "请补充家庭医生签约情况。" in centre.locator("#summary-return-comment").inner_text()
    _medical(centre).locator("textarea[name^=n-]").fill(PARAGRAPH)
    centre.locator("#save-texts").click()
    centre.wait_for_selector("#outline-saved")  # saved in place
    centre.locator("#summary-changes").click()
    assert PARAGRAPH in centre.locator("#diff ins").first.inner_text()
    centre.go_back()
    centre.locator("#summary-submit").click()
    centre.wait_for_selector("#messages .flash-success")
    centre_ctx.close()

    district.goto(INBOX)
    row = district.locator("tr[data-centre=ciqikou]")
    assert "已上报" in row.inner_text()
    row.locator("button.accept").click()
    district.wait_for_selector("#messages .flash-success")
    assert "已接收" in district.locator("tr[data-centre=ciqikou]").inner_text()

    district.goto("/authorities/shapingba/summaries/")
    district.locator("#summaries tbody tr").filter(has_text="上半年").first.get_by_role(
        "link"
    ).click()
    district.locator("#summary-compile").click()
    district.get_by_label(PARAGRAPH).check()
    target = district.locator("#compile-target")
    assert target.locator("option:checked").inner_text().strip() == "（一）党建引领"
    target.select_option(label="\u3000（二）医疗服务")
    district.locator("#compile-submit").click()
    district.wait_for_selector("#messages .flash-success")
    medical = _medical(district)
    texts = [t.input_value() for t in medical.locator(".outline-text textarea").all()]
    assert PARAGRAPH in texts
    source = medical.locator(".summary-sources a", has_text="磁器口")
    assert source.count() == 1
    assert "/centres/ciqikou/summaries/" in source.get_attribute("href")
    # The figures stay beside the compiled text.
    assert medical.locator('p.generated[data-source="medical"]').inner_text()
    district_ctx.close()
