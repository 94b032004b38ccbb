"""The number check (reporting/numbercheck.py): numbers typed beside a figure's name against the
stored figure of the document's owner and period. Every stored figure is worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from core.periods import Period
from reporting import numbercheck
from reporting.models import AnnualFiling, Summary
from reporting.numbercheck_books import filing_book, summary_book
from services.models import Activity, ActivityKind
from staff.tests.factories import PersonFactory, SpellFactory

from .data import put

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(centre):
    """The 2024 figures of the fixture centre, each worked out below."""
    for m in range(1, 13):
        put(centre, "opd_visits", (2024, m), 5000)  # 12 × 5000 = 60000 人次
        put(centre, "medical_income", (2024, m), "100.25")  # 12 × 100.25 = 1203 万元
        put(centre, "opd_income", (2024, m), 30)  # 360 万元 ÷ 60000 人次 × 10000 = 60 元/人次
    put(centre, "res_pop", (2024, 1), 10000)
    put(centre, "fd_signed", (2024, 12), 3125)  # 3125 ÷ 10000 = 31.25%
    put(centre, "smi_registered", (2024, 12), 45)  # 45 ÷ 10000 × 1000 = 4.50‰
    # 12 serving all year (4 physicians, 8 nurses; 9 of them 编外), and 5 hired and gone within
    # March: every month-end counts 12, so the average is 12; 5 left: 5 ÷ 12 = 41.666…%.
    for i in range(12):
        SpellFactory(
            person=PersonFactory(centre=centre),
            category="physician" if i < 4 else "nurse",
            establishment="off" if i < 9 else "on",
        )
    for _ in range(5):
        SpellFactory(
            person=PersonFactory(centre=centre),
            hired_on=dt.date(2024, 3, 2),
            left_on=dt.date(2024, 3, 20),
            leave_reason="resigned",
        )
    meeting, clinic = (ActivityKind.objects.get_or_create(name=n)[0] for n in ("党员大会", "义诊"))
    for day in (3, 6, 9):
        Activity.objects.create(centre=centre, kind=meeting, date=dt.date(2024, day, 10))
    for day in (4, 5):
        Activity.objects.create(centre=centre, kind=clinic, date=dt.date(2024, day, 1), people=50)
    return AnnualFiling.objects.create(centre=centre, year=2024)


# (right, wrong) per checked figure; each wrong one differs from the stored figure as written.
PAIRS = [
    ("门急诊人次60000人次", "门急诊人次60001人次"),
    ("门急诊人次6万人次", "门急诊人次5.9万人次"),  # 6.0000万 → 6, not 5.9
    ("医疗业务收入1203万元", "医疗业务收入1230万元"),
    ("全人群签约率31.3%", "签约率31.2%"),  # 31.25 → 31.3 half-up; the short name too
    ("严重精神障碍报告患病率4.5‰", "报告患病率4.05‰"),
    ("门急诊次均费用60元", "次均费用65元"),
    ("离职率41.67%", "离职率41.66%"),  # 41.666…: rounded, not cut
    ("离职率41.7%", "离职率达42.0%"),
    ("平均在职职工12人", "平均在职人数13人"),
    ("离职人员5人", "离职6人"),
    ("新进5人", "引进4名"),
    ("编外人员9人", "非编人员8人"),
    ("编外人员占比75%", "编外人员占比70%"),  # 9 ÷ 12
    ("医护比1:2", "医护比1:2.5"),  # 8 nurses ÷ 4 physicians
    ("注册护士8人", "注册护士9人"),
    ("全年召开党员大会3次", "党员大会4次"),
    ("开展义诊2次", "义诊3次"),
]
# Numbers that must not be tied to anything, though several are "wrong".
UNTIED = (
    "2023年门急诊人次50000人次。去年同期全人群签约率28%。七类特殊重点人群签约率83.64%。"
    "党员大会约10次。义诊20余次。离职人员中卫生技术人员3人。门急诊人次较去年同期增长20%。"
    "全人群签约率提高2.33个百分点。上半年门急诊人次30000人次。6月门急诊人次5000人次。"
    "其中注册护士2人。门急诊人次达到70000人次的目标。签约率1-2%。门急诊人次7万余人次。"
)
FUTURE = "三、2025年工作思路\n召开党员大会12次，门急诊人次8万人次，离职率控制在10%。"


def _narrative() -> str:
    rights = "；".join(right for right, _wrong in PAIRS)
    wrongs = "；".join(wrong for _right, wrong in PAIRS)
    return f"一、2024年工作总结\n{rights}。\n{wrongs}。\n二、存在的问题\n{UNTIED}\n{FUTURE}"


def test_exactly_the_wrong_numbers_are_flagged(stored):
    book, scope = filing_book(stored)
    ties = numbercheck.check_narrative(_narrative(), book, scope)
    rights, flagged = [t for t in ties if t.agrees], [t for t in ties if not t.agrees]
    # Every right number was tied and agrees, every wrong one is flagged, in reading order; nothing
    # in UNTIED nor in the plans was tied at all.
    assert len(rights) == len(flagged) == len(PAIRS)
    for right, wrong, (right_text, wrong_text) in zip(rights, flagged, PAIRS, strict=True):
        assert right_text.endswith(right.typed), (right, right_text)
        assert wrong_text.endswith(wrong.typed), (wrong, wrong_text)
    assert [(t.typed, t.stored) for t in flagged[:7]] == [
        ("60001人次", "60000人次"),
        ("5.9万人次", "6.0万人次"),
        ("1230万元", "1203万元"),
        ("31.2%", "31.3%"),
        ("4.05‰", "4.50‰"),
        ("65元", "60元"),
        ("41.66%", "41.67%"),
    ]


def test_a_flag_names_the_typed_and_stored_values_and_why(stored):
    book, scope = filing_book(stored)
    with translation.override("zh-hans"):
        (tie,) = numbercheck.mismatches(
            numbercheck.check_narrative("今年离职率达41.66%。", book, scope)
        )
    assert (tie.name, tie.typed, tie.stored) == ("离职率", "41.66%", "41.67%")
    assert tie.why == (
        "“离职率”后紧接着写有41.66%，单位与离职率相符；"
        "存储的数字（人员花名册，磁器口社区卫生服务中心，2024年）按文中的2位小数写作41.67%。"
    )


def test_other_periods_and_parts_are_left_alone(stored):
    book, scope = filing_book(stored)
    assert numbercheck.check_narrative(UNTIED + FUTURE, book, scope) == []


def test_a_half_year_scope_takes_its_own_half_only(stored):
    book, _scope = filing_book(stored)
    h1 = numbercheck.Scope("磁器口", Period.half(2024, 1), "h1")
    # The book is the year's (60000), so 上半年 text is tied and compared; 全年 is not.
    ties = numbercheck.check_text("上半年门急诊人次60000人次。全年门急诊人次1人次。", book, h1)
    assert [(t.typed, t.agrees) for t in ties] == [("60000人次", True)]


# --- summaries ------------------------------------------------------------------------------


def _summary(centre, texts: dict) -> Summary:
    return Summary.objects.create(
        centre=centre,
        kind="year",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 12, 1),
        title="2024年工作总结",
        figures={"first": "2024-01-01", "last": "2024-12-01"},
        texts=texts,
    )


def test_a_summary_checks_the_author_text_but_not_plans_nor_references(stored, centre):
    texts = {
        "format": 2,
        "lead": "全年门急诊人次6万人次，离职率41.66%。",
        "sections": [
            {
                "id": "a",
                "heading": "工作情况",
                "blocks": [
                    {"id": "b", "kind": "text", "text": "召开党员大会4次，开展义诊2次。"},
                    # a live reference is the figure itself, whatever it renders as
                    {"id": "c", "kind": "text", "text": "离职率{{staff.departure_rate:value}}。"},
                ],
                "children": [],
            },
            {
                "id": "d",
                "heading": "下一步工作计划",
                "role": "plans",
                "blocks": [{"id": "e", "kind": "text", "text": "党员大会12次。"}],
                "children": [],
            },
        ],
    }
    summary = _summary(centre, texts)
    book, scope = summary_book(summary)
    ties = numbercheck.check_summary_texts(summary.texts, summary.figures, book, scope)
    assert [(t.name, t.typed, t.agrees) for t in ties] == [
        ("门急诊人次", "6万人次", True),
        ("离职率", "41.66%", False),
        ("党员大会", "4次", False),
        ("义诊", "2次", True),
    ]


def test_an_old_style_summary_is_checked_too(stored, centre):
    summary = _summary(centre, {"intro": "门急诊人次60001人次。", "plans": "门急诊人次9万人次。"})
    book, scope = summary_book(summary)
    ties = numbercheck.check_summary_texts(summary.texts, summary.figures, book, scope)
    assert [(t.typed, t.stored) for t in ties] == [("60001人次", "60000人次")]


# --- pages ----------------------------------------------------------------------------------


def test_the_filing_page_loads_the_check_and_the_partial_flags(
    client, stored, centre, manager, django_assert_max_num_queries
):
    stored.narrative = "离职率41.66%，党员大会3次。"
    stored.save()
    client.force_login(manager)
    page = client.get(reverse("reporting:filing", args=[centre.slug, 2024]))
    url = reverse("reporting:filing-number-check", args=[centre.slug, 2024])
    assert f'hx-get="{url}"' in page.content.decode()
    with django_assert_max_num_queries(16):
        partial = client.get(url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert "<del>41.66%</del>" in body and "<ins>41.67%</ins>" in body
    assert body.count('class="number-flag"') == 1  # 党员大会3次 agrees


def test_the_reviewer_sees_the_submitted_text_checked(client, stored, centre, reviewer):
    from reporting.models import FilingVersion

    FilingVersion.objects.create(filing=stored, number=1, content={"narrative": "离职率41.66%。"})
    stored.status, stored.narrative = "submitted", "离职率41.67%。"  # the working copy differs
    stored.save()
    client.force_login(reviewer)
    body = client.get(reverse("reporting:filing-number-check", args=[centre.slug, 2024]))
    assert "<del>41.66%</del>" in body.content.decode()  # what was submitted, not the draft


def _handed_up(centre, text: str) -> Summary:
    for m in range(1, 7):
        put(centre, "opd_visits", (2024, m), 1000)  # 6 × 1000 = 6000
    return Summary.objects.create(
        centre=centre,
        kind="half",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 6, 1),
        title="2024年上半年工作总结",
        figures={"first": "2024-01-01", "last": "2024-06-01"},
        texts={"intro": text},
        status="submitted",
    )


def test_the_received_list_shows_each_waiting_summary_s_mismatches_in_bounded_queries(
    client, district, centre, reviewer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from centers.tests.factories import CentreFactory

    _handed_up(centre, "上半年门急诊人次6001人次。")
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-inbox", args=[district.slug])
    query = {"year": 2024, "part": "h1"}
    client.get(url, query)  # the catalogue and the commission tree are read once per process
    with CaptureQueriesContext(connection) as one:
        body = client.get(url, query).content.decode()
    assert body.count('class="number-check-row"') == 1
    assert "<del>6001人次</del>" in body and "<ins>6000人次</ins>" in body
    for n in range(3):
        other = CentreFactory(name=f"中心{n}", slug=f"c{n}", sponsor=district)
        _handed_up(other, f"门急诊人次{6000 + n}人次。")  # 6000 agrees; 6001 and 6002 do not
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(url, query).content.decode()
    assert body.count('class="number-check-row"') == 3


# --- the demo ---------------------------------------------------------------------------------


def _report(title: str, ties: list) -> None:
    """What the check finds, printed for the record (pytest -s shows it)."""
    print(f"\n{title}: {len(ties)} numbers tied, {len(numbercheck.mismatches(ties))} disagree")
    for t in ties:
        mark = "ok " if t.agrees else "BAD"
        print(f"  {mark} [{t.where}] {t.name}: typed {t.typed}, stored {t.stored} | {t.excerpt}")


# Two passages of seed 000 (the real 磁器口 2024 report, shared/seeds), as it was filed.
SEED_000 = (
    "一、2024年工作总结 (一)聚焦党建引领 二是抓规范,夯实党建基础。全年召开党员大会3次,"
    "支部委员会29次,讲党课4次,主题党日11次,组织生活会和民主评议党员工作扎实有效推进。"
    "二、存在的问题和不足 一是人员流动性较大。今年平均在职职工60人,离职人员25人,"
    "离职率达41.66%,其中卫生专业技术人员23人,中层干部3人,在编职工1人。"
    "三、2025年工作思路 拟引进康复技师1名、口腔科护士1名。"
)


def test_the_demo_annual_report_checks_out_and_seed_000_does_not():
    import io

    from django.core.management import call_command

    call_command("load_demo", force=True, stdout=io.StringIO())
    filing = AnnualFiling.objects.select_related("centre").get(centre__slug="ciqikou", year=2024)
    book, scope = filing_book(filing)
    submitted = filing.versions.order_by("-number").first().content["narrative"]
    with translation.override("zh-hans"):
        ties = numbercheck.check_narrative(submitted, book, scope)
        _report("磁器口 2024, the demo's filed narrative", ties)
        seed_ties = numbercheck.check_narrative(SEED_000, book, scope)
        _report("磁器口 2024, seed 000 against the demo's records", seed_ties)
    assert len(ties) >= 15 and numbercheck.mismatches(ties) == []
    # The demo's records reproduce the seed's counts; 25 ÷ 60 = 41.666…%, which the filed
    # report cut to 41.66%. The plans (三、2025年…) are not checked.
    assert [(t.name, t.typed, t.agrees) for t in seed_ties] == [
        ("党员大会", "3次", True),
        ("支部委员会", "29次", True),
        ("党课", "4次", True),
        ("主题党日", "11次", True),
        ("平均在职职工", "60人", True),
        ("离职人员", "25人", True),
        ("离职率", "41.66%", False),
    ]
    assert seed_ties[-1].stored == "41.67%"


def test_a_commission_summary_is_checked_against_its_centres_in_bounded_queries(
    client, district, centre, reviewer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from centers.tests.factories import CentreFactory

    put(centre, "opd_visits", (2024, 3), 1000)
    own = Summary.objects.create(
        authority=district,
        kind="half",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 6, 1),
        title="2024年上半年工作总结",
        figures={"first": "2024-01-01", "last": "2024-06-01"},
        texts={"intro": "全区门急诊人次3000人次。"},
    )
    url = reverse("reporting:authority-summary-number-check", args=[district.slug, own.pk])
    client.force_login(reviewer)
    client.get(url)  # the catalogue and the commission tree are read once per process
    with CaptureQueriesContext(connection) as one:
        body = client.get(url).content.decode()
    assert "<del>3000人次</del>" in body and "<ins>1000人次</ins>" in body
    for n in range(2):  # 1000 + 2 × 1000 = 3000: now the text agrees
        put(
            CentreFactory(name=f"中心{n}", slug=f"c{n}", sponsor=district),
            "opd_visits",
            (2024, 3),
            1000,
        )
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert "均与存储数字一致" in body
    assert len(three.captured_queries) == len(one.captured_queries)
