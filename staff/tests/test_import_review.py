"""The roster import's office-file reading under review: month-only dates written with a space, a
header row carrying a page of text, a 科室 column naming too many departments, the spellings of
职称 and 学历 each read from one table, and imports racing to create the same department."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from centers.models import Department
from core import imports
from core.models import ImportJob
from core.tests.helpers import post_and_run
from staff import excel, importer
from staff.tests.test_excel_import import GOOD, _id
from staff.tests.test_import_real_files import HEADER, ROWS, _upload, office_workbook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cell", ["1992. 05", "1992 年 5 月", "1992.\u300005"])
def test_a_birth_month_written_with_spaces_takes_the_day_from_the_id_number(cell):
    row = {**GOOD, "出生日期": cell, "身份证号": _id("1992-05-17")}
    values, errors = importer.parse_row(row)
    assert errors == []
    assert values["birth_date"] == dt.date(1992, 5, 17)
    assert excel.is_month_only(cell) and not excel.is_month_only("1992. 05. 17")


def test_an_ignored_header_holding_a_page_of_text_is_named_short():
    header = ["姓名", "性别", "备注" + "长" * 30_000 + "\x07"]
    keys = importer.header_keys(header)
    names = importer.ignored_columns(keys, [(2, dict.fromkeys(keys, ""))])
    assert len(names) == 1 and len(names[0]) <= importer.IGNORED_NAME_CHARS
    assert names[0].startswith("备注长") and "\x07" not in names[0]


def test_a_file_naming_too_many_new_departments_is_refused_with_the_reason(client, clerk, centre):
    n = importer.MAX_NEW_DEPARTMENTS + 1
    rows = []
    for i in range(n):
        row = list(ROWS[0])
        row[4], row[12] = _id("1992-05-17", f"{2 * i:03d}"), f"科室{i:03d}"
        rows.append(row)
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    client.force_login(clerk)
    body = _upload(client, centre, out.getvalue()).content.decode()
    assert f"文件里有 {n} 个本中心没有的科室" in body
    assert not Department.objects.exists()


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("师级", "junior"),
        ("初级", "junior"),
        ("无", "none"),
        ("待聘", "none"),
        ("士级", "assistant"),
    ],
)
def test_the_short_title_spellings_read_from_the_title_table(written, level):
    assert excel.title(written, "nurse") == level


def test_a_category_alias_is_not_read_as_a_title_nor_the_other_way():
    assert excel.choice("药师", excel.CATEGORIES) == "pharmacist"
    assert excel.title("药师", "pharmacist") == "junior"
    with pytest.raises(ValueError):
        excel.choice("初级", excel.CATEGORIES)


def test_two_previews_offering_one_department_create_it_once(client, clerk, manager, centre):
    """Applies run one at a time (the centre row is locked) and the second sees a moved roster."""
    client.force_login(clerk)
    _upload(client, centre, office_workbook())
    first = ImportJob.objects.get()
    client.force_login(manager)
    _upload(client, centre, office_workbook())
    second = ImportJob.objects.exclude(pk=first.pk).get()
    for job, user in ((first, clerk), (second, manager)):
        importer.choose(job, departments=["全科门诊", "财务科"])
        client.force_login(user)
        url = reverse("staff:import-confirm", args=[centre.slug, job.pk])
        post_and_run(client, url, {"create_department": ["全科门诊", "财务科"]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ImportJob.Status.APPLIED
    assert second.status == ImportJob.Status.FAILED and "预览后有改动" in second.errors[0]
    assert sorted(Department.objects.values_list("name", flat=True)) == ["全科门诊", "财务科"]


def test_preview_and_apply_with_new_departments_stay_within_a_query_ceiling(
    client, clerk, centre, django_assert_max_num_queries
):
    client.force_login(clerk)
    _upload(client, centre, office_workbook())
    job = ImportJob.objects.get()
    with django_assert_max_num_queries(12):
        client.get(reverse("staff:import-preview", args=[centre.slug, job.pk]))
    importer.choose(job, departments=["全科门诊", "财务科"])
    job.refresh_from_db()
    imports.import_confirm(job=job, actor=clerk)
    with django_assert_max_num_queries(40):
        imports.run_apply(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
