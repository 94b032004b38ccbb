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


def _own_months(months: list[dt.date], several_years: bool) -> str:
    """A centre's own months: runs of three or more as 1–12月, the rest listed (5月、7月)."""
    runs: list[list[dt.date]] = []
    for m in sorted(months):
        last = runs[-1][-1] if runs else None
        if last is not None and (m.year, m.month) == _next_month(last):
            runs[-1].append(m)
        else:
            runs.append([m])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if len(run) < 3:
            parts += [f"{m.year}年{m.month}月" if several_years else f"{m.month}月" for m in run]
        elif several_years:
            parts.append(f"{first.year}年{first.month}月–{last.year}年{last.month}月")
        else:
            parts.append(f"{first.month}–{last.month}月")
    return "、".join(parts)


def _next_month(month: dt.date) -> tuple[int, int]:
    return (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)


def _unreported(
    missing: dict[dt.date, int], unmarked: dict[dt.date, int], single: bool = False
) -> str:
    """2个中心5月、6月数据未报，…，以上合计不含未报数据。 (empty when every month is marked);
    a centre's own text speaks of itself: 5月、6月数据未报，以上数字不含这些月份。"""
    if not missing and not unmarked:
        return ""
    several_years = len({m.year for m in [*missing, *unmarked]}) > 1
    if single:
        parts = [f"{_own_months(list(missing), several_years)}数据未报"] if missing else []
        if unmarked:
            parts.append(f"{_own_months(list(unmarked), several_years)}数据已录入但未标记报送")
        if missing and unmarked:
            tail = "以上数字含已录入但未标记报送的数据，不含未报月份。"
        elif unmarked:
            tail = "以上数字含已录入但未标记报送的数据。"
        else:
            tail = "以上数字不含未报月份。"
        return "，".join(parts) + "，" + tail
    parts = _months_by_count(missing, several_years, "数据未报")
    parts += _months_by_count(unmarked, several_years, "数据已录入但未标记报送")
    if missing and unmarked:
        tail = "以上合计含已录入但未标记报送的数据，不含未报数据。"
    elif unmarked:
        tail = "以上合计含已录入但未标记报送的数据。"
    else:
        tail = "以上合计不含未报数据。"
    return "，".join(parts) + "，" + tail


def missing_words(
    missing: dict[dt.date, int],
    unmarked: dict[dt.date, int] | None = None,
    *,
    single: bool = False,
) -> str:
    """其中2个中心5月、6月数据未报 — never a silently smaller sum, and never a false one.

    未报 is a month with nothing entered; a month entered but not marked 已报送 is counted in
    the totals, and the sentence says so. A centre's own (`single`) names no count of centres:
    其中5月、6月数据未报，以上数字不含未报月份。
    """
    words = _unreported(missing, unmarked or {}, single)
    return "其中" + words if words else ""


def late_reporting_words(
    missing: dict[dt.date, int], unmarked: dict[dt.date, int], *, single: bool = False
) -> str:
    """The weak spot 数据报送不及时：… for 存在的问题, in missing_words' terms; empty if none."""
    words = _unreported(missing, unmarked, single)
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
    """The annual report's short form of a kind of activity, as seed 000 words it (“日常义诊义检
    近20次，累计服务居民5241人次”): 义诊19次，服务941人次."""
    text = f"{kind}{times}次"
    return text + (f"，服务{people}人次" if people else "")


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
    return [text for _key, text in workforce_keyed(w)]


