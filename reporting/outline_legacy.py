"""Summaries written before the outline (texts as fixed keys), turned into an outline.

Migration 0016 converts every stored summary and version with `upgrade`; `outline.load` calls it
too for anything still in the old shape (a fixture, a version restored from an old dump). Keep it
as it is: the migration's result must not change after the fact.

The old texts were {"intro", one note per generated section key, "problems", "plans"}; the
document was 一、工作情况 (the lead sentence, then each generated section as （一）… with its
note), 二、存在的问题, 三、下一步工作计划.
"""

from __future__ import annotations

import hashlib

FORMAT = 2
OLD_TITLES = {
    "medical": "医疗服务",
    "public_health": "基本公共卫生服务",
    "family_doctor": "家庭医生签约",
    "commission": "卫健委自定指标",
    "workforce": "人员队伍",
    "activities": "党建与活动",
}
OLD_NOTE_KEYS = tuple(OLD_TITLES)


def is_legacy(texts: dict | None) -> bool:
    return not isinstance(texts, dict) or texts.get("format") != FORMAT


def _id(*parts: str) -> str:
    """A stable id, so converting the same texts twice gives the same outline."""
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:10]


def _lines(text) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _paragraphs(text, where: str, origins: dict[tuple[str, str], dict]) -> list[dict]:
    blocks = []
    for i, line in enumerate(_lines(text)):
        block = {"id": _id(where, "p", str(i)), "kind": "text", "text": line}
        if origin := origins.get((where, line)):
            block["origin"] = origin
        blocks.append(block)
    return blocks


def _origins(sources) -> dict[tuple[str, str], dict]:
    """Compiled paragraphs by (old key, text): where each came from."""
    out = {}
    for entry in sources or []:
        key, text = entry.get("key", ""), entry.get("text", "")
        out[(key, text)] = {k: entry.get(k) for k in ("centre", "centre_slug", "summary", "title")}
    return out


def upgrade(texts: dict | None, figures: dict | None, sources=None) -> dict:
    """The outline that prints exactly as the old fixed-key summary did."""
    texts, figures = texts or {}, figures or {}
    origins = _origins(sources)
    work_children = []
    seen = set()
    for section in figures.get("sections", []):
        key = section.get("key", "")
        seen.add(key)
        blocks = [{"id": _id(key, "f"), "kind": "figures", "source": key, "codes": None}]
        work_children.append(
            {
                "id": _id(key),
                "heading": section.get("title") or OLD_TITLES.get(key, key),
                "blocks": blocks + _paragraphs(texts.get(key), key, origins),
                "children": [],
            }
        )
    for key in OLD_NOTE_KEYS:  # a note whose figures are gone still prints
        if key not in seen and _lines(texts.get(key)):
            work_children.append(
                {
                    "id": _id(key),
                    "heading": OLD_TITLES[key],
                    "blocks": _paragraphs(texts.get(key), key, origins),
                    "children": [],
                }
            )
    lead = [{"id": _id("lead", "f"), "kind": "figures", "source": "lead", "codes": None}]
    sections = [
        {
            "id": _id("work"),
            "heading": "工作情况",
            "role": "work",
            "blocks": lead,
            "children": work_children,
        },
        {
            "id": _id("problems"),
            "heading": "存在的问题",
            "role": "problems",
            "blocks": _paragraphs(texts.get("problems"), "problems", origins),
            "children": [],
        },
        {
            "id": _id("plans"),
            "heading": "下一步工作计划",
            "role": "plans",
            "blocks": _paragraphs(texts.get("plans"), "plans", origins),
            "children": [],
        },
    ]
    intro = "\n".join(_lines(texts.get("intro")))
    return {"format": FORMAT, "lead": intro, "sections": sections}


def downgrade(outline: dict) -> dict:
    """The fixed keys again, for unapplying the migration: each section's paragraphs go to the
    key of the generated section it quotes (or its role); the rest, headed, to the opening."""
    texts = {key: "" for key in ("intro", *OLD_NOTE_KEYS, "problems", "plans")}
    spare = [outline.get("lead", "")]

    def add(key: str, lines: list[str]) -> None:
        texts[key] = "\n".join(filter(None, [texts[key], *lines]))

    def visit(sections: list[dict]) -> None:
        for section in sections:
            lines = [
                b.get("text", "") for b in section.get("blocks", []) if b.get("kind") == "text"
            ]
            sources = [
                b.get("source") for b in section.get("blocks", []) if b.get("kind") == "figures"
            ]
            key = next((s for s in sources if s in OLD_NOTE_KEYS), section.get("role", ""))
            if key in texts and key != "intro":
                add(key, lines)
            elif lines:
                spare.extend([section.get("heading", ""), *lines])
            visit(section.get("children", []))

    visit(outline.get("sections", []))
    texts["intro"] = "\n".join(filter(None, spare))
    return texts
