"""The 党政机关公文格式 page (GB/T 9704-2012), held once for every Word and PDF document we print.

A4; 天头 37 mm, 订口 28 mm and a 156 × 225 mm 版心 (so 26 mm right, 35 mm bottom); 22 lines of 28
characters; title in 2号小标宋, body in 3号仿宋, 一级 headings 黑体, 二级 楷体, 三级 仿宋 bold; page
numbers “— 1 —” in 4号 Arabic numerals below the 版心, odd pages right and even pages left, one
character in from its edge.

Word files name the fonts government PCs have (方正小标宋简体, 仿宋_GB2312 …). PDFs use the open
fonts shipped in static/fonts (README there), through the CSS in templates/reporting/gongwen.css,
whose numbers come from `css_context()` below.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.templatetags.static import static

from core.text import xml_safe

from . import sentences as s

# --- the page (GB/T 9704-2012 §5.2) -------------------------------------------------------
PAGE_MM = (210, 297)
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26  # 版心 156 × 225 mm
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# 号 → points: 2号 22, 3号 16, 4号 14, 小四 12.
TITLE_PT, BODY_PT, PAGE_NUMBER_PT, TABLE_PT = 22, 16, 14, 12
TITLE_LINE_PT = 36  # a two-line title needs air; the body keeps its own pitch below it
# 22 lines in 225 mm is 28.99 pt; Word counts in twentieths of a point and fits a line only if it
# ends inside the 版心, so 29 pt would leave 21 lines. 28.95 pt (579 twips) is what offices use.
LINE_PITCH_TWIPS = 579
# The page number's dashes sit 7 mm below the 版心 (GB/T 9704 §7.5).
PAGE_NUMBER_DROP_MM = 7

TWIPS_PER_MM = 1440 / 25.4
PT_PER_MM = 72 / 25.4


def _twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


def text_width_twips() -> int:
    """The 版心 width as Word computes it, from the rounded page and margins (8,845 twips)."""
    return _twips(PAGE_MM[0]) - _twips(LEFT_MM) - _twips(RIGHT_MM)


def char_pitch_pt() -> float:
    """The advance of one character when 28 fill Word's line (15.79 pt: a 3号 glyph less 0.21)."""
    return text_width_twips() / 20 / CHARS_PER_LINE


def css_letter_spacing_pt() -> float:
    """The same for the PDF's 156 mm box, rounded down to 1/100 pt so the 28th always fits."""
    width_pt = (PAGE_MM[0] - LEFT_MM - RIGHT_MM) * PT_PER_MM
    return math.floor((width_pt / CHARS_PER_LINE - BODY_PT) * 100) / 100


# --- fonts ----------------------------------------------------------------------------------
# Role → (the font Word should use, the shipped families the PDF uses, in fallback order).
# "CHC Sans" is the full Noto Sans SC: the subsets stop at GB 2312, so a rare character in a
# person's or a place's name falls through to it instead of disappearing.
FONTS = {
    "title": ("方正小标宋简体", ("CHC Song", "CHC Sans")),
    "body": ("仿宋_GB2312", ("CHC Fang", "CHC Sans")),
    "heading1": ("黑体", ("CHC Sans",)),
    "heading2": ("楷体_GB2312", ("CHC Kai", "CHC Sans")),
    "heading3": ("仿宋_GB2312", ("CHC Fang", "CHC Sans")),
    "page_number": ("宋体", ("CHC Song", "CHC Sans")),
}
# Installed names a browser may find on the reader's PC, tried before the shipped fonts when the
# page is printed from the browser (the PDF never names them, so no system font can leak in).
LOCAL_FONTS = {
    "title": ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "STZhongsong"),
    "body": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong"),
    "heading1": ("黑体", "SimHei", "STHeiti"),
    "heading2": ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti"),
    "heading3": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong"),
    "page_number": ("宋体", "SimSun", "STSong"),
}
# The shipped files behind those families (static/fonts): (family, weight, file).
FONT_FACES = [
    ("CHC Sans", 400, "NotoSansSC-Regular.otf"),
    ("CHC Sans", 700, "NotoSansSC-Bold.otf"),
    ("CHC Fang", 400, "CHCFang-Regular.woff2"),
    ("CHC Fang", 700, "CHCFang-Bold.woff2"),
    ("CHC Kai", 400, "CHCKai-Regular.woff2"),
    ("CHC Song", 400, "CHCSong-Regular.woff2"),
    ("CHC Song", 700, "CHCSong-Bold.woff2"),
]