def workforce_keyed(w) -> list[tuple[str, str]]:
    """workforce_clauses with the key a summary's outline picks each clause by."""
    clauses = [
        (
            "staff.headcount",
            f"期末在岗职工{w.headcount_end}人，期内平均{trim(w.average_headcount, 2)}人",
        ),
        (
            "staff.professionals",
            f"卫生技术人员{w.health_professionals}人，其中执业（助理）医师{w.physicians}人、"
            f"全科医生{w.general_practitioners}人、注册护士{w.nurses}人",
        ),
        ("staff.moves", f"期内新进{w.hires}人、离职{w.departures}人"),
    ]
    if w.departure_rate is not None:
        clauses.append(("staff.departure_rate", f"离职率{trim(w.departure_rate, 2)}%"))
    if w.off_share_end is not None:
        clauses.append(
            (
                "staff.off",
                f"期末编外人员{w.off_establishment_end}人，占{trim(w.off_share_end, 2)}%",
            )
        )
    if w.nurses_per_physician is not None:
        clauses.append(("staff.ratio", f"医护比1:{trim(w.nurses_per_physician, 2)}"))
    return clauses


# Training kinds as summaries name them (seed 000 “外派进修学习5人次”, 002 “适宜技术培训201人次”).
TRAINING_WORDS = {
    "further_study": "外派进修学习",
    "residency": "规范化培训",
    "continuing": "继续教育",
    "appropriate_tech": "适宜技术培训",
    "study_visit": "外出学习",
    "other": "其他培训",
}
LEVEL_WORDS = {"high": "高级", "middle": "中级", "low": "初级"}


def development_keyed(dev) -> list[tuple[str, str]]:
    """Training, promotions and 编制 (staff.development.DevelopmentFigures) as keyed clauses:
    “外派进修学习5人次”, “高级职称通过评审1人”, “核定编制15人，实有在编12人，空编3人”."""
    clauses = []
    t = dev.training
    if (further := t.of("further_study").times) > 0:
        clauses.append(("staff.further_study", f"外派进修学习{further}人次"))
    if t.times:
        others = [
            f"{TRAINING_WORDS[kind]}{c.times}人次"
            for kind, c in t.by_kind.items()
            if kind != "further_study"
        ]
        text = f"培训进修共{t.times}人次（{t.people}人）"
        text += f"，其中{'、'.join(others)}" if others else ""
        text += f"，获学分{trim(t.credits, 1)}分" if t.credits else ""
        clauses.append(("staff.training", text))
    passed = [
        f"{LEVEL_WORDS[level]}职称通过评审{n}人" for level, n in dev.promotions.passed.items() if n
    ]
    if passed:
        clauses.append(("staff.promotions", "、".join(passed)))
    e = dev.establishment
    if e.known:
        kinds = "、".join(f"{label}{n}人" for _k, label, n in e.kinds())
        text = f"核定编制{e.approved}人（{kinds}），实有在编{e.actual}人"
        text += f"，空编{e.vacant}人" if e.vacant else ""
        text += f"，超编{e.over}人" if e.over else ""
        clauses.append(("staff.establishment", text))
    return clauses


def high_departures(rate: Decimal, yearly: Decimal, limit) -> str:
    """人员流动较大 … when the period's departure rate, scaled to a year, is above the limit."""
    return f"人员流动较大，期内离职率{trim(rate, 2)}%（折合全年{trim(yearly, 1)}%，高于{limit}%）"


# --- 存在的问题 (reporting/problems.py) ---------------------------------------------------------

STAFFING_STANDARD = "《城市社区卫生服务中心基本标准》"
# The standard's relative check (staff.selectors._staffing_checks): nurses at least the physicians.
NURSES_PER_PHYSICIAN_CHECK = "注册护士不少于执业医师数"


def shown_value(value: Decimal, unit: str, is_rate: bool) -> str:
    """A figure's value as the summary's sentences write it: 31.08%, 4.13‰, 7.1万人次."""
    if is_rate:
        return f"{trim(value, 2)}{unit}"
    return amount(value, unit)


THRESHOLD_WORDS = "系统设定的阈值"


