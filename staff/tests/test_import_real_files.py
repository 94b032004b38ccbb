"""花名册 as offices write them: their headers, a title row, real 职称 and 学历, text dates, and
departments the new centre does not have yet."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from centers.models import Department
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff import excel, importer
from staff.models import Person, Spell
from staff.validators import id_check_digit

pytestmark = pytest.mark.django_db


def _id(born: str, serial: str = "124") -> str:  # 4: even, a woman's number
    first17 = "500106" + born.replace("-", "") + serial
    return first17 + id_check_digit(first17)


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("身份证号码", "身份证号"),
        ("身份证号", "身份证号"),
        ("公民身份号码", "身份证号"),
        ("身份证号码（18位）", "身份证号"),  # full-width brackets read as half-width
        ("身份证号码(18位)", "身份证号"),
        ("姓名", "姓名"),
        ("姓 名", "姓名"),
        ("姓\u3000名", "姓名"),  # a full-width space
        (" 姓  名 ", "姓名"),
        ("出生年月", "出生日期"),
        ("出生日期", "出生日期"),
        ("出生日期（年月日）", "出生日期"),
        ("入职时间", "入职日期"),
        ("入职日期", "入职日期"),
        ("离职时间", "离职日期"),
        ("离职日期", "离职日期"),
        ("所在科室", "科室"),
        ("科室", "科室"),
        ("部门", "科室"),
        ("专业技术职称", "职称"),
        ("职称", "职称"),
        ("学历", "学历"),
        ("最高学历", "学历"),
        ("职务", "职务"),
        ("性别", "性别"),
        ("人员类别", "人员类别"),
        ("编制情况", "编制情况"),
        ("是否党员", "党员"),
    ],
)
def test_each_office_header_reads_as_its_column(header, column):
    keys = importer.header_keys(["序号", header, "性别" if column != "性别" else "姓名"])
    assert keys is not None
    assert keys[1] == column
    assert keys[0].startswith(importer.IGNORED)  # 序号 is not read


@pytest.mark.parametrize("header", ["参加工作时间", "政治面貌", "备注", "序号"])
def test_headers_with_another_meaning_are_not_read(header):
    keys = importer.header_keys(["姓名", "性别", header])
    assert keys[:2] == ["姓名", "性别"]
    assert keys[2] == f"{importer.IGNORED}2:{header}"


def test_a_row_with_fewer_than_two_known_headers_is_not_the_header():
    assert importer.header_keys(["某某社区卫生服务中心2024年花名册", "", ""]) is None
    assert importer.header_keys(["序号", "姓名", "备注"]) is None


# --- 职称 and 学历 ---------------------------------------------------------------------------

TITLE_FAMILIES = {
    "医": [("主任医师", "senior"), ("副主任医师", "associate_senior"), ("主治医师", "intermediate"),
          ("医师", "junior"), ("医士", "assistant")],
    "护": [("主任护师", "senior"), ("副主任护师", "associate_senior"), ("主管护师", "intermediate"),
          ("护师", "junior"), ("护士", "assistant")],
    "药": [("主任药师", "senior"), ("副主任药师", "associate_senior"), ("主管药师", "intermediate"),
          ("药师", "junior"), ("药士", "assistant")],
    "技": [("主任技师", "senior"), ("副主任技师", "associate_senior"), ("主管技师", "intermediate"),
          ("技师", "junior"), ("技士", "assistant")],
    "中医": [("主任中医师", "senior"), ("副主任中医师", "associate_senior"),
            ("主治中医师", "intermediate"), ("中医师", "junior"), ("中医士", "assistant")],
    "经济": [("高级经济师", "associate_senior"), ("经济师", "intermediate"),
            ("助理经济师", "junior")],
    "会计": [("高级会计师", "associate_senior"), ("会计师", "intermediate"),
            ("助理会计师", "junior"), ("会计员", "assistant")],
    "工程": [("高级工程师", "associate_senior"), ("工程师", "intermediate"),
            ("助理工程师", "junior"), ("技术员", "assistant")],
    # 工勤 grades are no 专业技术职称: counted as without a title.
    "工勤": [("高级技师", "none"), ("技师", "none"), ("高级工", "none"), ("中级工", "none"),
            ("初级工", "none")],
}  # fmt: skip
CATEGORY_OF_FAMILY = {"护": "nurse", "药": "pharmacist", "技": "technician", "工勤": "support"}
CATEGORY_OF_FAMILY |= {"经济": "management", "会计": "management", "工程": "other_technical"}


@pytest.mark.parametrize("family", list(TITLE_FAMILIES))
def test_each_title_family_maps_to_its_levels(family):
    category = CATEGORY_OF_FAMILY.get(family, "physician")
    got = [(written, excel.title(written, category)) for written, _level in TITLE_FAMILIES[family]]
    assert got == TITLE_FAMILIES[family]


def test_the_level_labels_still_read_and_a_wrong_title_is_refused():
    assert excel.title("中级", "nurse") == "intermediate"
    assert excel.title("师级/助理", "nurse") == "junior"
    with pytest.raises(ValueError):
        excel.title("主任", "nurse")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("大学本科", ("bachelor", "")),
        ("本科", ("bachelor", "")),
        ("大学专科", ("college", "")),
        ("大专", ("college", "")),
        ("专科", ("college", "")),
        ("中专", ("secondary", "")),
        ("中等专业", ("secondary", "")),
        ("高中", ("secondary", "")),
        ("中专及以下", ("secondary", "")),
        ("硕士研究生", ("postgraduate", "master")),
        ("研究生", ("postgraduate", "")),
        ("硕士", ("postgraduate", "master")),
        ("博士研究生", ("postgraduate", "doctor")),
        ("博士", ("postgraduate", "doctor")),
        ("研究生-硕士", ("postgraduate", "master")),  # as export writes it
    ],
)
def test_education_spellings(written, expected):
    assert excel.education(written) == expected


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2019.03", dt.date(2019, 3, 1)),
        ("2019.3", dt.date(2019, 3, 1)),
        ("2019年3月", dt.date(2019, 3, 1)),
        ("2019-03", dt.date(2019, 3, 1)),
        ("201903", dt.date(2019, 3, 1)),
        ("2019-03-01", dt.date(2019, 3, 1)),
        ("2019/3/1", dt.date(2019, 3, 1)),
        ("2019年3月1日", dt.date(2019, 3, 1)),
        (2019.03, dt.date(2019, 3, 1)),
        (2019.1, dt.date(2019, 10, 1)),  # 2019.10 typed in a number cell
        (dt.datetime(2019, 3, 1, 0, 0), dt.date(2019, 3, 1)),  # an Excel date
    ],
)
def test_text_dates_as_offices_write_them(cell, day):
    assert excel.parse_date(cell) == day


# --- whole files through the pages ---------------------------------------------------------

HEADER = [
    "序号", "姓 名", "性别", "出生年月", "身份证号码", "人员类别", "执业类别", "全科",
    "专业技术职称", "学历", "编制情况", "职务", "所在科室", "参加工作时间", "入职时间",
    "离职时间", "离职原因", "备注",
]  # fmt: skip
ROWS = [
    [1, "王芳", "女", "1992.05", _id("1992-05-17"), "注册护士", "", "", "主管护师", "大学本科",
     "在编", "职工", "全科门诊", "2014.07", "2019.03", "", "", "借调"],
    [2, "李强", "男", dt.datetime(1988, 1, 2), _id("1988-01-02", "457"), "执业医师", "临床",
     "是", "副主任医师", "硕士研究生", "在编", "中层干部", "全科门诊", "2012年7月",
     "2015年7月1日", "", "", ""],
    [3, "张丽", "女", "1990/6/15", _id("1990-06-15", "788"), "管理人员", "", "", "会计师",
     "大专", "编外-合同制", "职工", "财务科", "2010.09", "2021-09-01", "2024.06", "辞职", ""],
]  # fmt: skip


def office_workbook(rows=ROWS) -> bytes:
    """As an office writes it: a merged title row, a blank row, then the header and the rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(["磁器口社区卫生服务中心2024年花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, centre, content: bytes):
    url = reverse("staff:import-upload", args=[centre.slug])
    file = SimpleUploadedFile("花名册.xlsx", content)
    return post_and_run(client, url, {"file": file}, follow=True)


def _confirm(client, centre, job, departments):
    url = reverse("staff:import-confirm", args=[centre.slug, job.pk])
    return post_and_run(client, url, {"create_department": departments}, follow=True)


def test_the_title_row_is_skipped_and_rows_keep_their_sheet_numbers(centre):
    header, data = importer._read(office_workbook())
    assert header[1:5] == ["姓名", "性别", "出生日期", "身份证号"]
    assert [number for number, _cells in data] == [4, 5, 6]  # header on row 3
    assert data[0][1]["姓名"] == "王芳"


def test_a_file_without_a_header_in_its_first_rows_is_refused_with_the_reason(
    client, clerk, centre
):
    book = Workbook()
    for n in range(11):
        book.active.append([f"说明第{n + 1}行"])
    book.active.append(HEADER)
    out = io.BytesIO()
    book.save(out)
    client.force_login(clerk)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert "前 10 行中没有表头" in body


def test_the_preview_lists_ignored_columns_and_offers_the_missing_departments(
    client, clerk, centre
):
    client.force_login(clerk)
    body = _upload(client, centre, office_workbook()).content.decode()
    assert "已忽略的列：序号、参加工作时间、备注" in body
    assert "新增人员 3 · 新增任职 0 · 修改 0 · 未变 0" in body
    assert "行有错误" not in body
    assert body.count('name="create_department"') == 2
    assert 'value="全科门诊" checked' in body and 'value="财务科" checked' in body
    assert "设立于 2015-07-01" in body  # 全科门诊: the earlier of 2019-03-01 and 2015-07-01
    assert not Department.objects.exists() and not Person.objects.exists()  # a dry run


def test_apply_creates_the_ticked_departments_then_imports_their_rows(client, clerk, centre):
    client.force_login(clerk)
    _upload(client, centre, office_workbook())
    job = ImportJob.objects.get()
    body = _confirm(client, centre, job, ["全科门诊", "财务科"]).content.decode()
    assert "导入完成：新增人员 3 人" in body

    departments = {d.name: d for d in Department.objects.filter(centre=centre)}
    assert sorted(departments) == ["全科门诊", "财务科"]
    assert (departments["全科门诊"].kind, departments["全科门诊"].opened_on) == (
        "clinical",
        dt.date(2015, 7, 1),
    )
    assert (departments["财务科"].kind, departments["财务科"].opened_on) == (
        "administrative",
        dt.date(2021, 9, 1),
    )
    assert AuditEntry.objects.filter(action="centers.department.created").count() == 2

    assert Person.objects.count() == 3 and Spell.objects.count() == 3
    wang = Spell.objects.get(person__name="王芳")
    # 出生年月 1992.05: the day comes from the 身份证号; 入职时间 2019.03 is the 1st.
    assert wang.person.birth_date == dt.date(1992, 5, 17)
    assert (wang.hired_on, wang.title, wang.person.education) == (
        dt.date(2019, 3, 1),
        "intermediate",
        "bachelor",
    )
    assert wang.department == departments["全科门诊"]
    li = Spell.objects.get(person__name="李强")
    assert (li.title, li.person.education, li.person.degree, li.hired_on) == (
        "associate_senior",
        "postgraduate",
        "master",
        dt.date(2015, 7, 1),
    )
    zhang = Spell.objects.get(person__name="张丽")
    assert (zhang.title, zhang.left_on, zhang.leave_reason) == (
        "intermediate",
        dt.date(2024, 6, 1),
        "resigned",
    )
    assert zhang.department == departments["财务科"]


def test_a_department_left_unticked_refuses_the_file_and_nothing_is_written(client, clerk, centre):
    client.force_login(clerk)
    _upload(client, centre, office_workbook())
    job = ImportJob.objects.get()
    body = _confirm(client, centre, job, ["全科门诊"]).content.decode()
    assert "有行填写了您选择不新建的科室：财务科" in body
    assert not Department.objects.exists()  # the one ticked is rolled back too
    assert not Person.objects.exists()


def test_a_department_the_centre_has_is_used_not_offered(client, clerk, centre):
    existing = Department.objects.create(
        centre=centre, name="财务科", kind="administrative", opened_on=dt.date(2000, 1, 1)
    )
    client.force_login(clerk)
    body = _upload(client, centre, office_workbook()).content.decode()
    assert body.count('name="create_department"') == 1
    job = ImportJob.objects.get()
    _confirm(client, centre, job, ["全科门诊"])
    assert Department.objects.count() == 2
    assert Spell.objects.get(person__name="张丽").department == existing


# --- words -------------------------------------------------------------------------------


def test_the_roster_and_the_add_form_say_zhiwu_and_xingming(client, clerk, centre):
    client.force_login(clerk)
    roster = client.get(reverse("staff:roster", args=[centre.slug])).content.decode()
    assert "<th>职务</th>" in roster and "<th>排序</th>" not in roster
    assert "<th>姓名</th>" in roster
    form = client.get(reverse("staff:staff-add", args=[centre.slug])).content.decode()
    assert 'for="id_position">职务<' in form
    assert 'for="id_name">姓名<' in form
    assert ">排序<" not in form and ">名称<" not in form
