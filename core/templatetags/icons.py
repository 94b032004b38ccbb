"""Small inline SVG icons instead of emoji, which government PCs (old Windows fonts) show as boxes.

`{% load icons %}` then `{% icon "lock" %}`, or `{% icon "lock" label=reason %}` for a label of
the page's own; the label is the icon's accessible name. No SVG <title>: it would shadow the
tooltip of the element around the icon (a cell's button shows its warnings and comment there),
so a tooltip goes on that element.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy

register = template.Library()

# name → (SVG body on a 16×16 grid, drawn in currentColor; default label)
ICONS = {
    "lock": (
        '<rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"/>'
        '<path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"/>',
        pgettext_lazy("icon", "locked"),
    ),
    "comment": (
        '<path d="M2 3h12v8H7l-3 3v-3H2z" fill="none" stroke="currentColor" stroke-width="1.5"'
        ' stroke-linejoin="round"/>',
        pgettext_lazy("icon", "has an explanation"),
    ),
    "check": (
        '<path d="M2.5 8.5l3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2"'
        ' stroke-linecap="round" stroke-linejoin="round"/>',
        pgettext_lazy("icon", "yes"),
    ),
    "cross": (
        '<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" fill="none" stroke="currentColor"'
        ' stroke-width="2" stroke-linecap="round"/>',
        pgettext_lazy("icon", "no"),
    ),
}


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon with a Chinese accessible name (`label` or the default)."""
    body, default = ICONS[name]
    return format_html(
        '<svg class="icon icon-{}" width="1em" height="1em" viewBox="0 0 16 16" role="img"'
        ' aria-label="{}" focusable="false">{}</svg>',
        name,
        label or default,
        mark_safe(body),  # noqa: S308 (constant markup above)
    )
