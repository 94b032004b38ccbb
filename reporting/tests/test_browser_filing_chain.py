"""In a browser, the annual report's chain after review: the manager attaches the certificate and
submits; the reviewer approves and the standard 举办单位意见 is printed; the manager attaches the
signed scan (compressed to 100 KB), copies a field from the copy page, records the filing on
事业单位在线 and the registration office's 公示; the public page shows the report with its dates."""

from __future__ import annotations

import io
import os

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from conftest import browser_login
from reporting.models import DEFAULT_OPINION, AnnualFiling, FilingAttachment

from .test_browser_filing import _complete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _scan() -> bytes:
    """A photo-like page scan of about a megabyte, larger than 事业单位在线 takes."""
    image = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _as(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, username)
    return context, page


def _attach(page, kind: str, name: str, mime: str, content: bytes, compress=False) -> None:
    form = page.locator("#attachment-form")
    form.locator("#id_kind").select_option(kind)
    form.locator("#id_file").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    if compress:
        form.locator("#id_compress").check()
    form.get_by_role("button", name="附加").click()
    page.wait_for_load_state()


def test_approved_opinion_attachments_copy_page_and_publication(
    browser, live_server, manager, reviewer, centre
):
    _complete(centre)
    url = f"/centres/{centre.slug}/filings/2024/"
    today = timezone.localdate().isoformat()

    ctx, page = _as(browser, live_server, "manager")
    page.goto(url)
    page.get_by_role("button", name="开始填写（自动按本中心记录预填）").click()
    page.get_by_label("开展业务活动情况").fill("全年开展义诊20次。")
    page.get_by_role("button", name="保存", exact=True).click()
    # A file named .pdf that is not one is refused beside the field; the real one is kept.
    _attach(page, "certificate", "证书副本.pdf", "application/pdf", b"<html>not a pdf</html>")
    assert "不论文件名如何" in page.locator("#attachment-form .error").inner_text()
    _attach(page, "certificate", "证书副本.pdf", "application/pdf", PDF)
    assert page.locator("#attachment-list").get_by_text("证书副本.pdf").is_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#filing-status")).to_have_text("待审核")
    ctx.close()

    ctx, page = _as(browser, live_server, "reviewer")
    page.goto(url)
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#filing-status")).to_have_text("审核通过")
    assert page.locator("#opinion-text").inner_text() == DEFAULT_OPINION
    page.goto(url + "report/")
    assert DEFAULT_OPINION in page.locator("#sponsor-opinion").inner_text()
    ctx.close()

    ctx, page = _as(browser, live_server, "manager")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(url)
    _attach(page, "signed_scan", "签章扫描.jpg", "image/jpeg", _scan(), compress=True)
    assert page.locator("#attachment-list").get_by_text("签章扫描.jpg").is_visible()
    scan = FilingAttachment.objects.get(kind="signed_scan")
    assert scan.compressed and scan.size <= 100 * 1024

    page.get_by_role("link", name="逐项复制到事业单位在线").click()
    labels = page.locator("#copy-fields th").all_inner_texts()
    assert labels[:3] == ["统一社会信用代码", "单位名称", "宗旨和业务范围"]
    button = page.locator('[data-copy="copy-credit_code"]')
    button.click()
    expect(button).to_have_text("已复制")  # the clipboard answers asynchronously
    assert page.evaluate("navigator.clipboard.readText()") == "12500106450412352T"

    page.goto(url)
    page.get_by_label("报送日期").fill(today)
    page.get_by_role("button", name="记录在事业单位在线的报送").click()
    expect(page.locator("#filed-online-on")).to_have_text(today)
    page.get_by_label("公示日期").fill(today)
    page.get_by_role("button", name="记录公示").click()
    expect(page.locator("#filing-status")).to_have_text("已公示")
    assert page.locator("#publicised-on").inner_text() == today
    ctx.close()

    filing = AnnualFiling.objects.get(centre=centre, year=2024)
    anonymous = browser.new_context(base_url=live_server.url, locale="zh-CN")
    public = anonymous.new_page()
    public.goto(f"/public/filings/{filing.pk}/")
    assert f"公示日期：{today}" in public.locator("#public-online").inner_text()
    assert DEFAULT_OPINION in public.locator("#sponsor-opinion").inner_text()
    anonymous.close()
