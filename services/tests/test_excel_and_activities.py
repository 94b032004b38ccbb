"""Excel round trip and dry run for tallies; activities counted by kind (seed 000's figures)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from centers.demo import load_centres_demo
from centers.models import Centre
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from services.demo import load_services_demo
from services.excel import HEADERS
from services.models import Indicator, RollupState, TallyValue
from services.selectors import activity_counts, centre_scope

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2024, 5, 20, 10, 0)


def _upload(client, centre, content: bytes, year=2024):
    url = reverse("services:tally-import", args=[centre.slug])
    return post_and_run(
        client, url, {"year": year, "file": SimpleUploadedFile("t.xlsx", content)}, follow=True
    )


def _confirm(client, centre):
    latest = ImportJob.objects.order_by("-pk").first()
    return post_and_run(
        client, reverse("services:tally-import-confirm", args=[centre.slug, latest.pk]), follow=True
    )


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


@time_machine.travel(TODAY)
def test_export_then_import_changes_nothing_and_an_edit_is_previewed(
    client, clerk, centre, monkeypatch
):
    from services import excel

    marks, real = [], excel.mark_cells
    monkeypatch.setattr(
        excel, "mark_cells", lambda c, cells: marks.append((c, cells)) or real(c, cells)
    )
    visits = Indicator.objects.get(code="opd_visits")
    TallyValue.objects.create(
        centre=centre, indicator=visits, period=dt.date(2024, 4, 1), value=1234
    )
    TallyValue.objects.create(
        centre=centre,
        indicator=Indicator.objects.get(code="res_pop"),
        period=dt.date(2024, 1, 1),
        value=52000,
    )
    client.force_login(clerk)
    exported = client.get(reverse("services:tally-export", args=[centre.slug, 2024])).content
    sheet = _sheet(exported)
    assert [c.value for c in sheet[1]] == HEADERS
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "opd_visits")
    assert row[1] == "门急诊人次" and row[3 + 3] == 1234  # April
    body = _upload(client, centre, exported).content.decode()
    assert "将修改 0 个数值 · 2 个不变" in body
    _confirm(client, centre)
    assert TallyValue.objects.count() == 2
    # Edit one open cell in the file: the preview shows old → new, confirm saves it, audited.
    book = load_workbook(io.BytesIO(exported))
    for r in book.active.iter_rows(min_row=2):
        if r[0].value == "opd_visits":
            r[3 + 4].value = 1500  # May
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert "将修改 1 个数值 · 2 个不变" in body and "2024-05" in body
    assert not TallyValue.objects.filter(period=dt.date(2024, 5, 1)).exists()  # a dry run
    _confirm(client, centre)
    assert TallyValue.objects.get(period=dt.date(2024, 5, 1)).value == 1500
    assert AuditEntry.objects.filter(action="services.tally.changed").count() == 1
    # The import marked the one cell it wrote: summaries compute 门急诊 live for the centre until
    # its refresh has run (eager here, so already done), and read the rest from its rollups.
    assert marks == [(centre.pk, [(dt.date(2024, 5, 1), visits.pk)])]
    state = RollupState.objects.get(centre=centre)
    assert state.built == state.changed and state.dirty_years == {}


@time_machine.travel(TODAY)
def test_export_gives_monthly_indicators_their_year_and_import_passes_it_over(
    client, clerk, centre
):
    births = Indicator.objects.get(code="live_births")  # 活产数
    filed = Indicator.objects.get(code="rec_filed")  # 累计建档人数
    for month in range(1, 13):  # a flow: the year adds the months, 1 + 2 + … + 12 = 78
        TallyValue.objects.create(
            centre=centre, indicator=births, period=dt.date(2023, month, 1), value=month
        )
    for month, value in ((1, 900), (5, 1000), (6, 1100)):  # a stock: the last month reported
        TallyValue.objects.create(
            centre=centre, indicator=filed, period=dt.date(2023, month, 1), value=value
        )
    TallyValue.objects.create(
        centre=centre,
        indicator=Indicator.objects.get(code="res_pop"),
        period=dt.date(2023, 1, 1),
        value=52000,
    )
    client.force_login(clerk)
    exported = client.get(reverse("services:tally-export", args=[centre.slug, 2023])).content
    rows = {r[0]: r for r in _sheet(exported).iter_rows(min_row=2, values_only=True)}
    year = HEADERS.index("全年")
    assert [rows[code][year] for code in ("live_births", "rec_filed", "res_pop")] == [
        78,
        1100,
        52000,
    ]
    assert rows["opd_visits"][year] is None  # nothing reported
    # Back in, unchanged, then with a monthly row's 全年 typed over: nothing to store, no error.
    assert "将修改 0 个数值 · 16 个不变" in _upload(client, centre, exported, 2023).content.decode()
    book = load_workbook(io.BytesIO(exported))
    for r in book.active.iter_rows(min_row=2):
        if r[0].value == "live_births":
            r[year].value = 80
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, centre, out.getvalue(), 2023).content.decode()
    assert "将修改 0 个数值 · 16 个不变" in body and "「全年」" not in body
    assert not TallyValue.objects.filter(indicator=births, value=80).exists()


@time_machine.travel(TODAY)
def test_dry_run_lists_every_problem_by_row_and_column(client, clerk, centre):
    client.force_login(clerk)
    book_content = client.get(reverse("services:tally-export", args=[centre.slug, 2024])).content
    book = load_workbook(io.BytesIO(book_content))
    sheet = book.active
    sheet.append(["no_such", "?", "?"])
    for r in sheet.iter_rows(min_row=2):
        if r[0].value == "opd_visits":
            r[3 + 3].value = -5  # April: negative
            r[3 + 1].value = 7  # February: locked
        if r[0].value == "res_pop":
            r[3 + 2].value = 100  # a yearly figure in a month column
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert "「4月」：数值不能为负数" in body
    assert "「2月」：已于2024年3月31日锁定" in body
    assert "「3月」：该指标按年填报" in body
    assert "「代码」：没有代码为“no_such”的指标" in body
    _confirm(client, centre)
    assert not TallyValue.objects.exists()


def test_an_unreadable_file_is_refused_with_a_message(client, clerk, centre):
    client.force_login(clerk)
    assert "无法读取该文件" in _upload(client, centre, b"not a workbook").content.decode()


def test_demo_activities_give_seed_000_counts():
    load_services_demo(load_centres_demo())
    centre = Centre.objects.get(slug="ciqikou")
    counts = {
        name: (times, people)
        for name, times, people in activity_counts(
            scope=centre_scope(centre), first=dt.date(2024, 1, 1), last=dt.date(2024, 12, 31)
        )
    }
    assert counts["党员大会"][0] == 3 and counts["支部委员会"][0] == 29
    assert counts["党课"][0] == 4 and counts["主题党日"][0] == 11
    assert counts["集中下社区体检"][0] == 73 and counts["消防演练"][0] == 2
    assert counts["集中下社区体检"][1] + counts["义诊"][1] == 5241  # 累计服务居民5241人次


def test_activity_list_counts_by_kind_for_a_period(client, clerk, centre):
    from services.models import ActivityKind

    kind = ActivityKind.objects.get(name="健康讲座")
    client.force_login(clerk)
    for day, people in (("2024-03-02", 40), ("2024-08-09", 60)):
        client.post(
            reverse("services:activity-add", args=[centre.slug]),
            {"date": day, "kind": kind.pk, "people": people},
        )
    body = client.get(
        reverse("services:activity-list", args=[centre.slug]), {"year": "2024", "part": "h1"}
    ).content.decode()
    assert "2024年上半年统计" in body and "健康讲座 <strong>1</strong>次，40" in body
    bad = client.post(
        reverse("services:activity-add", args=[centre.slug]),
        {"date": "2024-02-30", "kind": kind.pk, "people": "-1"},
    )
    assert "输入一个有效的日期" in bad.content.decode()


def test_the_activity_list_pages_by_fifty_and_keeps_its_period(client, clerk, centre):
    """120 records: pages of 50, 50 and 20, newest first; the pager keeps the period asked for
    and the period's counts cover every record, not only the page's."""
    from services.models import Activity, ActivityKind

    kind = ActivityKind.objects.get(name="健康讲座")
    Activity.objects.bulk_create(
        Activity(
            centre=centre, kind=kind, date=dt.date(2024, 1, 1) + dt.timedelta(days=n), people=1
        )
        for n in range(120)
    )
    client.force_login(clerk)
    url = reverse("services:activity-list", args=[centre.slug])
    first = client.get(url, {"year": "2024", "part": "year"}).content.decode()
    rows = re.compile(r'<tr id="activity-\d+"')
    assert len(rows.findall(first)) == 50 and "第 1 页，共 3 页" in first
    assert "year=2024&amp;part=year&amp;page=2" in first
    assert "健康讲座 <strong>120</strong>次" in first
    assert f'id="activity-{Activity.objects.get(date=dt.date(2024, 4, 29)).pk}"' in first
    last = client.get(url, {"year": "2024", "part": "year", "page": "3"}, HTTP_HX_REQUEST="true")
    body = last.content.decode()
    assert len(rows.findall(body)) == 20 and "<html" not in body
    assert f'id="activity-{Activity.objects.get(date=dt.date(2024, 1, 1)).pk}"' in body


@time_machine.travel(TODAY)
def test_a_locked_month_exported_and_imported_unchanged_is_fine(client, clerk, centre):
    visits = Indicator.objects.get(code="opd_visits")
    TallyValue.objects.create(
        centre=centre, indicator=visits, period=dt.date(2024, 1, 1), value=800
    )  # locked
    client.force_login(clerk)
    book = load_workbook(
        io.BytesIO(client.get(reverse("services:tally-export", args=[centre.slug, 2024])).content)
    )
    for r in book.active.iter_rows(min_row=2):
        if r[0].value == "opd_visits":
            r[3 + 4].value = 900  # May is open
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert "将修改 1 个数值 · 1 个不变" in body
    _confirm(client, centre)
    assert TallyValue.objects.get(period=dt.date(2024, 5, 1)).value == 900


def test_a_sheet_for_another_year_is_refused(client, clerk, centre):
    client.force_login(clerk)
    content = client.get(reverse("services:tally-export", args=[centre.slug, 2023])).content
    assert (
        "工作表是 2023年 的数据，不是 2024 年"
        in _upload(client, centre, content, year=2024).content.decode()
    )
    assert "确保该值大于或等于2000" in _upload(client, centre, content, year=1999).content.decode()


@time_machine.travel(TODAY)
def test_the_preview_shows_old_and_new_values_alike(client, clerk, centre):
    visits = Indicator.objects.get(code="opd_visits")
    TallyValue.objects.create(centre=centre, indicator=visits, period=dt.date(2024, 4, 1), value=59)
    TallyValue.objects.create(
        centre=centre, indicator=visits, period=dt.date(2024, 5, 1), value="12.50"
    )
    client.force_login(clerk)
    book = load_workbook(
        io.BytesIO(client.get(reverse("services:tally-export", args=[centre.slug, 2024])).content)
    )
    for r in book.active.iter_rows(min_row=2):
        if r[0].value == "opd_visits":
            r[3 + 3].value = 7  # April: 59 → 7
            r[3 + 4].value = "13.0"  # May: 12.5 → 13
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert '<td class="num">59</td><td class="num">7</td>' in body
    assert '<td class="num">12.5</td><td class="num">13</td>' in body
    assert ".00" not in body and "13.0<" not in body
    _confirm(client, centre)
    assert TallyValue.objects.get(period=dt.date(2024, 5, 1)).value == 13


def test_one_work_records_history_shows_that_record_alone(client, clerk, centre):
    """The 历史 button of a 工作记录 row lists that record's changes, not the whole centre's."""
    from services.models import Activity, ActivityKind

    kind = ActivityKind.objects.get(name="健康讲座")
    client.force_login(clerk)
    for day, people in (("2024-03-02", 40), ("2024-08-09", 60)):
        client.post(
            reverse("services:activity-add", args=[centre.slug]),
            {"date": day, "kind": kind.pk, "people": people},
        )
    first = Activity.objects.get(date=dt.date(2024, 3, 2))
    assert AuditEntry.objects.filter(centre=centre).count() >= 2
    body = client.get(
        reverse("centers:history", args=[centre.slug]),
        {"type": first._meta.label_lower, "id": first.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "2024-03-02" in body and "40" in body
    assert "2024-08-09" not in body and "60" not in body
    nothing = client.get(
        reverse("centers:history", args=[centre.slug]),
        {"type": "centers.nosuch", "id": first.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "2024-03-02" not in nothing  # an unknown type is an empty history, not the centre's


def test_import_page_lists_recent_imports_linking_to_the_centre_preview(client, clerk, centre):
    client.force_login(clerk)
    exported = client.get(reverse("services:tally-export", args=[centre.slug, 2024])).content
    _upload(client, centre, exported)
    job = ImportJob.objects.get()
    html = client.get(reverse("services:tally-import", args=[centre.slug])).content.decode()
    recent = html.split('id="recent-imports"')[1]
    preview = reverse("services:tally-import-preview", args=[centre.slug, job.pk])
    assert f'href="{preview}">t.xlsx</a>' in recent
