"""Shaping a summary's outline: the default one (as the seeds are laid out), the editor's moves,
and the checks every stored outline passes. Pure functions on the JSON of reporting/outline.py;
the actions save what they return.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterator, Mapping

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.text import strip_control_chars

from .outline import FIELDS, FORMAT, generated_sections, keyed_clauses, load, numbered
from .party import CLAUSE_KEYS as PARTY_KEYS
from .party import RULES as PARTY_RULES

HEADING_LIMIT = 60
TEXT_LIMIT = 20_000
MAX_SECTIONS = 80
MAX_BLOCKS = 600
MAX_DEPTH = 2  # 一、 and （一）; a third level is for the annual report's import
ID = re.compile(r"[a-z0-9]{1,16}")

# 工作记录 kinds that are party work: 党建 leads the work section, as in every seed.
PARTY_KINDS = (
    "党员大会",
    "支部委员会",
    "党课",
    "主题党日",
    "支部共建",
    "组织生活会",
    "集体谈话",
    "个别谈话",
)
# Per generated section, the headline figures a new block quotes (3–6 a paragraph, as the seeds
# do); 基本公共卫生服务 gets two paragraphs instead of one sentence of 21 clauses.
HEADLINES = {
    "medical": [["opd_visits", "discharges", "medical_income", "tcm_visit_share", "referrals_up"]],
    "public_health": [
        ["rec_e_rate", "vac_rate", "child_mgmt_rate", "early_reg_rate", "postpartum_rate"],
        ["elderly_check_rate", "htn_std_rate", "dm_std_rate", "smi_prevalence", "tb_mgmt_rate"],
    ],
    "family_doctor": [["fd_signed", "fd_rate", "fd_key_rate"]],
    "workforce": [
        ["staff.headcount", "staff.professionals", "staff.moves", "staff.departure_rate"],
        # 人才培养 (issue 18): “外派进修学习5人次”, “高级职称通过评审1人”, 编制.
        ["staff.further_study", "staff.training", "staff.promotions", "staff.establishment"],
    ],
}
PARTY_TITLE = "党建引领"
OTHER_ACTIVITIES_TITLE = "健康服务活动"


class OutlineError(DomainError):
    """A move the outline cannot make (a section gone, nothing above to move up to)."""


def new_id() -> str:
    return secrets.token_hex(5)


def section(heading: str, blocks: list[dict] | None = None, role: str = "") -> dict:
    out = {"id": new_id(), "heading": heading, "blocks": blocks or [], "children": []}
    if role:
        out["role"] = role
    return out


def text_block(text: str, origin: dict | None = None) -> dict:
    block = {"id": new_id(), "kind": "text", "text": text}
    if origin:
        block["origin"] = origin
    return block


def figures_block(source: str, codes: list[str] | None, figures: dict) -> dict:
    block = {"id": new_id(), "kind": "figures", "source": source, "codes": codes}
    if names := names_of(codes or [], figures):
        block["names"] = names
    return block


def names_of(codes: list[str], figures: dict) -> dict[str, str]:
    """What picked codes are called, kept so a gone one can still be named: the indicator's name,
    else the clause's own words (基本情况, the roster, work records)."""
    known = {
        key: clause.get("name") or clause["text"]
        for found in generated_sections(figures).values()
        for key, clause in keyed_clauses(found)
    }
    known |= {key: ref["name"] for key, ref in figures.get("refs", {}).items()}
    return {code: known[code] for code in codes if code in known}


# --- the default outline --------------------------------------------------------------------


def headline_groups(source: str, figures: dict) -> list[list[str]]:
    """The figure blocks a generated section starts with, each its headline keys."""
    found = generated_sections(figures).get(source)
    keys = [k for k, _c in keyed_clauses(found)] if found else []
    if source == "activities":
        every = [*PARTY_KEYS, *(f"act.{kind}" for kind in PARTY_KINDS)]
        # 三会一课 is told once, by party.meetings (held against the rule): its kinds' bare
        # counts stay in the picker, unticked.
        told = {f"act.{rule.kind}" for rule in PARTY_RULES}
        return [[k for k in every if k not in told], [k for k in keys if k not in every]]
    if source in HEADLINES:
        return HEADLINES[source]
    return [keys[:6]]


