"""The reviewer's dashboard: every centre of a subtree with its key indicators, a score and a rank.

A fixed number of queries whatever the number of centres: the centres, the figures door's
per-centre figures, the month reports, and one for the monthly trend (the centres carry
their annual report's state). A city's page
adds a row per district (its centres' figures added up, their mean score) and pages the centres.

The combined score (综合得分) comes from the commission's default assessment scheme (its own, else
the nearest commission above's, else reporting.assessment.DEFAULT_ITEMS, which is the score this
page always had: 0.15 × 全人群签约率 + 0.20 × 65岁以上老年人体检率 + 0.20 × 高血压患者规范管理率
+ 0.20 × 2型糖尿病患者规范管理率 + 0.15 × 报送完整率 + 0.10 × 门急诊增长分, each rate at most 100,
门急诊增长分 = 50 + 同比增长% within 0–100, a figure not reported 0). Equal scores share a rank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from centers.models import Authority, Centre, owes_from
from centers.selectors import TreeNode, authority_tree
from core.periods import Period
from services import figures

from . import assessment
from .models import AnnualFiling
from .summary import expected_months

# What a row shows of its centre (a city has a thousand: no other column is loaded, and no
# model instance is built: a thousand centres with their sponsors cost 45 ms as models).
ROW_FIELDS = (
    "pk",
    "name",
    "slug",
    "founded_on",
    "reporting_since",
    "sponsor_id",
    "sponsor__name",
    "sponsor__slug",
    "sponsor__parent_id",
)


@dataclass(frozen=True, slots=True)
class SponsorRef:
    pk: int
    name: str
    slug: str
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class CentreRef:
    """A dashboard row's centre: what the page, the export and the scores read of it."""

    pk: int
    name: str
    slug: str
    owes_from: dt.date | None
    sponsor: SponsorRef
    filing_status: str

    @property
    def sponsor_id(self) -> int:
        return self.sponsor.pk


def _centre_refs(authority_ids, year: int) -> list[CentreRef]:
    """The subtree's centres with their sponsor and the year's annual report state, one query."""
    filing = AnnualFiling.objects.filter(centre=OuterRef("pk"), year=year)
    rows = (
        Centre.objects.filter(sponsor_id__any_of=list(authority_ids))
        .annotate(filing_status=Subquery(filing.values("status")[:1]))
        .values_list(*ROW_FIELDS, "filing_status")
    )
    sponsors: dict[int, SponsorRef] = {}
    refs = []
    for pk, name, slug, founded, since, sponsor_id, *sponsor, status in rows:
        if (ref := sponsors.get(sponsor_id)) is None:
            ref = sponsors[sponsor_id] = SponsorRef(sponsor_id, *sponsor)
        refs.append(CentreRef(pk, name, slug, owes_from(founded, since), ref, status or ""))
    return refs


APPROVED = (AnnualFiling.Status.APPROVED, AnnualFiling.Status.PUBLISHED)
OPD = "opd_visits"
RATE_CODES = ("fd_rate", "elderly_check_rate", "htn_std_rate", "dm_std_rate")
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


def columns(rows: list[CentreRow], catalogue: tuple) -> list[tuple[str, str]]:
    """COLUMNS with the commission's own indicators and rates after the national rates."""
    names = {i.code: i.name for i in catalogue[0]} | {r.code: r.name for r in catalogue[1]}
    own = [("", names.get(code, code)) for code, _value in (rows[0].own if rows else [])]
    cut = 4 + len(RATE_CODES)  # 排名, 中心, 门急诊人次, 同比, then the rates
    return [*COLUMNS[:cut], *own, *COLUMNS[cut:]]


class _Shares:
    """同比 of 门急诊人次 and 报送完整率, as a centre's row and a district's row both show them."""

    opd: Decimal | None
    opd_previous: Decimal | None
    reported: int
    expected: int
    rates: dict[str, Decimal | None]

    @property
    def rate_list(self) -> list[tuple[str, Decimal | None]]:
        return [(code, self.rates.get(code)) for code in RATE_CODES]

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


@dataclass
class CentreRow(_Shares):
    centre: CentreRef
    opd: Decimal | None
    opd_previous: Decimal | None
    rates: dict[str, Decimal | None]
    reported: int
    expected: int
    filing_status: str
    score: Decimal = Decimal(0)
    rank: int = 0
    extra: dict = field(default_factory=dict)
    # The commission's own indicators and rates (services.figures.commission_codes), in order.
    own: list[tuple[str, Decimal | None]] = field(default_factory=list)

    def sort_value(self, key: str):
        if key == "name":
            return self.centre.name
        return self.rates.get(key) if key in RATE_CODES else getattr(self, key)


def _period_so_far(period: Period, today: dt.date) -> tuple[Period, list[dt.date]]:
    """The running year compares its ended months with the same months a year before."""
    months = expected_months(period, today)
    if months:
        period = Period(period.first, months[-1], period.label)
    return period, months


def dashboard_rows(
    *,
    authority_ids,
    period: Period,
    sort: str = "-score",
    today: dt.date | None = None,
    items: tuple[assessment.ItemSpec, ...] = assessment.DEFAULT_ITEMS,
) -> list[CentreRow]:
    """One row per centre of the subtree, scored, ranked, then sorted as asked."""
    return dashboard_tables(
        authority_ids=authority_ids, period=period, sort=sort, today=today, items=items
    )[0]


