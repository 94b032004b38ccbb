"""The 花名册 in Excel: a dry run naming each bad row and column, all-or-nothing, round trip."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from centers.models import Department
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff.excel import HEADERS
from staff.models import Person, Spell
from staff.validators import id_check_digit

pytestmark = pytest.mark.django_db


def _id(born: str, serial: str = "124") -> str:  # 4: even, a woman's number
    first17 = "500106" + born.replace("-", "") + serial
    return first17 + id_check_digit(first17)


GOOD = {
    "姓名": "王芳", "性别": "女", "出生日期": "1992-05-17", "身份证号": _id("1992-05-17"),
    "人员类别": "注册护士", "执业类别": "", "全科": "", "职称": "师级/助理", "学历": "本科",
    "编制情况": "编外-合同制", "职务": "职工", "科室": "全科门诊", "党员": "否",
    "入职日期": "2023-03-01", "离职日期": "", "离职原因": "",
}  # fmt: skip


def workbook(*rows: dict, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def department(centre):
    return Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )


def _upload(client, centre, content: bytes, name="花名册.xlsx"):
    url = reverse("staff:import-upload", args=[centre.slug])
    return post_and_run(client, url, {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_good_file_previews_then_applies_on_confirm(client, clerk, centre, department):
    client.force_login(clerk)
    second = {
        **GOOD,
        "姓名": "李强",
        "性别": "男",
        "出生日期": "1988-01-02",
        "身份证号": "",
        "人员类别": "执业医师",
        "执业类别": "临床",
        "全科": "是",
        "职称": "中级",
        "学历": "研究生-硕士",
        "编制情况": "在编",
        "职务": "中层干部",
        "党员": "是",
    }
    response = _upload(client, centre, workbook(GOOD, second))
    body = response.content.decode()
    assert "新增人员 2 · 新增任职 0 · 修改 0 · 未变 0" in body
    assert not Person.objects.exists()  # a dry run
    roster_import = ImportJob.objects.get()
    response = post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, roster_import.pk]), follow=True
    )
    assert "导入完成：新增人员 2 人" in response.content.decode()
    li = Spell.objects.get(person__name="李强")
    assert (li.category, li.practice_type, li.general_practice, li.title) == (
        "physician",
        "clinical",
        True,
        "intermediate",
    )
    assert (li.establishment, li.contract_kind, li.position) == ("on", "", "middle")
    assert (li.person.education, li.person.degree, li.person.party_member) == (
        "postgraduate",
        "master",
        True,
    )
    assert li.department == department
    assert AuditEntry.objects.filter(action="staff.person.imported").count() == 2
    assert AuditEntry.objects.get(action="staff.roster.imported").changes["new_person"] == 2
    # A second confirm of the same preview does nothing more.
    post_and_run(client, reverse("staff:import-confirm", args=[centre.slug, roster_import.pk]))
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"人员类别": "医生"}, "人员类别", "无法识别“医生”，应为以下之一：执业医师、"),
        ({"离职日期": "2020-01-01", "离职原因": "辞职"}, "离职日期", "离职日期不能早于入职日期"),
        ({"出生日期": "2099-01-01", "身份证号": ""}, "出生日期", "出生日期不能晚于今天"),
        ({"身份证号": "500106199205171230"}, "身份证号", "校验码错误"),
        ({"姓名": ""}, "姓名", "此列必须填写"),
        ({"入职日期": "2024-02-30"}, "入职日期", "“2024-02-30”不是有效的值"),
        ({"科室": "科" * 51}, "科室", "最多 50 个字符"),
        ({"编制情况": "编外-外包"}, "编制情况", "无法识别“编外-外包”，应为以下之一：在编、"),
    ],
)
def test_each_bad_row_is_named_with_its_column_and_nothing_is_written(
    client, clerk, centre, department, overrides, column, message
):
    client.force_login(clerk)
    other = {**GOOD, "姓名": "张三", "身份证号": _id("1992-05-17", "456")}
    body = _upload(client, centre, workbook(other, {**GOOD, **overrides})).content.decode()
    assert f"第3行「{column}」：" in body and message in body
    assert "1 行有错误" in body
    roster_import = ImportJob.objects.get()
    post_and_run(client, reverse("staff:import-confirm", args=[centre.slug, roster_import.pk]))
    assert not Person.objects.exists()  # the good row is not written either


def test_a_file_that_is_not_xlsx_gets_a_clear_message(client, clerk, centre):
    client.force_login(clerk)
    body = _upload(
        client, centre, "姓名,性别\n王芳,女\n".encode(), name="roster.xlsx"
    ).content.decode()
    assert "无法读取该文件：请上传 Excel 工作簿（.xlsx）" in body


def test_a_file_over_the_limit_is_refused_before_reading(client, clerk, centre):
    client.force_login(clerk)
    big = SimpleUploadedFile("big.xlsx", b"0" * (50 * 1024 * 1024))
    response = client.post(reverse("staff:import-upload", args=[centre.slug]), {"file": big})
    assert "文件大小为 50.0 MB，上限为 5 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_missing_columns_are_listed(client, clerk, centre):
    client.force_login(clerk)
    # 人员类别 and 职务 may be absent now (test_import_optional_columns); 性别 and 入职日期 may not.
    content = workbook(GOOD, headers=[h for h in HEADERS if h not in ("性别", "入职日期")])
    assert "缺少列：性别、入职日期" in _upload(client, centre, content).content.decode()


def test_export_then_import_changes_nothing(client, manager, centre, department):
    client.force_login(manager)
    first = _upload(
        client,
        centre,
        workbook(
            GOOD,
            {
                **GOOD,
                "姓名": "赵六",
                "身份证号": "",
                "出生日期": "1990-01-01",
                "离职日期": "2024-06-30",
                "离职原因": "辞职",
            },
        ),
    )
    post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, ImportJob.objects.get().pk])
    )
    assert first.status_code == 200 and Spell.objects.count() == 2
    exported = client.get(reverse("staff:roster-export", args=[centre.slug]), {"status": "all"})
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(exported.content)).active.values)
    assert list(rows[0]) == HEADERS and len(rows) == 3
    audit_rows = AuditEntry.objects.count()
    body = _upload(client, centre, exported.content, name="roster-again.xlsx").content.decode()
    assert "新增人员 0 · 新增任职 0 · 修改 0 · 未变 2" in body
    latest = ImportJob.objects.order_by("-pk").first()
    post_and_run(client, reverse("staff:import-confirm", args=[centre.slug, latest.pk]))
    assert Spell.objects.count() == 2
    assert AuditEntry.objects.count() == audit_rows + 1  # only the import's own summary row


def test_a_changed_cell_is_previewed_as_a_change(client, manager, centre, department):
    client.force_login(manager)
    _upload(client, centre, workbook(GOOD))
    post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, ImportJob.objects.get().pk])
    )
    body = _upload(client, centre, workbook({**GOOD, "职称": "中级"})).content.decode()
    assert "变更内容：职称" in body
    assert "新增人员 0 · 新增任职 0 · 修改 1 · 未变 0" in body


def test_the_same_person_back_again_is_a_second_spell(client, manager, centre, department):
    client.force_login(manager)
    left = {**GOOD, "离职日期": "2023-12-31", "离职原因": "辞职"}
    back = {**GOOD, "入职日期": "2024-06-01"}
    body = _upload(client, centre, workbook(left, back)).content.decode()
    assert "新增人员 1 · 新增任职 1" in body
    post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, ImportJob.objects.get().pk])
    )
    assert Person.objects.count() == 1 and Spell.objects.count() == 2


def test_overlapping_spells_in_one_file_are_refused(client, manager, centre, department):
    client.force_login(manager)
    body = _upload(
        client, centre, workbook(GOOD, {**GOOD, "入职日期": "2024-01-01"})
    ).content.decode()
    assert "与本文件第 2 行的任职期间重叠" in body


def test_ids_are_masked_in_exports_for_clerks(client, clerk, manager, centre, department):
    client.force_login(manager)
    _upload(client, centre, workbook(GOOD))
    post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, ImportJob.objects.get().pk])
    )
    full = load_workbook(
        io.BytesIO(client.get(reverse("staff:roster-export", args=[centre.slug])).content)
    )
    assert list(full.active.values)[1][3] == GOOD["身份证号"]
    client.force_login(clerk)
    masked = load_workbook(
        io.BytesIO(client.get(reverse("staff:roster-export", args=[centre.slug])).content)
    )
    assert list(masked.active.values)[1][3] == GOOD["身份证号"][:4] + "*" * 14
    page = client.get(reverse("staff:roster", args=[centre.slug])).content.decode()
    assert GOOD["身份证号"] not in page


def test_the_preview_offers_one_way_to_upload_again_and_heads_names_姓名(
    client, clerk, centre, department
):
    client.force_login(clerk)
    body = _upload(client, centre, workbook(GOOD)).content.decode()
    assert "新增人员 1" in body
    upload = reverse("staff:import-upload", args=[centre.slug])
    assert body.count(f'href="{upload}"') == 1 and body.count("重新上传文件") == 1
    assert "<th>姓名</th>" in body and "名称" not in body
