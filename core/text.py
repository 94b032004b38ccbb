"""Characters that break the files we write, refused in names and dropped from free text.

XLSX and DOCX are XML, and XML cannot hold most control characters: one stored in a name would make
every export that prints it fail. Input refuses them in one-line values and drops them from free
text (where tab and line breaks are kept); output drops whatever got in before, or by another way.

Invisible formatting is refused in one-line values too: a bidi override (U+202E) before 室科
shows it as 科室, and a zero-width space makes two departments that look the same different
names. Free text loses the bidi embeddings, overrides and isolates (they reorder what follows)
but keeps the zero-width joiner emoji are made of and the left-to-right / right-to-left marks.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# XML 1.0 `Char` excludes the C0 controls but tab, LF and CR, the surrogates, U+FFFE and U+FFFF.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Bidi embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069): never typed on purpose.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Zero-width space, non-joiner and joiner, left-to-right and right-to-left marks, word joiner and
# the byte order mark: invisible, so two names that differ only by them look the same.
INVISIBLE = "\u200b-\u200f\u2060\ufeff"
# Free text keeps tab and line breaks; other controls (C0, DEL, C1) are never typed on purpose.
FREE_TEXT_UNSAFE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}\ud800-\udfff\ufffe\uffff]"
)
# A name is one line, and what it shows is what it is: no control character, no line or
# paragraph separator, no bidi control, nothing invisible.
LINE_UNSAFE = re.compile(
    f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}{INVISIBLE}\ud800-\udfff\ufffe\uffff]"
)

CONTROL_CHARS_MESSAGE = _(
    "This contains invisible control characters (pasted from another program, perhaps); "
    "delete them and type it again."
)


def xml_safe(text: str) -> str:
    """The text without the characters XML cannot hold, so that no stored value breaks a file."""
    return XML_UNSAFE.sub("", text)


def xml_safe_data(value):
    """xml_safe applied to every string inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {k: xml_safe_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(xml_safe_data(v) for v in value)
    return value


def strip_control_chars(text: str) -> str:
    """Free text without control characters: pasted ones are noise, and tabs and newlines stay."""
    return FREE_TEXT_UNSAFE.sub("", text)


def has_control_chars(text: str) -> bool:
    return bool(LINE_UNSAFE.search(text))


def refuse_control_chars(value) -> None:
    """Validator for one-line values: a name is refused rather than changed, so users see why."""
    if isinstance(value, str) and has_control_chars(value):
        raise ValidationError(CONTROL_CHARS_MESSAGE, code="control_characters")
