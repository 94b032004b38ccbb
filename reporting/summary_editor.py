"""What the summary page shows of the outline: each section with its numbered heading and
blocks, as HTML with traced figures and reference chips, beside the fields that edit them."""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from . import outline_edit
from .outline import figure_block, generated_sections, keyed_clauses, refs, render_html


def figure_html(block: dict, figures: dict) -> SafeString:
    """A generated paragraph with each clause traced on hover, and any gone indicator named."""
    built = figure_block(block, figures)
    if block.get("source") == "lead" or not built["clauses"]:
        text = escape(built["text"])
    else:
        found = generated_sections(figures).get(block.get("source", ""), {})
        spans = [
            format_html(
                '<span class="fig" tabindex="0" title="{}" data-code="{}">{}</span>',
                c.get("trace", ""),
                c.get("code") or c.get("key", ""),
                c["text"],
            )
            for c in built["clauses"]
        ]
        text = mark_safe(escape(found.get("sep", "；")).join(spans) + "。")  # noqa: S308
    if built["missing"]:
        gone = "、".join(built["missing"])
        text += format_html('<span class="ref-missing">（指标已不存在：{}）</span>', gone)
    return mark_safe(text)  # noqa: S308 - built from escaped pieces


def _block(block: dict, figures: dict, table: dict, form) -> dict:
    bid = block["id"]
    if block["kind"] == "text":
        return {
            "id": bid,
            "kind": "text",
            "html": render_html(block["text"], table),
            "field": form[f"t-{bid}"] if form is not None else None,
            "origin": block.get("origin"),
        }
    source = generated_sections(figures).get(block.get("source", ""), {})
    title = "" if block.get("source") == "lead" else source.get("title", block.get("source", ""))
    picker = f"c-{bid}"
    return {
        "id": bid,
        "kind": "figures",
        "source": block.get("source", ""),
        "title": title,
        "html": figure_html(block, figures),
        "field": form[picker] if form is not None and picker in form.fields else None,
        "count": len(keyed_clauses(source)) if source else 0,
    }


def rows(outline: dict, figures: dict, form=None) -> list[dict]:
    """Every section in reading order, with what the page needs to show and edit it."""
    table = refs(figures)
    out = []
    for section, level, shown in outline_edit.numbered_sections(outline):
        sid = section["id"]
        entry = {
            "id": sid,
            "level": level,
            "shown": shown,
            "number": shown[: len(shown) - len(section["heading"])],
            "role": section.get("role", ""),
            "blocks": [_block(b, figures, table, form) for b in section["blocks"]],
        }
        if form is not None:
            entry["heading"] = form[f"h-{sid}"]
            entry["new_text"] = form[f"n-{sid}"]
            entry["new_figures"] = form[f"nf-{sid}"]
            entry["new_sub"] = form[f"ns-{sid}"] if f"ns-{sid}" in form.fields else None
        out.append(entry)
    return out


def suggestions(figures: dict, outline: dict | None = None) -> list[dict]:
    """The suggested problems, each marked "kept" once 存在的问题 holds it."""
    return outline_edit.suggestions(figures, outline)


# --- where the page stays after a click (the part acted on) ---------------------------------


def _dom_id(outline: dict, item: str) -> str:
    """The page's id of a section (sec-…) or a block (blk-…) of the outline; "" if neither."""
    for section, _parent in outline_edit.walk(outline.get("sections", [])):
        if section["id"] == item:
            return f"sec-{item}"
        if any(b["id"] == item for b in section["blocks"]):
            return f"blk-{item}"
    return ""


def _op(op: str) -> tuple[str, str]:
    verb, _sep, target = (op or "save").partition(":")
    return verb, target


def _removed_neighbour(outline: dict, item: str) -> str:
    """What stands where a removed part was: a block's section; a section's previous sibling,
    else its next one, else its parent."""
    for section, parent in outline_edit.walk(outline.get("sections", [])):
        if any(b["id"] == item for b in section["blocks"]):
            return f"sec-{section['id']}"
        if section["id"] == item:
            siblings = parent["children"] if parent else outline["sections"]
            at = siblings.index(section)
            if at > 0:
                return f"sec-{siblings[at - 1]['id']}"
            if at + 1 < len(siblings):
                return f"sec-{siblings[at + 1]['id']}"
            return f"sec-{parent['id']}" if parent else ""
    return ""


def acted_on(before: dict, after: dict, op: str) -> dict:
    """After a save, the part of the page to keep in view: the moved part, the section a
    paragraph was added to or removed from, 存在的问题 after keeping a suggestion."""
    verb, target = _op(op)
    if verb == "remove":
        anchor = _removed_neighbour(before, target)
    elif verb == "keep":
        found = outline_edit.by_role(after, "problems")
        anchor = f"sec-{found['id']}" if found else ""
    else:
        anchor = _dom_id(after, target) if target else ""
    return {"anchor": anchor, "item": target} if anchor else {}


def refused_at(outline: dict, op: str, error: str) -> dict:
    """A move refused (already first, no figure chosen …): the message goes beside the button
    that asked for it, and the page stays there; {} when the button named no part."""
    _verb, target = _op(op)
    anchor = _dom_id(outline, target) if target else ""
    return {"anchor": anchor, "item": target, "error": error} if anchor else {}


def first_error_at(form) -> dict:
    """An invalid form: the page goes to the first field refused (its paragraph or section)."""
    for name in form.errors:
        prefix, _sep, item = name.partition("-")
        if prefix in ("t", "c"):
            return {"anchor": f"blk-{item}"}
        if prefix in ("h", "n", "nf", "ns") and item != "root":
            return {"anchor": f"sec-{item}"}
    return {}
