"""What a commission reads of the summaries handed up to it: who is late, what changed since the
version handed up or accepted, and the paragraphs it can compile from."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.utils import timezone

from centers.models import Centre
from core.periods import Period, month_end

from . import outline, textdiff
from .models import Summary, SummaryEvent, SummaryVersion

SS = Summary.Status
# Summaries are due this many days after their period ends (H1 by 10 July, H2 and the year by
# 10 January); the page says so.
DUE_DAYS = 10
LEAD_TITLE = "开头"


def due_date(period: Period) -> dt.date:
    return month_end(period.last) + dt.timedelta(days=DUE_DAYS)


@dataclass(frozen=True)
class InboxRow:
    centre: Centre
    summary: Summary | None
    late: bool  # not handed up, and the due day has passed
    handed_late: bool = False  # handed up after the due day

    @property
    def state(self) -> str:
        return self.summary.status if self.summary else ""


def lateness(summary: Summary | None, period: Period, today: dt.date) -> tuple[bool, bool]:
    """(late: not handed up and past the due day, handed_late: handed up after it), the one rule
    the received list and the centre's own summary page both show."""
    due = due_date(period)
    waiting = summary is None or summary.status in (SS.DRAFT, SS.RETURNED)
    handed = summary.submitted_at if summary is not None and not waiting else None
    return today > due and waiting, handed is not None and timezone.localdate(handed) > due


def summary_lateness(summary: Summary, today: dt.date | None = None) -> tuple[bool, bool]:
    """`lateness` of a centre's summary for its own page; a late draft beside another summary of
    the period already handed up is not late, as the received list shows that one (a query,
    for a late draft only)."""
    late, handed_late = lateness(
        summary, Period(summary.first, summary.last), today or timezone.localdate()
    )
    if late and summary.status == SS.DRAFT:
        handed = Summary.objects.filter(
            centre_id=summary.centre_id,
            first=summary.first,
            last=summary.last,
            kind=summary.kind,
            status__in=(SS.SUBMITTED, SS.ACCEPTED),
        )
        late = not handed.exists()
    return late, handed_late


def _chosen(summaries: list[Summary]) -> Summary | None:
    """The one handed up (there is at most one), else the centre's latest draft."""
    handed = [s for s in summaries if s.status != SS.DRAFT]
    return (handed or summaries or [None])[0]


def inbox(
    *, authority_ids, period: Period, kind: str, today: dt.date | None = None
) -> list[InboxRow]:
    """Every centre below the authority with its summary of the period; two queries in all."""
    today = today or timezone.localdate()
    centres = list(
        Centre.objects.filter(sponsor_id__in=authority_ids)
        .select_related("sponsor")
        .order_by("name")
    )
    by_centre: dict[int, list[Summary]] = {}
    found = (
        Summary.objects.filter(centre__in=centres, first=period.first, last=period.last, kind=kind)
        .select_related("submitted_by")
        .order_by("-updated_at", "-pk")
    )
    for s in found:
        by_centre.setdefault(s.centre_id, []).append(s)
    rows = []
    for centre in centres:
        chosen = _chosen(by_centre.get(centre.pk, []))
        rows.append(InboxRow(centre, chosen, *lateness(chosen, period, today)))
    return rows


HANDED_UP = (SS.SUBMITTED, SS.RETURNED, SS.ACCEPTED)


def latest_handed_period(*, authority_ids) -> dict[str, str] | None:
    """The latest half-year or year a centre below the authority handed a summary up for, as
    the received list's choice ({"year", "part"}); None when none ever was. One query."""
    found = (
        Summary.objects.filter(
            centre__sponsor_id__in=authority_ids,
            kind__in=(Summary.Kind.HALF, Summary.Kind.YEAR),
            status__in=HANDED_UP,
        )
        .order_by("-last", "-first")
        .values("kind", "first")
        .first()
    )
    if found is None:
        return None
    first = found["first"]
    if found["kind"] == Summary.Kind.YEAR:
        return {"year": str(first.year), "part": "year"}
    return {"year": str(first.year), "part": "h1" if first.month == 1 else "h2"}


def counts(rows: list[InboxRow]) -> dict[str, int]:
    """How many centres are in each state, and how many are late."""
    out = {"none": 0, **{s: 0 for s in SS.values}, "late": 0}
    for row in rows:
        out[row.state or "none"] += 1
        out["late"] += row.late
    return out


# --- what changed --------------------------------------------------------------------------


def handed_versions(summary: Summary) -> list[tuple[int, str]]:
    """(version number, state) of each version handed up or accepted, newest first."""
    events = SummaryEvent.objects.filter(
        summary=summary, to_status__in=(SS.SUBMITTED, SS.ACCEPTED), version__isnull=False
    ).order_by("-id")
    seen: dict[int, str] = {}
    for event in events:
        seen.setdefault(event.version, event.to_status)
    return sorted(seen.items(), reverse=True)


