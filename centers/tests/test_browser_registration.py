"""In a browser: a manager registers a new legal representative; a reviewer reads, cannot edit."""

from __future__ import annotations

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_records_a_change_and_reviewer_only_reads(
    browser, live_server, manager, reviewer, centre
):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    browser_login(page, "manager")
    page.wait_for_url(f"**/centres/{centre.slug}/")
    page.get_by_role("link", name="登记事项", exact=True).click()

    # Choosing the item loads its current value as the old value (htmx).
    page.get_by_label("登记事项").select_option("legal_representative")
    page.wait_for_function("() => document.querySelector('#id_old_value').value === '张三'")
    page.get_by_label("变更后").fill("王五")
    page.get_by_label("变更日期").fill("2024-03-01")
    page.get_by_label("办理日期").fill("2024-03-05")
    page.get_by_role("button", name="保存").click()
    page.locator("#change-table").get_by_text("王五").wait_for()
    assert page.locator("#centre-info").get_by_text("王五").is_visible()

    # The generated statement for 2024.
    page.get_by_label("报告年度").fill("2024")
    # Submitting works with or without htmx attached yet (the form has a plain GET fallback).
    page.locator("#statement").get_by_role("button", name="显示").click()
    statement = page.locator("#statement-text")
    statement.get_by_text("法定代表人由张三变更为王五").wait_for()
    assert statement.inner_text() == "2024年3月5日办理法人变更登记，法定代表人由张三变更为王五。"

    # The change's history.
    page.locator("#change-table").get_by_role("button", name="历史").first.click()
    panel = page.locator("#history-panel")
    panel.get_by_text("彭娅").first.wait_for()  # the person's name, not the login
    assert "变更后" in panel.inner_text() and "王五" in panel.inner_text()
    context.close()

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    browser_login(page, "reviewer")
    page.goto(f"/centres/{centre.slug}/registration/")
    assert page.locator("#centre-info").get_by_text("王五").is_visible()
    assert page.locator("#change-table").get_by_text("王五").is_visible()
    assert page.get_by_role("button", name="编辑").count() == 0
    assert page.locator("#change-form").count() == 0
    # A hand-made POST with a valid CSRF token is refused for the role, not for the token.
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"/centres/{centre.slug}/registration/changes/add/",
        form={"item": "legal_representative", "old_value": "王五", "new_value": "赵六"},
        headers={"X-CSRFToken": token, "Referer": live_server.url + "/"},
    )
    assert refused.status == 403
    assert "无权操作" in refused.text()
    context.close()


def test_choosing_the_item_keeps_what_was_typed(browser, live_server, manager, centre):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    browser_login(page, "manager")
    page.wait_for_url(f"**/centres/{centre.slug}/")
    page.goto(f"/centres/{centre.slug}/registration/")
    page.get_by_label("变更后").fill("重庆市沙坪坝区新地址1号")
    page.get_by_label("变更日期").fill("2025-05-01")
    page.get_by_label("登记事项").select_option("address")
    page.wait_for_function(
        f"() => document.querySelector('#id_old_value').value === '{centre.address}'"
    )
    assert page.get_by_label("变更后").input_value() == "重庆市沙坪坝区新地址1号"
    assert page.get_by_label("变更日期").input_value() == "2025-05-01"
    # Another item: the old value filled in for 住所 follows; what was typed stays.
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling')")
    page.get_by_label("登记事项").select_option("legal_representative")
    page.wait_for_function("() => document.querySelector('#id_old_value').value === '张三'")
    assert page.get_by_label("变更后").input_value() == "重庆市沙坪坝区新地址1号"
    context.close()
