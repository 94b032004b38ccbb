"""In a browser: the API's documentation page (Swagger UI from our own static files) renders the
schema in Chinese under the Content-Security-Policy, and "try it out" reaches the API with the
page's session; the token page creates a token whose secret then works."""

from __future__ import annotations

import re

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"}`);
});
"""


def test_the_docs_page_renders_the_schema_without_a_csp_violation(browser, live_server, clerk):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    console, outside = [], []
    page.on("console", lambda m: console.append(m.text) if "Refused" in m.text else None)
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "健康中心通 API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector("text=推送数据值（dataValueSets）")
    assert page.locator(".opblock-tag", has_text="元数据").count() == 1
    assert page.evaluate("window.__csp") == [] and console == []
    assert outside == [], "no CDN: every file comes from the app"
    context.close()


def test_a_token_made_on_the_token_page_reads_the_api(page, live_server, clerk):
    browser_login(page, "clerk")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.get_by_role("link", name="接口令牌").click()
    page.get_by_label("令牌名称").fill("HIS 接口")
    page.get_by_role("button", name="创建令牌").click()
    secret = page.locator("#token-secret").inner_text()
    assert re.fullmatch(r"chc_[\w-]{43}", secret)
    assert page.locator("#token-table").get_by_text("HIS 接口").count() == 1
    answer = page.request.get(
        f"{live_server.url}/api/v1/centres/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200 and [c["slug"] for c in answer.json()["results"]] == ["ciqikou"]
