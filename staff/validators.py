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


def id_disagreements(number: str, born: dt.date | None, gender: str | None) -> list[str]:
    """What a valid full number says against the typed date of birth and sex ("M"/"F"; the
    17th character is odd for men): one message each, none when they agree or are not given."""
    if len(number) != 18 or not number[:17].isdigit():  # an older number kept as it was
        return []
    found = []
    if born and id_birth_date(number) != born:
        found.append(_("The birth date inside the number differs from the date of birth."))
    if gender in ("M", "F") and ("M" if int(number[16]) % 2 else "F") != gender:
        sex = _("male") if gender == "F" else _("female")
        found.append(
            _("The 17th digit of the number says %(sex)s, unlike the gender given.") % {"sex": sex}
        )
    return found


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


# 18 characters: 6 region, 8 birth date, 3 sequence (the last odd for men), 1 check digit. Pages
# that mask the number show birth date and sex beside it, and the centre hints at the region, so
# the mask shows nothing after the prefecture: 100 × 5 sequences remain per region, and the hidden
# check digit cannot narrow them (shown, it would cut 500 to about 45).
ID_SHOWN = 4  # province and prefecture


def mask_id_number(value: str) -> str:
    """5001**************: beside the birth date, sex and region one sees, 500 numbers still fit."""
    return value[:ID_SHOWN] + "*" * (18 - ID_SHOWN) if len(value) == 18 else value


def id_number_fits_mask(number: str, masked: str) -> bool:
    """Whether a stored number shows as this masked one (today's mask or an older export's)."""
    return len(number) == len(masked) and all(
        m == "*" or m == c for c, m in zip(number, masked, strict=True)
    )