def headline(source: str, figures: dict) -> list[str]:
    """What a new figure block on `source` has ticked: its first headline group."""
    return headline_groups(source, figures)[0]


def default_outline(figures: dict) -> dict:
    """As the seeds are laid out: 基本情况; the period's work with 党建 first and the service
    sections quoting their headline figures; 存在的问题; 下一步工作计划."""
    work = []
    generated = generated_sections(figures)
    party, others = headline_groups("activities", figures)
    work.append(section(PARTY_TITLE, [figures_block("activities", party, figures)], "party"))
    for key, found in generated.items():
        if key in ("activities", "basics"):
            continue
        blocks = [figures_block(key, group, figures) for group in headline_groups(key, figures)]
        work.append(section(found["title"], blocks))
    if others:
        work.append(section(OTHER_ACTIVITIES_TITLE, [figures_block("activities", others, figures)]))
    lead = {"id": new_id(), "kind": "figures", "source": "lead", "codes": None}
    sections = []
    if "basics" in generated:
        basics = {"id": new_id(), "kind": "figures", "source": "basics", "codes": None}
        sections.append(section("基本情况", [basics], "basics"))
    at_work = section(f"{figures.get('period', '')}工作情况", [lead], "work")
    at_work["children"] = work
    sections += [
        at_work,
        section("存在的问题", role="problems"),
        section("下一步工作计划", role="plans"),
    ]
    return {"format": FORMAT, "lead": "", "sections": sections}


# --- finding things -------------------------------------------------------------------------


def walk(sections: list[dict], parent: dict | None = None) -> Iterator[tuple[dict, dict | None]]:
    for s in sections:
        yield s, parent
        yield from walk(s.get("children", []), s)


def find_section(outline: dict, sid: str) -> tuple[dict, list[dict]]:
    """The section and the list it sits in."""
    for s, parent in walk(outline["sections"]):
        if s["id"] == sid:
            return s, (parent["children"] if parent else outline["sections"])
    raise OutlineError(_gone())


def find_block(outline: dict, bid: str) -> tuple[dict, dict]:
    """The block and its section."""
    for s, _parent in walk(outline["sections"]):
        for b in s["blocks"]:
            if b["id"] == bid:
                return b, s
    raise OutlineError(_gone())


def _gone() -> str:
    return _("That part of the outline is no longer there; the page shows the outline as saved.")


def numbered_sections(outline: dict) -> Iterator[tuple[dict, int, str]]:
    """(section, level, numbered heading), in reading order."""

    def visit(sections: list[dict], level: int):
        for i, s in enumerate(sections):
            yield s, level, numbered(level, i, s["heading"])
            yield from visit(s.get("children", []), level + 1)

    yield from visit(outline["sections"], 1)


def by_role(outline: dict, role: str) -> dict | None:
    return next((s for s, _p in walk(outline["sections"]) if s.get("role") == role), None)


# --- moves ----------------------------------------------------------------------------------


def move(outline: dict, item_id: str, step: int) -> dict:
    """A section among its siblings, or a block within its section, one place up (-1) or down."""
    out = copy.deepcopy(outline)
    try:
        found, siblings = find_section(out, item_id)
    except OutlineError:
        block, owner = find_block(out, item_id)
        found, siblings = block, owner["blocks"]
    at = siblings.index(found)
    to = at + step
    if not 0 <= to < len(siblings):
        raise OutlineError(_("It is already first.") if step < 0 else _("It is already last."))
    siblings[at], siblings[to] = siblings[to], siblings[at]
    return out


def remove(outline: dict, item_id: str) -> dict:
    """A section (with its subsections) or a block, gone; the versions keep it."""
    out = copy.deepcopy(outline)
    try:
        found, siblings = find_section(out, item_id)
    except OutlineError:
        block, owner = find_block(out, item_id)
        owner["blocks"].remove(block)
        return out
    siblings.remove(found)
    return out


def add_section(outline: dict, parent_id: str | None, heading: str) -> dict:
    """A new section at the end: top-level, or a subsection of a top-level one."""
    out = copy.deepcopy(outline)
    if parent_id is None:
        out["sections"].append(section(heading))
        return out
    parent, siblings = find_section(out, parent_id)
    if siblings is not out["sections"]:
        raise OutlineError(_("Subsections go under a top-level section."))
    parent["children"].append(section(heading))
    return out


