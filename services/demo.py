"""Demo tallies for 2023 and 2024 and 磁器口's 2024 work records from seed 000.

Values are built from a few proportions per centre, so every default rule holds (numerators
below their denominators, year-to-date for flows) and nothing trips the outlier check; 2024 grows
over 2023 so that 同比 is not trivial. Seed 000's counted facts (党员大会 3, 支部委员会 29, 党课 4,
主题党日 11, 集中下社区体检 73 and 近20 义诊 serving 5,241 people, 消防演练 2) are work records.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Sum

from centers.models import Centre

from .models import Activity, ActivityKind, Indicator, MonthReport, TallyValue, Target
from .rollups import mark_changed

SEASON = [0.92, 0.80, 1.02, 1.00, 1.03, 0.98, 1.00, 0.97, 1.01, 1.02, 1.06, 1.10]


def _monthly_flows(size: float, growth: float, rng: random.Random) -> dict[str, list[float]]:
    """Per-month flows for one year; size scales the centre, growth the year."""
    flows: dict[str, list[float]] = {}

    def put(code: str, base: float, share_of: str | None = None, share: float = 1.0) -> None:
        if share_of:
            flows[code] = [v * share * rng.uniform(0.97, 1.0) for v in flows[share_of]]
        else:
            flows[code] = [base * size * growth * s * rng.uniform(0.95, 1.05) for s in SEASON]

    put("total_visits", 5200)
    put("opd_visits", 0, "total_visits", 0.93)
    put("tcm_visits", 0, "total_visits", 0.16)
    put("tcm_nondrug_visits", 0, "tcm_visits", 0.45)
    put("discharges", 18)
    put("medical_income", 120)
    put("opd_income", 0, "medical_income", 0.62)
    put("referrals_up", 40)
    put("referrals_down", 12)
    put("live_births", 30)
    put("newborn_visited", 0, "live_births", 0.95)
    put("early_registered", 0, "live_births", 0.88)
    put("postpartum_visited", 0, "live_births", 0.93)
    put("vac_cert_due", 32)
    put("vac_cert_done", 0, "vac_cert_due", 0.98)
    put("vac_due", 900)
    put("vac_done", 0, "vac_due", 0.97)
    put("edu_lectures", 2)
    put("edu_lecture_people", 110)
    put("edu_consults", 1)
    put("edu_board_updates", 1)
    put("edu_materials", 600)
    put("id_registered", 25)
    put("id_reported", 0, "id_registered", 0.99)
    put("id_timely", 0, "id_reported", 0.97)
    put("pheic_reported", 1)
    put("pheic_timely", 0, "pheic_reported", 1.0)
    put("sup_found", 3)
    put("sup_reported", 0, "sup_found", 1.0)
    put("sup_inspections", 4)
    put("tb_notified", 1.2)
    put("tb_managed", 0, "tb_notified", 1.0)
    put("tb_completed", 1.0)
    put("tb_regular", 0, "tb_completed", 0.95)
    return flows


def _stocks(residents: int, growth: float, month: int) -> dict[str, float]:
    """Stocks at the end of a month: cumulative counts that climb through the year."""
    year_share = 0.55 + 0.45 * month / 12  # the year's cumulative service builds up
    elderly = residents * 0.16
    htn = residents * 0.18 * 0.252
    dm = residents * 0.18 * 0.097
    return {
        "rec_filed": residents * 0.86 * growth,
        "rec_e_filed": residents * 0.84 * growth,
        "rec_total": residents * 0.86 * growth,
        "rec_active": residents * 0.52 * growth,
        "child_managed": residents * 0.06 * 0.90 * year_share,
        "elderly_managed": elderly * 0.68 * year_share * growth,
        "elderly_checked": elderly * 0.30 * year_share * growth,
        "htn_managed": htn * 0.78 * growth,
        "htn_standard": htn * 0.78 * 0.72 * growth,
        "htn_controlled": htn * 0.78 * 0.60 * growth,
        "dm_managed": dm * 0.80 * growth,
        "dm_standard": dm * 0.80 * 0.70 * growth,
        "dm_controlled": dm * 0.80 * 0.55 * growth,
        "smi_registered": residents * 0.0042 * growth,
        "smi_managed": residents * 0.0042 * 0.94 * growth,
        "smi_standard": residents * 0.0042 * 0.82 * growth,
        "tcm_elderly": elderly * 0.60 * year_share * growth,
        "tcm_child": residents * 0.015 * 0.75 * year_share * growth,
        "fd_signed": residents * 0.29 * growth * (0.97 + 0.03 * month / 12),
        "fd_key_signed": residents * 0.34 * 0.54 * growth * (0.97 + 0.03 * month / 12),
    }


def _yearly(residents: int) -> dict[str, float]:
    return {
        "res_pop": residents,
        "child_pop": residents * 0.06,
        "elderly_pop": residents * 0.16,
        "htn_expected": residents * 0.18 * 0.252,
        "dm_expected": residents * 0.18 * 0.097,
        "child_0_36_pop": residents * 0.015,
        "key_pop": residents * 0.34,
    }


def _number(indicator: Indicator, value: float) -> Decimal:
    if indicator.whole_numbers:
        return Decimal(round(value))
    return Decimal(str(round(value, 2)))


def _centre_year(
    centre: Centre, year: int, residents: int, size: float, growth: float, rng
) -> list:
    indicators = {i.code: i for i in Indicator.objects.all()}
    rows = []
    for code, value in _yearly(residents).items():
        rows.append(
            TallyValue(
                centre=centre,
                indicator=indicators[code],
                period=dt.date(year, 1, 1),
                value=_number(indicators[code], value),
            )
        )
    for code, months in _monthly_flows(size, growth, rng).items():
        for m, value in enumerate(months, start=1):
            rows.append(
                TallyValue(
                    centre=centre,
                    indicator=indicators[code],
                    period=dt.date(year, m, 1),
                    value=_number(indicators[code], value),
                )
            )
    stock_growth = 1 + (growth - 1) * 0.4  # coverage grows more slowly than visits
    for m in range(1, 13):
        for code, value in _stocks(residents, stock_growth, m).items():
            rows.append(
                TallyValue(
                    centre=centre,
                    indicator=indicators[code],
                    period=dt.date(year, m, 1),
                    value=_number(indicators[code], value),
                )
            )
    return rows


# (slug, residents 2023, size factor, growth 2024 over 2023)
CENTRES = {
    "ciqikou": (51_500, 1.00, 1.18),
    "shuangbei": (64_000, 1.25, 1.09),
    "xiaolongkan": (83_000, 1.60, 1.12),
    "yangjiaping": (72_000, 1.35, 1.05),
}


def _tallies(centre: Centre, residents: int, size: float, growth: float) -> None:
    rng = random.Random(centre.slug)  # noqa: S311 - demo figures, not security
    rows = _centre_year(centre, 2023, residents, size, 1.0, rng)
    rows += _centre_year(centre, 2024, round(residents * 1.01), size, growth, rng)
    TallyValue.objects.bulk_create(rows)
    mark_changed(centre.pk, [2023, 2024])  # any rollups of these years are out of date now
    reports = [
        MonthReport(centre=centre, period=dt.date(year, m, 1))
        for year in (2023, 2024)
        for m in range(1, 13)
    ]
    MonthReport.objects.bulk_create(reports)
    # Reported by the 8th of the following month, except one late month for the demo.
    for report in MonthReport.objects.filter(centre=centre):
        following = dt.date(
            report.period.year + report.period.month // 12, report.period.month % 12 + 1, 8
        )
        if centre.slug == "shuangbei" and report.period == dt.date(2024, 6, 1):
            following = following.replace(day=25)
        MonthReport.objects.filter(pk=report.pk).update(
            created_at=dt.datetime.combine(following, dt.time(16, 0), tzinfo=dt.UTC)
        )


# Seed 000's 2024 counts: (kind, times, people per record or None to split a total).
CIQIKOU_2024 = [
    ("党员大会", 3, 11),
    ("支部委员会", 29, 5),
    ("党课", 4, 11),
    ("主题党日", 11, 11),
    ("消防演练", 2, 60),
    ("应急演练", 1, 60),
]
CHECKUPS, CHECKUP_PEOPLE = 73, 4_300  # 集中下社区体检
CLINICS, CLINIC_PEOPLE = 19, 941  # 日常义诊义检: together 5,241 people served


# 三会一课 as seed 000 counts it: 党课 in every quarter, 党员大会 in three of them (none in the
# fourth), so the compliance pages show one missed meeting (reporting/party.py).
MEETING_DAYS = {
    "党员大会": [dt.date(2024, 1, 12), dt.date(2024, 4, 19), dt.date(2024, 7, 26)],
    "党课": [dt.date(2024, m, d) for m, d in ((3, 28), (6, 27), (9, 26), (12, 26))],
}


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _ciqikou_activities(centre: Centre) -> None:
    kinds = {k.name: k for k in ActivityKind.objects.all()}
    records = []

    def add(kind: str, times: int, people: list[int]) -> None:
        for i in range(times):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=(i * 361) // max(times, 1) + 3)
            day = MEETING_DAYS[kind][i] if kind in MEETING_DAYS else day
            records.append(
                Activity(
                    centre=centre, date=day, kind=kinds[kind], people=people[i], title=f"{kind}"
                )
            )

    for kind, times, people in CIQIKOU_2024:
        add(kind, times, [people] * times)
    add("集中下社区体检", CHECKUPS, _spread(CHECKUP_PEOPLE, CHECKUPS))
    add("义诊", CLINICS, _spread(CLINIC_PEOPLE, CLINICS))
    Activity.objects.bulk_create(records)


# 2024 targets (年度任务) the 沙坪坝 commission set: 2023's total raised by these shares, so the
# centres that grew faster are ahead and 双碑 (grown 9%) trails its time progress.
TARGET_DISTRICT = "shapingba"
TARGET_RAISES = {"opd_visits": Decimal("1.11"), "vac_done": Decimal("1.12")}


def _targets(centres: list[Centre]) -> None:
    """2024 targets of the 沙坪坝 centres, from their 2023 totals (once)."""
    ids = [c.pk for c in centres if not Target.objects.filter(centre=c, year=2024).exists()]
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(TARGET_RAISES))}
    totals = (
        TallyValue.objects.filter(
            centre_id__in=ids, indicator__code__in=list(TARGET_RAISES), period__year=2023
        )
        .values_list("centre_id", "indicator__code")
        .annotate(total=Sum("value"))
    )
    Target.objects.bulk_create(
        Target(
            centre_id=centre_id,
            indicator=indicators[code],
            year=2024,
            value=(total * TARGET_RAISES[code]).quantize(Decimal("1E2")),
        )
        for centre_id, code, total in totals
    )


# 沙坪坝's own indicator (issue 14): HPV vaccination, counted by its centres from 2024; the city
# and 九龙坡 do not see it. 磁器口's months (first doses), the other centres' a little fewer.
DISTRICT_INDICATOR = ("hpv_first_dose", "HPV疫苗首针接种人数", "vaccination", "人")
HPV_MONTHS = [18, 22, 25, 31, 28, 26, 30, 34, 29, 27, 24, 21]


def _district_indicator(centres: list[Centre]) -> None:
    """The district's indicator and a year of its values, once."""
    if not centres:
        return
    code, name, category, unit = DISTRICT_INDICATOR
    indicator, created = Indicator.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "category": category,
            "unit": unit,
            "owner": centres[0].sponsor,
            "active_from": dt.date(2024, 1, 1),
            "position": 90,
        },
    )
    if not created:
        return
    TallyValue.objects.bulk_create(
        TallyValue(
            centre=centre,
            indicator=indicator,
            period=dt.date(2024, month, 1),
            value=value - 3 * rank,
        )
        for rank, centre in enumerate(sorted(centres, key=lambda c: c.slug != "ciqikou"))
        for month, value in enumerate(HPV_MONTHS, 1)
    )
    for centre in centres:
        mark_changed(centre.pk, [2024])


