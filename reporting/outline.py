"""A work summary as the author shaped it: an outline of sections holding paragraphs and
generated figure sentences, read into one printable tree.

The outline lives in `Summary.texts` (so every version keeps it):

    {"format": 2, "lead": "开头……",
     "sections": [{"id", "heading", "role"?, "blocks": [Block], "children": [Section]}]}

A block is the author's paragraph {"id", "kind": "text", "text", "origin"?} or a generated one
{"id", "kind": "figures", "source": <generated section key, "basics" or "lead">, "codes": [key]
or None for all}. A paragraph may hold live references, `{{opd_visits:value|门急诊人次·本期}}`,
rendered from the figures of the moment: regenerating changes the number, never the words
around it, and a reference to an indicator that is gone says so in the text.

`document_tree` is what every output (page, PDF, DOCX, the annual report's import) reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .outline_legacy import FORMAT, is_legacy, upgrade

NUMBERS = "一二三四五六七八九十"
FIELDS = {"value": "本期", "previous": "上年同期", "change": "同比"}
REF = re.compile(r"\{\{([^{}:|\n]{1,60}):(value|previous|change)(?:\|([^{}\n]{0,80}))?\}\}")
NO_DATA = "本期无已报数据。"
NONE_WRITTEN = "（无）"


# --- numbering ------------------------------------------------------------------------------


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (up to 99)."""
    if n <= 10:
        return NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else NUMBERS[tens - 1]
    return head + "十" + (NUMBERS[ones - 1] if ones else "")


def numbered(level: int, index: int, heading: str) -> str:
    """一、… for level 1, （一）… for level 2, 1. … for level 3 (index from 0)."""
    if level == 1:
        return f"{chinese_number(index + 1)}、{heading}"
    if level == 2:
        return f"（{chinese_number(index + 1)}）{heading}"
    return f"{index + 1}.{heading}"


# --- reading the stored outline -------------------------------------------------------------


def load(texts: dict | None, figures: dict | None = None, sources=None) -> dict:
    """The stored outline, or one converted from the old fixed keys."""
    if is_legacy(texts):
        return upgrade(texts, figures, sources)
    return texts  # type: ignore[return-value]


def walk(sections: list[dict], level: int = 1) -> Iterator[tuple[dict, int]]:
    """Every section, depth first, with its level."""
    for section in sections:
        yield section, level
        yield from walk(section.get("children", []), level + 1)


def text_of(outline: dict) -> str:
    """All the author's words (headings and paragraphs), for search and checks."""
    parts = [outline.get("lead", "")]
    for section, _level in walk(outline.get("sections", [])):
        parts.append(section.get("heading", ""))
        parts += [b.get("text", "") for b in section.get("blocks", []) if b.get("kind") == "text"]
    return "\n".join(p for p in parts if p)


# --- generated figures ----------------------------------------------------------------------


def generated_sections(figures: dict) -> dict[str, dict]:
    """The generated sections a figure block can quote, by key: the data sections, 基本情况."""
    out = {s["key"]: s for s in figures.get("sections", [])}
    if basics := figures.get("basics"):
        out["basics"] = basics
    return out


def clause_key(clause: dict, section_key: str, index: int) -> str:
    """A clause's key: its own, else its indicator code, else its place (figures made before
    clauses carried keys)."""
    return clause.get("key") or clause.get("code") or f"{section_key}:{index}"


def keyed_clauses(section: dict) -> list[tuple[str, dict]]:
    return [(clause_key(c, section["key"], i), c) for i, c in enumerate(section.get("clauses", []))]


def refs(figures: dict) -> dict[str, dict]:
    """What a live reference can name: {key: {name, value, previous, change}} as written.

    Figures generated before references existed carry none; their traced clauses give the same
    words (the sentence is "name + value，change")."""
    if "refs" in figures:
        return figures["refs"]
    out = {}
    for section in figures.get("sections", []):
        for clause in section.get("clauses", []):
            code, name, text = clause.get("code"), clause.get("name", ""), clause.get("text", "")
            if not code or not text.startswith(name):
                continue
            shown, _sep, change = text.partition("，")
            out[code] = {
                "name": name,
                "value": shown[len(name) :],
                "previous": "",
                "change": change,
            }
    return out