def add_block(outline: dict, section_id: str, block: dict) -> dict:
    out = copy.deepcopy(outline)
    owner, _siblings = find_section(out, section_id)
    owner["blocks"].append(block)
    return out


SENTENCE_END = ("。", "！", "？", "；")


def as_paragraph(text: str) -> str:
    """A suggestion as a paragraph: a sentence ends with 。 (the suggestions are clauses)."""
    text = text.strip()
    return text if not text or text.endswith(SENTENCE_END) else text + "。"


def is_kept(outline: dict, text: str) -> bool:
    """Whether a suggestion is already a paragraph of 存在的问题 (as kept, or kept before
    paragraphs got their 。)."""
    target = by_role(outline, "problems")
    if target is None:
        return False
    wanted = {text.strip(), as_paragraph(text)}
    return any(b.get("text", "").strip() in wanted for b in target["blocks"])


def keep_problem(outline: dict, text: str) -> dict:
    """A suggested problem kept as a paragraph of 存在的问题 (made at the end if it was removed);
    keeping it again changes nothing."""
    out = copy.deepcopy(outline)
    if is_kept(out, text):
        return out
    target = by_role(out, "problems")
    if target is None:
        target = section("存在的问题", role="problems")
        out["sections"].append(target)
    target["blocks"].append(text_block(as_paragraph(text)))
    return out


def insert_ref(text: str, key: str, field: str, name: str) -> str:
    """The no-script way to place a reference: at the end of the paragraph."""
    from .outline import ref_token

    return text + ref_token(key, field, name)


def place(outline: dict, where: str) -> dict | None:
    """The section a role names ("problems", "plans" …) or that quotes a generated section."""
    if found := by_role(outline, where):
        return found
    for s, _parent in walk(outline["sections"]):
        if any(b.get("source") == where for b in s["blocks"]):
            return s
    return None


def add_paragraphs(texts: dict, figures: dict, paragraphs: dict[str, str]) -> dict:
    """The outline with lines of text added where named: "lead" (the opening), a role or a
    generated section's key (its section); each line a paragraph. For loaders and imports."""
    out = copy.deepcopy(load(texts, figures))
    for where, text in paragraphs.items():
        if where == "lead":
            out["lead"] = "\n".join(filter(None, [out.get("lead", ""), text]))
            continue
        target = place(out, where)
        if target is None:
            raise OutlineError(_gone())
        target["blocks"] += [text_block(line.strip()) for line in text.splitlines() if line.strip()]
    return out


# --- one save of the editor ------------------------------------------------------------------


def _all_keys(block: dict, figures: dict) -> list[str]:
    found = generated_sections(figures).get(block.get("source", ""))
    return [k for k, _c in keyed_clauses(found)] if found else []


def _typed_blocks(blocks: list[dict], cleaned: dict, figures: dict) -> list[dict]:
    """A section's blocks as typed: paragraphs' words, figure blocks' picks; emptied ones go."""
    kept = []
    for b in blocks:
        if b["kind"] == "text":
            b["text"] = cleaned.get(f"t-{b['id']}", b["text"])
            if not b["text"].strip():
                continue
        elif f"c-{b['id']}" in cleaned:
            codes = list(cleaned[f"c-{b['id']}"])
            # The same picks stay as stored: a block quoting all its section stays "all" (so it
            # takes in a figure the next regeneration adds), and an untouched save changes nothing.
            stored = b.get("codes")
            unchanged = set(codes) == set(_all_keys(b, figures) if stored is None else stored)
            if not unchanged:
                b["codes"] = codes
                b["names"] = b.get("names", {}) | names_of(codes, figures)
        kept.append(b)
    return kept


