"""存在的问题 worth reporting: material falls only, structural signals, ranked (reporting/problems.py).

Every number below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from centers.tests.factories import CentreFactory
from reporting import problems
from reporting.summary import Owner, generate
from services.figures import Figure
from services.models import MonthReport
from staff.selectors import staffing_by_centre, workforce_figures
from staff.tests.factories import PersonFactory, SpellFactory

from .data import H1_2024, TODAY, put

pytestmark = pytest.mark.django_db

T = problems.Thresholds(
    points=Decimal(1),
    permille_points=Decimal("0.2"),
    decline=Decimal(5),
    departure_rate=Decimal(15),
    off_share=Decimal(50),
)


def _rate(name: str, now: str, then: str, unit: str = "%") -> Figure:
    return Figure("x", name, unit, True, Decimal(now), Decimal(then))


def _count(name: str, now: int, then: int) -> Figure:
    return Figure("y", name, "人次", False, Decimal(now), Decimal(then))


def test_a_half_point_fall_is_not_material_and_a_two_point_fall_is():
    figures = {
        "half": _rate("全人群签约率", "30.00", "30.50"),  # −0.50 points < 1
        "two": _rate("健康档案使用率", "70.00", "72.00"),  # −2.00 points ≥ 1
        "one": _rate("重点人群签约率", "55.00", "56.00"),  # −1.00 point: the threshold itself
        "up": _rate("老年人健康管理率", "70.00", "60.00"),  # a rise is no problem
    }
    found = problems.declines(figures, ["half", "two", "one", "up"], T)
    assert [p.text for p in found] == [
        "健康档案使用率较去年同期降低2个百分点",
        "重点人群签约率较去年同期降低1个百分点",
    ]
    assert [p.size for p in found] == [Decimal(2), Decimal(1)]  # 2 ÷ 1, 1 ÷ 1
    assert found[0].why == (
        "健康档案使用率由上年同期72%降至70%，降低2个百分点，"
        "达到系统设定的阈值1个百分点"  # in words: no setting's name on a page
    )


def test_counts_fall_by_percent_and_per_mille_rates_by_per_mille_points():
    figures = {
        # (9700 − 10000) ÷ 10000 = −3% < 5%; (9000 − 10000) ÷ 10000 = −10% ≥ 5%
        "small": _count("出院人次", 9700, 10000),
        "big": _count("门急诊人次", 9000, 10000),
        # 4.36 − 4.50 = −0.14 千分点 < 0.2; 4.20 − 4.50 = −0.30 ≥ 0.2
        "smi_small": _rate("严重精神障碍报告患病率", "4.36", "4.50", "‰"),
        "smi_big": _rate("严重精神障碍报告患病率", "4.20", "4.50", "‰"),
        # an amount per visit falling is not suggested at all
        "cost": Figure("c", "门急诊次均费用", "元", True, Decimal("100"), Decimal("150")),
    }
    found = problems.declines(figures, list(figures), T)
    assert [(p.text, p.size) for p in found] == [
        ("门急诊人次较去年同期下降10%", Decimal(2)),  # 10 ÷ 5
        ("严重精神障碍报告患病率较去年同期降低0.3个千分点", Decimal("1.5")),  # 0.3 ÷ 0.2
    ]
    assert found[1].why.endswith("达到系统设定的阈值0.2个千分点")


def _reported(centre, months=range(1, 7)) -> None:
    for m in months:
        MonthReport.objects.create(centre=centre, period=dt.date(2024, m, 1))


def _staff(centre, *, serving: int, leaving: int, on_establishment: int) -> None:
    """Nurses (the factory's default), all hired in 2020; `leaving` of them leave on 31 March
    2024 (still serving at March's end), `on_establishment` of those who stay are 在编."""
    for i in range(serving + leaving):
        left = dt.date(2024, 3, 31) if i < leaving else None
        on = leaving <= i < leaving + on_establishment
        SpellFactory(
            person=PersonFactory(centre=centre),
            left_on=left,
            leave_reason="resigned" if left else "",
            establishment="on" if on else "off",
        )


def _tallies(centre) -> None:
    # 健康档案使用率 690 ÷ 1000 = 69% against 720 ÷ 1000 = 72%: −3 points (material).
    put(centre, "rec_active", (2024, 6), 690)
    put(centre, "rec_total", (2024, 6), 1000)
    put(centre, "rec_active", (2023, 6), 720)
    put(centre, "rec_total", (2023, 6), 1000)
    # 全人群签约率 3000 ÷ 10000 = 30% against 3050 ÷ 10000 = 30.5%: −0.5 points (not).
    for year, signed in ((2024, 3000), (2023, 3050)):
        put(centre, "res_pop", (year, 1), 10000)
        put(centre, "fd_signed", (year, 6), signed)
    for m in range(1, 7):
        # 门急诊 6 × 9000 = 54000 against 6 × 10000 = 60000: −10% (material)
        put(centre, "opd_visits", (2024, m), 9000)
        put(centre, "opd_visits", (2023, m), 10000)
    # 出院 97 against 100: −3% (not)
    put(centre, "discharges", (2024, 1), 97)
    put(centre, "discharges", (2023, 1), 100)


def test_a_summary_suggests_only_material_falls(centre, settings):
    _tallies(centre)
    _reported(centre)
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    assert g["weak_spots"] == [
        "健康档案使用率较去年同期降低3个百分点",
        "门急诊人次较去年同期下降10%",
    ]
    assert [p["kind"] for p in g["problems"]] == ["decline", "decline"]
    assert set(g["problems"][0]) == {"text", "kind", "why"}
    # A stricter setting drops the 10% fall (10 < 12) and keeps the 3 points (3 ≥ 2).
    settings.SUMMARY_PROBLEM_MIN_DECLINE = Decimal(12)
    settings.SUMMARY_PROBLEM_MIN_POINTS = Decimal(2)
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    assert g["weak_spots"] == ["健康档案使用率较去年同期降低3个百分点"]


def test_problems_are_ranked_by_how_far_past_their_threshold(centre):
    _tallies(centre)
    _reported(centre)
    # 10 nurses, 2 leave on 31 March: month-end headcounts 10, 10, 10, 8, 8, 8 → average 9;
    # 离职率 2 ÷ 9 = 22.22%, ×12/6 = 44.44% a year: 44.44 ÷ 15 = 2.96 times the limit.
    # 4 of the 8 left are 在编: 编外 4 ÷ 8 = 50%, not above 50%.
    _staff(centre, serving=8, leaving=2, on_establishment=4)
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    standard = "《城市社区卫生服务中心基本标准》"
    assert g["weak_spots"] == [
        "健康档案使用率较去年同期降低3个百分点",  # 3 ÷ 1 = 3
        "人员流动较大，期内离职率22.22%（折合全年44.4%，高于15%）",  # 2.96
        "门急诊人次较去年同期下降10%",  # 10 ÷ 5 = 2
        # No physician at all on 30 June: the worst shortfall is 1 + (6 − 0) ÷ 6 = 2 (as are
        # 1 + 1 ÷ 1 for the single ones), after the fall found first at the same size.
        f"人员配备未达{standard}：全科执业医师（临床或中医类别）0人（应不少于6人），"
        "注册护士8人（应不少于9人），副高级以上职称执业医师0人（应不少于1人），"
        "中级以上职称中医类别执业医师0人（应不少于1人），公共卫生类别执业医师0人（应不少于1人）",
    ]
    turnover = g["problems"][1]
    assert turnover["kind"] == "turnover"
    assert turnover["why"] == ("离职2人÷平均在职9人=22.22%（折合全年44.4%），高于系统设定的阈值15%")
    assert g["problems"][-1]["why"] == (
        "人员花名册2024年6月30日在岗：全科执业医师（临床或中医类别）0人，要求至少6人；"
        "注册护士8人，要求至少9人；副高级以上职称执业医师0人，要求至少1人；"
        "中级以上职称中医类别执业医师0人，要求至少1人；公共卫生类别执业医师0人，要求至少1人"
        f"（{standard}，2006年）"
    )


def test_a_high_off_establishment_share_is_a_problem(centre):
    _reported(centre)
    # 8 serving on 30 June, 2 of them 在编: 6 ÷ 8 = 75% > 50%, 1.5 times the limit.
    _staff(centre, serving=8, leaving=0, on_establishment=2)
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    off = next(p for p in g["problems"] if p["kind"] == "off_establishment")
    assert off == {
        "text": "编外人员占比较高，期末编外人员6人，占在岗职工的75%",
        "kind": "off_establishment",
        "why": "期末编外6人÷在岗8人=75%，高于系统设定的阈值50%",
    }
    assert not any(p["kind"] == "turnover" for p in g["problems"])  # nobody left


def test_unreported_months_are_a_problem(centre):
    _reported(centre, range(1, 5))  # May and June: nothing entered, nothing marked
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    assert g["problems"] == [
        {
            # a centre's own summary speaks of itself, not of “1个中心”
            "text": "数据报送不及时：5月、6月数据未报，以上数字不含未报月份。",
            "kind": "unreported",
            "why": "本期应报送6个中心·月，其中未报2个、已录入但未标记报送0个"
            "（按各中心成立月份计算，未结束的月份不计）",
        }
    ]


def test_a_commission_summary_counts_the_centres_short_of_a_minimum(district, centre):
    other = CentreFactory(name="双碑社区卫生服务中心", slug="shuangbei", sponsor=district)
    empty = CentreFactory(name="新开中心", slug="xinkai", sponsor=district)
    for c in (centre, other, empty):
        _reported(c)
    _staff(centre, serving=8, leaving=0, on_establishment=8)  # 8 nurses: short of 9
    _staff(other, serving=9, leaving=0, on_establishment=9)  # 9 nurses: enough
    owner = Owner(name=district.name, authority=district, authority_ids=(district.pk,))
    g = generate(owner=owner, period=H1_2024, today=TODAY)
    (staffing,) = [p for p in g["problems"] if p["kind"] == "staffing"]
    # Both rosters lack physicians (2 centres); only 磁器口 lacks a ninth nurse (1 centre); the
    # centre with an empty roster is not counted as short of anything.
    assert staffing["text"] == (
        "人员配备未达《城市社区卫生服务中心基本标准》：2个中心全科执业医师（临床或中医类别）少于6人，"
        "1个中心注册护士少于9人，2个中心副高级以上职称执业医师少于1人，"
        "2个中心中级以上职称中医类别执业医师少于1人，2个中心公共卫生类别执业医师少于1人"
    )
    assert "注册护士8人，要求至少9人" in staffing["why"]
    assert "全科执业医师（临床或中医类别）0人、0人，要求至少6人" in staffing["why"]


def test_staffing_by_centre_agrees_with_the_roster_figures(centre):
    """The grouped query and workforce_figures count the standard's minimums alike."""
    end = dt.date(2024, 12, 31)
    person = lambda: PersonFactory(centre=centre)  # noqa: E731
    for kind in ("clinical", "tcm", "clinical"):
        SpellFactory(
            person=person(), category="physician", practice_type=kind, general_practice=True
        )
    SpellFactory(person=person(), category="physician", practice_type="public_health")
    SpellFactory(person=person(), category="physician", practice_type="tcm", title="intermediate")
    SpellFactory(person=person(), category="physician", title="associate_senior")
    SpellFactory(person=person(), category="physician", left_on=dt.date(2024, 6, 1))  # gone
    for _ in range(5):
        SpellFactory(person=person())
    grouped = staffing_by_centre(centre_ids=[centre.pk], day=end)[centre.pk]
    single = workforce_figures(centre=centre, start=dt.date(2024, 1, 1), end=end).checks
    assert [(c.label, c.required, c.actual) for c in grouped] == [
        (c.label, c.required, c.actual) for c in single
    ]
    # 3 general-practice physicians, 5 nurses, 1 副高, 2 TCM physicians one 中级, 1 公卫, 6 in all
    assert [c.actual for c in grouped] == [3, 5, 1, 1, 1, 5]
    assert [c.required for c in grouped] == [6, 9, 1, 1, 1, 6]