def _stack(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def font_faces(*, pdf: bool, font_dir: str = "", families: Iterable[str] = ()) -> list[dict]:
    """@font-face rules (templates/reporting/fonts.css) for the shipped faces, or those of
    `families`: file URLs for WeasyPrint, static URLs for the browser."""
    wanted = set(families)
    return [
        {
            "family": family,
            "weight": weight,
            "url": f"{font_dir}/{name}" if pdf else static(f"fonts/{name}"),
        }
        for family, weight, name in FONT_FACES
        if not wanted or family in wanted
    ]


def css_context(*, pdf: bool, font_dir: str = "") -> dict:
    """The numbers and font stacks templates/reporting/gongwen.css lays the page out with."""
    stacks = {
        role: _stack(shipped if pdf else (*LOCAL_FONTS[role], *shipped))
        for role, (_word, shipped) in FONTS.items()
    }
    return {
        "faces": font_faces(pdf=pdf, font_dir=font_dir),
        "fonts": stacks,
        "top": TOP_MM,
        "right": RIGHT_MM,
        "bottom": BOTTOM_MM,
        "left": LEFT_MM,
        "text_width": PAGE_MM[0] - LEFT_MM - RIGHT_MM,
        "title_pt": TITLE_PT,
        "title_line_pt": TITLE_LINE_PT,
        "body_pt": BODY_PT,
        "line_pt": LINE_PITCH_TWIPS / 20,
        "letter_spacing_pt": css_letter_spacing_pt(),
        "indent_pt": round(2 * (BODY_PT + css_letter_spacing_pt()), 2),
        "table_pt": TABLE_PT,
        "page_number_pt": PAGE_NUMBER_PT,
        # The margin box starts at the 版心's lower edge: drop the dashes' middle 7 mm below it.
        "page_number_top_mm": round(PAGE_NUMBER_DROP_MM - PAGE_NUMBER_PT / 2 / PT_PER_MM, 2),
    }


# --- the title ------------------------------------------------------------------------------
YEAR = re.compile(r"\d{4}年")


def _width_in_chars(text: str) -> float:
    """Width in full-width characters: half-width letters and digits count half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1 for ch in text)


def title_lines(title: str) -> list[str]:
    """The title's lines: the author's own breaks kept; a title too long for one line breaks
    before its year when both halves fit (…卫生健康委员会 / 2024年上半年工作总结), since the
    standard wants a title to break where the words allow, not where the line runs out."""
    lines = [line.strip() for line in title.splitlines() if line.strip()]
    capacity = (PAGE_MM[0] - LEFT_MM - RIGHT_MM) * PT_PER_MM / TITLE_PT
    if len(lines) != 1 or _width_in_chars(lines[0]) <= capacity:
        return lines
    match = YEAR.search(lines[0], 2)
    if match is None:
        return lines
    head, tail = lines[0][: match.start()], lines[0][match.start() :]
    if max(_width_in_chars(head), _width_in_chars(tail)) > capacity:
        return lines
    return [head, tail]


# --- numbers in tables ------------------------------------------------------------------------
def number_text(value) -> str:
    """A number for a table cell: half-up to 2 places without trailing zeros (2981.47, 12)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return s.trim(Decimal(str(value)), 2)


def _clause_shown(clause: dict) -> str:
    """The value as its sentence wrote it: '门急诊人次7.64万人次，…' → '7.64万人次'."""
    return clause["text"][len(clause["name"]) :].split("，", 1)[0]


def _clause_number(value: str | None, unit: str, as_rate: bool) -> str:
    """One stored value in the sentence's form, without its unit: 7.64万, 31.08, 5241."""
    if value is None:
        return "—"
    number = Decimal(value)
    shown = f"{s.trim(number, 2)}{unit}" if as_rate else s.amount(number, unit)
    return shown.removesuffix(unit) if unit else shown


def figure_row(clause: dict) -> list[str]:
    """指标（单位） | 本期 | 上年同期 | 同比 for one figure, numbers written as the sentence writes
    them (sentences.figure_sentence: rates to 2 places, counts whole or in 万)."""
    unit, shown = clause["unit"], _clause_shown(clause)
    rate_form = _clause_number(clause["value"], unit, True)
    amount_form = _clause_number(clause["value"], unit, False)
    # Where both forms read the same (a whole count, or 万元) the previous year's value decides
    # nothing either: a count is whole, so 2 places and none agree on it too.
    as_rate = shown == f"{rate_form}{unit}" and (
        shown != f"{amount_form}{unit}" or unit not in s.PEOPLE_UNITS
    )
    return [
        f"{clause['name']}（{unit}）" if unit else clause["name"],
        rate_form if as_rate else amount_form,
        _clause_number(clause.get("previous"), unit, as_rate),
        clause["text"].split("，", 1)[-1],
    ]


FIGURE_HEADER = ["指标", "本期", "上年同期", "同比"]
FIGURE_NUMERIC_COLUMNS = (1, 2)


# --- the Word document ----------------------------------------------------------------------
def _w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(f"w:{tag}")


# The schema order of a paragraph's properties: Word refuses a file whose elements are out of it.
PPR_ORDER = (
    *("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr"),
    *("suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap"),
    *("overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd"),
    *("snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap"),
    *("jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId"),
    *("cnfStyle", "rPr", "sectPr", "pPrChange"),
)


def _child(parent, tag: str, order: Sequence[str] = ()):
    """parent's w:tag child, created if missing: before the first sibling `order` puts after
    it, or last."""
    from docx.oxml import OxmlElement

    found = parent.find(_w(tag))
    if found is not None:
        return found
    found = OxmlElement(f"w:{tag}")
    later = {_w(t) for t in order[order.index(tag) + 1 :]} if tag in order else set()
    successor = next((c for c in parent if c.tag in later), None)
    if successor is None:
        parent.append(found)
    else:
        successor.addprevious(found)
    return found


def _ppr_child(ppr, tag: str):
    return _child(ppr, tag, PPR_ORDER)


# The same for a run's properties (the part of it before the size, where spacing goes).
RPR_ORDER = (
    *("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike"),
    *("outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden"),
    *("color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect"),
)


def char_spacing_twips() -> int:
    """Character spacing of the body in twentieths of a point, rounded down so that 28 3号
    characters fit Word's line (−5: −0.25 pt, 15.75 pt a character)."""
    return math.floor((char_pitch_pt() - BODY_PT) * 20)


def _char_spacing(rpr, twips: int) -> None:
    _child(rpr, "spacing", RPR_ORDER).set(_w("val"), str(twips))


def _set_fonts(rpr, name: str) -> None:
    """Every script to `name`; the theme attributes go, or Word would prefer the theme's font."""
    fonts = rpr.get_or_add_rFonts()
    for key in list(fonts.attrib):
        fonts.attrib.pop(key)
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(_w(script), name)
    fonts.set(_w("hint"), "eastAsia")


def _reset_style(style, *, font: str, size: float, bold: bool = False) -> None:
    """The style's own run and paragraph formatting replaced: no colour, border or theme font."""
    element = style.element
    for tag in ("rPr", "pPr"):
        for old in element.findall(_w(tag)):
            element.remove(old)
    style.font.size = _pt(size)
    style.font.bold = bold
    style.font.italic = False
    _set_fonts(element.get_or_add_rPr(), font)


def _pt(value: float):
    from docx.shared import Pt

    return Pt(value)


def _body_format(paragraph_format, *, indent: bool = True) -> None:
    """Exact 28.95 pt pitch, no space around, two characters of first-line indent."""
    from docx.enum.text import WD_LINE_SPACING

    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = _pt(LINE_PITCH_TWIPS / 20)
    paragraph_format.space_before = _pt(0)
    paragraph_format.space_after = _pt(0)
    if indent:
        paragraph_format.first_line_indent = _pt(2 * BODY_PT)
        # firstLineChars keeps the indent at two characters if someone changes the font size.
        paragraph_format.element.get_or_add_pPr().get_or_add_ind().set(_w("firstLineChars"), "200")
    else:
        _no_indent(paragraph_format)


def _no_indent(paragraph_format) -> None:
    """No first-line indent, overriding the characters-based one inherited from Normal."""
    paragraph_format.first_line_indent = _pt(0)
    paragraph_format.element.get_or_add_pPr().get_or_add_ind().set(_w("firstLineChars"), "0")


def _defaults(document) -> None:
    """Document defaults: the body font and size for every script (the character grid counts
    in the default size, in LibreOffice at least), Chinese line breaking, no spacing."""
    defaults = document.styles.element.find(_w("docDefaults"))
    rpr = defaults.find(_w("rPrDefault")).find(_w("rPr"))
    _set_fonts(rpr, FONTS["body"][0])
    for tag in ("sz", "szCs"):
        _child(rpr, tag).set(_w("val"), str(BODY_PT * 2))  # half-points
    lang = _child(rpr, "lang")
    lang.set(_w("val"), "en-US")
    lang.set(_w("eastAsia"), "zh-CN")
    spacing = defaults.find(_w("pPrDefault")).find(_w("pPr")).find(_w("spacing"))
    for key in list(spacing.attrib):
        spacing.attrib.pop(key)
    spacing.set(_w("after"), "0")


def _styles(document) -> None:
    """Normal, Title, Heading 1–3 and the table text restyled to the standard."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    styles = document.styles
    _defaults(document)
    normal = styles["Normal"]
    _reset_style(normal, font=FONTS["body"][0], size=BODY_PT)
    _char_spacing(normal.element.get_or_add_rPr(), char_spacing_twips())
    _body_format(normal.paragraph_format)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    title = styles["Title"]
    _reset_style(title, font=FONTS["title"][0], size=TITLE_PT)
    _char_spacing(title.element.get_or_add_rPr(), 0)
    _body_format(title.paragraph_format, indent=False)
    title.paragraph_format.line_spacing = _pt(TITLE_LINE_PT)
    title.paragraph_format.space_after = _pt(LINE_PITCH_TWIPS / 20)  # 标题下空一行
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _ppr_child(title.element.get_or_add_pPr(), "snapToGrid").set(_w("val"), "0")

    for level, role, bold in (
        (1, "heading1", False),
        (2, "heading2", False),
        (3, "heading3", True),
    ):
        heading = styles[f"Heading {level}"]
        _reset_style(heading, font=FONTS[role][0], size=BODY_PT, bold=bold)
        _body_format(heading.paragraph_format)
        heading.paragraph_format.keep_with_next = True
        _ppr_child(heading.element.get_or_add_pPr(), "outlineLvl").set(_w("val"), str(level - 1))

    for name in ("Title Char", "Heading 1 Char", "Heading 2 Char", "Heading 3 Char"):
        if name in styles:  # linked character styles: their colours would show if ever applied
            for old in styles[name].element.findall(_w("rPr")):
                styles[name].element.remove(old)

    cell = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    _reset_style(cell, font=FONTS["body"][0], size=TABLE_PT)
    _char_spacing(cell.element.get_or_add_rPr(), 0)
    _no_indent(cell.paragraph_format)
    cell.paragraph_format.line_spacing = _pt(TABLE_PT * 1.5)
    cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _ppr_child(cell.element.get_or_add_pPr(), "snapToGrid").set(_w("val"), "0")


TABLE_STYLE = "表格文字"


def _page(section) -> None:
    """A4, the standard margins and the 22-line grid."""
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance = Mm(15)
    # The footer's bottom edge: its one 4号 line then centres 7 mm below the 版心.
    section.footer_distance = Mm(BOTTOM_MM - PAGE_NUMBER_DROP_MM - PAGE_NUMBER_PT / 2 / PT_PER_MM)
    grid = _child(section._sectPr, "docGrid")
    for key in list(grid.attrib):
        grid.attrib.pop(key)
    # A line grid only: Word's character grid (linesAndChars) spreads each character over two
    # cells in LibreOffice; the 28 characters come from the body's character spacing instead.
    grid.set(_w("type"), "lines")
    grid.set(_w("linePitch"), str(LINE_PITCH_TWIPS))


def _field(paragraph, instruction: str) -> None:
    """A field Word computes when it lays out the page (PAGE), showing "1" until it does."""
    from docx.oxml import OxmlElement

    def char(kind: str):
        element = OxmlElement("w:fldChar")
        element.set(_w("fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    code = OxmlElement("w:instrText")
    code.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    char("separate")
    paragraph.add_run("1")
    char("end")


def _page_number(footer, *, odd: bool) -> None:
    """“— 1 —” in 4号宋体, right on odd pages and left on even ones, one character (空一字) in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    _no_indent(fmt)
    fmt.line_spacing = _pt(PAGE_NUMBER_PT)
    fmt.space_before = fmt.space_after = _pt(0)
    _ppr_child(paragraph._p.get_or_add_pPr(), "snapToGrid").set(_w("val"), "0")
    space = "\u3000"  # one full-width character at the page number's size
    paragraph.add_run("— " if odd else f"{space}— ")
    _field(paragraph, "PAGE")
    paragraph.add_run(f" —{space}" if odd else " —")
    for run in paragraph.runs:
        run.font.size = _pt(PAGE_NUMBER_PT)
        _set_fonts(run._r.get_or_add_rPr(), FONTS["page_number"][0])
        _char_spacing(run._r.get_or_add_rPr(), 0)


def new_document(title: str):
    """A python-docx Document on the 公文 page, styled, with the title (2号小标宋, centred)."""
    import docx

    document = docx.Document()
    _styles(document)
    section = document.sections[0]
    _page(section)
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, odd=True)
    _page_number(section.even_page_footer, odd=False)
    title = xml_safe(title)
    document.core_properties.title = title
    paragraph = document.add_paragraph(style="Title")
    lines = title_lines(title) or [""]
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()
    return document


