"""The import pipeline against hostile and real-world files: bombs, formulas, wide sheets, XML
entities, stalled workers; and the bulk apply of a large roster in bounded queries."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from centers.models import Department
from core import imports
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from services.models import TallyValue
from staff.importer import check as roster_check
from staff.models import Person, Spell
from staff.tests.test_excel_import import GOOD, HEADERS, _id, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def department(centre):
    return Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )


def _rewrite(content: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None):
    """The same workbook with some parts replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item.filename, replace.get(item.filename, src.read(item.filename)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def _sheet_xml(content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def bomb(rows=(GOOD,), megabytes=60) -> bytes:
    """A real roster whose sheet is padded with whitespace: tens of MB unpacked, ~0.1 MB zipped."""
    content = workbook(*rows)
    xml = _sheet_xml(content).replace(b"<sheetData>", b"<sheetData>" + b" " * megabytes * 2**20)
    return _rewrite(content, {"xl/worksheets/sheet1.xml": xml})


def _upload(client, url_name, centre, content, name="花名册.xlsx", **data):
    url = reverse(url_name, args=[centre.slug])
    upload = SimpleUploadedFile(name, content)
    return post_and_run(client, url, {"file": upload, **data}, follow=True)


# --- the archive is inspected before anything parses it ------------------------------------


def test_a_bomb_is_refused_from_the_zip_directory_alone():
    content = bomb()
    assert len(content) < 200_000
    with pytest.raises(imports.Refused, match="压缩炸弹"):
        imports.inspect_archive(content)


def test_too_many_parts_and_too_much_unpacked_are_refused(monkeypatch):
    many = _rewrite(workbook(GOOD), {}, {f"xl/junk/{i}.xml": b"<a/>" for i in range(400)})
    with pytest.raises(imports.Refused, match=r"40\d"):
        imports.inspect_archive(many)
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(imports.Refused, match="MB"):
        imports.inspect_archive(workbook(*[GOOD] * 200))


def test_an_honest_workbook_passes_the_inspection():
    imports.inspect_archive(workbook(*[GOOD] * 2000))


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("staff:import-upload", {}), ("services:tally-import", {"year": 2024})],
)
def test_a_bomb_uploaded_to_each_import_is_refused_in_seconds_and_writes_nothing(
    client, manager, centre, department, url_name, data
):
    client.force_login(manager)
    audit_rows = AuditEntry.objects.count()
    started = time.monotonic()
    body = _upload(client, url_name, centre, bomb(), **data).content.decode()
    assert time.monotonic() - started < 10
    assert "未导入任何数据" in body and "压缩炸弹" in body
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and not job.file  # the file is not kept
    assert not Person.objects.exists() and not TallyValue.objects.filter(centre=centre).exists()
    assert AuditEntry.objects.count() == audit_rows


def test_an_entity_expansion_bomb_is_unreadable_not_expanded(client, manager, centre, department):
    content = workbook(GOOD)
    xml = _sheet_xml(content)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    xml = laughs + xml.split(b"?>", 1)[-1].replace(b"\xe7\x8e\x8b\xe8\x8a\xb3", b"&c;")
    client.force_login(manager)
    body = _upload(
        client, "staff:import-upload", centre, _rewrite(content, {"xl/worksheets/sheet1.xml": xml})
    ).content.decode()
    assert "无法读取该文件" in body
    assert not Person.objects.exists()


