"""Training lists and practising registrations from XLSX, through the one import pipeline: files
as offices write them, a preview, all or nothing, re-imports that change nothing, hostile files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff.models import PractisingLicence, Training
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.record_factories import LicenceFactory
from staff.validators import id_check_digit

pytestmark = pytest.mark.django_db


def _id(born: str, serial: str = "124") -> str:  # 4: even, a woman's number
    first17 = "500106" + born.replace("-", "") + serial
    return first17 + id_check_digit(first17)


def workbook(header: list[str], *rows: list, title: str = "") -> bytes:
    """As an office writes it: maybe a title row over the header, dates as real dates."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def staff(centre):
    """王芳 (hired 2022), two 李强 told apart by 身份证号, and 陈静 who left in June 2024."""
    wang = SpellFactory(
        person=PersonFactory(centre=centre, name="王芳"), hired_on=dt.date(2022, 3, 1)
    )
    li1 = SpellFactory(
        person=PersonFactory(centre=centre, name="李强", id_number=_id("1990-06-15", "111")),
        category="physician",
    )
    li2 = SpellFactory(
        person=PersonFactory(centre=centre, name="李强", id_number=_id("1990-06-15", "131")),
        category="physician",
    )
    chen = SpellFactory(
        person=PersonFactory(centre=centre, name="陈静"),
        left_on=dt.date(2024, 6, 30),
        leave_reason="resigned",
    )
    return wang.person, li1.person, li2.person, chen.person


TRAINING_HEADER = ["序号", "姓 名", "身份证号码", "培训类别", "进修单位", "进修专业", "起始时间",
                   "结束时间", "学时", "学分"]  # fmt: skip


def _upload(client, centre, url_name: str, content: bytes, name="培训登记表.xlsx"):
    url = reverse(f"staff:{url_name}", args=[centre.slug])
    return post_and_run(client, url, {"file": SimpleUploadedFile(name, content)}, follow=True)


def _confirm(client, centre, prefix: str):
    job = ImportJob.objects.latest("pk")
    url = reverse(f"staff:{prefix}-import-confirm", args=[centre.slug, job.pk])
    return post_and_run(client, url, follow=True)


def test_a_training_list_as_offices_write_it_previews_then_applies(client, manager, centre, staff):
    _wang, li1, _li2, _chen = staff
    content = workbook(
        TRAINING_HEADER,
        [1, "王芳", "", "进修", "重庆医科大学附属第一医院", "急诊护理", dt.datetime(2024, 3, 1),
         dt.datetime(2024, 5, 31), 120, 10],
        [2, "李强", li1.id_number, "适宜技术", "区卫健委", "中医适宜技术", "2024.4.1", "2024.4.2",
         16, 2.5],
        [3, "陈静", "", "继续教育", "市护理学会", "", "2024-06-10", "2024-06-12", "", 3],
        title="磁器口社区卫生服务中心2024年培训进修登记表",
    )  # fmt: skip
    client.force_login(manager)
    body = _upload(client, centre, "training-import", content).content.decode()
    assert "将新增 3 条，更正 0 条，0 条已存在。" in body, body
    assert not Training.objects.exists()  # a dry run
    done = _confirm(client, centre, "training").content.decode()
    assert "新增 3 条，更正 0 条，0 条未变。" in done
    li_training = Training.objects.get(person=li1)
    assert (li_training.kind, li_training.credits) == ("appropriate_tech", 2.5)
    assert AuditEntry.objects.filter(action="staff.training.imported").count() == 4  # 3 + file
    # The same file again adds nothing.
    again = _upload(client, centre, "training-import", content).content.decode()
    assert "将新增 0 条，更正 0 条，3 条已存在。" in again


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["李强", "", "进修", "西南医院", "2024-03-01", "2024-03-31"], "姓名", "有多人名为李强"),
        (["赵六", "", "进修", "西南医院", "2024-03-01", "2024-03-31"], "姓名", "花名册中没有"),
        (["王芳", "", "出国", "西南医院", "2024-03-01", "2024-03-31"], "培训类别", "无法识别"),
        (["王芳", "", "进修", "西南医院", "2021-03-01", "2021-03-31"], "起始时间", "未在本中心任职"),
        (["陈静", "", "进修", "西南医院", "2024-06-01", "2024-07-31"], "结束时间", "已于2024-06-30离职"),
        (["王芳", "", "进修", "西南医院", "2024-03-31", "2024-03-01"], "结束时间", "早于开始日期"),
        (["王芳", "", "进修", "=HYPERLINK(\"x\")", "2024-03-01", "2024-03-31"], "进修单位", "公式"),
    ],
)  # fmt: skip
def test_bad_training_rows_are_named_and_nothing_is_written(
    client, manager, centre, staff, row, column, message
):
    header = ["姓名", "身份证号", "培训类别", "进修单位", "起始时间", "结束时间"]
    client.force_login(manager)
    body = _upload(client, centre, "training-import", workbook(header, row)).content.decode()
    assert f"第2行「{column}」" in body and message in body, body
    assert "确认导入" not in body
    assert not Training.objects.exists()


