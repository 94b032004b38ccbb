"""Files of other systems imported through import profiles, with numbers worked out by hand: a
district's 基本公卫 sheet of several centres, a HIS month-by-month CSV in GB18030, a locked and an
approved month, 合计 rows, scale factors, unmapped columns and rows that match no centre."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from centers.models import CentreMembership
from centers.tests.factories import CentreFactory, CentreMembershipFactory
from centers.validators import credit_code_check_char
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from services.import_layouts import GONGWEI_MONTHLY
from services.models import ImportProfile, LockException, MonthReport, TallyValue
from services.tests.profile_samples import (
    DEPARTMENT_HEADER,
    DEPARTMENT_ROWS,
    GONGWEI_ITEMS,
    department_month_xlsx,
    gongwei_monthly_xlsx,
    his_outpatient_csv,
)

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2024, 5, 20, 10, 0)  # April is open, March locked (30 days after its end)
APRIL = dt.date(2024, 4, 1)


def code(body: str) -> str:
    """A valid 统一社会信用代码 (GB 32100) from its first 17 characters."""
    return body + credit_code_check_char(body)


@pytest.fixture
def shuangbei(district, clerk):
    """A second centre of the district where the clerk works too."""
    centre = CentreFactory(
        name="重庆市沙坪坝区双碑社区卫生服务中心",
        slug="shuangbei",
        sponsor=district,
        credit_code=code("12500106MB1K2W4Q0"),
    )
    CentreMembershipFactory(user=clerk, centre=centre, role=CentreMembership.Role.CLERK)
    return centre


@pytest.fixture
def xiaolongkan(district):
    """A centre of the district where the clerk holds no role."""
    return CentreFactory(
        name="重庆市沙坪坝区小龙坎社区卫生服务中心",
        slug="xiaolongkan",
        sponsor=district,
        credit_code=code("12500106MB1L3X5R1"),
    )


def upload(client, centre, content: bytes, profile: str, name="file.xlsx", month="2024-04"):
    url = reverse("services:profile-import", args=[centre.slug])
    data = {"profile": profile, "month": month, "file": SimpleUploadedFile(name, content)}
    return post_and_run(client, url, data, follow=True)


def confirm(client, centre, job: ImportJob, mode: str):
    url = reverse("services:profile-import-confirm", args=[centre.slug, job.pk])
    return post_and_run(client, url, {"mode": mode}, follow=True)


def _row(**cells) -> list:
    """A 公卫 row's 22 cells in GONGWEI_ITEMS order, by indicator code (None: left empty)."""
    codes = [code for _h, code, _s in GONGWEI_MONTHLY.columns[1:]]
    return [cells.get(c) for c in codes]