def _ref_label(key: str, field: str, label: str | None) -> str:
    return label or f"{key}·{FIELDS[field]}"


def ref_token(key: str, field: str, name: str) -> str:
    """The token the editor inserts: {{opd_visits:value|门急诊人次·本期}}."""
    return "{{" + f"{key}:{field}|{name}·{FIELDS[field]}" + "}}"


def ref_words(key: str, field: str, label: str | None, table: dict[str, dict]) -> tuple[str, bool]:
    """A reference as text, and whether it resolved: the figure as written, "（门急诊人次本期无
    数据）" when it has no value, "（指标已不存在：门急诊人次·本期）" when it is gone."""
    found = table.get(key)
    if found is None and key.startswith("act."):  # no record of that kind in the period
        return ("0人次" if key.endswith(".people") else "0次"), True
    if found is None and "." in key:  # the roster or the centre record says nothing
        return f"（{_ref_label(key, field, label)}无数据）", True
    if found is None:
        return f"（指标已不存在：{_ref_label(key, field, label)}）", False
    words = found.get(field) or ""
    if not words:
        return f"（{found.get('name', key)}{FIELDS[field]}无数据）", True
    return words, True


def ref_keys(text: str) -> set[str]:
    """The figures a text references."""
    return {m[1] for m in REF.finditer(text or "")}


def ref_problem(text: str, known: set[str]) -> str:
    """Why a paragraph's references cannot be saved (empty when they can): one that names no
    figure in `known` (the summary's figures and those its saved text already references, so an
    indicator withdrawn since keeps its “（指标已不存在：…）”), or braces that make no reference."""
    from django.utils.translation import gettext as _

    for match in REF.finditer(text or ""):
        if match[1] not in known:
            return _(
                "“%(token)s” names no figure of this summary. Choose the figure under “Figure to "
                "place in a paragraph” and press “Insert figure”, or delete it."
            ) % {"token": match[0]}
    rest = REF.sub("", text or "")
    at = min((i for i in (rest.find("{{"), rest.find("}}")) if i >= 0), default=-1)
    if at >= 0:
        return _(
            "The braces in “%(near)s” make no figure reference (one reads like "
            "{{opd_visits:value|门急诊人次·本期}}). Place the figure again with “Insert figure”, "
            "or delete the braces."
        ) % {"near": rest[max(0, at - 8) : at + 24]}
    return ""


def render_text(text: str, table: dict[str, dict]) -> str:
    """A paragraph with its references replaced by the figures' words."""
    return REF.sub(lambda m: ref_words(m[1], m[2], m[3], table)[0], text or "")


