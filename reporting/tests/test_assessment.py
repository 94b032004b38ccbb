"""Assessment schemes (绩效考核/赛马): scores and ranks worked by hand, kept rankings, the pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from centers.tests.factories import AuthorityMembershipFactory, CentreFactory, UserFactory
from core.models import AuditEntry
from core.periods import Period
from reporting import actions, assessment
from reporting.assessment import ItemSpec, rank, score_centres
from reporting.dashboard import dashboard_rows
from reporting.models import Ranking, Scheme, SchemeItem
from reporting.tests.data import H1_2024, TODAY
from services.models import Indicator, Target

D = Decimal

# A scheme of 100 points: attainment of the annual target (cap 120%), bands, relative, deductions.
ITEMS = (
    ItemSpec("opd_visits", D(40), "target", {"cap": "1.2"}),
    ItemSpec("fd_rate", D(30), "bands", {"bands": [["95", "100"], ["85", "80"]]}),
    ItemSpec("htn_std_rate", D(20), "relative", {"direction": "higher"}),
    ItemSpec("complaints", D(10), "deduction", {"per_unit": "2"}),
)


def _values(fd, htn, complaints):
    return {"opd_visits": None, "fd_rate": fd, "htn_std_rate": htn, "complaints": complaints}


def test_one_centre_score_and_rank_by_hand():
    values = {
        1: _values(D(96), D(80), D(3)),
        2: _values(D(90), D(60), D(0)),
        3: _values(D(84), D(50), None),
        4: _values(D(95), D(80), D(3)),
    }
    completions = {(1, "opd_visits"): D(130), (2, "opd_visits"): D(90), (4, "opd_visits"): D(120)}
    scored = score_centres(ITEMS, values, completions)
    # Centre 2: target 40 × 90% = 36; bands: 90 ≥ 85 → 80% of 30 = 24; relative: best 80, worst
    # 50 → (60 − 50) / 30 × 20 = 6.666…; no complaints → 10. 36 + 24 + 6.666… + 10 = 76.67.
    two = scored[2]
    assert two.score == D("76.67")
    assert [two.breakdown[k]["points"] for k in ("opd_visits", "fd_rate", "htn_std_rate")] == [
        "36.00",
        "24.00",
        "6.67",
    ]
    assert two.breakdown["complaints"] == {"value": "0", "points": "10.00"}
    assert two.breakdown["opd_visits"]["completion"] == "90"
    # Centre 1: 130% capped at 120% → 48; 96 → 30; the best → 20; 3 × 2 off → 4: 102.00.
    # Centre 4: exactly 120% → 48; 95 reaches the top band → 30; 20; 4: 102.00, a tie.
    assert scored[1].score == scored[4].score == D("102.00")
    # Centre 3: no target → 0; 84 is below every band → 0; the worst → 0; nothing reported → 10.
    assert scored[3].score == D("10.00")
    assert [scored[k].rank for k in (1, 4, 2, 3)] == [1, 1, 3, 4]


def test_ranks_share_ties_and_skip():
    assert rank({"a": D(90), "b": D(90), "c": D(80), "d": D(95)}) == {
        "d": 1,
        "a": 2,
        "b": 2,
        "c": 4,
    }


def test_relative_lower_is_better_all_equal_and_deduction_floor():
    lower = ItemSpec("dm_std_rate", D(10), "relative", {"direction": "lower"})
    deduct = ItemSpec("complaints", D(5), "deduction", {"per_unit": "2"})
    scored = score_centres(
        (lower, deduct),
        {
            1: {"dm_std_rate": D(2), "complaints": D(10)},  # best: 10; 5 − 20 → floor 0
            2: {"dm_std_rate": D(6), "complaints": D(1)},  # (10 − 6) / 8 × 10 = 5; 5 − 2 = 3
            3: {"dm_std_rate": D(10), "complaints": None},  # worst: 0; no units: 5
        },
    )
    assert [scored[k].score for k in (1, 2, 3)] == [D("10.00"), D("8.00"), D("5.00")]
    same = score_centres((lower,), {1: {"dm_std_rate": D(3)}, 2: {"dm_std_rate": D(3)}})
    assert same[1].score == same[2].score == D("10.00") and same[2].rank == 1


def test_default_items_are_the_old_dashboard_formula():
    # 甲 of the dashboard test: 签约率 32, 报送完整率 100, 门急诊 +20.0%, the other rates missing:
    # 15 × 32/100 + 15 × 100/100 + 10 × (20 + 50)/100 = 4.8 + 15 + 7 = 26.80.
    values = {
        1: {
            "fd_rate": D("32.00"),
            "completeness": D("100.0"),
            "opd_visits:growth": D("20.0"),
        }
    }
    assert score_centres(assessment.DEFAULT_ITEMS, values)[1].score == D("26.80")


# --- kept rankings over real figures --------------------------------------------------------


@pytest.fixture
def scheme(district, district_data):
    """A half-yearly scheme of the district: attainment, bands and 报送完整率."""
    scheme = Scheme.objects.create(authority=district, name="半年赛马", period_kind="half")
    items = [
        ("opd_visits", D(40), "target", {"cap": "1.2"}),
        ("fd_rate", D(30), "bands", {"bands": [["30", "100"], ["25", "50"]]}),
        ("completeness", D(30), "linear", {"zero_at": "0", "full_at": "100"}),
    ]
    for n, (code, weight, rule, params) in enumerate(items, 1):
        SchemeItem.objects.create(
            scheme=scheme, code=code, weight=weight, rule=rule, params=params, position=n
        )
    opd = Indicator.objects.get(code="opd_visits")
    Target.objects.create(centre=district_data["a"], indicator=opd, year=2024, value=60000)
    Target.objects.create(centre=district_data["b"], indicator=opd, year=2024, value=25000)
    return scheme


def test_ranking_of_the_district_by_hand(scheme, district, district_admin, district_data):
    ranking = actions.ranking_compute(
        scheme=scheme, authority_ids={district.pk}, period=H1_2024, actor=district_admin
    )
    rows = {r.centre.slug: r for r in ranking.rows.select_related("centre")}
    # 甲: 36,000 of 60,000 by June → 60% → 24; 签约率 32% ≥ 30 → 30; 6 of 6 months → 30: 84.00.
    # 乙: 35,000 of 25,000 → 140%, capped at 120% → 48; 29.55% ≥ 25 → 15; 83.3% → 24.99: 87.99.
    # 丙: no target, no 签约率; 2 of 3 months, 66.7% → 20.01.
    assert {k: (r.score, r.rank) for k, r in rows.items()} == {
        "yi": (D("87.99"), 1),
        "jia": (D("84.00"), 2),
        "bing": (D("20.01"), 3),
    }
    assert rows["jia"].breakdown["opd_visits"]["completion"] == "60.00"
    assert [c["label"] for c in ranking.items] == ["门急诊人次", "全人群签约率", "报送完整率"]
    assert AuditEntry.objects.filter(action="reporting.ranking.computed").count() == 1
    # Each period keeps its own ranking; computing one again replaces only its rows.
    actions.ranking_compute(
        scheme=scheme,
        authority_ids={district.pk},
        period=Period.half(2024, 2),
        actor=district_admin,
    )
    SchemeItem.objects.filter(scheme=scheme, code="fd_rate").delete()
    again = actions.ranking_compute(
        scheme=scheme, authority_ids={district.pk}, period=H1_2024, actor=district_admin
    )
    assert again.pk == ranking.pk and Ranking.objects.filter(scheme=scheme).count() == 2
    assert again.rows.count() == 3 and [c["key"] for c in again.items] == [
        "opd_visits",
        "completeness",
    ]


def test_the_commission_default_scheme_gives_the_dashboard_score(city, district, district_data):
    assert dashboard_rows(authority_ids=[district.pk], period=H1_2024, today=TODAY)[0].score == D(
        "26.80"
    )
    # The city's default reaches the district's dashboard until the district sets its own.
    mine = Scheme.objects.create(authority=city, name="只看签约率", is_default=True)
    SchemeItem.objects.create(
        scheme=mine, code="fd_rate", weight=D(100), rule="linear", params=assessment._WHOLE
    )
    from centers.selectors import authority_tree
    from reporting.selectors import default_scheme, scheme_specs

    found = default_scheme(authority_id=district.pk, tree=authority_tree())
    assert found == mine
    rows = dashboard_rows(
        authority_ids=[district.pk], period=H1_2024, today=TODAY, items=scheme_specs(found)
    )
    # 100 × 32/100 = 32.00 and 100 × 29.55/100 = 29.55; 丙 reported none: 0.
    assert [(r.centre.slug, r.score, r.rank) for r in rows] == [
        ("jia", D("32.00"), 1),
        ("yi", D("29.55"), 2),
        ("bing", D("0.00"), 3),
    ]


def test_the_default_scheme_is_read_once_until_a_scheme_changes(
    city, district, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from centers.selectors import authority_tree
    from reporting.selectors import default_scheme

    tree = authority_tree()
    with django_capture_on_commit_callbacks(execute=True):  # committed, as by its editor
        mine = Scheme.objects.create(authority=city, name="只看签约率", is_default=True)
        item = SchemeItem.objects.create(
            scheme=mine, code="fd_rate", weight=D(100), rule="linear", params=assessment._WHOLE
        )
    default_scheme(authority_id=district.pk, tree=tree)
    with django_assert_num_queries(0):  # kept by the process: the dashboard reads no scheme
        assert default_scheme(authority_id=district.pk, tree=tree).items.all()[0].weight == 100
    with django_capture_on_commit_callbacks(execute=True):
        item.weight = D(60)
        item.save()
    assert default_scheme(authority_id=district.pk, tree=tree).items.all()[0].weight == 60


# --- pages --------------------------------------------------------------------------------


def test_ranking_page_export_and_print(
    client, reviewer, district, scheme, django_assert_max_num_queries
):
    CentreFactory(name='=HYPERLINK("http://x","中心")', slug="hostile", sponsor=district)
    client.force_login(reviewer)
    url = reverse("reporting:scheme-ranking", args=[district.slug, scheme.pk])
    # Session, user, places; scheme, kept ranking; catalogue (2), items, centres; the door (5);
    # month reports; targets and their door read (5): 21, whatever the number of centres.
    with django_assert_max_num_queries(21):
        page = client.get(url, {"year": 2024, "part": "h1"})
    body = page.content.decode()
    assert page.status_code == 200 and "按当前数据即时计算" in body
    table = body.split('id="ranking"')[1]
    assert table.index("乙中心") < table.index("甲中心") < table.index("丙中心")
    assert "87.99" in table and "计算并保存" not in body  # a reviewer reads; only admins keep
    export = client.get(
        reverse("reporting:scheme-ranking-export", args=[district.slug, scheme.pk]),
        {"year": 2024, "part": "h1"},
    )
    assert unquote(export["Content-Disposition"]).endswith(
        "重庆市沙坪坝区卫生健康委员会_半年赛马_2024年上半年.xlsx"
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    head, first = list(sheet.iter_rows(min_row=2, max_row=3, values_only=True))
    assert head[:4] == ("排名", "中心", "总分", "门急诊人次")
    assert first[:3] == (1, "乙中心", pytest.approx(87.99))
    names = [row[1] for row in sheet.iter_rows(min_row=3, max_row=6, values_only=True)]
    assert names[-1] == '=HYPERLINK("http://x","中心")'  # text, never a formula (ranked last)
    assert sheet.cell(row=6, column=2).data_type == "s"
    printed = client.get(
        reverse("reporting:scheme-ranking-print", args=[district.slug, scheme.pk]),
        {"year": 2024, "part": "h1"},
    ).content.decode()
    assert "size: A4 landscape" in printed and 'id="ranking-sheet"' in printed
    assert "2024年上半年半年赛马排名" in printed


def test_ranking_queries_do_not_grow_with_centres(
    client, reviewer, district, scheme, django_assert_max_num_queries
):
    for i in range(25):
        CentreFactory(name=f"中心{i}", slug=f"c{i}", sponsor=district)
    client.force_login(reviewer)
    url = reverse("reporting:scheme-ranking", args=[district.slug, scheme.pk])
    with django_assert_max_num_queries(21):
        assert client.get(url, {"year": 2024, "part": "h1"}).status_code == 200


def test_admin_keeps_a_ranking_and_the_page_shows_it(client, district_admin, district, scheme):
    client.force_login(district_admin)
    url = reverse("reporting:scheme-ranking-compute", args=[district.slug, scheme.pk])
    response = client.post(url, {"year": 2024, "part": "h1"})
    assert response.status_code == 302 and "part=h1" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "计算并保存。" in page and "87.99" in page
    assert re.search(r"已于 \d{4}-\d\d-\d\d \d\d:\d\d 计算并保存。", page)  # spaced
    detail = client.get(reverse("reporting:scheme", args=[district.slug, scheme.pk]))
    kept = detail.content.decode().split('id="rankings"')[1]
    assert "?year=2024&amp;part=h1" in kept and "2024年上半年" in kept


def test_schemes_are_read_above_and_hidden_elsewhere(
    client, reviewer, city_reviewer, district, other_district, scheme
):
    theirs = Scheme.objects.create(authority=other_district, name="外区方案")
    client.force_login(city_reviewer)
    listing = client.get(reverse("reporting:schemes", args=[district.slug])).content.decode()
    assert "半年赛马" in listing and "新建方案" not in listing
    assert client.get(reverse("reporting:scheme-create", args=[district.slug])).status_code == 403
    client.force_login(reviewer)
    # Another commission's scheme under this one's address, and that commission itself: 404.
    assert (
        client.get(reverse("reporting:scheme", args=[district.slug, theirs.pk])).status_code == 404
    )
    assert client.get(reverse("reporting:schemes", args=[other_district.slug])).status_code == 404
    stranger = UserFactory(username="otherreviewer")
    AuthorityMembershipFactory(user=stranger, authority=other_district)
    client.force_login(stranger)
    assert (
        client.get(reverse("reporting:scheme", args=[district.slug, scheme.pk])).status_code == 404
    )


def test_scheme_and_item_forms(client, district_admin, district, scheme):
    client.force_login(district_admin)
    create = reverse("reporting:scheme-create", args=[district.slug])
    data = {"name": "季度赛马", "period_kind": "quarter", "is_active": "on"}
    response = client.post(create, data | {"start_from_default": "on"})
    made = Scheme.objects.get(authority=district, name="季度赛马")
    assert response.status_code == 302 and made.items.count() == len(assessment.DEFAULT_ITEMS)
    duplicate = client.post(create, data).content.decode()
    assert "本委已有同名方案" in duplicate and 'value="季度赛马"' in duplicate
    add = reverse("reporting:scheme-item-create", args=[district.slug, scheme.pk])
    bad = {"code": "htn_std_rate", "measure": "value", "weight": "20", "rule": "bands"}
    body = client.post(add, bad | {"bands": "95, 100\n八十五, 80"}, HTTP_HX_REQUEST="true")
    text = body.content.decode()
    assert body.status_code == 200 and "<html" not in text
    assert "“八十五, 80”无法识别" in text and "八十五, 80</textarea>" in text
    for hostile in ("NaN, 50", "sNaN, 50", "50, NaN", "1e999999, 50", "0.000001, 50"):
        refused = client.post(add, bad | {"bands": hostile}, HTTP_HX_REQUEST="true")
        assert refused.status_code == 200 and "无法识别" in refused.content.decode(), hostile
    assert not scheme.items.filter(code="htn_std_rate").exists()
    cap = client.post(add, bad | {"rule": "target", "cap": "20"}).content.decode()
    assert "封顶为大于0、不超过10的倍数" in cap
    rate_target = client.post(add, bad | {"rule": "target", "cap": "1"}).content.decode()
    assert "请填写固定目标值" in rate_target  # a rate has no annual targets
    weight = client.post(add, bad | {"weight": "12.345"}).content.decode()
    assert "最多保留 2 位小数。" in weight and "确认小数不超过" not in weight  # Django's own words
    good = client.post(add, bad | {"bands": "85, 80\n95, 100"}, HTTP_HX_REQUEST="true")
    assert good.status_code == 200 and good["HX-Redirect"].endswith(f"/schemes/{scheme.pk}/")
    item = scheme.items.get(code="htn_std_rate")
    assert item.params == {"bands": [["95", "100"], ["85", "80"]]} and item.position == 4
    edit = reverse("reporting:scheme-item-edit", args=[district.slug, scheme.pk, item.pk])
    assert "95, 100\n85, 80" in client.get(edit).content.decode()
    delete = reverse("reporting:scheme-item-delete", args=[district.slug, scheme.pk, item.pk])
    assert client.post(delete).status_code == 302 and not scheme.items.filter(pk=item.pk).exists()
    assert AuditEntry.objects.filter(action__startswith="reporting.scheme").count() == 3


def test_one_default_per_commission(district, district_admin):
    first = actions.scheme_save(
        authority=district,
        data={"name": "甲", "period_kind": "year", "is_active": True, "is_default": True},
        actor=district_admin,
    )
    actions.scheme_save(
        authority=district,
        data={"name": "乙", "period_kind": "year", "is_active": True, "is_default": True},
        actor=district_admin,
    )
    first.refresh_from_db()
    assert not first.is_default
    assert list(Scheme.objects.filter(is_default=True).values_list("name", flat=True)) == ["乙"]


def test_latest_ended_period():
    from reporting.scheme_views import latest_ended

    day = dt.date(2024, 10, 5)
    assert latest_ended("quarter", day) == {"year": 2024, "part": "q3"}
    assert latest_ended("half", day) == {"year": 2024, "part": "h1"}
    assert latest_ended("year", day) == {"year": 2023, "part": "year"}
    assert latest_ended("month", dt.date(2024, 1, 3)) == {
        "year": 2023,
        "part": "month",
        "month": 12,
    }


def test_demo_race_puts_ciqikou_first_in_q3_2024(db, capsys):
    from django.core.management import call_command

    call_command("load_demo", force=True)
    capsys.readouterr()
    ranking = Ranking.objects.get(scheme__name="市级赛马指标", label="2024年第3季度")
    rows = list(ranking.rows.select_related("centre").order_by("rank", "centre__slug"))
    # 磁器口 grew fastest (门急诊 +22.3%): 20 of the relative 20 points, and it is furthest along
    # both 2024 targets by September; the seed's “三季度…综合排名第一”.
    assert [r.centre.slug for r in rows] == ["ciqikou", "xiaolongkan", "shuangbei"]
    assert rows[0].breakdown["opd_visits:growth"] == {
        "value": "22.3",
        "points": "20.00",
        "completion": None,
    }
    assert rows[0].rank == 1 and rows[1].rank == 2
    assert Scheme.objects.get(authority__slug="chongqing").is_default


def test_admin_pages_speak_chinese(client, district_admin, district, scheme):
    from reporting.tests.test_no_english_on_pages import ALLOWED, english_words

    client.force_login(district_admin)
    item = scheme.items.first()
    urls = [
        reverse("reporting:schemes", args=[district.slug]),
        reverse("reporting:scheme-create", args=[district.slug]),
        reverse("reporting:scheme", args=[district.slug, scheme.pk]),
        reverse("reporting:scheme-edit", args=[district.slug, scheme.pk]),
        reverse("reporting:scheme-item-create", args=[district.slug, scheme.pk]),
        reverse("reporting:scheme-item-edit", args=[district.slug, scheme.pk, item.pk]),
        reverse("reporting:scheme-ranking", args=[district.slug, scheme.pk]) + "?year=2024&part=h1",
        reverse("reporting:scheme-ranking-print", args=[district.slug, scheme.pk]),
    ]
    found = {url: english_words(client.get(url).content.decode()) for url in urls}
    assert {url: words for url, words in found.items() if words - ALLOWED - {"districtadmin"}} == {}


def test_the_migration_ships_the_default_to_top_commissions(city, district):
    import importlib

    from django.apps import apps

    ship = importlib.import_module("reporting.migrations.0012_default_scheme").ship
    ship(apps, None)
    ship(apps, None)  # once only
    shipped = Scheme.objects.get()
    assert (shipped.authority, shipped.is_default) == (city, True)  # the district reads it
    from reporting.selectors import scheme_specs

    assert scheme_specs(shipped) == assessment.DEFAULT_ITEMS


# --- a tester's round: words, the spreadsheet, the printed sheet, the item menu ---------------


def test_the_default_checkbox_and_its_help_say_the_same(client, district_admin, district):
    client.force_login(district_admin)
    body = client.get(reverse("reporting:scheme-create", args=[district.slug])).content.decode()
    field = body.split('for="id_is_default"')[1].split("</div>")[0]
    assert ">默认方案<" in field and '<p class="help">默认方案给出本委' in field
    assert "作为看板综合得分" not in body


def test_the_spreadsheet_reads_like_the_print(client, reviewer, district, scheme):
    client.force_login(reviewer)
    export = client.get(
        reverse("reporting:scheme-ranking-export", args=[district.slug, scheme.pk]),
        {"year": 2024, "part": "h1"},
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    # Rank, centre, total; then value and points of 门急诊人次, 全人群签约率, 报送完整率.
    assert sheet["C2"].value == "总分"
    assert (sheet["F2"].value, sheet["F3"].value) == ("全人群签约率", pytest.approx(29.55))
    assert sheet["F3"].number_format == '0.00"%"'  # 乙's 29.55 shows as 29.55%
    assert sheet["H3"].number_format == '0.00"%"'  # 报送完整率 83.3
    assert sheet["D3"].number_format == "General"  # 门急诊人次 is a count
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDE"}
    # 2 a character + 2, at least 8 and at most 30; the centre's 28.
    # "门急诊人次" 5 → 12; "门急诊人次得分（满分40，超额最高48）" 20 → 42, at most 30.
    assert widths == {"A": 8, "B": 28, "C": 8, "D": 12, "E": 30}


def test_points_headings_name_the_most_over_target_alike_everywhere(
    client, reviewer, district, scheme
):
    # 门急诊人次 is 40 points of attainment capped at 120%: 乙's 140% scores 48, above 40, so its
    # heading gives both; the band and the linear item cannot pass their weight.
    client.force_login(reviewer)
    args, query = [district.slug, scheme.pk], {"year": 2024, "part": "h1"}
    page = client.get(reverse("reporting:scheme-ranking", args=args), query).content.decode()
    printed = client.get(reverse("reporting:scheme-ranking-print", args=args), query)
    export = client.get(reverse("reporting:scheme-ranking-export", args=args), query)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [sheet.cell(2, n).value for n in (5, 7, 9)] == [
        "门急诊人次得分（满分40，超额最高48）",
        "全人群签约率得分（满分30）",
        "报送完整率得分（满分30）",
    ]
    assert max(sheet.cell(r, 5).value for r in range(3, 6)) == 48  # 乙, as the heading allows
    heads = page.split('<table class="grid" id="ranking">')[1].split("</thead>")[0]
    assert '<span class="meta">满分40，超额最高48</span>' in heads
    assert '<span class="meta">满分30</span>' in heads and "分</span>" not in heads
    sheet_heads = printed.content.decode().split("</thead>")[0]
    assert "门急诊人次<br>（满分40，超额最高48）" in sheet_heads
    assert "全人群签约率<br>（满分30）" in sheet_heads
    assert (
        "门急诊人次（满分40，超额最高48）：按年度任务完成率计分，封顶120%"
        in printed.content.decode()
    )
    assert sheet.cell(sheet.max_row - 3, 1).value.startswith("门急诊人次（满分40，超额最高48）：")


def test_a_ranking_kept_before_headings_knew_their_most_takes_it_from_the_scheme(
    client, reviewer, district, district_admin, scheme
):
    ranking = actions.ranking_compute(
        scheme=scheme, authority_ids={district.pk}, period=H1_2024, actor=district_admin
    )
    assert ranking.items[0]["most"] == "48"  # kept with the ranking from now on
    ranking.items = [{k: v for k, v in c.items() if k != "most"} for c in ranking.items]
    ranking.save()
    client.force_login(reviewer)
    url = reverse("reporting:scheme-ranking", args=[district.slug, scheme.pk])
    body = client.get(url, {"year": 2024, "part": "h1"}).content.decode()
    assert '<span class="meta">满分40，超额最高48</span>' in body
    # The item weighs something else now: the kept heading names its points, claims no 满分.
    scheme.items.filter(code="opd_visits").update(weight=D(35))
    body = client.get(url, {"year": 2024, "part": "h1"}).content.decode()
    assert '<span class="meta">40分</span>' in body and "满分40" not in body


def test_the_printed_sheet_marks_missing_figures(client, reviewer, district, scheme):
    client.force_login(reviewer)
    printed = client.get(
        reverse("reporting:scheme-ranking-print", args=[district.slug, scheme.pk]),
        {"year": 2024, "part": "h1"},
    ).content.decode()
    row = printed.split("丙中心</td>")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[2:]]
    # 丙 reported neither 门急诊人次 nor 签约率 (—, not 0.00); 2 of 3 months: 66.7% → 20.01.
    assert cells == ["—", "—", "20.01"]
    first = printed.split("甲中心</td>")[1].split("</tr>")[0]
    assert "—" not in first


def test_items_offer_only_what_applies_to_the_commission_grouped(
    client, district_admin, district, other_district, scheme
):
    Indicator.objects.create(
        code="sp_kpi", name="沙区自定指标", category="medical", unit="人", owner=district
    )
    Indicator.objects.create(
        code="other_kpi", name="外区自定指标", category="medical", unit="人", owner=other_district
    )
    client.force_login(district_admin)
    add = reverse("reporting:scheme-item-create", args=[district.slug, scheme.pk])
    body = client.get(add).content.decode()
    select = body.split('name="code"')[1].split("</select>")[0]
    assert "沙区自定指标" in select and "外区自定指标" not in select
    labels = [g.split('"')[0] for g in select.split('<optgroup label="')[1:]]
    assert labels[-1] == "报送情况" and "医疗服务" in labels and len(labels) == len(set(labels))
    medical = select.split('<optgroup label="医疗服务">')[1].split("</optgroup>")[0]
    assert 'value="sp_kpi"' in medical and 'value="opd_visits"' in medical
    data = {"measure": "value", "weight": "10", "rule": "relative", "direction": "higher"}
    refused = client.post(add, data | {"code": "other_kpi"})
    assert refused.status_code == 200 and not scheme.items.filter(code="other_kpi").exists()
    assert client.post(add, data | {"code": "sp_kpi"}).status_code == 302
    assert scheme.items.filter(code="sp_kpi").exists()
