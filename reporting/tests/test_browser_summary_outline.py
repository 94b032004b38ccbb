"""In a browser, on the demo data: 磁器口's manager shapes the H1 2024 summary (reorders sections,
adds one, places a figure in a paragraph), regenerates after the data changed, downloads the
Word file, and the structure and the live figure hold in it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from centers.demo import DEMO_PASSWORD
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR")


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=io.StringIO())


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _save(page, button, number: int) -> None:
    """Click a button of the editor and wait for the save and for the number check, which
    reloads after each save (SQLite's live-server tables lock across threads, so the test
    touches the database only once the server is done)."""
    with page.expect_response(lambda r: "/number-check/" in r.url):
        button.click()
    _saved(page, number)


def _saved(page, number: int) -> None:
    """The editor was swapped in place with the new version's message (no page load)."""
    expect(page.locator("#outline-saved")).to_have_text(f"已保存为第{number}版。")


def _section(page, heading: str):
    return page.locator("section.outline-section", has=page.locator(f'input[value="{heading}"]'))


def _top_headings(page) -> list[str]:
    rows = page.locator("section.outline-section.level-1 .outline-heading")
    return [
        f"{r.locator('.outline-number').inner_text()}{r.locator('input').input_value()}"
        for r in rows.all()
    ]


def test_the_author_shapes_the_outline_and_the_word_file_follows(browser, live_server, demo):
    import docx

    from reporting.models import Summary
    from services.models import TallyValue
    from services.rollups import mark_changed

    summary = Summary.objects.get(centre__slug="ciqikou", first="2024-01-01", last="2024-06-01")
    version = summary.versions.count()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, "manager", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/centres/ciqikou/summaries/{summary.pk}/")
    loaded = page.evaluate("performance.getEntriesByType('navigation').length")
    assert _top_headings(page) == [
        "一、基本情况",
        "二、2024年上半年工作情况",
        "三、存在的问题",
        "四、下一步工作计划",
    ]

    # 1. Reorder: 下一步工作计划 up above 存在的问题, in place.
    version += 1
    _save(page, _section(page, "下一步工作计划").get_by_role("button", name="上移").first, version)
    assert _top_headings(page)[2:] == ["三、下一步工作计划", "四、存在的问题"]

    # 2. Add a top-level section.
    page.get_by_label("新增一级标题").fill("主要成效及亮点")
    version += 1
    _save(page, page.locator("#save-texts"), version)
    assert _top_headings(page)[-1] == "五、主要成效及亮点"

    # 3. A paragraph in 医疗服务 with a figure placed at the cursor.
    medical = _section(page, "医疗服务")
    medical.locator("textarea[name^=n-]").fill("一是门诊服务量稳步上升，门急诊人次达。")
    version += 1
    _save(page, medical.get_by_role("button", name="添加"), version)
    medical = _section(page, "医疗服务")
    area = medical.locator(".outline-text textarea").first
    area.click()
    area.press("End")
    area.press("ArrowLeft")  # before the full stop
    page.locator("#id_ref_key").select_option("opd_visits")
    page.locator("#id_ref_field").select_option("value")
    medical.get_by_role("button", name="插入数据").first.click()
    assert area.input_value() == (
        "一是门诊服务量稳步上升，门急诊人次达{{opd_visits:value|门急诊人次·本期}}。"
    )
    version += 1
    _save(page, page.locator("#save-texts"), version)
    chip = _section(page, "医疗服务").locator(".outline-preview .fig.ref").first
    before = chip.inner_text()
    assert before.endswith("万人次")
    _shot(page, "outline-edited")
    # Every click above was answered in place: still the page loaded at the start.
    assert page.evaluate("performance.getEntriesByType('navigation').length") == loaded
    assert page.evaluate("document.querySelectorAll('#messages .flash').length") == 0

    # 4. The data change; regenerating moves the figure, not the words.
    june = TallyValue.objects.get(
        centre=summary.centre, indicator__code="opd_visits", period="2024-06-01"
    )
    june.value += 10_000
    june.save(update_fields=["value"])
    mark_changed(summary.centre_id, [2024])  # as a cell save does: read live until rebuilt
    page.locator("#regenerate").click()
    page.wait_for_selector("#messages .flash-success")
    chip = _section(page, "医疗服务").locator(".outline-preview .fig.ref").first
    after = chip.inner_text()
    assert after != before and after.endswith("万人次")
    area = _section(page, "医疗服务").locator(".outline-text textarea").first
    assert area.input_value() == (
        "一是门诊服务量稳步上升，门急诊人次达{{opd_visits:value|门急诊人次·本期}}。"
    )

    # 5. The Word file keeps the structure and quotes the new figure in the paragraph.
    with page.expect_download() as download:
        page.locator("#summary-docx").click()
    document = docx.Document(download.value.path())
    texts = [p.text for p in document.paragraphs]
    tops = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert tops == [
        "一、基本情况",
        "二、2024年上半年工作情况",
        "三、下一步工作计划",
        "四、存在的问题",
        "五、主要成效及亮点",
    ]
    assert f"一是门诊服务量稳步上升，门急诊人次达{after}。" in texts
    medical_at = next(i for i, t in enumerate(texts) if t.endswith("医疗服务"))
    assert texts.index(f"一是门诊服务量稳步上升，门急诊人次达{after}。") > medical_at
    context.close()


