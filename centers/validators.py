"""Checks for registered identifiers: the unified social credit code (GB 32100-2015)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 31 characters, without I, O, Z, S and V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character that GB 32100-2015 derives from the first 17."""
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    """People type codes with spaces and lower case; the register prints them upper case."""
    return "".join(value.split()).upper()


def validate_credit_code(value: str) -> None:
    """Refuse a code of the wrong length, with a foreign character, or a wrong check character."""
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)s."),
            code="length",
            params={"n": len(value)},
        )
    bad = sorted({c for c in value if c not in CREDIT_CODE_CHARS})
    if bad:
        raise ValidationError(
            _("The code may not contain %(chars)s (digits and capitals except I, O, S, V, Z)."),
            code="chars",
            params={"chars": "、".join(bad)},
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The check character is wrong: for these first 17 characters it must be %(c)s."),
            code="check",
            params={"c": expected},
        )
