"""A work summary as a printable page, a PDF (the annual report's engine and font) and a DOCX."""

from __future__ import annotations

import io

from django.template.loader import render_to_string

from core.text import xml_safe, xml_safe_data

from .pdf import FONT_DIR, html_to_pdf
from .summary import paragraph, section_number

PARTS = ("一、工作情况", "二、存在的问题", "三、下一步工作计划")


def outline(figures: dict, texts: dict) -> list[dict]:
    """The numbered subsections of 一、工作情况: heading, generated paragraph, the author's note."""
    return [
        {
            "heading": f"{section_number(i)}{section['title']}",
            "key": section["key"],
            "clauses": section["clauses"],
            "paragraph": paragraph(section),
            "note": texts.get(section["key"], ""),
        }
        for i, section in enumerate(figures.get("sections", []))
    ]


def document_context(*, summary, figures: dict, texts: dict, pdf: bool = False, **extra) -> dict:
    return {
        "summary": summary,
        "f": figures,
        "t": texts,
        "sections": outline(figures, texts),
        "parts": PARTS,
        "pdf": pdf,
        "font_dir": FONT_DIR.as_uri(),
        **extra,
    }


def document_html(**kwargs) -> str:
    return render_to_string("reporting/summary_document.html", document_context(**kwargs))


def document_pdf(*, summary, figures: dict, texts: dict) -> bytes:
    return html_to_pdf(document_html(summary=summary, figures=figures, texts=texts, pdf=True))


def _figure_table(document, clauses: list[dict]) -> None:
    """指标 | 本期 | 上年同期 | 同比: the figures of a section, for checking against the text."""
    rows = [c for c in clauses if c.get("code")]
    if not rows:
        return
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("指标", "本期", "上年同期", "同比"), strict=True):
        cell.text = text
    for clause in rows:
        cells = table.add_row().cells
        cells[0].text = f"{clause['name']}（{clause['unit']}）"
        cells[1].text = clause["value"] or ""
        cells[2].text = clause["previous"] or "—"
        cells[3].text = clause["text"].split("，", 1)[-1]


def _paragraphs(document, text: str) -> None:
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())


def _east_asian_font(document, name: str) -> None:
    """Word needs the East Asian font named separately, or Chinese falls back to a Latin font."""
    from docx.oxml.ns import qn

    style = document.styles["Normal"]
    style.font.name = name
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def document_docx(*, summary, figures: dict, texts: dict) -> bytes:
    """Headings for the parts and subsections, the paragraphs, and a figure table per section."""
    import docx

    # DOCX is XML: a control character in any stored name or text would make python-docx refuse.
    figures, texts, title = xml_safe_data(figures), xml_safe_data(texts), xml_safe(summary.title)
    document = docx.Document()
    _east_asian_font(document, "宋体")
    document.core_properties.title = title
    document.add_heading(title, level=0)
    _paragraphs(document, texts.get("intro", ""))
    document.add_heading(PARTS[0], level=1)
    document.add_paragraph(figures.get("lead", ""))
    for section in outline(figures, texts):
        document.add_heading(section["heading"], level=2)
        document.add_paragraph(section["paragraph"])
        _paragraphs(document, section["note"])
        _figure_table(document, section["clauses"])
    document.add_heading(PARTS[1], level=1)
    _paragraphs(document, texts.get("problems", "") or "（无）")
    document.add_heading(PARTS[2], level=1)
    _paragraphs(document, texts.get("plans", "") or "（无）")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