def test_the_editor_keeps_its_place_and_loses_no_typing(browser, live_server, demo):
    """A move mid-page keeps the section where it was on the screen; a refused insert says so
    beside the paragraph, on the screen; the number check follows a save; 上报 with a paragraph
    typed and not saved keeps it, and asks first since its number disagrees."""
    from reporting.models import Summary
    from reporting.tests.outline_data import paragraphs

    summary = Summary.objects.get(centre__slug="ciqikou", first="2024-01-01", last="2024-06-01")
    version = summary.versions.count()
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, "manager", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/centres/ciqikou/summaries/{summary.pk}/")

    # 1. 下移 on a section in the middle of the page: it stays where it was on the screen.
    moved = page.locator("section.outline-section.level-2").nth(2)
    moved.scroll_into_view_if_needed()
    sid = moved.get_attribute("id")
    where = f"document.getElementById('{sid}').getBoundingClientRect().top"
    before = page.evaluate(where)
    assert 0 <= before < 800
    version += 1
    _save(page, moved.locator(".outline-heading").get_by_role("button", name="下移"), version)
    page.wait_for_function(
        "([id, top]) => Math.abs(document.getElementById(id).getBoundingClientRect().top - top) < 5",
        arg=[sid, before],
    )
    assert page.evaluate("window.scrollY") > 0

    # 2. A paragraph with a number that disagrees: the number check follows the save.
    medical = _section(page, "医疗服务")
    medical.locator("textarea[name^=n-]").fill("门急诊人次1人次。")
    version += 1
    _save(page, medical.get_by_role("button", name="添加"), version)
    expect(page.locator("#number-flags")).to_contain_text("1人次")

    # 3. 插入数据 with no figure chosen: the message is beside the paragraph, on the screen.
    medical = _section(page, "医疗服务")
    medical.get_by_role("button", name="插入数据").first.click()
    message = page.locator("#acted-error")
    expect(message).to_have_text("请先选择要插入的数据。")
    # On the screen once the swap has settled (the script puts the view back then).
    page.wait_for_function(
        "() => { const r = document.getElementById('acted-error').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert medical.locator("#acted-error").count() == 1

    # 4. Typed, not saved, then 上报: saved first, and the disagreeing number is asked about.
    area = _section(page, "医疗服务").locator(".outline-text textarea").first
    area.fill("门急诊人次1人次。这一句还没有保存。")
    page.locator("#summary-submit").click()
    check = page.locator("#submit-check")
    expect(check).to_contain_text("个与存储数字不一致")
    assert summary.__class__.objects.get(pk=summary.pk).status == "draft"
    assert paragraphs(Summary.objects.get(pk=summary.pk), "医疗服务") == [
        "门急诊人次1人次。这一句还没有保存。"
    ]
    page.locator("#summary-submit-confirm").click()
    page.wait_for_selector("#messages .flash-success")
    page.wait_for_selector("#number-check-summary")  # loaded after the page: let it finish
    assert "已上报" in page.locator("#summary-chain").inner_text()
    assert Summary.objects.get(pk=summary.pk).status == "submitted"
    context.close()
