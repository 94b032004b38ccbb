"""Hostile and broken files through an import profile: bombs and sizes (the pipeline's limits
hold), formulas (read as their computed value or refused, never evaluated), control characters,
over-long cells, old .xls files, and CSV text in an encoding we do not read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core import imports, tables
from core.imports import Refused
from core.models import ImportJob
from core.tests.helpers import post_and_run
from core.tests.test_imports import _rewrite, _sheet_xml
from services.models import ImportProfile, TallyValue
from services.profile_files import Mapping, parse_period, read_table, read_value
from services.tests.profile_samples import his_outpatient_csv

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2024, 5, 20, 10, 0)


@pytest.fixture
def profile(centre):
    """A centre's XLSX profile: 统计月份, 门急诊人次 and 出院人次."""
    return ImportProfile.objects.create(
        centre=centre,
        name="HIS月报",
        period_column="统计月份",
        mappings=[
            {"header": "门急诊人次", "indicator": "opd_visits", "scale": "1", "missing": "skip"},
            {"header": "出院人次", "indicator": "discharges", "scale": "1", "missing": "skip"},
        ],
    )


def workbook(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["统计月份", "门急诊人次", "出院人次"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(client, centre, content: bytes, ref: str, name="f.xlsx") -> ImportJob:
    url = reverse("services:profile-import", args=[centre.slug])
    data = {"profile": ref, "month": "", "file": SimpleUploadedFile(name, content)}
    response = post_and_run(client, url, data, follow=True)
    assert response.status_code == 200
    return ImportJob.objects.order_by("-pk").first()


@time_machine.travel(TODAY)
def test_a_bomb_is_refused_before_it_is_opened(client, clerk, centre, profile):
    content = workbook(["2024-04", 10, 1])
    xml = _sheet_xml(content).replace(b"<sheetData>", b"<sheetData>" + b" " * 60 * 2**20)
    bomb = _rewrite(content, {"xl/worksheets/sheet1.xml": xml})
    client.force_login(clerk)
    job = _import(client, centre, bomb, str(profile.pk))
    assert job.status == "failed" and "压缩炸弹" in job.errors[0]
    assert not job.file  # the stored file is gone with the job


@time_machine.travel(TODAY)
def test_too_big_and_old_xls_files_are_refused_at_the_upload(client, clerk, centre, profile):
    client.force_login(clerk)
    url = reverse("services:profile-import", args=[centre.slug])
    big = SimpleUploadedFile("big.csv", b"a," * (imports.MAX_UPLOAD_BYTES // 2 + 1))
    body = client.post(url, {"profile": str(profile.pk), "file": big}).content.decode()
    assert "上限为 5 MB" in body or "5 MB" in body
    xls = SimpleUploadedFile("old.xls", imports.OLE_MAGIC + b"\x00" * 512)
    body = client.post(url, {"profile": str(profile.pk), "file": xls}).content.decode()
    assert "旧版Excel文件（.xls）" in body
    assert not ImportJob.objects.exists()


@time_machine.travel(TODAY)
def test_formulas_are_read_as_computed_or_refused_never_evaluated(client, clerk, centre, profile):
    content = workbook(["2024-04", 10, 1])
    xml = _sheet_xml(content)
    # B2 keeps Excel's computed value; C2 is a formula a program wrote without one.
    xml = xml.replace(b'<c r="B2" t="n"><v>10</v></c>', b'<c r="B2"><f>5+5</f><v>10</v></c>')
    xml = xml.replace(b'<c r="C2" t="n"><v>1</v></c>', b'<c r="C2"><f>SUM(1,2)</f></c>')
    assert b"SUM(1,2)" in xml and b"<f>5+5</f>" in xml
    client.force_login(clerk)
    job = _import(
        client, centre, _rewrite(content, {"xl/worksheets/sheet1.xml": xml}), str(profile.pk)
    )
    assert job.status == "preview", job.errors
    assert [c[2:] for c in job.plan["changes"]] == [["门急诊人次", "2024-04", "", "10"]]
    [(row, column, message)] = job.plan["row_errors"]
    assert (row, column) == (2, "出院人次") and "=SUM(1,2)" in message and "公式" in message
    # In a CSV a cell starting with = is a formula with no value: refused, not computed.
    csv = '统计月份,门急诊人次,出院人次\r\n2024-04,=2+3,=HYPERLINK("http://x")\r\n'.encode()
    csv_profile = ImportProfile.objects.create(
        centre=centre,
        name="CSV",
        file_type="csv",
        period_column="统计月份",
        mappings=profile.mappings,
    )
    job = _import(client, centre, csv, str(csv_profile.pk), name="f.csv")
    assert job.plan["changes"] == [] and len(job.plan["row_errors"]) == 2
    assert all("公式" in e[2] for e in job.plan["row_errors"])
    assert not TallyValue.objects.exists()


@time_machine.travel(TODAY)
def test_control_characters_and_overlong_cells_are_named(client, clerk, centre, profile):
    long_number = "1" * 41
    content = workbook(["2024-04", "12\u200b", long_number])  # a zero-width space pasted in
    client.force_login(clerk)
    job = _import(client, centre, content, str(profile.pk))
    errors = {column: message for _row, column, message in job.plan["row_errors"]}
    assert "不可见的控制字符" in errors["门急诊人次"]
    assert errors["出院人次"] == "数值最多 40 个字符。"
    # A CSV carries C0 controls and names too long for any centre.
    csv_profile = ImportProfile.objects.create(
        centre=centre,
        name="CSV",
        file_type="csv",
        period_column="统计月份",
        centre_name_column="机构名称",
        mappings=profile.mappings,
    )
    csv = (
        f"统计月份,机构名称,门急诊人次\r\n2024-04,{'中' * 101},5\r\n2024-04,{centre.name},\x07\r\n"
    )
    job = _import(client, centre, csv.encode(), str(csv_profile.pk), name="f.csv")
    errors = {column: message for _row, column, message in job.plan["row_errors"]}
    assert errors["机构名称"] == "该单元格有101个字符，机构名称或代码最多100个字符。"
    assert "不可见的控制字符" in errors["门急诊人次"]


def test_a_csv_in_an_encoding_we_do_not_read_names_those_tried():
    content = "统计月份,门急诊人次\r\n2024-04,12\r\n".encode("gb18030") + b"\x80\xff\r\n"
    with pytest.raises(Refused) as refused:
        read_table(content, "csv")
    assert "UTF-8、GB18030 (GBK)" in str(refused.value)
    # UTF-8 (with or without BOM) and GB18030 read alike; Excel's "Unicode text" is UTF-16.
    text = "统计月份,门急诊人次\r\n2024-04,12\r\n"
    for data, used in [
        (text.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.encode("gb18030"), "gb18030"),
        (text.replace(",", "\t").encode("utf-16"), "utf-16"),
    ]:
        table = read_table(data, "csv")
        assert table.encoding == used and table.rows[1][1] == ["2024-04", "12"]


@time_machine.travel(TODAY)
def test_a_utf8_file_for_a_gb18030_profile_is_read_and_said(client, clerk, centre):
    client.force_login(clerk)
    content = his_outpatient_csv([["2024-04", 1, 1, 1, 1, 1, 1, 1, 1]], encoding="utf-8")
    job = _import(client, centre, content, "shipped:his-outpatient", name="his.csv")
    assert job.status == "preview"
    assert job.plan["notices"] == ["该配置预期文件为GB18030编码，此文件按UTF-8编码读取。"]


@time_machine.travel(TODAY)
def test_a_file_of_the_wrong_type_or_without_the_columns_is_refused(client, clerk, centre, profile):
    client.force_login(clerk)
    job = _import(client, centre, his_outpatient_csv([]), str(profile.pk), name="a.csv")
    assert "该配置读取Excel工作簿（.xlsx）" in job.errors[0]
    book = Workbook()
    book.active.append(["日期", "人数"])
    out = io.BytesIO()
    book.save(out)
    job = _import(client, centre, out.getvalue(), str(profile.pk))
    assert job.status == "failed" and "是否选错了配置" in job.errors[0]
    # The same mapped header twice: which column holds the figures is not guessed.
    twice = Workbook()
    twice.active.append(["统计月份", "门急诊人次", "门急诊人次"])
    twice.active.append(["2024-04", 1, 2])
    out = io.BytesIO()
    twice.save(out)
    job = _import(client, centre, out.getvalue(), str(profile.pk))
    assert "出现了不止一次（第B、C列）" in job.errors[0]


def test_cells_read_as_offices_write_them():
    skip, zero, dash = (Mapping("x", "y", "1", m) for m in ("skip", "zero", "dash_zero"))
    assert read_value("1,234", skip, True) == ("1234", "")
    assert read_value("１２３", skip, True) == ("123", "")  # full-width digits
    assert read_value("—", skip, True) == (None, "")
    assert read_value("—", dash, True) == ("0", "")
    assert read_value(None, dash, True) == (None, "")
    assert read_value(None, zero, True) == ("0", "")
    money = Mapping("收入(元)", "opd_income", "0.0001", "skip")
    assert read_value(1234567.89, money, False) == ("123.46", "")  # 123.456789 → 123.46
    thousands = Mapping("人次(千)", "opd_visits", "1000", "skip")
    assert read_value("1.5", thousands, True) == ("1500", "")
    assert read_value("1.2345", thousands, True)[1] == "1.2345 × 1000 = 1234.5，不是整数。"
    assert read_value("12%", skip, True)[1] == "“12%”不是数字。"
    for written in ("2024-04", "2024年4月", "202404", "2024/4/1", "2024年4月份", 45383,
                    dt.datetime(2024, 4, 1), "2024-04-01至2024-04-30"):  # fmt: skip
        assert parse_period(written) == dt.date(2024, 4, 1), written
    for wrong in ("4月", "2024-04-01至2024-05-31", "20244", 2024):
        with pytest.raises(ValueError):
            parse_period(wrong)


def test_header_cells_with_control_characters_are_named_and_the_rest_read():
    book = Workbook()
    book.active.append(["统计月份", "门急诊\u202e人次", "X" * 150])
    book.active.append(["2024-04", 5, 6])
    out = io.BytesIO()
    book.save(out)
    from services.profile_files import find_header

    header = find_header(tables.read_xlsx(out.getvalue()))
    assert [c.label for c in header.columns][:2] == ["统计月份", "门急诊人次"]
    assert len(header.notices) == 2 and "控制字符" in header.notices[0]
    assert "超过100个字符" in header.notices[1]


def test_a_hostile_sample_in_the_editor_is_refused_beside_the_field(client, clerk, centre):
    content = workbook(["2024-04", 10, 1])
    xml = _sheet_xml(content).replace(b"<sheetData>", b"<sheetData>" + b" " * 60 * 2**20)
    client.force_login(clerk)
    url = reverse("services:profile-create", args=[centre.slug])
    for sample, said in [
        (_rewrite(content, {"xl/worksheets/sheet1.xml": xml}), "压缩炸弹"),
        ("统计月份,人次\r\n".encode("gb18030") + b"\x80\xff", "UTF-8、GB18030 (GBK)"),
        (imports.OLE_MAGIC + b"\x00" * 64, "旧版Excel文件"),
    ]:
        response = client.post(url, {"file": SimpleUploadedFile("s.xlsx", sample)})
        assert response.status_code == 200 and said in response.content.decode()
    assert not ImportProfile.objects.exists()


@time_machine.travel(TODAY)
def test_a_mapping_to_an_indicator_the_centre_lacks_is_named(client, clerk, centre, profile):
    profile.mappings = [
        *profile.mappings,
        {"header": "床日数", "indicator": "bed_days_gone", "scale": "1", "missing": "skip"},
    ]
    profile.save()
    book = Workbook()
    book.active.append(["统计月份", "门急诊人次", "出院人次", "床日数"])
    book.active.append(["2024-04", 10, 1, 300])
    out = io.BytesIO()
    book.save(out)
    client.force_login(clerk)
    job = _import(client, centre, out.getvalue(), str(profile.pk))
    assert job.plan["unknown_indicator"] == [["床日数", "bed_days_gone"]]
    assert len(job.plan["changes"]) == 2
    page = client.get(reverse("services:profile-import-preview", args=[centre.slug, job.pk]))
    assert "对应的指标“bed_days_gone”不在本中心的指标目录中" in page.content.decode()


def _counting(monkeypatch, name: str) -> list[int]:
    """How many rows each read of core.tables returned (a sample must not read the file)."""
    counts: list[int] = []
    real = getattr(tables, name)

    def read(content, max_rows=tables.MAX_ROWS):
        table = real(content, max_rows)
        counts.append(len(table.rows))
        return table

    monkeypatch.setattr(tables, name, read)
    return counts


def test_a_long_sample_is_read_for_its_header_only(monkeypatch):
    from services.profile_files import SAMPLE_ROWS, read_sample

    # 12,000 months: more than an import takes (it says so), but a sample only names columns.
    lines = ["某HIS导出", "统计月份,门急诊人次", *(f"2024-04,{i}" for i in range(12_000))]
    csv_counts = _counting(monkeypatch, "read_csv")
    sample = read_sample("\r\n".join(lines).encode())
    assert [c.label for c in sample.header.columns] == ["统计月份", "门急诊人次"]
    assert sample.examples == ["2024-04", "0"] and csv_counts == [SAMPLE_ROWS]
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["统计月份", "门急诊人次"])
    for i in range(12_000):
        sheet.append(["2024-04", i])
    out = io.BytesIO()
    book.save(out)
    xlsx_counts = _counting(monkeypatch, "read_xlsx")
    assert read_sample(out.getvalue()).examples == ["2024-04", "0"]
    assert xlsx_counts == [SAMPLE_ROWS]
    with pytest.raises(Refused, match="5 MB"):  # never read past the upload limit
        read_sample(b"a," * (imports.MAX_UPLOAD_BYTES // 2 + 1))


def test_a_sample_too_big_is_refused_beside_the_field_before_it_is_read(
    client, clerk, centre, monkeypatch
):
    read = _counting(monkeypatch, "read_csv")
    client.force_login(clerk)
    url = reverse("services:profile-create", args=[centre.slug])
    big = SimpleUploadedFile("big.csv", b"a," * (imports.MAX_UPLOAD_BYTES // 2 + 1))
    body = client.post(url, {"read_sample": "1", "file": big}).content.decode()
    assert '<p class="error" id="id_file-error">文件大小为 5.0 MB，上限为 5 MB。</p>' in body
    assert read == []
