"""The 公文 page (GB/T 9704-2012) read back: the DOCX with python-docx, the PDF with poppler."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal

import docx
import pytest
from django.template import Context, Template
from django.urls import reverse
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from reporting import gongwen, sentences
from reporting.pdf import FONT_DIR, html_to_pdf

SHIPPED = {"CHC-Sans", "CHC-Sans-Bold", "CHC-Fang", "CHC-Fang-Bold", "CHC-Kai", "CHC-Song"}
SHIPPED |= {"CHC-Song-Bold"}
MM = 72 / 25.4  # points per millimetre


def _clause(code, name, unit, value, previous, text):
    return {"code": code, "name": name, "unit": unit, "value": value, "previous": previous}, text


def _figures() -> dict:
    """Clauses as summary.generate stores them (raw Decimal strings), sentences as it writes them."""
    rows = [
        # 医疗业务收入 2981.47 万元 stored with the database's 12 places; 门急诊人次 in 万.
        _clause(
            "medical_income",
            "医疗业务收入",
            "万元",
            "2981.470000000000",
            "2669.200000000000",
            "医疗业务收入2981.47万元，较去年同期增长11.7%",
        ),
        _clause(
            "opd_visits",
            "门急诊人次",
            "人次",
            "117865",
            "105045",
            "门急诊人次11.79万人次，较去年同期增长12.2%",
        ),
        _clause(
            "opd_cost",
            "门急诊次均费用",
            "元",
            "154.140000",
            "155.0",
            "门急诊次均费用154.14元，较去年同期下降0.6%",
        ),
        _clause(
            "discharges", "出院人次", "人次", "450", "395", "出院人次450人次，较去年同期增长13.9%"
        ),
        _clause(
            "fd_rate",
            "全人群签约率",
            "%",
            "30.000000",
            "28.570000",
            "全人群签约率30%，较去年同期提高1.43个百分点",
        ),
    ]
    clauses = [{**c, "text": text, "trace": ""} for c, text in rows]
    return {
        "lead": "截至2024年6月，测试中心各项工作情况如下。",
        "sections": [{"key": "medical", "title": "医疗服务", "clauses": clauses}],
    }


# --- the DOCX ---------------------------------------------------------------------------------


@pytest.fixture
def word():
    """A summary laid out with the gongwen primitives (as summary_output does), read back."""
    document = gongwen.new_document("测试中心2024年上半年工作总结")
    figures = _figures()
    gongwen.add_heading(document, "一、工作情况", 1)
    gongwen.add_paragraph(document, figures["lead"])
    gongwen.add_heading(document, "（一）医疗服务", 2)
    clauses = figures["sections"][0]["clauses"]
    gongwen.add_paragraph(document, "；".join(c["text"] for c in clauses) + "。")
    gongwen.add_table(
        document,
        gongwen.FIGURE_HEADER,
        [gongwen.figure_row(c) for c in clauses],
        gongwen.FIGURE_NUMERIC_COLUMNS,
    )
    gongwen.add_heading(document, "二、存在的问题", 1)
    gongwen.add_paragraphs(document, "人员不足。\n\n  ")
    gongwen.add_heading(document, "三、下一步工作计划", 1)
    gongwen.add_paragraphs(document, "加强管理。")
    return docx.Document(io.BytesIO(gongwen.to_bytes(document)))


def test_docx_page_is_a4_with_the_standard_margins(word):
    section = word.sections[0]
    mm = {
        name: round(getattr(section, name).mm, 1)
        for name in (
            "page_width",
            "page_height",
            "top_margin",
            "bottom_margin",
            "left_margin",
            "right_margin",
        )
    }
    assert mm == {
        "page_width": 210,
        "page_height": 297,
        "top_margin": 37,  # 天头
        "bottom_margin": 35,
        "left_margin": 28,  # 订口
        "right_margin": 26,
    }
    # 版心 156 × 225 mm
    assert round(section.page_width.mm - section.left_margin.mm - section.right_margin.mm) == 156
    assert round(section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm) == 225


def _fonts(style) -> dict:
    rfonts = style.element.rPr.find(qn("w:rFonts"))
    return {k.split("}")[1]: v for k, v in rfonts.attrib.items()}


@pytest.mark.parametrize(
    ("style", "font", "size", "bold"),
    [
        ("Normal", "仿宋_GB2312", 16, None),  # 3号仿宋
        ("Title", "方正小标宋简体", 22, False),  # 2号小标宋
        ("Heading 1", "黑体", 16, False),
        ("Heading 2", "楷体_GB2312", 16, False),
        ("Heading 3", "仿宋_GB2312", 16, True),
    ],
)
def test_docx_styles_name_the_government_fonts(word, style, font, size, bold):
    s = word.styles[style]
    assert s.font.size == Pt(size)
    assert bool(s.font.bold) is bool(bold)
    assert not s.font.italic
    assert _fonts(s) == {
        "ascii": font,
        "hAnsi": font,
        "eastAsia": font,
        "cs": font,
        "hint": "eastAsia",
    }
    # python-docx's defaults are gone: no blue, no theme font, no Title underline.
    xml = s.element.xml
    assert "w:color" not in xml and "Theme" not in xml and "w:pBdr" not in xml


def test_docx_body_has_the_fixed_pitch_and_two_character_indent(word):
    fmt = word.styles["Normal"].paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing == Pt(28.95)
    assert fmt.space_before == fmt.space_after == Pt(0)
    assert fmt.first_line_indent == Pt(32)  # two 3号 characters
    ind = word.styles["Normal"].element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert word.styles["Title"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # 22 lines fit the 225 mm 版心 and a 23rd does not
    height_pt = 225 * MM
    assert 22 * 28.95 <= height_pt < 23 * 28.95


def test_docx_grid_and_spacing_make_22_lines_of_28_characters(word):
    grid = word.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt in twips
    spacing = word.styles["Normal"].element.rPr.find(qn("w:spacing"))
    pitch = 16 + int(spacing.get(qn("w:val"))) / 20  # points per character
    width = 8845 / 20  # the 版心 in twips as Word rounds the page and margins
    assert 28 * pitch <= width < 29 * pitch
    for style in ("Title", gongwen.TABLE_STYLE):  # titles and tables keep their natural spacing
        assert word.styles[style].element.rPr.find(qn("w:spacing")).get(qn("w:val")) == "0"


def test_docx_table_columns_share_the_type_area_by_their_text():
    document = gongwen.new_document("表")
    table = gongwen.add_table(
        document,
        ["指标", "本期"],
        [["65岁及以上老年人健康管理率（%）", Decimal("55.36")]],
        numeric_columns=[1],
    )
    widths = [round(c.width.mm, 1) for c in table.rows[1].cells]
    assert sum(widths) == pytest.approx(156, abs=0.2)
    # 15.5 characters (digits and % count half) against 55.36's 2.5, raised to the minimum 4
    assert widths[0] == pytest.approx(156 * 15.5 / (15.5 + 4), abs=0.2)
    with pytest.raises(ValueError):
        gongwen.add_table(document, ["a", "b"], [["only one"]])


def test_docx_headings_and_paragraphs_use_the_styles(word):
    by_style = {}
    for p in word.paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    assert by_style["Title"] == ["测试中心2024年上半年工作总结"]
    assert by_style["Heading 1"] == ["一、工作情况", "二、存在的问题", "三、下一步工作计划"]
    assert by_style["Heading 2"] == ["（一）医疗服务"]
    assert by_style["Normal"][-2:] == ["人员不足。", "加强管理。"]  # blank lines dropped
    assert gongwen.add_heading(word, "1．加强管理", 3).style.name == "Heading 3"
    with pytest.raises(ValueError):
        gongwen.add_heading(word, "（1）", 4)


def test_docx_table_writes_numbers_as_the_sentences_do(word):
    (table,) = word.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["指标", "本期", "上年同期", "同比"]
    assert rows[1:] == [
        ["医疗业务收入（万元）", "2981.47", "2669.2", "较去年同期增长11.7%"],
        ["门急诊人次（人次）", "11.79万", "10.5万", "较去年同期增长12.2%"],
        ["门急诊次均费用（元）", "154.14", "155", "较去年同期下降0.6%"],
        ["出院人次（人次）", "450", "395", "较去年同期增长13.9%"],
        ["全人群签约率（%）", "30", "28.57", "较去年同期提高1.43个百分点"],
    ]
    header = table.rows[0].cells[0].paragraphs[0]
    assert all(run.bold for run in header.runs)
    number = table.rows[1].cells[1].paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[1].cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    assert number.style.name == gongwen.TABLE_STYLE
    assert number.style.font.size == Pt(12)


def test_table_numbers_outside_figures_are_rounded_like_rates():
    assert gongwen.number_text(Decimal("2981.470000000000")) == "2981.47"
    assert gongwen.number_text(Decimal("41.666")) == "41.67"
    assert gongwen.number_text(60) == "60"
    assert gongwen.number_text(None) == "—"
    assert gongwen.number_text("7.64万") == "7.64万"
    assert sentences.trim(Decimal("2981.470000000000"), 2) == "2981.47"


def test_a_long_title_breaks_before_its_year_not_where_the_line_runs_out():
    assert gongwen.title_lines("重庆市沙坪坝区卫生健康委员会2024年上半年工作总结") == [
        "重庆市沙坪坝区卫生健康委员会",
        "2024年上半年工作总结",
    ]
    assert gongwen.title_lines("磁器口中心2024年工作总结") == ["磁器口中心2024年工作总结"]
    assert gongwen.title_lines("甲单位\n2024年工作") == ["甲单位", "2024年工作"]  # the author's
    long = "这是一个很长很长很长很长很长很长的单位名称连同年份2024年上半年工作总结"
    assert gongwen.title_lines(long) == [long]  # the name alone is over a line: left to wrap
    document = gongwen.new_document("重庆市沙坪坝区卫生健康委员会2024年上半年工作总结")
    (title,) = [p for p in document.paragraphs if p.style.name == "Title"]
    assert title.text == "重庆市沙坪坝区卫生健康委员会\n2024年上半年工作总结"
    assert document.core_properties.title == "重庆市沙坪坝区卫生健康委员会2024年上半年工作总结"


def _footer_xml(footer) -> str:
    return footer._element.xml


def test_docx_page_numbers_odd_right_even_left(word):
    section = word.sections[0]
    assert word.settings.odd_and_even_pages_header_footer
    odd, even = section.footer, section.even_page_footer
    for footer, alignment, text in (
        (odd, WD_ALIGN_PARAGRAPH.RIGHT, "— 1 —\u3000"),
        (even, WD_ALIGN_PARAGRAPH.LEFT, "\u3000— 1 —"),
    ):
        (paragraph,) = footer.paragraphs
        assert paragraph.alignment == alignment
        assert paragraph.text == text  # “1” is the PAGE field's placeholder, 空一字 at the edge
        xml = _footer_xml(footer)
        assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        for run in paragraph.runs:
            assert run.font.size == Pt(14)  # 4号
            assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    # Footer from the bottom edge so the dashes sit 7 mm below the 版心 (35 mm − 7 mm − half a line)
    assert section.footer_distance.mm == pytest.approx(35 - 7 - 14 / 2 / MM, abs=0.1)


def test_docx_paragraph_properties_keep_the_schema_order(word):
    order = {qn(f"w:{t}"): i for i, t in enumerate(gongwen.PPR_ORDER)}
    elements = [p._p.pPr for p in word.paragraphs]
    elements += [s.element.pPr for s in word.styles if getattr(s.element, "pPr", None) is not None]
    for section in word.sections:
        elements += [
            p._p.pPr for f in (section.footer, section.even_page_footer) for p in f.paragraphs
        ]
    for ppr in filter(lambda e: e is not None, elements):
        positions = [order[c.tag] for c in ppr if c.tag in order]
        assert positions == sorted(positions), ppr.xml


# --- the PDF ----------------------------------------------------------------------------------


def _run(*args) -> str:
    if not shutil.which(args[0]):
        pytest.fail("poppler-utils is missing: apt-get install -y poppler-utils")
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _pdf(tmp_path, body: str, name: str = "page.pdf"):
    """A page of `body` HTML on the 公文 CSS, as WeasyPrint prints the summaries."""
    context = gongwen.css_context(pdf=True, font_dir=FONT_DIR.as_uri())
    html = Template(
        '<html lang="zh-Hans"><head><style>{% include "reporting/gongwen.css" with g=g %}</style>'
        "</head><body>{{ body|safe }}</body></html>"
    ).render(Context({"g": context, "body": body}))
    path = tmp_path / name
    path.write_bytes(html_to_pdf(html))
    return path


def _fonts_of(path) -> dict[str, str]:
    lines = _run("pdffonts", str(path)).splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1]: line for line in lines}


def _lines(path, page: int) -> list[tuple[float, float, float, str]]:
    """(xMin, yMin, xMax, text) of each word pdftotext finds on the page (our words are lines)."""
    html = _run("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-")
    return [
        (float(x0), float(y0), float(x1), text)
        for x0, y0, x1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            html,
        )
    ]


def test_pdf_page_is_a4_with_22_lines_of_28_characters(tmp_path):
    line = "锦瑟无端五十弦一弦一柱思华年庄生晓梦迷蝴蝶望帝春心托杜鹃"[:28]
    path = _pdf(tmp_path, "".join(f'<p style="text-indent:0">{line}</p>' for _ in range(30)))
    info = _run("pdfinfo", str(path))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert "Pages:           2" in info
    body = [w for w in _lines(path, 1) if w[3] == line]
    assert len(body) == 22  # 22 lines on a page, every one holding all 28 characters
    assert body[0][0] == pytest.approx(28 * MM, abs=0.1)  # 订口
    # 天头, then half the leading of a 28.95 pt line above the 16 pt glyphs
    assert body[0][1] == pytest.approx(37 * MM + (28.95 - 16) / 2, abs=0.2)
    assert body[1][1] - body[0][1] == pytest.approx(28.95, abs=0.01)
    # inside the 156 mm 版心: the last glyph's em box may pass its edge by the 0.21 pt the
    # letter-spacing takes from each character
    assert max(w[2] for w in body) <= (210 - 26) * MM + 0.5


def test_pdf_page_numbers_sit_below_the_type_area_odd_right_even_left(tmp_path):
    path = _pdf(tmp_path, "".join(f"<p>第{i}段。</p>" for i in range(30)))
    bottom = (297 - 35) * MM
    for page, number in ((1, "1"), (2, "2")):
        words = [w for w in _lines(path, page) if w[1] > bottom]
        assert [w[3] for w in words] == ["—", number, "—"]
        if page == 1:  # odd: right, one 4号 character (14 pt) in from the 版心's edge
            assert words[-1][2] == pytest.approx((210 - 26) * MM - 14, abs=0.5)
        else:
            assert words[0][0] == pytest.approx(28 * MM + 14, abs=0.5)
    html = _run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-")
    top, low = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">—<', html).groups()
    assert (float(top) + float(low)) / 2 == pytest.approx(bottom + 7 * MM, abs=1.5)  # 7 mm below


def test_pdf_embeds_only_shipped_fonts_and_falls_back_for_rare_characters(tmp_path):
    # 堃 is not in GB 2312, so not in the 仿宋 subset: the full Noto Sans SC draws it.
    path = _pdf(
        tmp_path,
        "<h1>标题</h1><h2>一、黑体</h2><h3>（一）楷体</h3><h4>1．仿宋加粗</h4>"
        "<p>张堃同志，仿宋正文。</p>",
    )
    fonts = _fonts_of(path)
    # CHC Song (regular) draws the page number
    assert set(fonts) == {"CHC-Song-Bold", "CHC-Sans", "CHC-Kai", "CHC-Fang", "CHC-Fang-Bold"} | {
        "CHC-Song"
    }
    assert set(fonts) <= SHIPPED
    assert all(" yes yes yes " in line for line in fonts.values())  # embedded, subset, ToUnicode
    assert "张堃同志" in _run("pdftotext", str(path), "-")


def test_browser_page_tries_the_office_fonts_first_and_the_pdf_never():
    browser = gongwen.css_context(pdf=False)
    pdf = gongwen.css_context(pdf=True, font_dir="file:///fonts")
    assert browser["fonts"]["body"].startswith('"仿宋_GB2312"')
    assert browser["fonts"]["body"].endswith('"CHC Fang", "CHC Sans"')
    assert pdf["fonts"]["body"] == '"CHC Fang", "CHC Sans"'
    assert pdf["fonts"]["heading2"] == '"CHC Kai", "CHC Sans"'
    assert all(f["url"].startswith("file:///fonts/") for f in pdf["faces"])
    assert all("/static/fonts/" in f["url"] for f in browser["faces"])
    for face in gongwen.FONT_FACES:
        assert (FONT_DIR / face[2]).exists()


@pytest.mark.django_db
def test_demo_h1_summary_docx_and_pdf(client, tmp_path):
    """The demo district's H1 2024 summary through the download views."""
    from django.core.management import call_command

    from centers.models import Authority
    from reporting.models import Summary

    call_command("load_demo", force=True, stdout=io.StringIO())
    district = Authority.objects.get(slug="shapingba")
    client.login(username="reviewer", password="chc-demo")
    url = reverse("reporting:authority-summaries", args=[district.slug])
    assert client.post(url, {"kind": "h1", "year": 2024}).status_code == 302
    args = [district.slug, Summary.objects.filter(authority=district).latest("id").pk]

    word = docx.Document(
        io.BytesIO(client.get(reverse("reporting:authority-summary-docx", args=args)).content)
    )
    assert round(word.sections[0].page_width.mm) == 210
    assert _fonts(word.styles["Normal"])["eastAsia"] == "仿宋_GB2312"
    assert "PAGE" in word.sections[0].footer._element.xml
    titles = [p.text for p in word.paragraphs if p.style.name == "Title"]
    assert titles == ["重庆市沙坪坝区卫生健康委员会\n2024年上半年工作总结"]
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    assert "2981.47" in cells  # 医疗业务收入, not 2981.470000000000
    assert not any(re.fullmatch(r"\d+\.\d*0", c) for c in cells)  # no trailing zeros anywhere

    path = tmp_path / "summary.pdf"
    path.write_bytes(client.get(reverse("reporting:authority-summary-pdf", args=args)).content)
    assert "(A4)" in _run("pdfinfo", str(path))
    fonts = _fonts_of(path)
    assert {"CHC-Song-Bold", "CHC-Fang", "CHC-Kai", "CHC-Sans"} <= set(fonts) <= SHIPPED
    assert all(" yes yes yes " in line for line in fonts.values())