def _typed(outline: dict, cleaned: dict, figures: dict) -> dict:
    """The outline with every field of the form as typed, then what the "new" boxes add."""
    out = copy.deepcopy(outline)
    out["lead"] = cleaned.get("lead", out.get("lead", ""))
    sections = [s for s, _parent in walk(out["sections"])]  # before any is added
    for s in sections:
        s["heading"] = (cleaned.get(f"h-{s['id']}") or s["heading"]).strip()
        s["blocks"] = _typed_blocks(s["blocks"], cleaned, figures)
    for s in sections:
        sid = s["id"]
        if text := (cleaned.get(f"n-{sid}") or "").strip():
            s["blocks"].append(text_block(text))
        if source := cleaned.get(f"nf-{sid}"):
            s["blocks"].append(figures_block(source, headline(source, figures), figures))
        if heading := (cleaned.get(f"ns-{sid}") or "").strip():
            s["children"].append(section(heading))
    if heading := (cleaned.get("ns-root") or "").strip():
        out["sections"].append(section(heading))
    return out


def _suggestions(figures: dict) -> list[str]:
    """The 存在的问题 the figures suggest: {"text", …} dicts, or the older plain strings."""
    found = figures.get("problems")
    if found is None:
        return [str(w) for w in figures.get("weak_spots", [])]
    return [str(p.get("text", "")) for p in found]


# Figures generated before the reasons were worded named the setting behind a threshold
# (“达到设定的1个百分点（CHC_SUMMARY_PROBLEM_MIN_POINTS）”): shown in words instead.
SETTING_NAME = re.compile(r"设定的([^（）]*)（CHC_[A-Z_]+）")


def _why_words(why: str) -> str:
    return SETTING_NAME.sub(r"系统设定的阈值\1", why)


def suggestions(figures: dict, outline: dict | None = None) -> list[dict]:
    """Each suggestion as {"text", "why", "kind", "kept"} for the editor, whichever shape it
    came in; "kept" when the outline's 存在的问题 already holds it."""
    found = figures.get("problems")
    if found is None:
        found = [{"text": str(w), "why": "", "kind": ""} for w in figures.get("weak_spots", [])]
    out = []
    for p in found:
        text = str(p.get("text", ""))
        kept = outline is not None and is_kept(outline, text)
        why = _why_words(str(p.get("why", "")))
        out.append({"text": text, "why": why, "kind": p.get("kind", ""), "kept": kept})
    return out


def _with_ref(outline: dict, bid: str, cleaned: dict, figures: dict) -> dict:
    from .outline import refs

    key, field = cleaned.get("ref_key") or "", cleaned.get("ref_field") or "value"
    if not key:
        raise OutlineError(_("Choose the figure to insert first."))
    out = copy.deepcopy(outline)
    block, _owner = find_block(out, bid)
    if block["kind"] != "text":
        raise OutlineError(_("Figures go into a paragraph you write."))
    name = refs(figures).get(key, {}).get("name", key)
    block["text"] = insert_ref(block["text"], key, field, name)
    return out


def from_form(outline: dict, cleaned: dict, figures: dict) -> tuple[dict, str]:
    """The editor's save: everything typed, then the move its button named, and the note the
    version gets (“moved”, “removed” …)."""
    typed = _typed(outline, cleaned, figures)
    verb, _sep, target = (cleaned.get("op") or "save").partition(":")
    if verb == "up":
        return move(typed, target, -1), _("moved up")
    if verb == "down":
        return move(typed, target, 1), _("moved down")
    if verb == "remove":
        return remove(typed, target), _("removed a part")
    if verb == "keep":
        offered = _suggestions(figures)
        index = int(target) if target.isdigit() else -1
        if not 0 <= index < len(offered):
            raise OutlineError(
                _("That suggestion is no longer offered; the page shows the current ones.")
            )
        return keep_problem(typed, offered[index]), _("kept a suggested problem")
    if verb == "ref":
        return _with_ref(typed, target, cleaned, figures), _("placed a figure")
    return typed, _("texts saved")


# --- what is stored -------------------------------------------------------------------------


def _clean_block(block: dict) -> dict | None:
    bid = str(block.get("id", ""))
    if not ID.fullmatch(bid):
        bid = new_id()
    if block.get("kind") == "figures":
        codes = block.get("codes")
        out = {
            "id": bid,
            "kind": "figures",
            "source": str(block.get("source", ""))[:40],
            "codes": None if codes is None else [str(c)[:80] for c in codes][:200],
        }
        if names := block.get("names"):
            out["names"] = {str(k)[:80]: str(v)[:80] for k, v in names.items()}
        return out
    text = strip_control_chars(str(block.get("text", "")))[:TEXT_LIMIT]
    out = {"id": bid, "kind": "text", "text": text}
    if origin := block.get("origin"):
        out["origin"] = origin
    return out


