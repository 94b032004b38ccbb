"""No emoji in any template (government PCs show them as boxes); icons are inline SVG instead."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import translation

# Emoji and pictographs, miscellaneous symbols, dingbats (✓ ✗), arrows-and-shapes emoji block,
# variation selector 16 (turns a plain symbol into an emoji) and regional indicators.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")


def _template_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    files = list((base / "templates").rglob("*.html"))
    files += [p for p in base.glob("*/templates/**/*") if p.is_file() and ".venv" not in p.parts]
    return files


def test_no_template_holds_an_emoji():
    files = _template_files()
    assert len(files) > 50  # the scan really read the templates
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{n}: {m.group()!r}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in EMOJI.finditer(line)
    ]
    assert found == []


def test_the_pattern_catches_the_emoji_that_were_there():
    assert all(EMOJI.search(c) for c in ("🔒", "💬", "✓", "✗", "⚠️"))
    assert not EMOJI.search("← → ↑ ↓ · — 已锁定")


def test_an_icon_is_an_svg_with_a_chinese_name():
    with translation.override("zh-hans"):
        html = Template('{% icon "lock" %}|{% icon "lock" label=reason %}').render(
            Context({"reason": "已于2024年5月1日锁定<b>"})
        )
    plain, own = html.split("|")
    assert plain.startswith('<svg class="icon icon-lock"') and 'aria-label="已锁定"' in plain
    assert "<title>" not in plain  # a tooltip goes on the element around the icon
    assert 'aria-label="已于2024年5月1日锁定&lt;b&gt;"' in own  # the page's label, escaped