@time_machine.travel(TODAY)
def test_a_district_sheet_goes_to_each_centre_by_code_or_name(
    client, clerk, centre, shuangbei, xiaolongkan
):
    centre.credit_code = code("12500106450412352")
    centre.save(update_fields=["credit_code"])
    TallyValue.objects.create(
        centre=centre, indicator_id=_ind("rec_filed"), period=APRIL, value=100
    )
    # 双碑's April is approved by the district: locked for the centre.
    MonthReport.objects.create(centre=shuangbei, period=APRIL, state=MonthReport.State.APPROVED)
    ciqikou = [5000, 4800, 3000, 5000, 2.5, 80, "-", 10, 9, "约300", 280, 400, 300, 250, 150,
               100, 80, 40, 35, 30, 2000, 900]  # fmt: skip
    assert len(ciqikou) == len(GONGWEI_ITEMS) == 22
    content = gongwei_monthly_xlsx(
        [
            # By its credit code; the name cell is written the office's own way.
            ("磁器口中心", centre.credit_code, [*ciqikou, "已核对"]),
            # By name alone: a full-width space in it, no code.
            (
                "重庆市沙坪坝区双碑　社区卫生服务中心",
                "",
                [*_row(rec_filed=1200, rec_e_filed=1100), ""],
            ),
            (xiaolongkan.name, xiaolongkan.credit_code, [*_row(rec_filed=7), ""]),
        ],
        extra_columns=("备注",),
    )
    client.force_login(clerk)
    body = upload(client, centre, content, "shipped:gongwei-monthly").content.decode()
    job = ImportJob.objects.get()
    plan = job.plan
    assert job.status == "preview", job.errors
    # Read from rows 3–4 (merged headers); the 合计 row is skipped, the signature line ignored.
    assert (plan["header_row"], plan["header_rows"]) == (3, 2)
    assert plan["totals"] == [[8, "合计"]]
    assert plan["unmapped"] == ["备注"] and plan["ignored"] == ["序号"]
    # 磁器口: 22 cells − "-" (left as it is) − "约300" (unreadable) = 20 values to the engine;
    # 双碑: 2. The engine refuses 2.5 讲座次数 (whole numbers) and 双碑's 2 (approved month).
    assert [e[:2] for e in plan["row_errors"]] == [[5, "老年人健康管理/健康管理人数"]]
    assert "约300" in plan["row_errors"][0][2]
    # 小龙坎 is a centre of the district where the clerk holds no role: ignored, and said.
    assert plan["foreign"] == [[7, xiaolongkan.name]]
    conflicts = {(c[1], c[2]): c[4] for c in plan["conflicts"]}
    assert len(conflicts) == 3
    assert "整数" in conflicts[(centre.name, "健康知识讲座次数")]
    assert "审核" in conflicts[(shuangbei.name, "累计建档人数")]
    assert len(plan["changes"]) == 19 and plan["same"] == 0
    assert [centre.name, "累计建档人数", "2024-04", "100", "5000"] == plan["changes"][0][1:]
    assert "备注" in body and "合计" in body
    assert not TallyValue.objects.filter(period=APRIL).exclude(value=100).exists()  # a dry run

    # All or nothing refuses while problems stand; importing the rest writes 19 values.
    confirm(client, centre, job, "all")
    assert TallyValue.objects.get(centre=centre, indicator_id=_ind("rec_filed")).value == 100
    body = confirm(client, centre, job, "partial").content.decode()
    job.refresh_from_db()
    assert job.status == "applied", job.errors
    assert job.result | {"confirmed_by": 0} == {
        "partial": True,
        "confirmed_by": 0,
        "imported": 18,
        "updated": 1,
        "refused": 3,
        "skipped": 1,
    }
    assert TallyValue.objects.filter(centre=centre, period=APRIL).count() == 19
    assert TallyValue.objects.get(centre=centre, indicator_id=_ind("rec_filed")).value == 5000
    assert not TallyValue.objects.filter(centre__in=[shuangbei, xiaolongkan]).exists()
    assert AuditEntry.objects.filter(action="services.tally.changed").count() == 19


def _ind(code: str) -> int:
    from services.models import Indicator

    return Indicator.objects.get(code=code).pk


HIS_ROWS = [
    ["2024-01", 9000, 7000, 500, 7500, 30, 1200, "1,234,567.89", "2,000,000"],
    ["2024年2月", 8000, 6000, 400, 6400, "—", 1000, 1000000, 1500000.5],
    ["202403", 9500, 7200, 600, 7800, 25, 1300, 1100000, 1800000],
    ["2024/4/1", 9800, 7500, 650, 8150, 28, 1350, 1150000, 1900000],
]


