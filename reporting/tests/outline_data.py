"""Helpers for tests that post the summary editor: its whole form as the page would send it."""

from __future__ import annotations

from core.stale import stamp
from reporting.forms import initial_values
from reporting.outline import load
from reporting.outline_edit import by_role, walk


def outline_of(summary) -> dict:
    return load(summary.texts, summary.figures, summary.sources)


def outline_form(summary, **extra) -> dict:
    """Every field of the editor as shown, the stamp, and `extra` on top."""
    data = {"based_on": stamp(summary), **initial_values(outline_of(summary), summary.figures)}
    data.update(extra)
    return data


def section_id(summary, where: str) -> str:
    """A section by role (problems, plans, work, basics, party) or by heading."""
    tree = outline_of(summary)
    found = by_role(tree, where) or next(
        (s for s, _p in walk(tree["sections"]) if s["heading"] == where), None
    )
    assert found is not None, where
    return found["id"]


def section(summary, where: str) -> dict:
    tree = outline_of(summary)
    sid = section_id(summary, where)
    return next(s for s, _p in walk(tree["sections"]) if s["id"] == sid)


def paragraphs(summary, where: str) -> list[str]:
    return [b["text"] for b in section(summary, where)["blocks"] if b["kind"] == "text"]


def headings(summary) -> list[str]:
    return [s["heading"] for s, _p in walk(outline_of(summary)["sections"])]