def _clean_section(s: dict, depth: int, counts: list[int]) -> dict:
    counts[0] += 1
    blocks = [b for b in (_clean_block(b) for b in s.get("blocks", [])) if b is not None]
    counts[1] += len(blocks)
    sid = str(s.get("id", ""))
    out = {
        "id": sid if ID.fullmatch(sid) else new_id(),
        "heading": strip_control_chars(str(s.get("heading", ""))).strip()[:HEADING_LIMIT],
        "blocks": blocks,
        "children": [_clean_section(c, depth + 1, counts) for c in s.get("children", [])]
        if depth < 3
        else [],
    }
    if role := s.get("role"):
        out["role"] = str(role)[:20]
    return out


def clean(outline: dict) -> dict:
    """The outline as stored: known keys only, texts without control characters, within the
    limits; a bigger one is refused rather than cut."""
    counts = [0, 0]
    sections = [_clean_section(s, 1, counts) for s in outline.get("sections", [])]
    if counts[0] > MAX_SECTIONS or counts[1] > MAX_BLOCKS:
        raise OutlineError(
            _("A summary holds at most %(s)s sections and %(b)s paragraphs.")
            % {"s": MAX_SECTIONS, "b": MAX_BLOCKS}
        )
    lead = strip_control_chars(str(outline.get("lead", "")))[:TEXT_LIMIT]
    return {"format": FORMAT, "lead": lead, "sections": sections}


def field_values(texts: dict, figures: dict | None = None) -> dict[str, str]:
    """The outline as the editor's fields hold it ({"lead", "h-<id>", "t-<id>", "c-<id>"}), for
    the stale-edit refusal (their saved values) and the audit (what changed)."""
    outline = load(texts, figures)
    names = _clause_names(figures or {})
    out = {"lead": outline.get("lead", "")}
    for s, _parent in walk(outline["sections"]):
        out[f"h-{s['id']}"] = s["heading"]
        for b in s["blocks"]:
            if b["kind"] == "text":
                out[f"t-{b['id']}"] = b["text"]
            else:
                out[f"c-{b['id']}"] = _chosen_words(b.get("codes"), names)
    return out


def _chosen_words(codes: list[str] | None, names: dict[str, str]) -> str:
    """A figure block's choice in words; figures without data this period have no name here."""
    if codes is None:
        return _("the headline figures")
    shown = [names[code] for code in codes if code in names]
    if unnamed := len(codes) - len(shown):
        shown.append(_("%(n)s figures without data this period") % {"n": unnamed})
    return "、".join(shown)


def _clause_names(figures: dict) -> dict[str, str]:
    """The figures a block may quote, by key, as people read them (the history shows these)."""
    return {
        key: clause.get("name") or clause.get("text", key)
        for section in figures.get("sections", [])
        for key, clause in keyed_clauses(section)
    }


class AuditLabels(Mapping):
    """The names of a summary's audited keys in the history: the outline's fields by their
    prefix (the ids mean nothing to a reader), and the fixed keys of summaries saved before."""

    PREFIXES = {"h-": "Section heading", "t-": "Paragraph", "c-": "Figures quoted"}

    def _fixed(self) -> dict[str, str]:
        from .summary import SECTION_TITLES

        notes = {
            k: _("Notes after %(section)s") % {"section": t} for k, t in SECTION_TITLES.items()
        }
        return {
            "lead": _("Opening paragraph"),
            "intro": _("Opening paragraph"),
            "order": _("Order of sections"),
            "problems": _("What the problems are"),
            "plans": _("What comes next"),
            **notes,
        }

    def __getitem__(self, key: str) -> str:
        for prefix, label in self.PREFIXES.items():
            if key.startswith(prefix):
                return _(label)
        return self._fixed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fixed())

    def __len__(self) -> int:
        return len(self._fixed())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key[:2] in self.PREFIXES or key in self._fixed())


def order(texts: dict, figures: dict | None = None) -> list[str]:
    """The numbered headings in reading order, for the audit when the structure moves."""
    return [shown for _s, _level, shown in numbered_sections(load(texts, figures))]


__all__ = ["FIELDS", "add_block", "add_section", "clean", "default_outline", "keep_problem"]