@time_machine.travel(TODAY)
def test_a_his_csv_in_gb18030_month_by_month_with_money_in_yuan(client, clerk, reviewer, centre):
    # The reviewer reopened January–March: every month of the file is open.
    LockException.objects.create(
        centre=centre,
        first_month=dt.date(2024, 1, 1),
        last_month=dt.date(2024, 3, 1),
        open_until=dt.date(2024, 6, 30),
        reason="补录HIS数据",
        granted_by=reviewer,
    )
    content = his_outpatient_csv(HIS_ROWS)
    assert content.decode("gb18030").startswith("磁器口")
    client.force_login(clerk)
    upload(client, centre, content, "shipped:his-outpatient", name="门急诊.csv", month="")
    job = ImportJob.objects.get()
    plan = job.plan
    assert job.status == "preview", job.errors
    assert plan["encoding"] == "gb18030" and plan["header_row"] == 3
    assert plan["ignored"] == ["门诊人次", "急诊人次"] and plan["unmapped"] == []
    assert plan["totals"] == [[8, "合计"]]
    assert plan["row_errors"] == [] and plan["conflicts"] == []
    # 4 months × 6 indicators, every one new.
    assert len(plan["changes"]) == 24
    confirm(client, centre, job, "all")
    job.refresh_from_db()
    assert job.status == "applied", job.errors
    stored = {
        (v.indicator.code, v.period.month): v.value
        for v in TallyValue.objects.filter(centre=centre).select_related("indicator")
    }
    assert len(stored) == 24
    # 1,234,567.89 元 × 0.0001 = 123.456789 万元 → 123.46; 2,000,000 元 → 200 万元.
    assert stored[("opd_income", 1)] == Decimal("123.46")
    assert stored[("medical_income", 1)] == Decimal("200")
    # 1,500,000.50 元 → 150.00005 → 150.00; 出院 “—” reads 0 in this layout.
    assert stored[("medical_income", 2)] == Decimal("150")
    assert stored[("discharges", 2)] == 0
    assert stored[("opd_visits", 4)] == 8150 and stored[("total_visits", 3)] == 9500
    # Months written four ways: 2024-01, 2024年2月, 202403, 2024/4/1.
    assert {month for _c, month in stored} == {1, 2, 3, 4}


@time_machine.travel(TODAY)
def test_a_locked_month_is_a_conflict_with_its_reason(client, clerk, centre):
    client.force_login(clerk)
    bad_month = ["2024年13月", 1, 1, 1, 1, 1, 1, 1, 1]
    # March (locked), April (open) and a month that is none.
    content = his_outpatient_csv([*HIS_ROWS[2:], bad_month])
    upload(client, centre, content, "shipped:his-outpatient", name="门急诊.csv", month="")
    plan = ImportJob.objects.get().plan
    assert plan["row_errors"] == [
        [6, "统计月份", "“2024年13月”不是月份：请写作2024-04、2024年4月或202404，或写成日期。"]
    ]
    months = {c[3] for c in plan["conflicts"]}
    assert months == {"2024-03"} and len(plan["conflicts"]) == 6
    assert all("锁定" in c[4] for c in plan["conflicts"])
    assert {c[3] for c in plan["changes"]} == {"2024-04"}


def _many_centres(district, clerk, n: int, start: int) -> list:
    centres = []
    for i in range(start, start + n):
        centre = CentreFactory(name=f"第{i}社区卫生服务中心", slug=f"many-{i}", sponsor=district)
        CentreMembershipFactory(user=clerk, centre=centre, role=CentreMembership.Role.CLERK)
        centres.append(centre)
    return centres


