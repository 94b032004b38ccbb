"""开展业务活动情况 in the outline of the filed report (seed 000): 一、<year>年工作总结 in themed
subsections, 二、存在的问题和不足, 三、<next year>年工作思路.

`draft` writes it from the year's stored figures when a filing is opened; `from_summary` writes it
from the centre's accepted year summary, read through reporting.outline.document_tree (what every
output of a summary reads), for the import on the filing page (reporting/narrative_actions.py).
"""

from __future__ import annotations

import datetime as dt
import re

from centers.models import Centre
from core.periods import Period
from services import figures as door
from staff.selectors import workforce_figures

from . import outline, party, problems
from . import sentences as s
from .models import Summary
from .summary import TALLY_SECTIONS

MEDICAL = ["opd_visits", "discharges", "medical_income"]
PUBLIC_HEALTH = [
    "fd_rate",
    "fd_key_rate",
    "elderly_mgmt_rate",
    "htn_std_rate",
    "dm_std_rate",
    "smi_prevalence",
]
TO_WRITE = "（待中心填写）"
ORDINALS = "一二三四五六七八九十"


def headings(year: int) -> tuple[str, str, str]:
    """The three parts of the narrative, as the filed report words them."""
    return f"一、{year}年工作总结", "二、存在的问题和不足", f"三、{year + 1}年工作思路"


def _figures_text(figures: dict, codes: list[str]) -> str:
    parts = [s.figure_brief(f) for code in codes if (f := figures.get(code)) is not None]
    parts = [p for p in parts if p]
    return "；".join(parts) + "。" if parts else ""


def _party_text(centre: Centre, period: Period, counts: list[tuple[str, int, int]]) -> str:
    """党建: the branch, its members and 三会一课 (reporting/party.py), then the other party work
    counted in the work records; the bare counts when no branch is recorded."""
    found = party.summary_clauses(centre_ids=[centre.pk], period=period, single=True)
    clauses = [c["text"] for c in found]
    counted = set(party.OTHER_KINDS)
    if not clauses:  # no branch recorded: the meetings it held are counted here instead
        counted |= {r.kind for r in party.RULES}
    held = [f"{kind}{times}次" for kind, times, _people in counts if kind in counted]
    if held:
        clauses.append("开展" + "、".join(held) if clauses else "全年召开" + "，".join(held))
    return "；".join(clauses) + "。" if clauses else ""


def _problems_text(centre: Centre, figures: dict, staff, state, year: int) -> str:
    """The year's problems worth reporting (reporting/problems.py), as 一是…二是…"""
    t = problems.Thresholds.from_settings()
    codes = [code for _key, _title, section in TALLY_SECTIONS for code in section]
    found = problems.declines(figures, codes, t)
    if staff.headcount_end or staff.departures:
        found += problems.workforce(staff, 12, t)
        if staff.headcount_end:
            found += problems.staffing(
                {centre.pk: staff.checks}, dt.date(year, 12, 31), single=True
            )
    expected = state.expected(centre.pk)
    found += problems.unreported(
        state.missing_by_month(), state.unmarked_by_month(), expected, single=True
    )
    texts = [p["text"].rstrip("。") for p in problems.ranked(found)]
    return "".join(f"{_ordinal(i)}是{text}。" for i, text in enumerate(texts))


def _ordinal(index: int) -> str:
    return ORDINALS[index] if index < len(ORDINALS) else str(index + 1)


def draft(centre: Centre, year: int) -> str:
    """A first draft of 开展业务活动情况 from the year's figures, for the centre to rewrite."""
    period = Period.year(year)
    state = door.reporting(centres=[(centre.pk, None)], months=period.months, entries=True)
    entered = state.entered_months(centre.pk)
    figures = door.totals(centre_ids=[centre.pk], period=period)
    staff = workforce_figures(centre=centre, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    counts = door.activities(centre_ids=[centre.pk], period=period)
    services = _figures_text(figures, MEDICAL), _figures_text(figures, PUBLIC_HEALTH)
    party_kinds = {r.kind for r in party.RULES} | set(party.OTHER_KINDS)
    others = [s.activity_brief(k, n, p) for k, n, p in counts if k not in party_kinds]
    subsections = [
        ("党建引领", _party_text(centre, period, counts)),
        (
            "人才队伍建设",
            s.annual_staff_words(staff) if staff.headcount_end or staff.departures else "",
        ),
        ("医疗服务", services[0]),
        ("基本公共卫生服务", services[1]),
        ("健康服务活动", "全年开展" + "；".join(others) + "。" if others else ""),
    ]
    opening = s.annual_opening(year)
    # "以下数字仅反映这些月份" only before figures that come; "尚无服务统计数据" when none came in.
    if any(services) or not entered:
        opening += s.partial_year_words(year, entered)
    work, issues, plans = headings(year)
    lines = [opening, work]
    written = [(title, text) for title, text in subsections if text]
    for index, (title, text) in enumerate(written):
        lines += [outline.numbered(2, index, title), text]
    lines += [issues, _problems_text(centre, figures, staff, state, year) or TO_WRITE]
    lines += [plans, TO_WRITE]
    return "\n".join(lines)


# --- from the accepted year summary ------------------------------------------------------------

NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)")
LEAD_END = "各项工作情况如下。"


