"""A work summary as a printable page, a PDF (the annual report's engine) and a DOCX, both on the
公文 page of reporting.gongwen, all three read from the outline's tree (reporting/outline.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.text import xml_safe, xml_safe_data

from . import gongwen
from .outline import document_tree
from .pdf import FONT_DIR, html_to_pdf


def _traced(block: dict) -> list[tuple[dict, str]] | None:
    """A generated paragraph as (clause, what follows it) pairs, so the page can trace each
    clause on hover; None when the text is not just its clauses (a gone indicator is named)."""
    clauses = block.get("clauses") or []
    for sep in ("；", "，"):
        if clauses and sep.join(c["text"] for c in clauses) + "。" == block["text"]:
            return [(c, sep) for c in clauses[:-1]] + [(clauses[-1], "。")]
    return None


def rows(tree: dict) -> list[dict]:
    """The tree's sections in reading order, flat: {"level", "heading", "blocks"}; a generated
    block carries `traced` for the page."""
    out = []

    def visit(nodes: list[dict]) -> None:
        for node in nodes:
            blocks = [
                {**b, "traced": _traced(b)} if b["kind"] == "figures" else b for b in node["blocks"]
            ]
            out.append({"level": node["level"], "heading": node["heading"], "blocks": blocks})
            visit(node["children"])

    visit(tree["sections"])
    return out


def document_context(*, summary, figures: dict, texts: dict, pdf: bool = False, **extra) -> dict:
    tree = document_tree(summary=summary, figures=figures, texts=texts)
    return {
        "summary": summary,
        "f": figures,
        "tree": tree,
        "rows": rows(tree),
        "pdf": pdf,
        "font_dir": FONT_DIR.as_uri(),
        "gongwen": gongwen.css_context(pdf=pdf, font_dir=FONT_DIR.as_uri()),
        "title_lines": gongwen.title_lines(summary.title),
        **extra,
    }


def document_html(**kwargs) -> str:
    return render_to_string("reporting/summary_document.html", document_context(**kwargs))


def document_pdf(*, summary, figures: dict, texts: dict) -> bytes:
    return html_to_pdf(document_html(summary=summary, figures=figures, texts=texts, pdf=True))


def document_docx(*, summary, figures: dict, texts: dict) -> bytes:
    """The outline's headings (一级 黑体, 二级 楷体, 三级 仿宋 bold), its paragraphs, and under
    each generated paragraph the table of its figures, for checking against the text."""
    # DOCX is XML: a control character in any stored name or text would make python-docx refuse.
    figures, texts, title = xml_safe_data(figures), xml_safe_data(texts), xml_safe(summary.title)
    tree = document_tree(summary=summary, figures=figures, texts=texts, tables=True)
    document = gongwen.new_document(title)
    gongwen.add_paragraphs(document, tree["lead"])
    for row in rows(tree):
        gongwen.add_heading(document, row["heading"], row["level"])
        for block in row["blocks"]:
            if block["kind"] == "table":
                gongwen.add_table(
                    document, block["header"], block["rows"], gongwen.FIGURE_NUMERIC_COLUMNS
                )
            else:
                gongwen.add_paragraphs(document, block["text"])
    return gongwen.to_bytes(document)
