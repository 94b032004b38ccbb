"""Figures written as sentences in the style of the filed summaries, correct in every case.

Counts: "门急诊人次7.64万人次，较去年同期增长14.8%" (增长/下降/持平; 万 from ten thousand people).
Rates: "全人群签约率31.08%，较去年同期提高2.05个百分点" (‰ rates move in 个千分点).
No previous figure, or a zero one, says so instead of dividing by it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from services.figures import Figure

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


def _months_by_count(months: dict[dt.date, int], several_years: bool, words: str) -> list[str]:
    """{month: centres} → ["2个中心5月、6月" + words, …], one part per number of centres."""
    by_count: dict[int, list[dt.date]] = {}
    for month, count in sorted(months.items()):
        by_count.setdefault(count, []).append(month)
    return [
        f"{count}个中心"
        + "、".join(f"{m.year}年{m.month}月" if several_years else f"{m.month}月" for m in group)
        + words
        for count, group in by_count.items()
    ]


def _unreported(missing: dict[dt.date, int], unmarked: dict[dt.date, int]) -> str:
    """2个中心5月、6月数据未报，…，以上合计不含未报数据。 (empty when every month is marked)."""
    if not missing and not unmarked:
        return ""
    several_years = len({m.year for m in [*missing, *unmarked]}) > 1
    parts = _months_by_count(missing, several_years, "数据未报")
    parts += _months_by_count(unmarked, several_years, "数据已录入但未标记报送")
    if missing and unmarked:
        tail = "以上合计含已录入但未标记报送的数据，不含未报数据。"
    elif unmarked:
        tail = "以上合计含已录入但未标记报送的数据。"
    else:
        tail = "以上合计不含未报数据。"
    return "，".join(parts) + "，" + tail


def missing_words(missing: dict[dt.date, int], unmarked: dict[dt.date, int] | None = None) -> str:
    """其中2个中心5月、6月数据未报 — never a silently smaller sum, and never a false one.

    未报 is a month with nothing entered; a month entered but not marked 已报送 is counted in
    the totals, and the sentence says so.
    """
    words = _unreported(missing, unmarked or {})
    return "其中" + words if words else ""


def late_reporting_words(missing: dict[dt.date, int], unmarked: dict[dt.date, int]) -> str:
    """The weak spot 数据报送不及时：… for 存在的问题, in missing_words' terms; empty if none."""
    words = _unreported(missing, unmarked)
    return "数据报送不及时：" + words if words else ""


def partial_year_words(year: int, entered: list[dt.date]) -> str:
    """本年度仅有1–5月数据 when a year's figures cover fewer than its twelve months."""
    if len(entered) == 12:
        return ""
    if not entered:
        return f"{year}年度尚无服务统计数据。"
    months = [m.month for m in entered]
    if months == list(range(months[0], months[-1] + 1)):
        named = f"{months[0]}–{months[-1]}月" if len(months) > 1 else f"{months[0]}月"
    else:
        named = "、".join(f"{m}月" for m in months)
    return f"本年度仅有{named}数据，以下数字仅反映这些月份。"


def plain(value: Decimal) -> str:
    """A stored number as typed: 20.00 → 20, 2981.47 stays."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def figure_brief(f: Figure) -> str:
    """The annual report's short form: 门急诊人次76420人次 (+14.8% on last year); empty if none."""
    if f.value is None:
        return ""
    value = f"{f.value}{f.unit}" if f.is_rate else f"{plain(f.value)}{f.unit}"
    if f.change is not None:
        sign = "+" if f.change >= 0 else ""
        if f.in_points and f.unit == "‰":  # a ‰ rate moves in 千分点, not 百分点
            value += _(" (%(sign)s%(n)s per-mille points on last year)") % {
                "sign": sign,
                "n": f.change,
            }
        elif f.in_points:
            value += _(" (%(sign)s%(n)s points on last year)") % {"sign": sign, "n": f.change}
        else:
            value += _(" (%(sign)s%(n)s%% on last year)") % {"sign": sign, "n": f.change}
    return f"{f.name}{value}"


def staff_brief(f) -> str:
    """The annual report's staff sentence from staff.selectors.workforce_figures."""
    return _(
        "Staff: on average %(avg)s in service (%(off)s off the establishment), %(hires)s hired "
        "(senior %(h)s, intermediate %(m)s, junior and below %(l)s), %(left)s left; turnover "
        "%(rate)s%%."
    ) % {
        "avg": trim(f.average_headcount, 0),
        "off": trim(f.average_off_establishment, 0),
        "hires": f.hires,
        "h": f.hires_by_level["high"],
        "m": f.hires_by_level["middle"],
        "l": f.hires_by_level["low"],
        "left": f.departures,
        "rate": trim(f.departure_rate, 2) if f.departure_rate is not None else "—",
    }


def activity_brief(kind: str, times: int, people: int) -> str:
    """The annual report's short form of a kind of activity: 健康讲座 12 次，服务 300 人次."""
    text = _("%(kind)s %(n)s times") % {"kind": kind, "n": times}
    return text + (_(" serving %(p)s") % {"p": people} if people else "")


def activity_clause(kind: str, times: int, people: int) -> str:
    """A summary's clause: 开展健康讲座12次，参与300人次."""
    return f"开展{kind}{times}次，参与{people}人次"


def weak_figure(f: Figure) -> str:
    """A figure that fell on last year, as a suggestion for 存在的问题; empty when it did not
    fall, or when the fall rounds to nothing (持平)."""
    if f.change is None or f.change >= 0:
        return ""
    if f.in_points:
        return f"{f.name}{point_words(f.value, f.previous, f.unit)}"
    if f.is_rate:
        return ""
    words = growth_words(f.value, f.previous)
    return "" if "持平" in words else f"{f.name}{words}"


def workforce_clauses(w) -> list[str]:
    """The roster's figures for a period (staff.selectors.workforce_brief) as clauses."""
    clauses = [
        f"期末在岗职工{w.headcount_end}人，期内平均{trim(w.average_headcount, 2)}人",
        f"卫生技术人员{w.health_professionals}人，其中执业（助理）医师{w.physicians}人、"
        f"全科医生{w.general_practitioners}人、注册护士{w.nurses}人",
        f"期内新进{w.hires}人、离职{w.departures}人",
    ]
    if w.departure_rate is not None:
        clauses.append(f"离职率{trim(w.departure_rate, 2)}%")
    if w.off_share_end is not None:
        clauses.append(f"期末编外人员{w.off_establishment_end}人，占{trim(w.off_share_end, 2)}%")
    if w.nurses_per_physician is not None:
        clauses.append(f"医护比1:{trim(w.nurses_per_physician, 2)}")
    return clauses


def high_departures(rate: Decimal, yearly: Decimal, limit) -> str:
    """人员流动较大 … when the period's departure rate, scaled to a year, is above the limit."""
    return f"人员流动较大，期内离职率{trim(rate, 2)}%（折合全年{trim(yearly, 1)}%，高于{limit}%）"