def test_a_sheet_claiming_every_column_is_read_only_as_wide_as_needed(
    client, manager, centre, department
):
    content = workbook(GOOD)
    xml = _sheet_xml(content)
    last = get_column_letter(len(HEADERS)).encode()
    xml = xml.replace(b'<dimension ref="A1:' + last + b'2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert b"XFD1048576" in xml
    client.force_login(manager)
    body = _upload(
        client, "staff:import-upload", centre, _rewrite(content, {"xl/worksheets/sheet1.xml": xml})
    ).content.decode()
    assert "新增人员 1" in body


# --- formulas: computed values are read, formulas without a value are refused ---------------


def _with_formula(cached: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    headers = list(GOOD)
    sheet.append(headers)
    sheet.append([GOOD[h] for h in headers])
    content = io.BytesIO()
    book.save(content)
    xml = _sheet_xml(content.getvalue())
    # 姓名 (column A) as a formula, with or without the value Excel would have stored.
    start = xml.index(b'<c r="A2"')
    end = xml.index(b"</c>", start) + 4
    value = b"<v>\xe7\x8e\x8b\xe8\x8a\xb3</v>" if cached else b""
    cell = b'<c r="A2" t="str"><f>CONCAT("\xe7\x8e\x8b","\xe8\x8a\xb3")</f>' + value + b"</c>"
    return _rewrite(
        content.getvalue(), {"xl/worksheets/sheet1.xml": xml[:start] + cell + xml[end:]}
    )


def test_a_formula_with_its_computed_value_reads_as_that_value(client, manager, centre, department):
    client.force_login(manager)
    body = _upload(client, "staff:import-upload", centre, _with_formula(True)).content.decode()
    assert "新增人员 1" in body


def test_a_formula_without_a_value_is_an_error_not_an_empty_cell(
    client, manager, centre, department
):
    client.force_login(manager)
    body = _upload(client, "staff:import-upload", centre, _with_formula(False)).content.decode()
    assert "「姓名」：此单元格是公式" in body and "=CONCAT" in body
    assert "1 行有错误" in body


# --- bulk apply --------------------------------------------------------------------------


def _people(n: int, **overrides) -> list[dict]:
    rows = []
    for i in range(n):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=11 * i)
        rows.append(
            {
                **GOOD,
                "姓名": f"职工{i:05d}",
                "出生日期": born.isoformat(),
                "身份证号": _id(born.isoformat(), f"{2 * i % 1000:03d}"),  # even: a woman's
                **overrides,
            }
        )
    return rows


def _job(centre, content: bytes, manager) -> ImportJob:
    job = ImportJob.objects.create(
        kind="roster", centre=centre, filename="x.xlsx", created_by=manager
    )  # the uploader's right to see 身份证号 decides how full numbers are matched
    roster_check(job, content, lambda done, total: None)
    job.status = ImportJob.Status.APPLYING
    job.result = {"confirmed_by": manager.pk}
    job.save()
    return job


def test_a_large_roster_applies_in_bulk_with_bounded_queries(
    centre, department, manager, django_assert_max_num_queries
):
    job = _job(centre, workbook(*_people(1200)), manager)
    assert job.plan["summary"]["new_person"] == 1200 and job.plan["bad_rows"] == 0
    # 1,200 people, 1,200 spells and 2,401 audit rows in batches, not per row (SQLite's batches
    # are smaller than PostgreSQL's, which takes 1,000 rows a statement).
    with django_assert_max_num_queries(80):
        imports.run_apply(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED and job.result["new_person"] == 1200
    assert Person.objects.filter(centre=centre).count() == 1200
    assert Spell.objects.filter(centre=centre, department=department).count() == 1200
    assert AuditEntry.objects.filter(action="staff.person.imported").count() == 1200
    assert AuditEntry.objects.filter(action="staff.spell.imported").count() == 1200
    one = AuditEntry.objects.filter(action="staff.person.imported", target_repr="职工00007").get()
    assert one.changes["birth_date"] == [None, "1960-03-18"]  # 1960-01-01 + 7 × 11 days


def test_a_changed_reimport_updates_in_bulk_and_audits_old_and_new(
    centre, department, manager, django_assert_max_num_queries
):
    imports.run_apply(_job(centre, workbook(*_people(300)), manager).pk)
    before = AuditEntry.objects.order_by("-pk").first().pk
    changed = _people(300, **{"职称": "中级"})
    job = _job(centre, workbook(*changed), manager)
    assert job.plan["summary"]["update"] == 300
    with django_assert_max_num_queries(60):
        imports.run_apply(job.pk)
    assert set(Spell.objects.values_list("title", flat=True)) == {"intermediate"}
    updates = AuditEntry.objects.filter(pk__gt=before, action="staff.spell.imported")
    assert updates.count() == 300 and not updates.exclude(changes__has_key="title").exists()
    assert updates.first().changes["title"] == ["junior", "intermediate"]


def test_an_apply_refused_because_the_roster_moved_writes_nothing(centre, department, manager):
    job = _job(centre, workbook(*_people(5)), manager)
    Department.objects.create(centre=centre, name="预防保健科", kind="public_health",
                              opened_on=dt.date(2020, 1, 1))  # fmt: skip
    imports.run_apply(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "预览后有改动" in job.errors[0]
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="staff.").exists()


# --- workers that die --------------------------------------------------------------------


def test_a_check_whose_worker_died_is_taken_again_then_given_up(centre, manager, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    job = ImportJob.objects.create(
        kind="roster",
        centre=centre,
        filename="x.xlsx",
        file=ContentFile(workbook(GOOD), name="x.xlsx"),
        status=ImportJob.Status.CHECKING,
        attempts=1,
        step_started_at=timezone.now(),
    )
    imports.run_check(job.pk, in_worker=False)  # a second delivery while the first still runs
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKING and job.attempts == 1
    time_machine.shift(imports.STALL + dt.timedelta(seconds=1))
    imports.run_check(job.pk, in_worker=False)  # the first worker is gone: taken again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW and job.attempts == 2
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.CHECKING, attempts=3, step_started_at=timezone.now()
    )
    time_machine.shift(imports.STALL + dt.timedelta(seconds=1))
    imports.run_check(job.pk, in_worker=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "多次中断" in job.errors[0]


def test_the_sweeper_queues_an_apply_whose_worker_died(
    centre, department, manager, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    job = _job(centre, workbook(GOOD), manager)
    ImportJob.objects.filter(pk=job.pk).update(step_started_at=timezone.now())
    assert imports.imports_resume() == 0
    time_machine.shift(imports.STALL + dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.imports_resume() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED and Person.objects.count() == 1


def test_the_job_page_polls_while_busy_and_reloads_when_done(client, manager, centre):
    job = ImportJob.objects.create(kind="roster", centre=centre, filename="x.xlsx")
    client.force_login(manager)
    url = reverse("staff:import-preview", args=[centre.slug, job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "等待检查" in page
    poll = client.get(url, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and 'id="import-status"' in poll.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, errors=["坏"])
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"


def test_an_overlong_file_name_is_refused_not_cut(client, manager, centre):
    client.force_login(manager)
    url = reverse("staff:import-upload", args=[centre.slug])
    upload = SimpleUploadedFile("名" * 250 + ".xlsx", workbook(GOOD))
    response = post_and_run(client, url, {"file": upload})
    assert response.status_code == 200 and "200" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_formula_whose_computed_result_is_empty_reads_as_empty(
    client, manager, centre, department
):
    content = workbook(GOOD)
    xml = _sheet_xml(content)
    left = f'<c r="{get_column_letter(HEADERS.index("离职日期") + 1)}2"'.encode()
    start = xml.index(left)  # 离职日期: Excel's =IF(…,"",…) saved with its empty result
    end = xml.index(b"</c>", start) + 4
    cell = left + b' t="str"><f>IF(A2="","",A2)</f><v></v></c>'
    client.force_login(manager)
    body = _upload(
        client,
        "staff:import-upload",
        centre,
        _rewrite(content, {"xl/worksheets/sheet1.xml": xml[:start] + cell + xml[end:]}),
    ).content.decode()
    assert "新增人员 1" in body and "公式" not in body


def test_a_formula_written_by_a_program_without_its_value_is_refused_in_the_tally_import(
    client, manager, centre
):
    book = Workbook()
    sheet = book.active
    sheet.title = "2024年"
    sheet.append(["代码", "指标", "单位", "1月", "2月"])
    sheet.append(["opd_visits", "门急诊人次", "人次", 100, "=D2*2"])  # openpyxl keeps no value
    content = io.BytesIO()
    book.save(content)
    client.force_login(manager)
    body = _upload(
        client, "services:tally-import", centre, content.getvalue(), year=2024
    ).content.decode()
    assert "「2月」：此单元格是公式（=D2*2）" in body
    assert not TallyValue.objects.filter(centre=centre).exists()


def test_two_rows_for_one_indicator_are_an_error_not_a_stuck_import(client, manager, centre):
    book = Workbook()
    sheet = book.active
    sheet.title = "2024年"
    sheet.append(["代码", "指标", "单位", "1月"])
    sheet.append(["opd_visits", "门急诊人次", "人次", 3])
    sheet.append(["opd_visits", "门急诊人次", "人次", 4])
    content = io.BytesIO()
    book.save(content)
    client.force_login(manager)
    body = _upload(
        client, "services:tally-import", centre, content.getvalue(), year=2024
    ).content.decode()
    assert "第3行「代码」：第 2 行也是这个代码" in body
    assert ImportJob.objects.get().status == ImportJob.Status.PREVIEW


def test_an_unexpected_failure_ends_the_job_with_a_message(
    client, manager, centre, department, monkeypatch
):
    def broken(job, content, progress):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(imports.KINDS, "roster", imports.Kind("roster", broken, None))
    client.force_login(manager)
    body = _upload(client, "staff:import-upload", centre, workbook(GOOD)).content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and not job.file
    assert "系统出错" in body and "disk on fire" not in body


def test_file_names_are_ours_on_disk_whatever_the_users_name(client, manager, centre, department):
    client.force_login(manager)
    name = "𠮷" * 120 + ".xlsx"  # 4-byte characters: 484 bytes, past any disk's name limit
    body = _upload(client, "staff:import-upload", centre, workbook(GOOD), name=name)
    assert body.status_code == 200 and "新增人员 1" in body.content.decode()
    job = ImportJob.objects.get()
    assert job.filename == name


def test_one_person_checks_two_files_at_a_time(client, manager, centre):
    for _n in range(2):
        ImportJob.objects.create(
            kind="roster", centre=centre, filename="x.xlsx", created_by=manager
        )
    client.force_login(manager)
    response = _upload(client, "staff:import-upload", centre, workbook(GOOD))
    assert "正在检查或导入的文件有 2 个" in response.content.decode()
    assert ImportJob.objects.count() == 2


def test_previews_nobody_confirmed_expire_with_their_file_and_rows(
    centre, department, manager, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    job = ImportJob.objects.create(
        kind="roster", centre=centre, filename="x.xlsx", file=ContentFile(workbook(GOOD), "x.xlsx")
    )
    roster_check(job, workbook(GOOD), lambda done, total: None)
    job.status = ImportJob.Status.PREVIEW
    job.save()
    path = job.file.path
    assert imports.imports_expire() == 0
    time_machine.shift(imports.KEEP + dt.timedelta(minutes=1))
    assert imports.imports_expire() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "24 小时" in job.errors[0]
    assert not job.file and "rows" not in job.plan
    import os

    assert not os.path.exists(path)


def test_more_rows_than_allowed_says_so_without_a_wrong_count(client, manager, centre, monkeypatch):
    from core import spreadsheet
    from staff import importer

    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    monkeypatch.setattr(spreadsheet, "MAX_DATA_ROWS", 4)
    client.force_login(manager)
    rows = [{**GOOD, "姓名": f"人{i}"} for i in range(9)]
    body = _upload(client, "staff:import-upload", centre, workbook(*rows)).content.decode()
    assert "文件超过 3 行" in body


@pytest.mark.parametrize(
    ("url_name", "data"), [("staff:import-upload", {}), ("services:tally-import", {"year": 2024})]
)
def test_a_third_check_at_once_is_refused_beside_the_file_field(
    client, manager, centre, url_name, data
):
    """Two checks running: both upload pages keep the form and say why, and store nothing."""
    for _ in range(imports.MAX_BUSY_PER_USER):
        ImportJob.objects.create(
            kind="roster",
            centre=centre,
            filename="x.xlsx",
            created_by=manager,
            status=ImportJob.Status.CHECKING,
        )
    client.force_login(manager)
    upload = SimpleUploadedFile("花名册.xlsx", workbook(GOOD))
    response = client.post(reverse(url_name, args=[centre.slug]), {"file": upload, **data})
    assert response.status_code == 200
    assert "您正在检查或导入的文件有 2 个" in response.content.decode()
    assert ImportJob.objects.count() == imports.MAX_BUSY_PER_USER