def test_a_clerk_may_not_match_by_full_id_numbers(client, clerk, centre, staff):
    _wang, li1, _li2, _chen = staff
    header = ["姓名", "身份证号", "培训类别", "进修单位", "起始时间", "结束时间"]
    right = ["李强", li1.id_number, "进修", "西南医院", "2024-03-01", "2024-03-31"]
    wrong = ["李强", _id("1990-06-15", "151"), "进修", "西南医院", "2024-03-01", "2024-03-31"]
    client.force_login(clerk)
    bodies = [
        _upload(client, centre, "training-import", workbook(header, r)).content.decode()
        for r in (right, wrong)
    ]
    # The same refusal whether the number is right or wrong: no oracle.
    for body in bodies:
        assert "您无权查看身份证号" in body
    masked = ["李强", li1.id_number[:4] + "*" * 14, "进修", "西南医院", "2024-03-01", "2024-03-31"]
    body = _upload(client, centre, "training-import", workbook(header, masked)).content.decode()
    assert "有多人名为李强" in body  # the mask alone cannot tell the two apart


LICENCE_HEADER = ["姓名", "证书名称", "证书编码", "执业类别", "执业范围", "执业地点", "发证日期",
                  "有效期至"]  # fmt: skip


def test_registrations_are_added_then_corrected(client, manager, centre, staff):
    wang, li1, _li2, _chen = staff
    content = workbook(
        ["姓名", "身份证号", *LICENCE_HEADER[1:]],
        ["王芳", "", "护士执业证书", "202250012345678", "", "", "", "2022-03-01", "2027-02-28"],
        ["李强", li1.id_number, "医师执业证书", "110500000012345", "临床", "全科医学专业",
         centre.name, "2019-07-01", ""],
        ["李强", li1.id_number, "全科", "", "临床", "全科医学专业", "区人民医院", "2021-01-01", ""],
    )  # fmt: skip
    client.force_login(manager)
    body = _upload(client, centre, "licence-import", content, "执业证书.xlsx").content.decode()
    assert "将新增 3 条" in body and "202250012345678" in body
    _confirm(client, centre, "licence")
    assert PractisingLicence.objects.count() == 3
    gp = PractisingLicence.objects.get(kind="general_practice")
    assert (gp.registered_here, gp.registered_at) == (False, "区人民医院")
    corrected = workbook(
        ["姓名", *LICENCE_HEADER[1:]],
        ["王芳", "护士", "", "", "", "", "2022-03-01", "2032-02-28"],  # renewed; number kept
    )
    body = _upload(client, centre, "licence-import", corrected, "续期.xlsx").content.decode()
    assert "将新增 0 条，更正 1 条" in body
    _confirm(client, centre, "licence")
    nurse = PractisingLicence.objects.get(person=wang)
    assert nurse.valid_to == dt.date(2032, 2, 28) and nurse.licence_number == "202250012345678"
    entry = AuditEntry.objects.filter(
        action="staff.practisinglicence.imported", target_id=str(nurse.pk)
    ).latest("pk")
    assert entry.changes["valid_to"] == ["2027-02-28", "2032-02-28"]


def test_a_clerk_never_learns_whether_a_typed_licence_number_is_right(client, clerk, centre, staff):
    wang = staff[0]
    LicenceFactory(person=wang, kind="nurse", licence_number="202250012345678",
                   issued_on=dt.date(2022, 3, 1))  # fmt: skip
    client.force_login(clerk)
    bodies = []
    for number in ("202250012345678", "202250099999999"):
        content = workbook(LICENCE_HEADER, ["王芳", "护士", number, "", "", "", "2022-03-01", ""])
        bodies.append(_upload(client, centre, "licence-import", content).content.decode())
    for body in bodies:
        assert "将新增 0 条，更正 1 条，0 条已存在。" in body
        assert "2022***********" in body and "202250012345678" not in body


def _padded(content: bytes, megabytes: int = 40) -> bytes:
    """The same workbook whose sheet holds tens of MB of whitespace: a compression bomb."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * megabytes * 2**20)
            dst.writestr(item.filename, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,kind\n", "无法读取该文件"),
        (workbook(["甲", "乙"], ["1", "2"]), "缺少列：姓名、培训类型"),  # no header row of ours
        (workbook(["姓名", "培训类别"], ["王芳", "进修"]), "缺少列：培训地点"),
        (_padded(workbook(TRAINING_HEADER, ["1", "王芳"])), "压缩炸弹"),
    ],
    ids=["not-a-workbook", "no-header", "missing-columns", "bomb"],
)
def test_hostile_or_foreign_files_are_refused_whole(
    client, manager, centre, staff, content, message
):
    client.force_login(manager)
    body = _upload(client, centre, "training-import", content).content.decode()
    assert message in body, body
    assert not Training.objects.exists()