def load_services_demo(centres: dict[str, Centre]) -> None:
    """Give each demo centre two years of tallies once; a second run finds them and stops."""
    from .catalogue import load_catalogue
    from .models import Rate, ValidationRule

    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)  # present unless flushed
    for slug, centre in centres.items():
        if slug in CENTRES and not TallyValue.objects.filter(centre=centre).exists():
            _tallies(centre, *CENTRES[slug])
        if slug == "ciqikou" and not Activity.objects.filter(centre=centre).exists():
            _ciqikou_activities(centre)
    district = [c for c in centres.values() if c.sponsor.slug == TARGET_DISTRICT]
    _district_indicator(district)
    _targets(district)
    _approvals(district)


def _approvals(district: list[Centre]) -> None:
    """沙坪坝 approved its centres' January–September 2024 and the city confirmed the first half
    (a second run finds them approved and refuses again, changing nothing)."""
    from django.contrib.auth import get_user_model

    from centers.selectors import user_places

    from .approval_actions import month_move

    users = get_user_model().objects.in_bulk(["reviewer", "cityreviewer"], field_name="username")
    if len(users) < 2 or not district:
        return
    for m in range(1, 10):
        month = dt.date(2024, m, 1)
        for move, user in (("approve", "reviewer"), ("confirm", "cityreviewer")):
            if move == "confirm" and m > 6:
                continue
            who = users[user]
            month_move(
                move=move,
                centres=district,
                month=month,
                actor=who,
                places=user_places(who),
                announce=False,
            )
