"""Generated sentences say only what the data support: 未报 is nothing entered, a month entered
but not marked is counted and said so, a partial year says which months it holds, and the annual
draft phrases its figures with reporting.sentences (‰ rates move in 千分点)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from reporting import sentences as s
from reporting.prefill import narrative_draft
from reporting.summary import Owner, generate
from reporting.tests.data import H1_2024, TODAY, put
from services.models import MonthReport

D = dt.date


def test_unentered_and_unmarked_months_are_told_apart():
    june = {D(2024, 6, 1): 1}
    april_may = {D(2024, 4, 1): 1, D(2024, 5, 1): 1}
    assert s.missing_words(june, april_may) == (
        "其中1个中心6月数据未报，1个中心4月、5月数据已录入但未标记报送，"
        "以上合计含已录入但未标记报送的数据，不含未报数据。"
    )
    assert s.missing_words({}, april_may) == (
        "其中1个中心4月、5月数据已录入但未标记报送，以上合计含已录入但未标记报送的数据。"
    )
    assert s.missing_words(june) == "其中1个中心6月数据未报，以上合计不含未报数据。"


def test_a_centre_s_own_text_names_its_months_not_a_count_of_centres():
    june = {D(2024, 6, 1): 1}
    april_may = {D(2024, 4, 1): 1, D(2024, 5, 1): 1}
    assert s.missing_words(june, april_may, single=True) == (
        "其中6月数据未报，4月、5月数据已录入但未标记报送，"
        "以上数字含已录入但未标记报送的数据，不含未报月份。"
    )
    every = {D(2025, m, 1): 1 for m in range(1, 13)}
    assert s.missing_words(every, single=True) == "其中1–12月数据未报，以上数字不含未报月份。"
    # Runs of three or more read as a span, shorter ones as a list; across years with the year.
    gaps = {D(2025, m, 1): 1 for m in (1, 2, 3, 5, 11, 12)} | {D(2026, 1, 1): 1}
    assert s.missing_words(gaps, single=True) == (
        "其中2025年1月–2025年3月、2025年5月、2025年11月–2026年1月数据未报，以上数字不含未报月份。"
    )


def test_partial_year_words():
    assert s.partial_year_words(2024, [D(2024, m, 1) for m in range(1, 6)]) == (
        "本年度仅有1–5月数据，以下数字仅反映这些月份。"
    )
    assert s.partial_year_words(2024, [D(2024, m, 1) for m in (1, 3, 4)]) == (
        "本年度仅有1月、3月、4月数据，以下数字仅反映这些月份。"
    )
    assert (
        s.partial_year_words(2024, [D(2024, 7, 1)]) == "本年度仅有7月数据，以下数字仅反映这些月份。"
    )
    assert s.partial_year_words(2024, [D(2024, m, 1) for m in range(1, 13)]) == ""
    assert s.partial_year_words(2024, []) == "2024年度尚无服务统计数据。"


@pytest.fixture
def five_months(centre):
    """门急诊 1000 a month in January–May 2024 (none in June), 800 a month in January–June
    2023; January–March 2024 marked 已报送, April and May entered but not marked."""
    for m in range(1, 6):
        put(centre, "opd_visits", (2024, m), 1000)
    for m in range(1, 7):
        put(centre, "opd_visits", (2023, m), 800)
    for m in range(1, 4):
        MonthReport.objects.create(centre=centre, period=D(2024, m, 1))
    return centre


def test_a_centre_summary_counts_what_is_entered_and_says_so(five_months):
    centre = five_months
    g = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    medical = next(x for x in g["sections"] if x["key"] == "medical")["clauses"]
    # The total holds April and May: 5 × 1000 = 5000 against 6 × 800 = 4800 → +4.17% → 4.2%
    assert "门急诊人次5000人次，较去年同期增长4.2%" in [c["text"] for c in medical]
    assert g["missing"] == {"2024-06-01": 1}
    assert g["unmarked"] == {"2024-04-01": 1, "2024-05-01": 1}
    assert g["lead"] == (  # the centre's own summary speaks of itself, not of “1个中心”
        f"截至2024年6月，{centre.name}各项工作情况如下。"
        "其中6月数据未报，4月、5月数据已录入但未标记报送，"
        "以上数字含已录入但未标记报送的数据，不含未报月份。"
    )
    assert "4月、5月、6月数据未报" not in g["lead"]


def test_the_annual_draft_says_the_year_is_partial(five_months):
    with translation.override("zh-hans"):
        draft = narrative_draft(five_months, 2024)
    # 5000 against the 4800 of 2023: (5000 − 4800) / 4800 = 4.1666…% → 4.17; the partial year
    # is said at the opening, before any figure (reporting/annual_narrative.py).
    assert "现将年度工作总结如下。本年度仅有1–5月数据，以下数字仅反映这些月份。\n" in draft
    assert "（一）医疗服务\n门急诊人次5000人次（同比+4.17%）。" in draft


def test_the_annual_draft_moves_a_per_mille_rate_in_per_mille_points(centre):
    # 严重精神障碍报告患病率 = 在册患者 ÷ 常住人口 × 1000: 200 / 50000 = 4.00‰ against
    # 190 / 50000 = 3.80‰, a change of 0.20 个千分点 (0.20 个百分点 would be ten times as much).
    for year, smi in ((2024, 200), (2023, 190)):
        put(centre, "res_pop", (year, 1), 50000)
        put(centre, "smi_registered", (year, 12), smi)
    with translation.override("zh-hans"):
        draft = narrative_draft(centre, 2024)
    assert "严重精神障碍报告患病率4.00‰（同比+0.20个千分点）" in draft
    assert "个百分点" not in draft


def test_the_weak_spot_on_late_reporting_tells_the_same_months_apart(five_months):
    g = generate(
        owner=Owner(name=five_months.name, centre=five_months), period=H1_2024, today=TODAY
    )
    assert g["weak_spots"][-1] == (
        "数据报送不及时：6月数据未报，4月、5月数据已录入但未标记报送，"
        "以上数字含已录入但未标记报送的数据，不含未报月份。"
    )


@pytest.mark.parametrize("view", ["summary", "summary-document", "summary-docx"])
def test_a_summary_saved_before_unmarked_was_counted_still_opens(
    client, five_months, manager, view, monkeypatch
):
    from django.urls import reverse

    from reporting import actions

    summary = actions.summary_create(
        owner=Owner(name=five_months.name, centre=five_months),
        period=H1_2024,
        kind="half",
        actor=manager,
    )
    summary.figures.pop("unmarked")  # as generated before the key existed
    summary.save(update_fields=["figures"])
    summary.versions.update(figures=summary.figures)
    client.force_login(manager)
    response = client.get(reverse(f"reporting:centre-{view}", args=[five_months.slug, summary.pk]))
    assert response.status_code == 200


def test_the_annual_draft_announces_no_figures_it_does_not_quote(centre):
    """Only January's 总诊疗人次 (not a quoted figure) is entered: no "以下数字…" before nothing;
    with nothing entered at all, the draft says the year has no figures yet."""
    with translation.override("zh-hans"):
        empty = narrative_draft(centre, 2024)
        put(centre, "total_visits", (2024, 1), 1200)
        draft = narrative_draft(centre, 2024)
    assert "2024年度尚无服务统计数据。" in empty
    assert "以下数字" not in draft and "尚无服务统计数据" not in draft
