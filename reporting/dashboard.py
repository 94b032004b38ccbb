"""The reviewer's dashboard: every centre of a subtree with its key indicators, a score and a rank.

A fixed number of queries whatever the number of centres: the centres, one grouped tally query,
the rates' definitions, the month reports, the filings, and one for the monthly trend.

The combined score (综合得分, 0–100) weighs what the commission's assessment weighs:
    0.15 × 全人群签约率 + 0.20 × 65岁以上老年人体检率 + 0.20 × 高血压患者规范管理率
  + 0.20 × 2型糖尿病患者规范管理率 + 0.15 × 报送完整率 + 0.10 × 门急诊增长分,
where each rate counts at most 100, 门急诊增长分 = 50 + 门急诊人次同比增长% kept within 0–100,
and a figure the centre has not reported counts 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from centers.models import Centre
from services.models import Indicator, Rate, TallyValue
from services.periods import Period
from services.rollups import span_totals
from services.selectors import centre_totals, rate_value, reporting

from .models import AnnualFiling
from .summary import expected_months

RATE_CODES = ("fd_rate", "elderly_check_rate", "htn_std_rate", "dm_std_rate")
WEIGHTS = {
    "fd_rate": Decimal("0.15"),
    "elderly_check_rate": Decimal("0.20"),
    "htn_std_rate": Decimal("0.20"),
    "dm_std_rate": Decimal("0.20"),
    "completeness": Decimal("0.15"),
    "opd_score": Decimal("0.10"),
}
FORMULA = (
    "综合得分 = 0.15×全人群签约率 + 0.20×65岁以上老年人体检率 + 0.20×高血压患者规范管理率"
    " + 0.20×2型糖尿病患者规范管理率 + 0.15×报送完整率 + 0.10×门急诊增长分；"
    "门急诊增长分 = 50 + 门急诊人次同比增长(%)，限于0～100；各率以100封顶，未报按0计。"
)
HUNDRED = Decimal(100)
SORTS = ("name", "opd", "opd_growth", *RATE_CODES, "completeness", "score")
# (sort key or "", heading): official indicator names, kept as data like the catalogue's.
COLUMNS = [
    ("", "排名"),
    ("name", "中心"),
    ("opd", "门急诊人次"),
    ("opd_growth", "同比"),
    ("fd_rate", "全人群签约率(%)"),
    ("elderly_check_rate", "老年人体检率(%)"),
    ("htn_std_rate", "高血压规范管理率(%)"),
    ("dm_std_rate", "糖尿病规范管理率(%)"),
    ("completeness", "报送完整率"),
    ("", "年报"),
    ("score", "综合得分"),
]


@dataclass
class CentreRow:
    centre: Centre
    opd: Decimal | None
    opd_previous: Decimal | None
    rates: dict[str, Decimal | None]
    reported: int
    expected: int
    filing_status: str
    score: Decimal = Decimal(0)
    rank: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def opd_growth(self) -> Decimal | None:
        if self.opd is None or not self.opd_previous:
            return None
        growth = (self.opd - self.opd_previous) / self.opd_previous * 100
        return growth.quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def completeness(self) -> Decimal | None:
        if not self.expected:
            return None
        share = Decimal(self.reported) / self.expected * 100
        return share.quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def rate_list(self) -> list[tuple[str, Decimal | None]]:
        return [(code, self.rates.get(code)) for code in RATE_CODES]

    def sort_value(self, key: str):
        if key == "name":
            return self.centre.name
        return self.rates.get(key) if key in RATE_CODES else getattr(self, key)


def _capped(value: Decimal | None) -> Decimal:
    return Decimal(0) if value is None else min(max(value, Decimal(0)), HUNDRED)


def score(row: CentreRow) -> Decimal:
    """The combined score of the module docstring, to two decimals."""
    growth = row.opd_growth
    parts = {code: _capped(row.rates.get(code)) for code in RATE_CODES}
    parts["completeness"] = _capped(row.completeness)
    parts["opd_score"] = Decimal(0) if growth is None else _capped(50 + growth)
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def dashboard_rows(
    *, authority_ids, period: Period, sort: str = "-score", today: dt.date | None = None
) -> list[CentreRow]:
    """One row per centre of the subtree, scored, ranked, then sorted as asked."""
    today = today or timezone.localdate()
    months = expected_months(period, today)
    if months:  # the running year compares its ended months with the same months a year before
        period = Period(period.first, months[-1], period.label)
    centres = list(
        Centre.objects.filter(sponsor_id__in=list(authority_ids)).select_related("sponsor")
    )
    rates = {
        r.code: r
        for r in Rate.objects.filter(code__in=RATE_CODES).select_related("numerator", "denominator")
    }
    codes = ["opd_visits"] + [
        c for r in rates.values() for c in (r.numerator.code, r.denominator.code)
    ]
    ids = [c.pk for c in centres]
    per_centre = span_totals(centre_ids=ids, period=period, codes=codes)
    if per_centre is None:  # not a half or a year: live
        per_centre = centre_totals(scope=Q(centre_id__in=ids), period=period)
    state = reporting(centres=[(c.pk, c.founded_on) for c in centres], months=months, today=today)
    filings = dict(
        AnnualFiling.objects.filter(centre__in=centres, year=period.last.year).values_list(
            "centre_id", "status"
        )
    )
    rows = []
    for centre in centres:

        def value(code: str, which: int = 0, pk=centre.pk):
            return per_centre.get((pk, code), (None, None))[which]

        row_rates = {
            code: rate_value(value(r.numerator.code), value(r.denominator.code), r.scale)
            for code, r in rates.items()
        }
        rows.append(
            CentreRow(
                centre=centre,
                opd=value("opd_visits"),
                opd_previous=value("opd_visits", 1),
                rates=row_rates,
                reported=state.reported(centre.pk),
                expected=state.expected(centre.pk),
                filing_status=filings.get(centre.pk, ""),
            )
        )
    for row in rows:
        row.score = score(row)
    for rank, row in enumerate(sorted(rows, key=lambda r: (-r.score, r.centre.name)), 1):
        row.rank = rank
    return sort_rows(rows, sort)


def sort_rows(rows: list[CentreRow], sort: str) -> list[CentreRow]:
    """By any column, either way; an unknown key sorts by rank. Missing values sort last."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return sorted(rows, key=lambda r: r.rank)
    present = [r for r in rows if r.sort_value(key) is not None]
    absent = [r for r in rows if r.sort_value(key) is None]
    # Ties keep rank order when descending, so ascending is its exact reverse.
    present.sort(key=lambda r: (r.sort_value(key), -r.rank), reverse=sort.startswith("-"))
    return present + absent


def trend_choices() -> list[tuple[str, str]]:
    """Monthly flow indicators worth a trend line (counts of services)."""
    return list(
        Indicator.objects.filter(
            is_active=True,
            aggregation=Indicator.Aggregation.FLOW,
            frequency=Indicator.Frequency.MONTHLY,
        )
        .order_by("position", "code")
        .values_list("code", "name")
    )


def monthly_trend(*, authority_ids, code: str, year: int) -> dict:
    """The subtree's monthly totals of one indicator for a year and the year before (one query)."""
    rows = (
        TallyValue.objects.filter(
            centre__sponsor_id__in=list(authority_ids),
            indicator__code=code,
            period__gte=dt.date(year - 1, 1, 1),
            period__lte=dt.date(year, 12, 1),
        )
        .values("period")
        .annotate(total=Sum("value"))
    )
    by_month = {r["period"]: r["total"] for r in rows}

    def series(y: int) -> list[float | None]:
        values = [by_month.get(dt.date(y, m, 1)) for m in range(1, 13)]
        return [None if v is None else float(v) for v in values]

    return {
        "labels": [f"{m}月" for m in range(1, 13)],
        "current": series(year),
        "previous": series(year - 1),
        "year": year,
    }
