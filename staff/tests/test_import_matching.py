"""Regressions from review: matching people safely, stale previews, masked numbers, odd files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from centers.models import Department
from core.models import ImportJob
from core.tests.helpers import post_and_run
from staff import importer
from staff.models import Person, Spell
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.test_excel_import import GOOD, _id, _upload, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def department(centre):
    return Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )


def _confirm(client, centre, follow=False):
    latest = ImportJob.objects.order_by("-pk").first()
    return post_and_run(
        client, reverse("staff:import-confirm", args=[centre.slug, latest.pk]), follow=follow
    )


def _imported(client, centre, *rows):
    _upload(client, centre, workbook(*rows))
    _confirm(client, centre)


def test_a_preview_is_refused_after_the_roster_changed(client, manager, centre, department):
    client.force_login(manager)
    _imported(client, centre, GOOD)
    assert "未变 1" in _upload(client, centre, workbook(GOOD)).content.decode()
    Spell.objects.update(title="intermediate", updated_at=timezone.now())  # someone edits meanwhile
    body = _confirm(client, centre, follow=True).content.decode()
    assert "花名册在预览后有改动" in body
    assert Spell.objects.get().title == "intermediate"


def test_confirming_twice_says_it_was_imported(client, manager, centre, department):
    client.force_login(manager)
    _upload(client, centre, workbook(GOOD))
    _confirm(client, centre)
    assert "该文件已经导入过" in _confirm(client, centre, follow=True).content.decode()
    assert Person.objects.count() == 1


def test_one_person_with_and_without_number_in_one_file_cannot_overlap(
    client, manager, centre, department
):
    client.force_login(manager)
    without = {**GOOD, "身份证号": "", "入职日期": "2023-06-01"}
    body = _upload(client, centre, workbook(GOOD, without)).content.decode()
    assert "与本文件第 2 行的任职期间重叠" in body
    _confirm(client, centre)
    assert not Person.objects.exists()


def test_same_number_with_another_name_in_one_file_is_an_error(client, manager, centre, department):
    client.force_login(manager)
    other = {
        **GOOD,
        "姓名": "张三",
        "入职日期": "2010-01-01",
        "离职日期": "2011-01-01",
        "离职原因": "辞职",
    }
    body = _upload(client, centre, workbook(GOOD, other)).content.decode()
    assert "第 2 行使用了同一身份证号，但姓名或出生日期不同" in body


def test_a_namesake_with_another_number_is_a_new_person_not_a_merge(
    client, manager, centre, department
):
    client.force_login(manager)
    _imported(client, centre, GOOD)
    other = {
        **GOOD,
        "身份证号": _id("1992-05-17", "456"),
        "入职日期": "2019-01-01",
        "离职日期": "2020-01-01",
        "离职原因": "辞职",
    }
    _imported(client, centre, other)
    assert sorted(Person.objects.values_list("id_number", flat=True)) == sorted(
        [GOOD["身份证号"], other["身份证号"]]
    )


def test_an_empty_number_keeps_the_stored_one(client, manager, centre, department):
    client.force_login(manager)
    _imported(client, centre, GOOD)
    assert "未变 1" in _upload(client, centre, workbook({**GOOD, "身份证号": ""})).content.decode()
    _confirm(client, centre)
    assert Person.objects.get().id_number == GOOD["身份证号"]


def test_a_clerk_re_imports_their_masked_export_unchanged(
    client, clerk, manager, centre, department
):
    client.force_login(manager)
    _imported(client, centre, GOOD)
    client.force_login(clerk)
    exported = client.get(reverse("staff:roster-export", args=[centre.slug])).content
    body = _upload(client, centre, exported).content.decode()
    assert "未变 1" in body and "行有错误" not in body
    _confirm(client, centre)
    assert Person.objects.get().id_number == GOOD["身份证号"]


def test_clerk_edit_page_masks_the_number_and_saving_keeps_it(client, clerk, centre):
    number = _id("1992-05-17")
    spell = SpellFactory(
        person=PersonFactory(centre=centre, birth_date=dt.date(1992, 5, 17), id_number=number)
    )
    client.force_login(clerk)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    page = client.get(url)
    assert number not in page.content.decode()
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(
        {"gender": "F", "birth_date": "1992-05-17", "hired_on": "2020-01-01", "name": "改名后"}
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.objects.get()
    assert person.id_number == number and person.name == "改名后"


def test_a_stale_edit_form_is_refused(client, clerk, centre):
    spell = SpellFactory(person=PersonFactory(centre=centre))
    client.force_login(clerk)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    stamp = client.get(url).context["form"].initial["based_on"]
    Spell.objects.filter(pk=spell.pk).update(
        left_on=dt.date(2024, 5, 1),
        leave_reason="resigned",
        updated_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    data = {
        "name": "x",
        "gender": "F",
        "birth_date": "1990-06-15",
        "hired_on": "2020-01-01",
        "category": "nurse",
        "title": "junior",
        "establishment": "off",
        "contract_kind": "contract",
        "position": "staff",
        "based_on": stamp,
    }
    body = client.post(url, data).content.decode()
    assert "在您编辑期间，其他人" in body and "已保存了此记录" in body
    assert Spell.objects.get().left_on == dt.date(2024, 5, 1)


def test_a_department_removed_after_preview_refuses_the_confirm(
    client, manager, centre, department
):
    client.force_login(manager)
    _upload(client, centre, workbook(GOOD))
    department.delete()
    body = _confirm(client, centre, follow=True).content.decode()
    assert "未导入任何数据" in body
    assert not Person.objects.exists()


def test_damaged_workbooks_get_a_message(client, clerk, centre):
    client.force_login(clerk)
    content = workbook(GOOD)
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            broken.writestr(item, data)
    assert "无法读取该文件" in _upload(client, centre, out.getvalue()).content.decode()


def test_too_many_rows_are_refused(client, clerk, centre, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    client.force_login(clerk)
    body = _upload(client, centre, workbook(GOOD, GOOD, GOOD)).content.decode()
    assert "文件超过 2 行；每次最多导入 2 行" in body


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"全科": "是"}, "全科", "只有执业（助理）医师才能注册全科"),
        ({"学历": "本科-硕士"}, "学历", "只有研究生学历才填写学位"),
    ],
)
def test_import_applies_the_forms_rules(
    client, clerk, centre, department, overrides, column, message
):
    client.force_login(clerk)
    body = _upload(client, centre, workbook({**GOOD, **overrides})).content.decode()
    assert f"第2行「{column}」：{message}" in body


def test_a_ten_year_limit_on_figure_ranges(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("staff:figures", args=[centre.slug])
    too_long = client.get(url, {"part": "range", "first": "2000-01", "last": "2024-12"})
    body = too_long.content.decode()
    assert too_long.status_code == 200 and "每次最多选择十年" in body
    default_year = timezone.localdate().year - 1
    assert too_long.context["f"].start == dt.date(default_year, 1, 1)  # the default year instead
    ten_years = client.get(url, {"part": "range", "first": "2015-01", "last": "2024-12"})
    assert "每次最多选择十年" not in ten_years.content.decode()
    assert (ten_years.context["f"].start, ten_years.context["f"].end) == (
        dt.date(2015, 1, 1),
        dt.date(2024, 12, 31),
    )