def _texts(blocks: list[dict]) -> list[str]:
    """A section's paragraphs, without the printed placeholder of an empty section."""
    return [
        b["text"]
        for b in blocks
        if b.get("kind") in ("text", "figures")
        and b.get("text")
        and b["text"] != outline.NONE_WRITTEN
    ]


def _written(node: dict) -> bool:
    """Whether a section says anything (itself or a subsection): an empty one is left out of
    the report rather than printed as “（无）”."""
    return bool(_texts(node["blocks"])) or any(_written(c) for c in node.get("children", []))


def _bare(heading: str) -> str:
    return NUMBERING.sub("", heading, count=1)


def _lines(node: dict, level: int, index: int) -> list[str]:
    """A section of the summary one level down (一、 → （一）, （一） → 1.), with its paragraphs."""
    out = [outline.numbered(level, index, _bare(node["heading"])), *_texts(node["blocks"])]
    children = [c for c in node.get("children", []) if _written(c)]
    for i, child in enumerate(children):
        out += _lines(child, min(level + 1, 3), i)
    return out


def _body(node: dict) -> list[str]:
    """A section's paragraphs and its subsections' (for 存在的问题 and 工作思路, which the report
    holds without numbered subsections of its own)."""
    out = _texts(node["blocks"])
    for child in node.get("children", []):
        if _written(child):
            out += [_bare(child["heading"]), *_body(child)]
    return out


def _roles(summary: Summary) -> list[str]:
    """The role of each top-level section of the summary (problems, plans or ""), in order."""
    stored = outline.load(summary.texts, summary.figures, summary.sources)
    return [section.get("role", "") for section in stored.get("sections", [])]


def _months(stored: dict | None) -> dict[dt.date, int]:
    out = {}
    for month, count in (stored or {}).items():
        try:
            out[dt.date.fromisoformat(month)] = int(count)
        except (TypeError, ValueError):
            continue
    return out


def own_figures(figures: dict) -> dict:
    """A centre's figures with the opening speaking of the centre itself (“其中1–12月数据未
    报”), as summaries generated since say it; older ones counted “1个中心” as a commission's
    do, and an accepted summary cannot be regenerated."""
    lead = figures.get("lead", "")
    if LEAD_END not in lead:
        return figures
    missing, unmarked = _months(figures.get("missing")), _months(figures.get("unmarked"))
    head = lead[: lead.index(LEAD_END) + len(LEAD_END)]
    return {**figures, "lead": head + s.missing_words(missing, unmarked, single=True)}


def from_summary(summary: Summary, year: int) -> str:
    """The accepted year summary as the narrative: its opening; its work sections under
    一、<year>年工作总结 (a section with subsections gives its subsections, each one level down);
    its 存在的问题 under 二; its plans under 三. Generated figures come as the summary prints
    them, in the centre's own words. A section with nothing written is left out (and the rest
    numbered on); 二 and 三, which the report's outline needs, say “（待中心填写）” instead."""
    figures = own_figures(summary.figures) if summary.centre_id else summary.figures
    tree = outline.document_tree(summary=summary, figures=figures, texts=summary.texts)
    roles = _roles(summary)
    work, issues, plans = headings(year)
    lines = [tree["lead"]] if tree["lead"] else []
    lines.append(work)
    parts: dict[str, list[str]] = {"problems": [], "plans": []}
    index = 0
    for position, node in enumerate(tree["sections"]):
        role = roles[position] if position < len(roles) else ""
        if role in parts:
            parts[role] += _body(node)
            continue
        if not _written(node):
            continue
        children = [c for c in node.get("children", []) if _written(c)]
        if children:  # 一、工作情况 with its themes: the themes become the report's （一）…
            lines += _texts(node["blocks"])
            for child in children:
                lines += _lines(child, 2, index)
                index += 1
        else:
            lines += _lines(node, 2, index)
            index += 1
    lines += [issues, *(parts["problems"] or [TO_WRITE]), plans, *(parts["plans"] or [TO_WRITE])]
    return "\n".join(line for line in lines if line.strip())
