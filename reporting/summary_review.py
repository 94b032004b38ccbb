"""What a commission reads of the summaries handed up to it: who is late, what changed since the
version handed up or accepted, and the paragraphs it can compile from."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.utils import timezone

from centers.models import Centre
from core.periods import Period, month_end

from .actions import TEXT_KEYS
from .models import Summary, SummaryEvent, SummaryVersion
from .summary import SECTION_TITLES
from .summary_actions import paragraphs

SS = Summary.Status
# Summaries are due this many days after their period ends (H1 by 10 July, H2 and the year by
# 10 January); the page says so.
DUE_DAYS = 10
TEXT_TITLES = {
    "intro": "开头",
    **SECTION_TITLES,
    "problems": "存在的问题",
    "plans": "下一步工作计划",
}


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


def _chosen(summaries: list[Summary]) -> Summary | None:
    """The one handed up (there is at most one), else the centre's latest draft."""
    handed = [s for s in summaries if s.status != SS.DRAFT]
    return (handed or summaries or [None])[0]


def inbox(
    *, authority_ids, period: Period, kind: str, today: dt.date | None = None
) -> list[InboxRow]:
    """Every centre below the authority with its summary of the period; two queries in all."""
    today = today or timezone.localdate()
    overdue = today > due_date(period)
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
    due = due_date(period)
    rows = []
    for centre in centres:
        chosen = _chosen(by_centre.get(centre.pk, []))
        waiting = chosen is None or chosen.status in (SS.DRAFT, SS.RETURNED)
        handed = chosen.submitted_at if chosen is not None and not waiting else None
        handed_late = handed is not None and timezone.localdate(handed) > due
        rows.append(InboxRow(centre, chosen, overdue and waiting, handed_late))
    return rows


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
    within a changed pair of lines, characters (Chinese has no spaces to split words on)."""
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


def _characters(x: str, y: str) -> list[tuple[str, str]]:
    if len(x) + len(y) > 4000:  # too long to compare letter by letter quickly
        return [("del", x), ("ins", y)]
    out = []
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", x[i1:i2]))
            continue
        if i2 > i1:
            out.append(("del", x[i1:i2]))
        if j2 > j1:
            out.append(("ins", y[j1:j2]))
    return out


def text_changes(old: dict, new: dict) -> list[dict]:
    """The sections whose text differs, each with its runs of kept, removed and added text."""
    changed = []
    for key in TEXT_KEYS:
        before, after = old.get(key, "") or "", new.get(key, "") or ""
        if before != after:
            changed.append(
                {"key": key, "title": TEXT_TITLES.get(key, key), "runs": _segments(before, after)}
            )
    return changed


def version_pair(summary: Summary, base: int | None) -> tuple[SummaryVersion | None, dict]:
    """The base version (or None when nothing was handed up before) and the current texts."""
    if base is None:
        return None, summary.texts
    return summary.versions.filter(number=base).first(), summary.texts


# --- compiling -----------------------------------------------------------------------------


def picker(accepted: list[Summary]) -> list[dict]:
    """Each accepted centre summary's sections with their paragraphs, as (pick value, text)."""
    out = []
    for source in accepted:
        sections = [
            {
                "key": key,
                "title": TEXT_TITLES.get(key, key),
                "paragraphs": [
                    (f"{source.pk}:{key}:{i}", text)
                    for i, text in enumerate(paragraphs(source.texts.get(key, "")))
                ],
            }
            for key in TEXT_KEYS
        ]
        out.append({"summary": source, "sections": [s for s in sections if s["paragraphs"]]})
    return out


def shown_sources(summary: Summary) -> dict[str, list[dict]]:
    """The compiled paragraphs still in the text, by section key, to show their source."""
    out: dict[str, list[dict]] = {}
    for entry in summary.sources or []:
        if entry.get("text") in paragraphs(summary.texts.get(entry.get("key", ""), "")):
            out.setdefault(entry["key"], []).append(entry)
    return out