def render_html(text: str, table: dict[str, dict]) -> SafeString:
    """The same for the editor: each reference a chip saying what it is, the rest escaped."""
    out, at = [], 0
    for match in REF.finditer(text or ""):
        out.append(escape(text[at : match.start()]))
        words, ok = ref_words(match[1], match[2], match[3], table)
        label = _ref_label(match[1], match[2], match[3])
        css = "fig ref" if ok else "fig ref ref-missing"
        out.append(
            f'<span class="{css}" tabindex="0" title="{escape(label)}" '
            f'data-ref="{escape(match[1])}:{match[2]}">{escape(words)}</span>'
        )
        at = match.end()
    out.append(escape((text or "")[at:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def figure_block(block: dict, figures: dict) -> dict:
    """A generated block as {"text", "clauses", "missing"}: the chosen clauses in the order the
    section generates them (joined by its separator), and the chosen ones that are gone."""
    source = block.get("source", "")
    if source == "lead":
        return {"text": figures.get("lead", ""), "clauses": [], "missing": []}
    section = generated_sections(figures).get(source)
    if section is None:
        return {"text": "", "clauses": [], "missing": [source]}
    keyed = keyed_clauses(section)
    codes = block.get("codes")
    if codes is None:
        chosen = [c for _k, c in keyed]
        missing: list[str] = []
    else:
        present = {k for k, _c in keyed}
        chosen = [c for k, c in keyed if k in codes]
        names = block.get("names", {})
        # Gone is an indicator the figures no longer hold at all; a clause without a value this
        # period, or an activity with no record, is simply not quoted.
        known = figures.get("refs")
        missing = [
            names.get(code, code)
            for code in codes
            if code not in present and "." not in code and known is not None and code not in known
        ]
    if not chosen:
        text = NO_DATA if codes is None else ""
    else:
        text = section.get("sep", "；").join(c["text"] for c in chosen) + "。"
    return {"text": text, "clauses": chosen, "missing": missing}


def figure_table(clauses: list[dict]) -> dict | None:
    """指标 | 本期 | 上年同期 | 同比 of the clauses traced to an indicator, numbers written as the
    sentences write them (gongwen.figure_row), for checking against the text."""
    from .gongwen import FIGURE_HEADER, figure_row

    rows = [figure_row(c) for c in clauses if c.get("code") and c.get("name")]
    if not rows:
        return None
    return {"kind": "table", "header": list(FIGURE_HEADER), "rows": rows}


def paragraphs_of(texts: dict, figures: dict, sources=None) -> list[tuple[str, list]]:
    """The author's paragraphs of a summary as printed (references rendered with its own
    figures), by numbered heading: [(heading, [(block id, text)])], empty sections left out."""
    outline = load(texts, figures, sources)
    table = refs(figures)
    out = []

    def visit(sections: list[dict], level: int) -> None:
        for i, section in enumerate(sections):
            found = [
                (b["id"], render_text(b["text"], table).strip())
                for b in section.get("blocks", [])
                if b.get("kind") == "text" and b.get("text", "").strip()
            ]
            if found:
                out.append((numbered(level, i, section.get("heading", "")), found))
            visit(section.get("children", []), level + 1)

    visit(outline.get("sections", []), 1)
    return out


# --- the printable tree ---------------------------------------------------------------------


def _blocks(section: dict, figures: dict, table: dict, tables: bool) -> list[dict]:
    out = []
    for block in section.get("blocks", []):
        if block.get("kind") == "figures":
            built = figure_block(block, figures)
            text = built["text"]
            if built["missing"]:
                gone = "、".join(built["missing"])
                text = (text + f"（指标已不存在：{gone}）") if text else f"（指标已不存在：{gone}）"
            if text:
                out.append({"kind": "figures", "text": text, "clauses": built["clauses"]})
            if tables and (grid := figure_table(built["clauses"])):
                out.append(grid)
        elif text := render_text(block.get("text", ""), table).strip():
            out.append({"kind": "text", "text": text})
    return out


def _nodes(sections: list[dict], level: int, figures: dict, table: dict, tables: bool) -> list:
    nodes = []
    for index, section in enumerate(sections):
        children = _nodes(section.get("children", []), level + 1, figures, table, tables)
        blocks = _blocks(section, figures, table, tables)
        if not blocks and not children:
            blocks = [{"kind": "text", "text": NONE_WRITTEN}]
        nodes.append(
            {
                "level": min(level, 3),
                "heading": numbered(level, index, section.get("heading", "")),
                "blocks": blocks,
                "children": children,
            }
        )
    return nodes


def document_tree(*, summary, figures: dict, texts: dict, tables: bool = False) -> dict:
    """The summary as printed: {"title", "lead", "sections": [Node]}.

    Node = {"level": 1|2|3, "heading": "一、…"/"（一）…"/"1.…", "blocks", "children"}; a block is
    {"kind": "text", "text"} (references rendered), {"kind": "figures", "text", "clauses"} or,
    with `tables`, {"kind": "table", "header", "rows"} after each figure block that has any.
    """
    outline = load(texts, figures, getattr(summary, "sources", None))
    table = refs(figures)
    return {
        "title": summary.title,
        "lead": render_text(outline.get("lead", ""), table).strip(),
        "sections": _nodes(outline.get("sections", []), 1, figures, table, tables),
    }


__all__ = ["FORMAT", "document_tree", "load", "numbered", "refs", "render_text"]
