"""First journey in a real browser: a manager logs in, lands on their centre, cannot see another."""

from __future__ import annotations

import pytest

from centers.demo import load_centres_demo
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_lands_on_their_centre_and_gets_404_elsewhere(
    page, live_server, manager, centre, other_centre
):
    browser_login(page, "manager")
    page.wait_for_url(f"**/centres/{centre.slug}/")
    assert page.get_by_role("heading", level=1).inner_text() == centre.name
    assert page.get_by_text("法人证书登载事项").is_visible()

    response = page.goto(f"/centres/{other_centre.slug}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="页面不存在").is_visible()
    assert other_centre.name not in page.content()


def test_wrong_password_shows_the_chinese_message_in_the_browser(page, live_server, manager):
    browser_login(page, "manager", "not-the-password")
    assert page.get_by_text("请输入一个正确的").is_visible()
    assert page.get_by_label("用户名").input_value() == "manager"


def test_manager_adds_a_clerk_with_htmx_without_a_page_reload(page, live_server, manager, centre):
    browser_login(page, "manager")
    page.wait_for_url(f"**/centres/{centre.slug}/")
    page.get_by_role("link", name="成员", exact=True).click()
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.get_by_label("用户名").fill("wangxin")
    page.get_by_label("姓名").fill("王新")
    page.get_by_label("初始密码").fill("Sturdy-pass-42")
    page.get_by_role("button", name="添加", exact=True).click()
    page.locator("#member-table").get_by_text("wangxin").wait_for()
    assert page.get_by_text("已添加 wangxin").is_visible()
    assert page.evaluate("window.__marker") == 1


def test_a_printed_demo_login_works_in_the_browser(page, live_server):
    load_centres_demo()  # the logins `load_demo` prints
    browser_login(page, "reviewer", "chc-demo")
    page.wait_for_url("**/authorities/shapingba/centres/")
    assert page.get_by_text("共 3 个中心").is_visible()
    page.get_by_label("搜索").fill("双碑")
    page.get_by_text("共 1 个中心").wait_for()  # htmx live search, no submit
    assert "q=" in page.url