def decline_why(f: Figure, limit: Decimal) -> str:
    """Why a fall is suggested: both values, the fall, and the threshold it reached (in words:
    the setting's name means nothing to a reader)."""
    before = shown_value(f.previous, f.unit, f.is_rate)
    now = shown_value(f.value, f.unit, f.is_rate)
    if f.in_points:
        points = "个千分点" if f.unit == "‰" else "个百分点"
        fall = f"降低{trim(abs(f.change), 2)}{points}"
        bar = f"{trim(limit, 2)}{points}"
    else:
        fall, bar = f"下降{trim(abs(f.change), 1)}%", f"{trim(limit, 2)}%"
    return f"{f.name}由上年同期{before}降至{now}，{fall}，达到{THRESHOLD_WORDS}{bar}"


def turnover_why(w, yearly: Decimal, limit) -> str:
    return (
        f"离职{w.departures}人÷平均在职{trim(w.average_headcount, 2)}人"
        f"={trim(w.departure_rate, 2)}%（折合全年{trim(yearly, 1)}%），"
        f"高于{THRESHOLD_WORDS}{limit}%"
    )


def high_off_share(w) -> str:
    """编外人员占比较高 … from the roster's last day of the period."""
    return (
        f"编外人员占比较高，期末编外人员{w.off_establishment_end}人，"
        f"占在岗职工的{trim(w.off_share_end, 2)}%"
    )


def off_share_why(w, limit) -> str:
    return (
        f"期末编外{w.off_establishment_end}人÷在岗{w.headcount_end}人"
        f"={trim(w.off_share_end, 2)}%，高于{THRESHOLD_WORDS}{limit}%"
    )


def staffing_short(checks: list) -> str:
    """One centre below minimums of the 2006 standard, every minimum it misses in one line."""
    parts = []
    for c in checks:
        if c.label == NURSES_PER_PHYSICIAN_CHECK:
            parts.append(f"注册护士少于执业医师（{c.actual}人对{c.required}人）")
        else:
            parts.append(f"{c.label}{c.actual}人（应不少于{c.required}人）")
    return f"人员配备未达{STAFFING_STANDARD}：" + "，".join(parts)


def staffing_short_centres(short: dict[str, list]) -> str:
    """Several centres (a commission's summary): per minimum, how many centres miss it."""
    parts = []
    for label, missed in short.items():
        if label == NURSES_PER_PHYSICIAN_CHECK:
            parts.append(f"{len(missed)}个中心注册护士少于执业医师数")
        else:
            parts.append(f"{len(missed)}个中心{label}少于{missed[0].required}人")
    return f"人员配备未达{STAFFING_STANDARD}：" + "，".join(parts)


def staffing_why(day: dt.date, short: dict[str, list]) -> str:
    """The roster's counts on the day against each minimum missed, centre by centre."""
    parts = []
    for label, missed in short.items():
        if label == NURSES_PER_PHYSICIAN_CHECK:
            counts = "、".join(f"{c.actual}人对执业医师{c.required}人" for c in missed)
            parts.append(f"注册护士{counts}")
        else:
            counts = "、".join(f"{c.actual}人" for c in missed)
            parts.append(f"{label}{counts}，要求至少{missed[0].required}人")
    return (
        f"人员花名册{day.year}年{day.month}月{day.day}日在岗："
        + "；".join(parts)
        + f"（{STAFFING_STANDARD}，2006年）"
    )


def unreported_why(missing: int, unmarked: int, expected: int) -> str:
    return (
        f"本期应报送{expected}个中心·月，其中未报{missing}个、已录入但未标记报送{unmarked}个"
        f"（按各中心成立月份计算，未结束的月份不计）"
    )


# --- 党建 (reporting/party.py) ----------------------------------------------------------------

MEETING_VERBS = {"党课": "讲"}  # 召开支部委员会, 召开党员大会, 讲党课
MISSED_SHOWN = 4  # missed months or quarters named per kind before "等n个"