def add_heading(document, text: str, level: int):
    """一级 (黑体), 二级 (楷体) or 三级 (仿宋 bold) heading: Word's Heading 1–3, restyled."""
    if level not in (1, 2, 3):
        raise ValueError(f"公文 headings have levels 1–3, not {level}")
    return document.add_paragraph(xml_safe(text).strip(), style=f"Heading {level}")


def add_paragraph(document, text: str):
    """One body paragraph (仿宋 3号, indented two characters)."""
    return document.add_paragraph(xml_safe(text).strip())


def add_paragraphs(document, text: str) -> list:
    """A body paragraph per non-empty line of `text`."""
    return [add_paragraph(document, line) for line in text.splitlines() if line.strip()]


def add_table(
    document,
    header: Sequence[str],
    rows: Iterable[Sequence],
    numeric_columns: Iterable[int] = (),
):
    """A ruled table across the 版心: header row bold and centred, numbers right-aligned and
    written by `number_text` (strings are taken as already written); columns as wide as their
    longest text asks, within limits."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    numeric = set(numeric_columns)
    texts = [list(header)] + [
        [number_text(v) if i in numeric else ("" if v is None else str(v)) for i, v in enumerate(r)]
        for r in rows
    ]
    table = document.add_table(rows=len(texts), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(texts)
    for r, (row, values) in enumerate(zip(table.rows, texts, strict=True)):
        for i, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = widths[i]
            paragraph = cell.paragraphs[0]
            paragraph.style = TABLE_STYLE
            run = paragraph.add_run(xml_safe(text))
            if r == 0:
                run.bold = True
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif i in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    _repeat_header(table.rows[0])
    return table


def _column_widths(texts: list[list[str]]) -> list:
    """The 156 mm shared by the columns' longest texts, each counted as 4 to 20 characters."""
    from docx.shared import Mm

    columns = zip(*texts, strict=True)
    wants = [min(max(max(_width_in_chars(t) for t in column), 4), 20) for column in columns]
    total = PAGE_MM[0] - LEFT_MM - RIGHT_MM
    return [Mm(total * want / sum(wants)) for want in wants]


def _repeat_header(row) -> None:
    """The header row repeats at the top of each page a long table runs onto."""
    _child(row._tr.get_or_add_trPr(), "tblHeader").set(_w("val"), "1")


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