@time_machine.travel(TODAY)
def test_checking_and_previewing_take_the_same_queries_for_5_or_40_centres(
    client, clerk, centre, district
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import memo
    from core.imports import run_check

    client.force_login(clerk)
    counts = []
    for n, start in ((5, 100), (40, 200)):
        centres = _many_centres(district, clerk, n, start)
        rows = [(c.name, "", list(range(1, 23))) for c in centres]
        url = reverse("services:profile-import", args=[centre.slug])
        data = {
            "profile": "shipped:gongwei-monthly",
            "month": "2024-04",
            "file": SimpleUploadedFile("m.xlsx", gongwei_monthly_xlsx(rows)),
        }
        client.post(url, data)  # stored and queued; the check runs below, counted
        job = ImportJob.objects.order_by("-pk").first()
        # As after a commit: the commission tree is read once per process, not per centre (a
        # test's transaction never commits, so the memo would rebuild on every read).
        memo.clear_all()
        with CaptureQueriesContext(connection) as checked:
            run_check(job.pk, in_worker=False)
        job.refresh_from_db()
        assert job.status == "preview" and len(job.plan["changes"]) == 22 * n
        preview = reverse("services:profile-import-preview", args=[centre.slug, job.pk])
        with CaptureQueriesContext(connection) as shown:
            assert client.get(preview).status_code == 200
        counts.append((len(checked), len(shown)))
    assert counts[0] == counts[1], counts
    assert counts[0][1] <= 12


@time_machine.travel(TODAY)
def test_the_export_as_a_workbook_with_excel_dates_and_the_rollups_marked(client, clerk, centre):
    from services.import_layouts import shipped_profile
    from services.models import FigureRollup, ImportProfile, RollupState
    from services.tests.profile_samples import his_outpatient_xlsx

    shipped = shipped_profile("his-outpatient")
    profile = ImportProfile.objects.create(
        centre=centre,
        name="HIS（xlsx）",
        file_type="xlsx",
        period_column=shipped.period_column,
        mappings=shipped.mappings,
    )
    content = his_outpatient_xlsx([[dt.datetime(2024, 4, 1), *HIS_ROWS[3][1:]]])
    client.force_login(clerk)
    upload(client, centre, content, str(profile.pk), month="")
    job = ImportJob.objects.get()
    assert job.plan["row_errors"] == [] and {c[3] for c in job.plan["changes"]} == {"2024-04"}
    confirm(client, centre, job, "all")
    assert TallyValue.objects.get(indicator_id=_ind("opd_visits")).value == 8150
    # The write marked the centre's rollups, and the refresh it queued rebuilt 2024's.
    state = RollupState.objects.get(centre=centre)
    assert state.changed == state.built == 1
    year = FigureRollup.objects.get(
        centre=centre, code="opd_visits", first=dt.date(2024, 1, 1), last=dt.date(2024, 12, 1)
    )
    assert year.value == 8150


@time_machine.travel(TODAY)
def test_a_multi_centre_preview_is_its_uploaders_alone(client, clerk, manager, centre, shuangbei):
    content = gongwei_monthly_xlsx([(shuangbei.name, "", _row(rec_filed=5))])
    client.force_login(clerk)
    upload(client, centre, content, "shipped:gongwei-monthly")
    job = ImportJob.objects.get()
    assert len(job.plan["changes"]) == 1
    # The manager of 磁器口 does not work at 双碑: the file's figures are not theirs to see.
    client.force_login(manager)
    preview = reverse("services:profile-import-preview", args=[centre.slug, job.pk])
    assert client.get(preview).status_code == 404
    assert confirm(client, centre, job, "all").status_code == 404


# --- a month broken down into rows (by 科室), footers, other centres' rows, future months -------


def _department_profile(centre, rows_combine: str = "") -> ImportProfile:
    """What the editor proposes for the 科室 sheet: 科室 read, not imported; five indicators."""
    codes = ["opd_visits", "discharges", "tcm_visits", "total_visits", "referrals_up"]
    mappings = [{"header": "科室", "indicator": "", "scale": "1", "missing": "skip"}]
    mappings += [
        {"header": header, "indicator": code, "scale": "1", "missing": "skip"}
        for header, code in zip(DEPARTMENT_HEADER[1:], codes, strict=True)
    ]
    return ImportProfile.objects.create(
        centre=centre, name="分科室月报", mappings=mappings, rows_combine=rows_combine
    )


def _stored(centre) -> dict[str, Decimal]:
    return {
        v.indicator.code: v.value
        for v in TallyValue.objects.filter(centre=centre, period=APRIL).select_related("indicator")
    }


@time_machine.travel(TODAY)
def test_a_month_by_department_without_a_setting_is_refused_naming_it(client, clerk, centre):
    profile = _department_profile(centre)
    client.force_login(clerk)
    body = upload(client, centre, department_month_xlsx(), str(profile.pk)).content.decode()
    job = ImportJob.objects.get()
    # Refused before anything is written: no preview to confirm, in part or at all.
    assert job.status == "failed" and job.plan.get("rows") is None
    [why] = job.errors
    assert why.startswith("第4–6行都是磁器口社区卫生服务中心2024年4月的数字")
    assert "请在导入配置中设置“同一中心同一月份有多行时”：取合计行，或各行相加。" in why
    assert "同一中心同一月份有多行时" in body
    for mode in ("all", "partial"):
        confirm(client, centre, job, mode)
    assert not TallyValue.objects.exists()


@time_machine.travel(TODAY)
def test_the_total_row_is_the_month_and_the_footer_ends_the_table(client, clerk, centre):
    profile = _department_profile(centre, rows_combine="total")
    client.force_login(clerk)
    body = upload(client, centre, department_month_xlsx(), str(profile.pk)).content.decode()
    job = ImportJob.objects.get()
    plan = job.plan
    assert job.status == "preview", job.errors
    # The 合计 row (row 7) is the month; 制表人/审核人 (row 8) is the footer, not data.
    assert plan["row_errors"] == [] and plan["conflicts"] == [] and plan["notices"] == []
    assert plan["footer"] == [8, "制表人:张三", 0]
    assert plan["combined"] == [["4–6", centre.name, "2024-04", "导入合计行（第7行）"]]
    assert sorted((c[0], c[2], c[5]) for c in plan["changes"]) == [
        (7, "上转人次", "16"),
        (7, "中医诊疗人次", "900"),
        (7, "出院人次", "25"),
        (7, "总诊疗人次", "4300"),
        (7, "门急诊人次", "4000"),
    ]
    assert "表格在第8行结束" in body and "导入合计行（第7行）" in body
    confirm(client, centre, job, "all")
    assert _stored(centre) == {
        "opd_visits": 4000,
        "discharges": 25,
        "tcm_visits": 900,
        "total_visits": 4300,
        "referrals_up": 16,
    }


@time_machine.travel(TODAY)
def test_rows_added_up_never_write_a_part_of_the_month(client, clerk, centre):
    profile = _department_profile(centre, rows_combine="sum")
    rows = [
        ["全科医疗科", 3100, 20, 400, 3300, 12],
        ["中医科", 600, "约5", 500, 650, 3],  # 出院人次 cannot be read in one 科室
        ["预防保健科", 200, 5, 0, 350, None],  # no 上转 there
    ]
    # The 合计 row was typed from an older draft: 门急诊 4000 (the rows make 3900).
    content = department_month_xlsx(rows, total=[4000, 25, 900, 4300, 15])
    client.force_login(clerk)
    upload(client, centre, content, str(profile.pk))
    job = ImportJob.objects.get()
    plan = job.plan
    # 3100 + 600 + 200 = 3900; 400 + 500 + 0 = 900; 3300 + 650 + 350 = 4300; 12 + 3 = 15.
    assert sorted((c[2], c[5]) for c in plan["changes"]) == [
        ("上转人次", "15"),
        ("中医诊疗人次", "900"),
        ("总诊疗人次", "4300"),
        ("门急诊人次", "3900"),
    ]
    assert {c[0] for c in plan["changes"]} == {"4–6"}
    [(line, column, message)] = plan["row_errors"]
    assert (line, column) == (5, "出院人次")
    assert message == "“约5”不是数字。（第4–6行相加：该列本月不导入）"
    assert plan["notices"] == [
        "第4–6行「门急诊人次」：合计行（第7行）为4000，各行相加为3900；导入的是各行之和。"
    ]
    # Importing the rest writes the four sums; 出院人次 is not written at all (20 or 25 would
    # both be a part of the month, or a guess).
    confirm(client, centre, job, "partial")
    assert _stored(centre) == {
        "opd_visits": 3900,
        "tcm_visits": 900,
        "total_visits": 4300,
        "referrals_up": 15,
    }


@time_machine.travel(TODAY)
def test_the_total_setting_without_a_total_row_is_refused(client, clerk, centre):
    profile = _department_profile(centre, rows_combine="total")
    book = Workbook()
    book.active.append(DEPARTMENT_HEADER)
    for row in DEPARTMENT_ROWS:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    client.force_login(clerk)
    upload(client, centre, out.getvalue(), str(profile.pk))
    job = ImportJob.objects.get()
    assert job.status == "failed" and "没有这些行的合计行" in job.errors[0]
    assert "第2–4行" in job.errors[0]


@time_machine.travel(TODAY)
def test_a_single_row_per_month_needs_no_setting_and_its_footer_is_no_data(client, clerk, centre):
    profile = _department_profile(centre)
    content = department_month_xlsx([["全院", 4000, 25, 900, 4300, 16]], total=None)
    client.force_login(clerk)
    upload(client, centre, content, str(profile.pk))
    plan = ImportJob.objects.get().plan
    assert plan["row_errors"] == [] and len(plan["changes"]) == 5
    assert plan["totals"] == [[5, "合计"]] and plan["footer"] == [6, "制表人:张三", 0]


@time_machine.travel(TODAY)
def test_other_centres_rows_in_a_district_file_are_information_not_problems(
    client, manager, centre, shuangbei, xiaolongkan
):
    content = gongwei_monthly_xlsx(
        [
            (centre.name, "", _row(rec_filed=5000)),
            (shuangbei.name, shuangbei.credit_code, _row(rec_filed=1200)),
            (xiaolongkan.name, "", _row(rec_filed=7)),
            ("磁器口社区卫生服务中", "", _row(rec_filed=1)),  # a name cut short: no centre
        ]
    )
    client.force_login(manager)
    body = upload(client, centre, content, "shipped:gongwei-monthly").content.decode()
    job = ImportJob.objects.get()
    plan = job.plan
    assert plan["foreign"] == [[6, shuangbei.name], [7, xiaolongkan.name]]
    assert plan["row_errors"] == [
        [8, "机构名称", "“磁器口社区卫生服务中”不是您可以录入数据的中心。"]
    ]
    assert [c[1:3] for c in plan["changes"]] == [[centre.name, "累计建档人数"]]
    assert body.count("不属于本中心，已忽略") == 2 and "1个问题" in body
    # Without the mistyped row, the file goes in whole: no problem, no partial import needed.
    content = gongwei_monthly_xlsx(
        [
            (centre.name, "", _row(rec_filed=5000)),
            (shuangbei.name, shuangbei.credit_code, _row(rec_filed=1200)),
        ]
    )
    body = upload(client, centre, content, "shipped:gongwei-monthly").content.decode()
    job = ImportJob.objects.order_by("-pk").first()
    assert job.plan["row_errors"] == [] and "确认导入" in body and "跳过有问题" not in body
    confirm(client, centre, job, "all")
    job.refresh_from_db()
    assert job.status == "applied", job.errors
    assert TallyValue.objects.get(centre=centre).value == 5000
    assert not TallyValue.objects.filter(centre=shuangbei).exists()


@time_machine.travel(TODAY)
def test_a_month_that_has_not_begun_is_said_once_for_its_row(client, clerk, centre):
    client.force_login(clerk)
    june = ["2024-06", 9000, 7000, 500, 7500, 30, 1200, 100, 200]
    content = his_outpatient_csv([HIS_ROWS[3], june])
    response = upload(client, centre, content, "shipped:his-outpatient", name="a.csv", month="")
    body = response.content.decode()
    plan = ImportJob.objects.get().plan
    assert plan["conflicts"] == [["5", centre.name, "本行各项", "2024-06", "该月尚未开始。"]]
    assert {c[3] for c in plan["changes"]} == {"2024-04"} and len(plan["changes"]) == 6
    assert body.count("该月尚未开始") == 1


@time_machine.travel(TODAY)
def test_recent_imports_name_the_uploader_as_people_know_them(client, manager, centre):
    client.force_login(manager)
    body = upload(
        client, centre, his_outpatient_csv([HIS_ROWS[3]]), "shipped:his-outpatient", month=""
    ).content.decode()
    assert ImportJob.objects.exists()
    page = client.get(reverse("services:profile-import", args=[centre.slug])).content.decode()
    recent = page[page.index('id="recent-imports"') :]
    assert "<td>彭娅</td>" in recent and "<td>manager</td>" not in recent
    assert body


@time_machine.travel(TODAY)
def test_a_total_row_alone_is_the_month(client, clerk, centre):
    profile = _department_profile(centre)
    content = department_month_xlsx([], total=[4000, 25, 900, 4300, 16], footer=False)
    client.force_login(clerk)
    upload(client, centre, content, str(profile.pk))
    plan = ImportJob.objects.get().plan
    assert plan["combined"] == [["4", centre.name, "2024-04", "导入合计行（第4行）"]]
    assert sorted(c[5] for c in plan["changes"]) == ["16", "25", "4000", "4300", "900"]
