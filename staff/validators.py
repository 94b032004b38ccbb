"""The resident identity card number (GB 11643-1999): 18 characters, the last a check digit."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The 18th character GB 11643 derives from the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    return "".join(value.split()).upper()


def id_birth_date(value: str) -> dt.date | None:
    """The birth date written in characters 7–14, or None when it is not a real date."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """Refuse a number of the wrong shape, with an impossible birth date, or a wrong check digit."""
    if (
        len(value) != 18
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        raise ValidationError(
            _("An identity card number has 17 digits and then a digit or X."), code="shape"
        )
    if id_birth_date(value) is None:
        raise ValidationError(
            _("The birth date inside the number is not a real date."), code="date"
        )
    expected = id_check_digit(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The check digit is wrong: for these first 17 digits it must be %(c)s."),
            code="check",
            params={"c": expected},
        )


def mask_id_number(value: str) -> str:
    """Show the region and the last four: 500106********123X."""
    return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else value
