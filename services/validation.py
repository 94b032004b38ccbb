"""Checks on tally values: hard errors refuse a value; rule and outlier warnings ask for a comment.

Rules compare values in the same period: a month's value for stocks, the total since January for
flows, and the year's value for yearly indicators.
"""

from __future__ import annotations

import datetime as dt
import operator
import statistics
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .models import Indicator, ValidationRule

OPERATORS = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}
OUTLIER_FACTOR = Decimal(3)
OUTLIER_MIN_HISTORY = 3


VALUE_LIMIT = 40


def parse_value(
    indicator: Indicator,
    raw: str,
    *,
    limit: int = VALUE_LIMIT,
    maximum: Decimal | None = None,
    above_zero: str = "",
) -> tuple[Decimal | None, str]:
    """The typed text as a value, or an error message; empty text means "no value".

    `limit` caps the characters, `maximum` the value (else the indicator's plausible maximum);
    `above_zero`, when given, refuses 0 too, with that message (annual targets).
    """
    if len(raw) > limit:  # refused whole: a value cut short could read as another number
        return None, _("A value has at most %(limit)s characters.") % {"limit": limit}
    text = raw.strip().replace(",", "").replace("，", "")
    if text == "":
        return None, ""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, _("Type a number.")
    if not value.is_finite():
        return None, _("Type a number.")
    value = value.copy_abs() if value.is_zero() else value  # "-0" is stored and audited as 0
    if above_zero and value <= 0:
        return None, above_zero
    if value < 0:
        return None, _("The value cannot be negative.")
    if indicator.whole_numbers and value != value.to_integral_value():
        return None, _("%(unit)s are counted in whole numbers.") % {"unit": indicator.unit}
    if value.as_tuple().exponent < -2:
        return None, _("At most two decimals.")
    maximum = indicator.max_value if maximum is None else maximum
    if value > maximum:
        return None, _("%(value)s is implausibly large (more than %(max)s).") % {
            "value": text,
            "max": f"{maximum:,.0f}",
        }
    return value, ""


@dataclass
class Values:
    """A centre's values for a year (and the one before, for outliers), keyed for rule checks."""

    by_cell: dict[tuple[int, dt.date], Decimal]
    indicators: dict[int, Indicator]

    def get(self, indicator_id: int, month: dt.date) -> Decimal | None:
        """What a rule compares: yearly → the year's; flow → total since January; stock → month."""
        indicator = self.indicators[indicator_id]
        if indicator.frequency == Indicator.Frequency.YEARLY:
            return self.by_cell.get((indicator_id, month.replace(month=1)))
        if indicator.aggregation == Indicator.Aggregation.FLOW:
            cells = [
                self.by_cell.get((indicator_id, month.replace(month=m)))
                for m in range(1, month.month + 1)
            ]
            cells = [c for c in cells if c is not None]
            return sum(cells) if cells else None
        return self.by_cell.get((indicator_id, month))

    def span(self, indicator_id: int, month: dt.date) -> str:
        """The period `get` reads, named as a warning quotes it, so its numbers read true."""
        indicator = self.indicators[indicator_id]
        if indicator.frequency == Indicator.Frequency.YEARLY:
            return f"{month.year}年"
        if indicator.aggregation == Indicator.Aggregation.FLOW and month.month > 1:
            return f"{month.year}年1–{month.month}月累计"
        return f"{month.year}年{month.month}月"


def rule_warnings(
    indicator: Indicator, month: dt.date, values: Values, rules: list[ValidationRule]
) -> list[str]:
    """Every active rule with this cell on its left side that the current values break.

    The warning sits on the left-hand cell only (门急诊 ≤ 总诊疗 flags 门急诊), so one explanation
    covers it. It names the period each number covers: a flow's is the total since January.
    """
    notes = []
    for rule in rules:
        if indicator.pk != rule.left_id:
            continue
        left, right = values.get(rule.left_id, month), values.get(rule.right_id, month)
        if left is None or right is None:
            continue  # a missing side skips the rule, as DHIS2's default strategy does
        if not OPERATORS[rule.operator](left, right):
            parts = {
                "left": rule.left.name,
                "lv": _plain(left),
                "op": rule.get_operator_display(),
                "right": rule.right.name,
                "rv": _plain(right),
            }
            left_span, right_span = (
                values.span(rule.left_id, month),
                values.span(rule.right_id, month),
            )
            if left_span == right_span:
                message = _("%(span)s: %(left)s (%(lv)s) should be %(op)s %(right)s (%(rv)s).")
                notes.append(message % {**parts, "span": left_span})
            else:  # e.g. a flow's total since January against a stock's month
                message = _(
                    "%(lspan)s: %(left)s (%(lv)s) should be %(op)s %(rspan)s: %(right)s (%(rv)s)."
                )
                notes.append(message % {**parts, "lspan": left_span, "rspan": right_span})
    return notes


def outlier_warning(value: Decimal, history: list[Decimal]) -> str:
    """A value more than 3× (or under a third of) the median of the centre's last 12 months."""
    if len(history) < OUTLIER_MIN_HISTORY:
        return ""
    median = Decimal(statistics.median(history))
    if median <= 0:
        return ""
    if value > median * OUTLIER_FACTOR or value * OUTLIER_FACTOR < median:
        return _("Unusual: the median of the previous 12 months is %(m)s.") % {"m": _plain(median)}
    return ""


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