def dashboard_tables(
    *,
    authority_ids,
    period: Period,
    sort: str = "-score",
    today: dt.date | None = None,
    authority: Authority | None = None,
    tree: list[TreeNode] | None = None,
    catalogue: tuple | None = None,
    items: tuple[assessment.ItemSpec, ...] = assessment.DEFAULT_ITEMS,
    own_codes: tuple[str, ...] = (),
) -> tuple[list[CentreRow], list[DistrictRow]]:
    """The centres' rows and, for an `authority` with districts below it, one row per district
    (and one for the centres it sponsors itself): every figure from one read of the door.
    `tree` (centers.selectors.authority_tree()) and `catalogue` (services.figures.catalogue())
    are passed by a caller that has read them already; `items` score the centres (the
    commission's default scheme, reporting.selectors.default_scheme)."""
    today = today or timezone.localdate()
    period, months = _period_so_far(period, today)
    centres = _centre_refs(authority_ids, period.last.year)
    tops, district_of = _districts(authority, tree, centres)
    groups: dict[tuple, list[int]] = {("c", c.pk): [c.pk] for c in centres}
    for centre in centres:
        if centre.pk in district_of:
            groups.setdefault(("d", district_of[centre.pk]), []).append(centre.pk)
    codes = sorted({OPD, *RATE_CODES, *assessment.door_codes(items), *own_codes})
    found = figures.by_group(groups=groups, period=period, codes=codes, catalogue=catalogue)
    state = figures.reporting(
        centres=[(c.pk, c.owes_from) for c in centres], months=months, today=today
    )
    rows = []
    for centre in centres:
        mine = found[("c", centre.pk)]
        rows.append(
            CentreRow(
                centre=centre,
                opd=mine[OPD].value,
                opd_previous=mine[OPD].previous,
                rates={code: mine[code].value for code in RATE_CODES},
                reported=state.reported(centre.pk),
                expected=state.expected(centre.pk),
                filing_status=centre.filing_status,
                own=[(code, mine[code].value) for code in own_codes if code in mine],
            )
        )
    _score(rows, items, found, period, today)
    by_pk = {r.centre.pk: r for r in rows}
    districts = [
        _district_row(
            tops[key[1]], key[1] == authority.pk, found[key], [by_pk[pk] for pk in members]
        )
        for key, members in groups.items()
        if key[0] == "d"
    ]
    # Districts by name, then the centres the commission sponsors itself.
    districts.sort(key=lambda d: (d.own, d.authority.name))
    return sort_rows(rows, sort), districts


def _score(rows: list[CentreRow], items, found: dict, period: Period, today: dt.date) -> None:
    """Each row's score and rank on the items; rows end in rank order, then by name."""
    values = {
        r.centre.pk: assessment.measures(items, found[("c", r.centre.pk)], r.completeness)
        for r in rows
    }
    completions = assessment.completions(items, centre_ids=list(values), period=period, today=today)
    scored = assessment.score_centres(items, values, completions, breakdown=False)
    for row in rows:
        row.score, row.rank = scored[row.centre.pk].score, scored[row.centre.pk].rank
    rows.sort(key=lambda r: (r.rank, r.centre.name))


def _districts(authority, tree, centres) -> tuple[dict[int, TreeNode], dict[int, int]]:
    """({id: the authority or a district right below it}, {centre id: its district's id}); empty
    when the authority has no districts below it."""
    if authority is None:
        return {}, {}
    nodes = {node.pk: node for node in (authority_tree() if tree is None else tree)}
    tops = {pk: node for pk, node in nodes.items() if node.parent_id == authority.pk}
    if not tops:
        return {}, {}
    tops[authority.pk] = nodes[authority.pk]

    def district(pk: int) -> int:
        while pk not in tops:
            pk = nodes[pk].parent_id
        return pk

    return tops, {c.pk: district(c.sponsor_id) for c in centres}


@dataclass
class DistrictRow(_Shares):
    """A district's centres added up: their figures as one scope, their mean score; `own` is the
    row of the centres the commission sponsors itself."""

    authority: TreeNode
    own: bool
    centres: int
    opd: Decimal | None
    opd_previous: Decimal | None
    rates: dict[str, Decimal | None]
    reported: int
    expected: int
    approved: int  # annual reports approved or published
    mean_score: Decimal | None


def _district_row(
    authority: TreeNode, own: bool, found: dict, members: list[CentreRow]
) -> DistrictRow:
    """A district's centres as one scope (figures) and as a team (counts, mean score)."""
    mean = sum(r.score for r in members) / len(members)
    return DistrictRow(
        authority=authority,
        own=own,
        centres=len(members),
        opd=found[OPD].value,
        opd_previous=found[OPD].previous,
        rates={code: found[code].value for code in RATE_CODES},
        reported=sum(r.reported for r in members),
        expected=sum(r.expected for r in members),
        approved=sum(1 for r in members if r.filing_status in APPROVED),
        mean_score=mean.quantize(Decimal("0.01"), ROUND_HALF_UP),
    )


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


def trend_choices(catalogue: tuple | None = None) -> list[tuple[str, str]]:
    """Monthly flow indicators worth a trend line (counts of services)."""
    return figures.trend_indicators(catalogue)


def monthly_trend(*, centre_ids: list[int], code: str, year: int) -> dict:
    """These centres' monthly totals of one indicator for a year and the year before."""
    by_month = figures.monthly_totals(centre_ids=centre_ids, code=code, year=year)

    def series(y: int) -> list[float | None]:
        values = [by_month.get(dt.date(y, m, 1)) for m in range(1, 13)]
        return [None if v is None else float(v) for v in values]

    return {
        "labels": [f"{m}月" for m in range(1, 13)],
        "current": series(year),
        "previous": series(year - 1),
        "year": year,
    }
