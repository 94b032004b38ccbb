"""Annual targets: progress (年度累计, 完成率, 序时进度, 落后) worked by hand, and setting them."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from centers.models import Centre
from centers.tests.factories import CentreFactory
from core.errors import DomainError
from core.models import AuditEntry, ImportJob
from core.stale import StaleEdit
from core.tests.helpers import post_and_run
from services.figures import Progress, target_progress
from services.models import Indicator, Target
from services.targets import target_set
from services.tests.data import put

pytestmark = pytest.mark.django_db
D = dt.date


def aim(centre, code: str, year: int, value) -> Target:
    return Target.objects.create(
        centre=centre, indicator=Indicator.objects.get(code=code), year=year, value=Decimal(value)
    )


def test_flow_progress_half_way_through_the_year(centre):
    aim(centre, "opd_visits", 2024, 12000)
    for month in range(1, 7):
        put(centre, "opd_visits", D(2024, month, 1), 1000)
    put(centre, "opd_visits", D(2023, 12, 1), 5000)  # last year: not counted
    # 2024-07-15: January–June have ended → 6000 done of 12000 = 50.00%; 6 ÷ 12 = 50.00%.
    got = target_progress(centre_ids=[centre.pk], year=2024, today=D(2024, 7, 15))
    assert got == {
        (centre.pk, "opd_visits"): Progress(
            Decimal(12000), Decimal(6000), Decimal("50.00"), Decimal("50.00"), False
        )
    }


def test_flow_progress_behind_once_july_has_ended(centre):
    aim(centre, "opd_visits", 2024, 12000)
    for month in range(1, 7):
        put(centre, "opd_visits", D(2024, month, 1), 1000)
    # 2024-08-02: seven months ended (7 ÷ 12 = 58.33%), July not entered: still 6000 → 50.00%.
    p = target_progress(centre_ids=[centre.pk], year=2024, today=D(2024, 8, 2))[
        (centre.pk, "opd_visits")
    ]
    assert (p.done, p.completion, p.time_share, p.behind) == (
        Decimal(6000),
        Decimal("50.00"),
        Decimal("58.33"),
        True,
    )


def test_months_of_the_running_month_are_not_counted(centre):
    aim(centre, "opd_visits", 2024, 3000)
    put(centre, "opd_visits", D(2024, 1, 1), 1000)
    put(centre, "opd_visits", D(2024, 2, 1), 1000)
    # 2024-02-20: only January has ended → 1000 of 3000 = 33.33%; time 1 ÷ 12 = 8.33%.
    p = target_progress(centre_ids=[centre.pk], year=2024, today=D(2024, 2, 20))[
        (centre.pk, "opd_visits")
    ]
    assert (p.done, p.completion, p.time_share, p.behind) == (
        Decimal(1000),
        Decimal("33.33"),
        Decimal("8.33"),
        False,
    )


def test_past_future_and_january(centre):
    aim(centre, "opd_visits", 2023, 1000)
    aim(centre, "opd_visits", 2025, 1000)
    put(centre, "opd_visits", D(2023, 3, 1), 400)
    put(centre, "opd_visits", D(2023, 12, 1), 500)
    past = target_progress(centre_ids=[centre.pk], year=2023, today=D(2024, 1, 5))
    # A past year: every month counts, time is 100%; 900 of 1000 = 90.00% → behind.
    assert past[(centre.pk, "opd_visits")] == Progress(
        Decimal(1000), Decimal(900), Decimal("90.00"), Decimal("100.00"), True
    )
    future = target_progress(centre_ids=[centre.pk], year=2025, today=D(2024, 1, 5))
    assert future[(centre.pk, "opd_visits")] == Progress(
        Decimal(1000), None, None, Decimal("0.00"), False
    )


def test_yearly_counts_the_year_itself_and_a_stock_its_latest_month(centre):
    aim(centre, "elderly_pop", 2024, 4000)  # yearly
    aim(centre, "htn_managed", 2024, 2000)  # monthly stock
    put(centre, "elderly_pop", D(2023, 1, 1), 3900)  # last year's is not this year's
    put(centre, "htn_managed", D(2024, 2, 1), 1000)
    put(centre, "htn_managed", D(2024, 5, 1), 1500)
    put(centre, "htn_managed", D(2024, 9, 1), 1900)  # not ended on the day
    got = target_progress(centre_ids=[centre.pk], year=2024, today=D(2024, 7, 1))
    assert got[(centre.pk, "elderly_pop")].done is None
    # May is the latest ended month with a value: 1500 of 2000 = 75.00%; time 6 ÷ 12 = 50.00%.
    assert got[(centre.pk, "htn_managed")] == Progress(
        Decimal(2000), Decimal(1500), Decimal("75.00"), Decimal("50.00"), False
    )
    put(centre, "elderly_pop", D(2024, 1, 1), 3000)
    got = target_progress(centre_ids=[centre.pk], year=2024, today=D(2024, 7, 1))
    assert got[(centre.pk, "elderly_pop")].completion == Decimal("75.00")  # 3000 ÷ 4000


def test_codes_filter_and_other_centres(centre, other_centre):
    aim(centre, "opd_visits", 2024, 100)
    aim(centre, "vac_done", 2024, 100)
    aim(other_centre, "opd_visits", 2024, 200)
    put(other_centre, "opd_visits", D(2024, 1, 1), 50)
    got = target_progress(
        centre_ids=[centre.pk, other_centre.pk],
        year=2024,
        codes=["opd_visits"],
        today=D(2024, 2, 1),
    )
    assert set(got) == {(centre.pk, "opd_visits"), (other_centre.pk, "opd_visits")}
    assert got[(other_centre.pk, "opd_visits")].completion == Decimal("25.00")  # 50 ÷ 200
    assert got[(centre.pk, "opd_visits")].done is None
    assert target_progress(centre_ids=[centre.pk], year=2022) == {}


def test_progress_queries_do_not_grow_with_centres(district, django_assert_max_num_queries):
    centres = [CentreFactory(sponsor=district) for _ in range(12)]
    for c in centres:
        aim(c, "opd_visits", 2024, 1200)
        aim(c, "elderly_pop", 2024, 1200)
        put(c, "opd_visits", D(2024, 1, 1), 100)
    ids = [c.pk for c in centres]
    # targets, catalogue (2), the monthly totals (≤ 4 on SQLite), the yearly values
    with django_assert_max_num_queries(9):
        got = target_progress(centre_ids=ids, year=2024, today=D(2024, 3, 1))
    assert len(got) == 24
    assert got[(ids[0], "opd_visits")].completion == Decimal("8.33")  # 100 ÷ 1200


# --- setting targets ----------------------------------------------------------------------------


def test_an_administrator_of_the_own_commission_sets_changes_and_clears_a_target(
    centre, district_admin
):
    reviewer = district_admin  # the commission's administrator
    opd = Indicator.objects.get(code="opd_visits")
    assert (
        target_set(centre=centre, indicator=opd, year=2024, raw="12,000", actor=reviewer).value
        == 12000
    )
    target_set(centre=centre, indicator=opd, year=2024, raw="15000", actor=reviewer, base="12000")
    row = Target.objects.get(centre=centre, indicator=opd, year=2024)
    assert (row.value, row.set_by) == (Decimal(15000), reviewer)
    target_set(centre=centre, indicator=opd, year=2024, raw="", actor=reviewer, base="15000")
    assert not Target.objects.exists()
    trail = [
        e.changes["value"]
        for e in AuditEntry.objects.filter(action="services.target.changed").order_by("pk")
    ]
    assert trail == [[None, "12000"], ["12000", "15000"], ["15000", None]]


def test_others_may_not_set_targets(centre, clerk, city_reviewer, reviewer, district_admin):
    from centers.models import CentreMembership
    from centers.tests.factories import CentreMembershipFactory

    opd = Indicator.objects.get(code="opd_visits")
    CentreMembershipFactory(user=district_admin, centre=centre, role=CentreMembership.Role.CLERK)
    # A clerk, the city's reviewer, the district's plain reviewer, and its administrator who now
    # also works at the centre.
    for actor in (clerk, city_reviewer, reviewer, district_admin):
        with pytest.raises(DomainError):
            target_set(centre=centre, indicator=opd, year=2024, raw="1", actor=actor)
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [("0", "大于零"), ("-5", "大于零"), ("abc", "数字"), ("12.5", "整数")],
)
def test_bad_targets_are_refused_in_chinese(centre, district_admin, raw, message):
    from django.utils import translation

    with translation.override("zh-hans"):
        result = target_set(
            centre=centre,
            indicator=Indicator.objects.get(code="opd_visits"),
            year=2024,
            raw=raw,
            actor=district_admin,
        )
    assert result.value is None and message in result.error
    assert not Target.objects.exists()


def test_a_target_saved_meanwhile_is_not_overwritten(centre, district_admin):
    opd = Indicator.objects.get(code="opd_visits")
    target_set(centre=centre, indicator=opd, year=2024, raw="100", actor=district_admin)
    with pytest.raises(StaleEdit) as refused:  # the grid showed it empty
        target_set(
            centre=centre, indicator=opd, year=2024, raw="200", actor=district_admin, base=""
        )
    assert refused.value.values == {"value": Decimal(100)} and refused.value.based_on == "100"
    assert Target.objects.get().value == 100


# --- pages ----------------------------------------------------------------------------------


def _grid(client, district, year=2024):
    return client.get(reverse("services:targets", args=[district.slug, year]))


@time_machine.travel(dt.datetime(2024, 8, 2, 9, 0))
def test_grid_shows_progress_and_the_htmx_cell_saves(
    client, district_admin, centre, district, django_assert_max_num_queries
):
    for _ in range(5):
        CentreFactory(sponsor=district)
    aim(centre, "opd_visits", 2024, 12000)
    for month in range(1, 7):
        put(centre, "opd_visits", D(2024, month, 1), 1000)
    client.force_login(district_admin)
    with django_assert_max_num_queries(16):
        page = _grid(client, district)
    html = page.content.decode()
    assert "58.33%" in html and "50.00%" in html and "落后" in html and 'name="value"' in html
    url = reverse("services:target-cell", args=[district.slug, 2024])
    data = {"centre": centre.pk, "indicator": "opd_visits", "value": "6000", "base": "12000"}
    cell = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in cell and "100.00%" in cell and "落后" not in cell  # 6000 of 6000
    bad = client.post(url, data | {"value": "六千", "base": "6000"}, HTTP_HX_REQUEST="true")
    assert "请输入数字" in bad.content.decode() or "数字" in bad.content.decode()
    assert 'value="六千"' in bad.content.decode()  # what was typed stays
    assert Target.objects.get().value == 6000


@time_machine.travel(dt.datetime(2024, 8, 2, 9, 0))
def test_a_reader_above_sees_the_grid_without_inputs(client, city_reviewer, centre, district):
    aim(centre, "opd_visits", 2024, 12000)
    client.force_login(city_reviewer)
    html = _grid(client, district).content.decode()
    assert centre.name in html and "12000" in html and 'name="value"' not in html
    url = reverse("services:target-cell", args=[district.slug, 2024])
    data = {"centre": centre.pk, "indicator": "opd_visits", "value": "1", "base": "12000"}
    assert client.post(url, data).status_code == 403


@time_machine.travel(dt.datetime(2024, 8, 2, 9, 0))
def test_the_centre_figures_page_shows_its_targets_read_only(
    client, clerk, centre, other_centre, django_assert_max_num_queries
):
    aim(centre, "opd_visits", 2024, 12000)
    aim(other_centre, "opd_visits", 2024, 1)
    for month in range(1, 7):
        put(centre, "opd_visits", D(2024, month, 1), 1000)
    client.force_login(clerk)
    url = reverse("services:centre-figures", args=[centre.slug])
    with django_assert_max_num_queries(30):
        html = client.get(url, {"year": 2024, "part": "year"}).content.decode()
    section = html[html.index('id="targets"') :]
    section = section[: section.index("</section>")]
    # 任务 12000 · 累计 6000 · 完成率 50.00% · 序时进度 58.33% · 落后
    for text in ("12000", "6000", "50.00%", "58.33%", "落后"):
        assert text in section
    assert 'name="value"' not in html


def test_export_has_a_chinese_name_and_imports_back(client, district_admin, centre, district):
    aim(centre, "opd_visits", 2024, 12000)
    client.force_login(district_admin)
    response = client.get(reverse("services:target-export", args=[district.slug, 2024]))
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "2024" in unquote(response["Content-Disposition"]) and "年度任务" in unquote(
        response["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("中心", "指标", "年度任务")
    assert rows[1][:3] == (centre.name, "门急诊人次", 12000)
    page = _import(client, district, response.content)
    assert "1 个任务不变" in page.content.decode() or "0 个任务将改变" in page.content.decode()


def _import(client, district, content: bytes, year=2024):
    url = reverse("services:target-import", args=[district.slug])
    return post_and_run(
        client, url, {"year": year, "file": SimpleUploadedFile("任务.xlsx", content)}, follow=True
    )


def _book(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_lists_bad_rows_by_number_then_saves_a_clean_file(
    client, district_admin, centre, other_centre, district
):
    client.force_login(district_admin)
    bad = _book(
        [
            ["中心", "指标", "年度任务"],
            [centre.name, "opd_visits", 12000],
            ["不存在的中心", "门急诊人次", 100],  # row 3
            [other_centre.name, "门急诊人次", 100],  # row 4: another commission's centre
            [centre.name, "不存在的指标", 100],  # row 5
            [centre.name, "门急诊人次", 0],  # row 6
        ]
    )
    html = _import(client, district, bad).content.decode()
    for row in (3, 4, 5, 6):
        assert f"第 {row} 行" in html or f"第{row}行" in html, row
    assert "第 2 行" not in html and "第2行" not in html
    job = ImportJob.objects.get()
    assert job.plan["bad_rows"] == 4
    assert not Target.objects.exists()
    good = _book([["中心", "指标", "年度任务"], [centre.name, "opd_visits", 12000]])
    _import(client, district, good)
    job = ImportJob.objects.order_by("-pk").first()
    confirm = reverse("services:target-import-confirm", args=[district.slug, job.pk])
    post_and_run(client, confirm, follow=True)
    assert Target.objects.get().value == 12000
    assert AuditEntry.objects.filter(action="services.target.changed").count() == 1


def test_import_refuses_a_workbook_without_the_columns(client, district_admin, district, centre):
    client.force_login(district_admin)
    html = _import(client, district, _book([["名称", "数"], ["x", 1]])).content.decode()
    assert "年度任务" in html
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


def test_demo_sets_2024_targets_for_the_shapingba_centres():
    from centers.demo import load_centres_demo
    from services.demo import load_services_demo

    centres = load_centres_demo()
    load_services_demo(centres)
    load_services_demo(centres)  # a second run adds nothing
    ids = [c.pk for c in centres.values() if c.sponsor.slug == "shapingba"]
    got = target_progress(centre_ids=ids, year=2024, today=D(2025, 1, 10))
    assert len(got) == 2 * len(ids) == Target.objects.count()
    behind = {
        Centre.objects.get(pk=c).slug
        for (c, code), p in got.items()
        if code == "opd_visits" and p.behind
    }
    assert behind == {"shuangbei"}  # grew 9% against a target of +11%
    assert all(p.target % 100 == 0 and p.time_share == 100 for p in got.values())


def test_import_page_lists_recent_imports_linking_to_their_preview(
    client, district_admin, district, centre
):
    client.force_login(district_admin)
    _import(client, district, _book([["中心", "指标", "年度任务"], [centre.name, "门急诊人次", 9]]))
    job = ImportJob.objects.get()
    html = client.get(reverse("services:target-import", args=[district.slug])).content.decode()
    recent = html.split('id="recent-imports"')[1]
    preview = reverse("services:target-import-preview", args=[district.slug, job.pk])
    assert f'href="{preview}">任务.xlsx</a>' in recent
