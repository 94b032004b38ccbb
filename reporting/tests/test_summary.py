"""Work summaries: sentences checked against hand-worked figures, scoping, editing and versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from centers.tests.factories import CentreFactory
from core.stale import stamp
from reporting import sentences as s
from reporting.models import Summary
from reporting.summary import Owner, generate, paragraph
from reporting.tests.data import H1_2024, TODAY, put
from reporting.tests.outline_data import outline_form, paragraphs, section_id
from services.selectors import Figure

pytestmark = pytest.mark.django_db
D = Decimal


# --- sentences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (76420, "人次", "7.64万人次"),
        (76425, "人次", "7.64万人次"),  # 7.6425 → 7.64
        (76450, "人次", "7.65万人次"),  # half up
        (100000, "人次", "10万人次"),
        (9999, "人次", "9999人次"),
        (5241, "人", "5241人"),
        (D("123.456"), "万元", "123.46万元"),
        (12, "次", "12次"),
    ],
)
def test_amounts_switch_to_wan_from_ten_thousand(value, unit, expected):
    assert s.amount(D(value), unit) == expected


@pytest.mark.parametrize(
    ("value", "previous", "expected"),
    [
        (1214, 1000, "较去年同期增长21.4%"),
        (900, 1000, "较去年同期下降10%"),
        (D("1000.4"), 1000, "与去年同期基本持平"),  # +0.04% rounds to 0.0
        (1001, 1000, "较去年同期增长0.1%"),
        (50, None, "上年同期无可比数据"),
        (50, 0, "上年同期为零，无法计算增幅"),
        (0, 0, "与去年同期持平"),
    ],
)
def test_growth_words(value, previous, expected):
    assert s.growth_words(D(value), None if previous is None else D(previous)) == expected


def test_rates_move_in_points_and_per_mille_in_thousandths():
    assert s.point_words(D("31.08"), D("29.03"), "%") == "较去年同期提高2.05个百分点"
    assert s.point_words(D("28.5"), D("30"), "%") == "较去年同期降低1.5个百分点"
    assert s.point_words(D("4.13"), D("3.88"), "‰") == "较去年同期提高0.25个千分点"
    assert s.point_words(D("4.13"), D("4.13"), "‰") == "与去年同期持平"
    assert s.point_words(D("4.13"), None, "‰") == "上年同期无可比数据"


def test_figure_sentences():
    rate = Figure("fd_rate", "全人群签约率", "%", True, D("31.08"), D("29.03"))
    assert s.figure_sentence(rate) == "全人群签约率31.08%，较去年同期提高2.05个百分点"
    visits = Figure("opd_visits", "门急诊人次", "人次", False, D(76420), D(62950))
    # 13,470 / 62,950 = 21.397…% → 21.4
    assert s.figure_sentence(visits) == "门急诊人次7.64万人次，较去年同期增长21.4%"
    cost = Figure("opd_cost", "门急诊次均费用", "元", True, D("98.5"), D("100"))
    assert s.figure_sentence(cost) == "门急诊次均费用98.5元，较去年同期下降1.5%"
    assert s.figure_sentence(Figure("x", "x", "人", False, None, D(3))) == ""


def test_period_and_missing_words():
    assert s.period_words(dt.date(2024, 6, 1)) == "截至2024年6月"
    assert s.missing_words({}) == ""
    missing = {dt.date(2024, 5, 1): 2, dt.date(2024, 6, 1): 2, dt.date(2024, 3, 1): 1}
    assert s.missing_words(missing) == (
        "其中1个中心3月数据未报，2个中心5月、6月数据未报，以上合计不含未报数据。"
    )


# --- generated from stored tallies --------------------------------------------------------


def _district_owner(district) -> Owner:
    return Owner(name=district.name, authority=district, authority_ids=(district.pk,))


def _clauses(generated: dict, key: str) -> list[str]:
    section = next(x for x in generated["sections"] if x["key"] == key)
    return [c["text"] for c in section["clauses"]]


def test_district_summary_sentences(district, district_data):
    g = generate(owner=_district_owner(district), period=H1_2024, today=TODAY)
    medical = _clauses(g, "medical")
    # 6×6000 + 5×7000 = 71,000 against 6×5000 + 6×6000 = 66,000: +7.575…% → 7.6
    assert "门急诊人次7.1万人次，较去年同期增长7.6%" in medical
    # 100 against 120: −16.67%
    assert "出院人次100人次，较去年同期下降16.7%" in medical
    assert "上转人次1000人次，与去年同期基本持平" in medical
    assert "下转人次50人次，上年同期无可比数据" in medical
    family = _clauses(g, "family_doctor")
    # (16000 + 8864) / (50000 + 30000) = 31.08%; (15000 + 8000) / 80000 = 28.75%
    assert "全人群签约率31.08%，较去年同期提高2.33个百分点" in family
    health = _clauses(g, "public_health")
    # 330 / 80000 × 1000 = 4.125 → 4.13‰; 310 / 80000 × 1000 = 3.875 → 3.88‰
    assert "严重精神障碍报告患病率4.13‰，较去年同期提高0.25个千分点" in health
    # 乙 and 丙 (open since April) have not reported May; 丙's January–March are not due.
    assert g["missing"] == {"2024-05-01": 2}
    assert g["lead"] == (
        f"截至2024年6月，{district.name}（共3个社区卫生服务中心）各项工作情况如下。"
        "其中2个中心5月数据未报，以上合计不含未报数据。"
    )
    assert "出院人次较去年同期下降16.7%" in g["weak_spots"]
    assert any("5月数据未报" in w for w in g["weak_spots"])
    trace = next(c for c in g["sections"][0]["clauses"] if c["code"] == "opd_visits")["trace"]
    assert trace == (
        "指标：门急诊人次（opd_visits）；期间：2024年1月至2024年6月，"
        "对比2023年1月至2023年6月；范围：3个中心"
    )


def test_centre_summary_holds_only_its_own_data(district, district_data):
    a = district_data["a"]
    g = generate(owner=Owner(name=a.name, centre=a), period=H1_2024, today=TODAY)
    # 36,000 against 30,000: +20%
    assert "门急诊人次3.6万人次，较去年同期增长20%" in _clauses(g, "medical")
    assert g["missing"] == {}
    assert "数据未报" not in g["lead"]


def test_a_summary_written_mid_period_stops_at_the_last_ended_month(district, district_data):
    a = district_data["a"]
    g = generate(owner=Owner(name=a.name, centre=a), period=H1_2024, today=dt.date(2024, 4, 2))
    assert g["lead"].startswith("截至2024年3月")
    # 3 × 6000 against 3 × 5000
    assert "门急诊人次1.8万人次，较去年同期增长20%" in _clauses(g, "medical")


def test_an_empty_centre_gives_words_not_errors(district):
    empty = CentreFactory(name="新中心", slug="new", sponsor=district)
    g = generate(owner=Owner(name=empty.name, centre=empty), period=H1_2024, today=TODAY)
    assert all(paragraph(x) == "本期无已报数据。" for x in g["sections"])
    assert g["missing"] == {f"2024-0{m}-01": 1 for m in range(1, 7)}


# --- pages --------------------------------------------------------------------------------


def _create(client, user, district) -> Summary:
    client.force_login(user)
    url = reverse("reporting:authority-summaries", args=[district.slug])
    response = client.post(url, {"kind": "h1", "year": 2024})
    assert response.status_code == 302
    return Summary.objects.get(authority=district)


def test_reviewer_writes_saves_regenerates_and_restores(
    client, reviewer, district, district_data, settings
):
    summary = _create(client, reviewer, district)
    assert summary.title == f"{district.name}2024年上半年工作总结"
    assert paragraphs(summary, "problems") == []  # the suggestions wait for the author
    page = client.get(reverse("reporting:authority-summary", args=[district.slug, summary.pk]))
    assert "门急诊人次7.1万人次" in page.content.decode()
    assert "出院人次较去年同期下降16.7%" in page.content.decode()  # a suggestion, offered
    texts_url = reverse("reporting:authority-summary-texts", args=[district.slug, summary.pk])
    medical = section_id(summary, "医疗服务")
    data = outline_form(summary, lead="上半年，我委坚持…", **{f"n-{medical}": "医疗服务稳步增长。"})
    assert client.post(texts_url, data).status_code == 302
    summary.refresh_from_db()
    assert paragraphs(summary, "医疗服务") == ["医疗服务稳步增长。"]
    assert summary.texts["lead"] == "上半年，我委坚持…"
    assert summary.versions.count() == 2

    # New data, then regenerate: the figures move, the author's text stays.
    put(district_data["b"], "opd_visits", (2024, 5), 7000)
    client.post(reverse("reporting:authority-summary-regenerate", args=[district.slug, summary.pk]))
    summary.refresh_from_db()
    medical = _clauses(summary.figures, "medical")
    # 78,000 against 66,000: +18.18…% → 18.2
    assert "门急诊人次7.8万人次，较去年同期增长18.2%" in medical
    assert paragraphs(summary, "医疗服务") == ["医疗服务稳步增长。"]

    restore = reverse("reporting:authority-summary-restore", args=[district.slug, summary.pk, 1])
    client.post(restore)
    summary.refresh_from_db()
    assert paragraphs(summary, "医疗服务") == []
    assert summary.versions.count() == 4
    old = client.get(
        reverse("reporting:authority-summary-document", args=[district.slug, summary.pk]),
        {"version": 2},
    )
    assert "医疗服务稳步增长。" in old.content.decode()


def test_a_stale_save_keeps_what_was_typed(client, reviewer, district, district_data):
    summary = _create(client, reviewer, district)
    url = reverse("reporting:authority-summary-texts", args=[district.slug, summary.pk])
    plans = section_id(summary, "plans")
    client.post(url, outline_form(summary, **{f"n-{plans}": "第一稿"}))
    response = client.post(url, outline_form(summary, **{f"n-{plans}": "第二稿，未见第一稿"}))
    assert response.status_code == 409
    body = response.content.decode()
    assert "第二稿，未见第一稿" in body
    assert "在您编辑期间，其他人（区审核员" in body
    assert "第一稿" in body.replace("第二稿，未见第一稿", "")  # theirs, beside the form
    summary.refresh_from_db()
    assert paragraphs(summary, "plans") == ["第一稿"]


@pytest.mark.parametrize(
    "extra",
    [
        {"based_on": "x", "lead": "保留"},
        {"lead": "含\x00空字符"},
        {"lead": "长" * 20_001},
        {"op": "explode:abc"},
        {"op": "up:nosuchpart"},
    ],
)
def test_bad_text_input_comes_back_without_a_500(client, reviewer, district, extra):
    summary = _create(client, reviewer, district)
    url = reverse("reporting:authority-summary-texts", args=[district.slug, summary.pk])
    response = client.post(url, outline_form(summary, **extra))
    assert response.status_code in (400, 409)  # invalid, or a bad stamp: stale
    summary.refresh_from_db()
    assert summary.versions.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "range", "year": 2024, "first": "2024-06", "last": "2024-01"},
        {"kind": "range", "year": 2024, "first": "2020-01", "last": "2024-01"},
        {"kind": "range", "year": 2024},
        {"kind": "h3", "year": 2024},
        {"kind": "year", "year": "二〇二四"},
        {"kind": "year", "year": 99999},
    ],
)
def test_bad_periods_get_an_error_beside_the_field(client, reviewer, district, data):
    client.force_login(reviewer)
    url = reverse("reporting:authority-summaries", args=[district.slug])
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Summary.objects.exists()


def test_a_range_summary(client, manager, centre):
    client.force_login(manager)
    url = reverse("reporting:centre-summaries", args=[centre.slug])
    client.post(url, {"kind": "range", "year": 2024, "first": "2024-03", "last": "2024-08"})
    summary = Summary.objects.get(centre=centre)
    assert (summary.first, summary.last) == (dt.date(2024, 3, 1), dt.date(2024, 8, 1))
    assert summary.title == f"{centre.name}2024年3月至2024年8月工作总结"


def test_reviewers_read_centre_summaries_but_do_not_write_them(client, manager, reviewer, centre):
    client.force_login(manager)
    client.post(
        reverse("reporting:centre-summaries", args=[centre.slug]), {"kind": "h1", "year": 2024}
    )
    summary = Summary.objects.get(centre=centre)
    client.force_login(reviewer)
    page = client.get(reverse("reporting:centre-summary", args=[centre.slug, summary.pk]))
    assert page.status_code == 200
    assert "save-texts" not in page.content.decode()
    url = reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk])
    assert client.post(url, {"based_on": stamp(summary), "plans": "x"}).status_code == 403


def test_another_owners_summary_is_a_404(client, manager, centre, other_centre, district):
    foreign = Summary.objects.create(
        centre=other_centre,
        kind="half",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 6, 1),
        title="x",
    )
    of_authority = Summary.objects.create(
        authority=district,
        kind="half",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 6, 1),
        title="y",
    )
    client.force_login(manager)
    for pk in (foreign.pk, of_authority.pk):
        url = reverse("reporting:centre-summary", args=[centre.slug, pk])
        assert client.get(url).status_code == 404


def test_summary_page_queries_are_bounded(
    client, reviewer, district, district_data, django_assert_max_num_queries
):
    summary = _create(client, reviewer, district)
    url = reverse("reporting:authority-summary", args=[district.slug, summary.pk])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_generating_a_district_summary_takes_bounded_queries(
    district, district_data, django_assert_max_num_queries
):
    from django.db import connection

    from staff.models import PartyBranch
    from staff.tests.factories import PersonFactory, SpellFactory
    from staff.tests.record_factories import PromotionFactory, QuotaFactory, TrainingFactory

    jia = district_data["a"]  # every part of the summary has something to read
    person = PersonFactory(centre=jia)
    SpellFactory(person=person)
    TrainingFactory(person=person)
    PromotionFactory(person=person)
    QuotaFactory(centre=jia)
    PartyBranch.objects.create(centre=jia, name="甲中心党支部", founded_on=dt.date(2020, 1, 1))
    # The centres 1; the tallies 2 (which centres are fresh, then one statement: four on SQLite);
    # reporting 2 (month reports, months entered); the commission tree 2; the roster 1 (人员队伍,
    # the staffing checks, 编制's 在编 and 基本情况's staff: staff.selectors.roster_summary); 编制
    # 1, training 1, promotions 1; work records 1; 党建 2 (members and branches; meetings by
    # month); the yearly figures of 基本情况 1; and the first time the catalogue 2.
    ceiling = 15 if connection.vendor == "postgresql" else 18
    with django_assert_max_num_queries(ceiling + 2):
        generate(owner=_district_owner(district), period=H1_2024, today=TODAY)
    with django_assert_max_num_queries(ceiling):
        summary = generate(owner=_district_owner(district), period=H1_2024, today=TODAY)
    keys = [c.get("key") for section in summary["sections"] for c in section["clauses"]]
    assert {"staff.headcount", "staff.promotions", "staff.establishment"} <= set(keys)
    assert "party.branch" in keys and summary["basics"]["clauses"][-1]["key"] == "basics.titles"


# --- the demo district's H1 2024 summary in every output -----------------------------------


@pytest.fixture
def demo_summary(client):
    import io

    from django.core.management import call_command

    from centers.models import Authority

    call_command("load_demo", force=True, stdout=io.StringIO())
    district = Authority.objects.get(slug="shapingba")
    client.login(username="reviewer", password="chc-demo")
    response = client.post(
        reverse("reporting:authority-summaries", args=[district.slug]), {"kind": "h1", "year": 2024}
    )
    assert response.status_code == 302
    return district, Summary.objects.filter(authority=district).latest("id")


def _figure_texts(summary: Summary) -> list[str]:
    """The generated sentences the outline quotes (the headline figures, not every clause)."""
    from reporting.outline import document_tree

    tree = document_tree(summary=summary, figures=summary.figures, texts=summary.texts)
    nodes = [n for top in tree["sections"] for n in [top, *top["children"]]]
    clauses = [
        c for n in nodes for b in n["blocks"] if b["kind"] == "figures" for c in b["clauses"]
    ]
    return [c["text"] for c in clauses]


def test_demo_district_summary_in_html_pdf_and_docx(client, demo_summary, tmp_path):
    import io
    import shutil
    import subprocess

    import docx

    district, summary = demo_summary
    texts = _figure_texts(summary)
    assert any(t.startswith("门急诊人次") and "万人次" in t for t in texts)
    assert summary.figures["centres"] == 3  # 磁器口, 双碑, 小龙坎; not 杨家坪 of 九龙坡
    args = [district.slug, summary.pk]

    html = client.get(reverse("reporting:authority-summary-document", args=args)).content.decode()
    for text in texts:
        assert text in html

    word = client.get(reverse("reporting:authority-summary-docx", args=args))
    assert word["Content-Type"].startswith("application/vnd.openxmlformats")
    document = docx.Document(io.BytesIO(word.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == [
        "一、基本情况",
        "二、2024年上半年工作情况",
        "（一）党建引领",
        "（二）医疗服务",
    ]
    assert {"三、存在的问题", "四、下一步工作计划"} <= set(headings)
    body = "\n".join(p.text for p in document.paragraphs)
    for text in texts:
        assert text in body
    opd = next(
        c for x in summary.figures["sections"] for c in x["clauses"] if c["code"] == "opd_visits"
    )
    label = f"{opd['name']}（{opd['unit']}）"
    row = next(
        [c.text for c in r.cells]
        for t in document.tables
        for r in t.rows
        if r.cells[0].text == label
    )
    # The table writes the numbers as the sentence does (11.79万 for 117,865 人次).
    assert opd["text"].startswith(f"{opd['name']}{row[1]}{opd['unit']}，")
    assert row[2] == s.amount(Decimal(opd["previous"]), opd["unit"]).removesuffix(opd["unit"])

    pdf = client.get(reverse("reporting:authority-summary-pdf", args=args))
    assert pdf.content.startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils is missing: apt-get install -y poppler-utils")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    for sentence in texts[:5]:
        assert "".join(sentence.split()) in flat


def test_the_summary_roster_figures_match_the_annual_reports(centre):
    from django.db.models import Q

    from staff.selectors import workforce_brief, workforce_figures
    from staff.tests.factories import PersonFactory, SpellFactory

    day = dt.date
    for i, (hired, left, category) in enumerate(
        [
            (day(2019, 3, 1), None, "physician"),
            (day(2024, 2, 10), None, "nurse"),
            (day(2020, 1, 1), day(2024, 4, 30), "nurse"),
            (day(2018, 1, 1), day(2023, 12, 31), "physician"),  # gone before the period
            (day(2024, 8, 1), None, "pharmacist"),  # comes after it
        ]
    ):
        person = PersonFactory(centre=centre, name=f"职工{i}")
        SpellFactory(person=person, hired_on=hired, left_on=left, category=category)
    start, end = day(2024, 1, 1), day(2024, 6, 30)
    full = workforce_figures(centre=centre, start=start, end=end)
    brief = workforce_brief(scope=Q(centre=centre), start=start, end=end)
    for name in (
        "headcount_end",
        "average_headcount",
        "off_establishment_end",
        "hires",
        "departures",
        "health_professionals",
        "physicians",
        "nurses",
        "departure_rate",
        "nurses_per_physician",
    ):
        assert getattr(brief, name) == getattr(full, name), name
    # month ends Jan–Jun: 2, 3, 3, 3, 2, 2 (the nurse hired 10 Feb; the one leaving on 30 April
    # still counts that day) → 15 / 6
    assert brief.average_headcount == D("2.5")
    assert (brief.hires, brief.departures, brief.headcount_end) == (1, 1, 2)


def test_the_annual_reports_short_form_says_per_mille_points_for_a_per_mille_rate():
    """4.50‰ against 4.19‰ moved 0.31 千分点 (not 百分点: that would be ten times as much)."""
    from django.utils import translation

    smi = Figure("smi_prevalence", "严重精神障碍患者报告患病率", "‰", True, D("4.50"), D("4.19"))
    fd = Figure("fd_rate", "全人群签约率", "%", True, D("31.08"), D("29.03"))
    visits = Figure("opd_visits", "门急诊人次", "人次", False, D("76420"), D("66560"))
    with translation.override("zh-hans"):
        assert s.figure_brief(smi) == "严重精神障碍患者报告患病率4.50‰（同比+0.31个千分点）"
        assert s.figure_brief(fd) == "全人群签约率31.08%（同比+2.05个百分点）"
        # (76420 − 66560) / 66560 = 14.81%
        assert s.figure_brief(visits) == "门急诊人次76420人次（同比+14.81%）"