def default_base(summary: Summary, latest: int) -> int | None:
    """The newest version handed up or accepted before the latest one (the reviewer's "since
    last time" after a resubmission, the centre's "since I handed it up" while editing)."""
    earlier = [n for n, _s in handed_versions(summary) if n < latest]
    return earlier[0] if earlier else None


def _segments(old: str, new: str) -> list[list[tuple[str, str]]]:
    """The lines of a change, each as (op, text) runs: 'same', 'del' or 'ins'. Lines first;
    within a changed pair of lines, words and numbers (reporting/textdiff.py)."""
    out: list[list[tuple[str, str]]] = []
    a, b = old.splitlines(), new.splitlines()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [[("same", line)] for line in a[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            out += [_characters(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        else:
            out += [[("del", line)] for line in a[i1:i2]] + [[("ins", line)] for line in b[j1:j2]]
    return out


RUN_OPS = {"equal": "same", "delete": "del", "insert": "ins"}


def _characters(x: str, y: str) -> list[tuple[str, str]]:
    """A changed line against its old self, a number being one token (never digit by digit)."""
    return [(RUN_OPS[op], text) for op, text in textdiff.runs(x, y)]


def _quoted(text: str) -> str:
    """A paragraph as the author wrote it: each reference as its label, not today's number."""
    return outline.REF.sub(lambda m: f"〔{m[3] or m[1]}〕", text)


def _section_lines(texts: dict, figures: dict) -> dict[str, tuple[str, str]]:
    """Each section's (numbered heading, its text as lines: heading, paragraphs, and the figures
    each generated paragraph quotes), by id; the opening under "lead"."""
    tree = outline.load(texts, figures)
    out = {"lead": (LEAD_TITLE, tree.get("lead", ""))}

    def visit(sections: list[dict], level: int) -> None:
        for i, section in enumerate(sections):
            lines = [section.get("heading", "")]
            for block in section.get("blocks", []):
                if block.get("kind") == "text":
                    lines.append(_quoted(block.get("text", "")))
                elif block.get("source") != "lead":
                    lines.append(_figures_line(block, figures))
            shown = outline.numbered(level, i, section.get("heading", ""))
            out[section["id"]] = (shown, "\n".join(lines))
            visit(section.get("children", []), level + 1)

    visit(tree.get("sections", []), 1)
    return out


def _figures_line(block: dict, figures: dict) -> str:
    found = outline.generated_sections(figures).get(block.get("source", ""), {})
    title = found.get("title", block.get("source", ""))
    codes = block.get("codes")
    if codes is None:
        return f"〔{title}：全部数据〕"
    names = block.get("names", {})
    return f"〔{title}：{'、'.join(names.get(c, c) for c in codes)}〕"


def text_changes(old: dict, new: dict, old_figures=None, new_figures=None) -> list[dict]:
    """The sections whose text differs (a renamed, added or removed one too), each with its runs
    of kept, removed and added text, in the new reading order, then the removed ones."""
    before = _section_lines(old, old_figures or {})
    after = _section_lines(new, new_figures or {})
    changed = []
    for key in [*after, *(k for k in before if k not in after)]:
        old_text = before.get(key, ("", ""))[1]
        title, new_text = after[key] if key in after else (before[key][0], "")
        if old_text != new_text:
            changed.append({"key": key, "title": title, "runs": _segments(old_text, new_text)})
    return changed


def version_pair(summary: Summary, base: int | None) -> tuple[SummaryVersion | None, dict]:
    """The base version (or None when nothing was handed up before) and the current texts."""
    if base is None:
        return None, summary.texts
    return summary.versions.filter(number=base).first(), summary.texts


# --- compiling -----------------------------------------------------------------------------


def picker(accepted: list[Summary]) -> list[dict]:
    """Each accepted centre summary's paragraphs as printed, by section, as (pick value, text)."""
    return [
        {
            "summary": source,
            "sections": [
                {
                    "title": heading,
                    "paragraphs": [(f"{source.pk}:{bid}", text) for bid, text in items],
                }
                for heading, items in outline.paragraphs_of(
                    source.texts, source.figures, source.sources
                )
            ],
        }
        for source in accepted
    ]


def targets(summary: Summary) -> list[tuple[str, str]]:
    """Where compiled paragraphs can go: every section of the commission's outline, numbered."""
    tree = outline.load(summary.texts, summary.figures, summary.sources)
    out = []

    def visit(sections: list[dict], level: int, indent: str) -> None:
        for i, section in enumerate(sections):
            shown = outline.numbered(level, i, section.get("heading", ""))
            out.append((section["id"], indent + shown))
            visit(section.get("children", []), level + 1, indent + "　")

    visit(tree.get("sections", []), 1, "")
    return out


def default_target(summary: Summary) -> str:
    """The work section's first subsection, else the first section."""
    tree = outline.load(summary.texts, summary.figures, summary.sources)
    sections = tree.get("sections", [])
    work = next((s for s in sections if s.get("role") == "work"), None)
    if work and work.get("children"):
        return work["children"][0]["id"]
    return sections[0]["id"] if sections else ""
