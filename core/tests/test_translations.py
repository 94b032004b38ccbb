"""The Chinese catalogue is complete and the compiled file matches it."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
SOURCE_DIRS = ["config", "core", "centers", "staff", "services", "reporting", "templates"]
# {% translate "…" %} and _("…") / gettext_lazy("…") with a literal first argument.
PATTERNS = [
    re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1"""),
    re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*(["'])(.+?)\1\s*[,)]"""),
]


def _entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_entry_is_translated_and_not_fuzzy():
    bad = [e.msgid for e in _entries() if not e.translated() or "fuzzy" in e.flags]
    assert bad == []


def test_compiled_catalogue_matches_the_source():
    compiled = gettext.GNUTranslations(MO.open("rb"))
    stale = [
        e.msgid
        for e in _entries()
        if not e.msgid_plural
        and (compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid))
        != e.msgstr
    ]
    assert stale == [], "run: make messages"


def test_every_marked_string_in_the_source_is_in_the_catalogue():
    known = {e.msgid for e in _entries()}
    missing = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".html"} or "tests" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in PATTERNS:
                missing |= {m.group(2) for m in pattern.finditer(text)} - known
    assert missing == set(), "run: make messages, then translate"