def percent_of(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in %, half-up to two decimals; None when nothing was due."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def month_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def branch_clause(founded: dt.date, committee: dt.date | None) -> str:
    """中心于2021年5月成立党支部，2023年7月成立支部委员会 (seed 000's wording)."""
    text = f"中心于{month_words(founded)}成立党支部"
    if committee is None:
        return text + "，尚未成立支部委员会"
    return text + f"，{month_words(committee)}成立支部委员会"


def branches_clause(centres: int, branches: int, committees: int) -> str:
    """A commission's: how many of its centres have a branch, and a committee."""
    if branches == centres:
        text = f"{centres}个中心均已成立党支部"
    else:
        text = f"{centres}个中心中{branches}个已成立党支部"
    return text + f"，其中{committees}个成立支部委员会" if branches else text


def party_members_clause(at_work: int, probationary: int, developed: int, within: str) -> str:
    """在职党员11人（其中预备党员4人），本年度发展党员4人."""
    text = f"在职党员{at_work}人"
    if probationary:
        text += f"（其中预备党员{probationary}人）"
    return text + f"，{within}发展党员{developed}人"


def _missed_words(kind: str, labels: list[str], months: int) -> str:
    shown = "、".join(labels[:MISSED_SHOWN])
    if len(labels) > MISSED_SHOWN:
        shown += f"等{len(labels)}个{'月' if months == 1 else '季度'}"
    return f"{shown}未召开{kind}"


def meetings_clause(per_rule: list[tuple], missed: list[tuple[str, str]]) -> str:
    """落实“三会一课”制度，召开支部委员会29次（应开12个月，均按期召开），… ；2024年第4季度未召开
    党员大会. `per_rule`: (kind, months per slot, slots due, slots met, meetings held)."""
    parts = []
    for kind, months, due, met, held in per_rule:
        if not due and not held:  # a committee not yet founded, say
            continue
        unit = "个月" if months == 1 else "个季度"
        text = f"{MEETING_VERBS.get(kind, '召开')}{kind}{held}次"
        if due:
            text += (
                "（应开"
                + f"{due}{unit}，"
                + ("均按期召开）" if met == due else f"按期{met}{unit}）")
            )
        parts.append(text)
    text = "落实“三会一课”制度，" + "，".join(parts)
    by_kind: dict[str, list[str]] = {}
    for kind, label in missed:
        by_kind.setdefault(kind, []).append(label)
    months_of = {kind: months for kind, months, *_rest in per_rule}
    if by_kind:
        text += "；" + "，".join(
            _missed_words(kind, labels, months_of.get(kind, 1)) for kind, labels in by_kind.items()
        )
    return text


def meetings_clause_centres(per_rule: list[tuple], short: int) -> str:
    """A commission's: the same counts added up, and how many centres missed a meeting."""
    text = meetings_clause(per_rule, [])
    if short:
        return text + f"；{short}个中心存在未按期召开的情况"
    return text


# --- the annual report's narrative (reporting/annual_narrative.py) ------------------------------


def annual_opening(year: int) -> str:
    return f"{year}年，中心在登记的宗旨和业务范围内开展了以下工作，现将年度工作总结如下。"


def annual_staff_words(f) -> str:
    """The year's roster (staff.selectors.workforce_figures) as the filed report words it."""
    levels = f.hires_by_level
    text = (
        f"全年平均在职职工{trim(f.average_headcount, 0)}人"
        f"（其中非编{trim(f.average_off_establishment, 0)}人），新进{f.hires}人"
        f"（高级职称{levels['high']}人、中级职称{levels['middle']}人、"
        f"初级及以下{levels['low']}人），离职{f.departures}人"
    )
    if f.departure_rate is not None:
        text += f"，离职率{trim(f.departure_rate, 2)}%"
    return text + "。"


def high_departures_year(rate: Decimal, limit) -> str:
    """人员流动较大 … for a whole year, where the rate needs no scaling."""
    return f"人员流动较大，全年离职率{trim(rate, 2)}%，高于{limit}%"
