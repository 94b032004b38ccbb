"""Stale edits are refused one way: core/stale.py. The per-app checks it replaced stay gone.

The forms themselves are checked in reporting/tests/test_stale_edits.py (the top layer, which may
import every app); this test reads the source as text, so core imports nothing above it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "centers", "staff", "services", "reporting"]
# The constants and helpers of the four checks that were replaced.
OLD = re.compile(
    r"\bSTALE_EDIT\b|\bSUMMARY_STALE\b|^STALE\s*=|\brecord_stamp\b|pk=[\w.]+, version=version"
    r"|\.version\s*!=\s*version\b|\bstamp=form\b",
    re.MULTILINE,
)


def _sources(suffixes=(".py",)):
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            skipped = {"tests", "migrations"} & set(path.parts)
            if path.suffix in suffixes and not skipped:
                yield path


def test_the_old_stale_checks_are_gone():
    found = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for path in _sources()
        for m in OLD.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_only_core_stale_defines_the_refusal():
    defining = [
        path.relative_to(ROOT).as_posix()
        for path in _sources()
        if re.search(r"^class StaleEdit\b|While you were editing", path.read_text("utf-8"), re.M)
    ]
    assert defining == ["core/stale.py"]


def test_templates_send_no_version_as_a_stamp():
    templates = (ROOT / "templates").rglob("*.html")
    offending = [
        p.relative_to(ROOT).as_posix()
        for p in templates
        if re.search(r'name="version"|form\.version\b|name="stamp"', p.read_text("utf-8"))
    ]
    assert offending == []
