"""Figures written as sentences in the style of the filed summaries, correct in every case.

Counts: "门急诊人次7.64万人次，较去年同期增长14.8%" (增长/下降/持平; 万 from ten thousand people).
Rates: "全人群签约率31.08%，较去年同期提高2.05个百分点" (‰ rates move in 个千分点).
No previous figure, or a zero one, says so instead of dividing by it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from services.selectors import Figure

TEN_THOUSAND = Decimal(10_000)
PEOPLE_UNITS = {"人", "人次", "例", "份"}


def trim(value: Decimal, places: int) -> str:
    """Half-up to `places` decimals without trailing zeros: 7.640 → 7.64, 12.0 → 12."""
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount(value: Decimal, unit: str) -> str:
    """A count as written: 76,420 人次 → 7.64万人次, 5,241 人次 → 5241人次; 万元 keeps 2 places."""
    value = Decimal(value)
    if unit in PEOPLE_UNITS and value >= TEN_THOUSAND:
        return f"{trim(value / TEN_THOUSAND, 2)}万{unit}"
    if unit == "万元":
        return f"{trim(value, 2)}万元"
    return f"{trim(value, 0)}{unit}"


def growth_words(value: Decimal, previous: Decimal | None) -> str:
    """较去年同期增长/下降 x% or 持平 (to one decimal), or why there is no comparison."""
    if previous is None:
        return "上年同期无可比数据"
    if previous == 0:
        return "上年同期为零，无法计算增幅" if value else "与去年同期持平"
    change = (Decimal(value) - previous) / previous * 100
    rounded = change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if rounded == 0:
        return "与去年同期基本持平"
    verb = "增长" if rounded > 0 else "下降"
    return f"较去年同期{verb}{trim(abs(rounded), 1)}%"


def point_words(value: Decimal, previous: Decimal | None, unit: str) -> str:
    """较去年同期提高/降低 x 个百分点 (or 个千分点 for ‰), or no comparison."""
    if previous is None:
        return "上年同期无可比数据"
    change = (value - previous).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if change == 0:
        return "与去年同期持平"
    verb = "提高" if change > 0 else "降低"
    points = "个千分点" if unit == "‰" else "个百分点"
    return f"较去年同期{verb}{trim(abs(change), 2)}{points}"


def figure_sentence(figure: Figure) -> str:
    """One figure as a clause; empty when there is no value for the period."""
    if figure.value is None:
        return ""
    if figure.in_points:
        shown = f"{trim(figure.value, 2)}{figure.unit}"
        return f"{figure.name}{shown}，{point_words(figure.value, figure.previous, figure.unit)}"
    if figure.is_rate:  # an amount per visit (元) compares by growth
        shown = f"{trim(figure.value, 2)}{figure.unit}"
    else:
        shown = amount(figure.value, figure.unit)
    return f"{figure.name}{shown}，{growth_words(figure.value, figure.previous)}"


def period_words(last_month: dt.date) -> str:
    """截至2024年6月."""
    return f"截至{last_month.year}年{last_month.month}月"


def missing_words(missing: dict[dt.date, int]) -> str:
    """其中2个中心5月、6月数据未报 — never a silently smaller sum."""
    if not missing:
        return ""
    parts = []
    by_count: dict[int, list[dt.date]] = {}
    for month, count in sorted(missing.items()):
        by_count.setdefault(count, []).append(month)
    several_years = len({m.year for m in missing}) > 1
    for count, months in by_count.items():
        names = "、".join(
            f"{m.year}年{m.month}月" if several_years else f"{m.month}月" for m in months
        )
        parts.append(f"{count}个中心{names}数据未报")
    return "其中" + "，".join(parts) + "，以上合计不含未报数据。"
