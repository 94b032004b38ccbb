"""A 花名册 as offices write it, without 人员类别, 职务 or 编制情况: each is filled in as the
preview says (the category from the 职称, everyone 职工, one 编制情况 chosen), never silently."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from core import imports
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff import excel, importer, selectors
from staff.models import Person, Spell
from staff.tests.test_import_real_files import _id, _upload

pytestmark = pytest.mark.django_db

HEADER = [
    "序号", "姓 名", "性别", "身份证号码", "出生年月", "所在科室", "专业技术职称", "学历",
    "入职时间", "备注",
]  # fmt: skip
ROWS = [
    [1, "王医生", "男", _id("1985-03-12", "111"), "1985.03", "全科门诊", "主治医师", "大学本科",
     "2016.07", ""],
    [2, "刘护士", "女", _id("1990-08-20", "222"), "1990.08", "全科门诊", "主管护师", "大学本科",
     "2018.03", ""],
    [3, "陈主任", "男", _id("1975-11-02", "333"), "1975.11", "全科门诊", "副主任医师",
     "大学本科", "2010.09", "返聘"],
]  # fmt: skip


def office_file(rows=ROWS) -> bytes:
    """The tester's file: a merged title row, then the header and three people."""
    book = Workbook()
    sheet = book.active
    sheet.append(["磁器口社区卫生服务中心职工花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _confirm(client, centre, job, data):
    url = reverse("staff:import-confirm", args=[centre.slug, job.pk])
    return post_and_run(client, url, data, follow=True)


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("主任医师", "physician"),
        ("副主任医师", "physician"),
        ("主治医师", "physician"),
        ("医师", "physician"),
        ("主治中医师", "physician"),
        ("医士", "assistant_physician"),
        ("中医士", "assistant_physician"),
        ("主管护师", "nurse"),
        ("护士", "nurse"),
        ("主管药师", "pharmacist"),
        ("中药士", "pharmacist"),
        ("主管技师", "technician"),
        ("技士", "technician"),
        ("会计师", None),
        ("经济师", None),
        ("工程师", None),
        ("高级工", None),
        ("中级", None),
        ("", None),
    ],
)
def test_the_title_tells_the_category_only_in_the_health_series(title, category):
    assert excel.category_of_title(title) == category


def test_the_testers_file_imports_after_choosing_the_establishment(client, clerk, centre):
    client.force_login(clerk)
    body = _upload(client, centre, office_file()).content.decode()
    assert "缺少列" not in body
    assert (
        "文件没有“人员类别”列：按职称判断"
        "（主治医师→执业医师、主管护师→注册护士、副主任医师→执业医师）。" in body
    )
    assert "文件没有“职务”列：全部按“职工”导入。" in body
    assert "文件没有“编制情况”列：请为全部人员选择一项" in body
    assert body.count('name="establishment"') == 4  # 在编 and the three kinds of 编外
    assert 'name="establishment" value="编外-合同制" required>' in body  # none chosen for them
    assert "新增人员 3" in body and "行有错误" not in body

    job = ImportJob.objects.get()
    body = _confirm(client, centre, job, {"create_department": ["全科门诊"]}).content.decode()
    assert "请为文件中的全部人员选择编制情况。" in body
    assert 'value="全科门诊" checked' in body  # the tick is kept
    assert "文件没有“职务”列" in body  # and the preview
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW and "establishment" not in job.params
    assert not Person.objects.exists()

    body = _confirm(
        client, centre, job, {"create_department": ["全科门诊"], "establishment": "编外-合同制"}
    ).content.decode()
    assert "导入完成：新增人员 3 人" in body
    spells = {s.person.name: s for s in Spell.objects.select_related("person")}
    assert {n: s.category for n, s in spells.items()} == {
        "王医生": "physician",
        "刘护士": "nurse",
        "陈主任": "physician",
    }
    assert {(s.establishment, s.contract_kind, s.position) for s in spells.values()} == {
        ("off", "contract", "staff")
    }
    assert spells["陈主任"].title == "associate_senior"
    assert spells["王医生"].person.education == "bachelor"
    entry = AuditEntry.objects.get(action="staff.roster.imported")
    assert entry.changes["establishment"] == "编外-合同制"

    figures = selectors.workforce_figures(
        centre=centre, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)
    )
    assert (figures.physicians, figures.nurses) == (2, 1)
    assert figures.off_establishment_end == 3
    roster = client.get(reverse("staff:roster", args=[centre.slug])).content.decode()
    assert roster.count("执业医师") >= 2 and "注册护士" in roster


def test_apply_without_the_chosen_establishment_is_refused_and_writes_nothing(
    client, clerk, centre
):
    """Past the page (a replayed or scripted confirm), the apply step refuses on its own."""
    client.force_login(clerk)
    _upload(client, centre, office_file())
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(params={"create_departments": ["全科门诊"]})
    imports.import_confirm(job=job, actor=clerk)
    imports.run_apply(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "请为文件中的全部人员选择编制情况" in job.errors[0]
    assert not Person.objects.exists() and not Spell.objects.exists()


def test_a_row_whose_title_does_not_tell_the_category_is_a_row_error(client, clerk, centre):
    rows = [
        ROWS[0],
        [2, "张会计", "女", _id("1990-06-15", "789"), "1990.06", "全科门诊", "会计师", "大专",
         "2021.09", ""],
        [3, "赵某", "男", _id("1991-01-01", "456"), "1991.01", "全科门诊", "", "大专",
         "2021.09", ""],
    ]  # fmt: skip
    client.force_login(clerk)
    body = _upload(client, centre, office_file(rows)).content.decode()
    assert (
        "第4行「人员类别」：文件没有“人员类别”列，职称“会计师”看不出人员类别："
        "请在文件中加上“人员类别”列，或填写卫生专业技术职称" in body
    )
    assert "第5行「人员类别」：文件没有“人员类别”列，职称“”看不出人员类别" in body
    assert "2 行有错误" in body
    assert "（主治医师→执业医师）" in body  # only the titles that told it
    assert 'name="establishment"' not in body  # no confirming a file with errors


def test_a_file_with_the_three_columns_asks_and_says_nothing_more():
    values, errors = importer.parse_row(
        {
            "姓名": "李强",
            "性别": "男",
            "出生日期": "1988-01-02",
            "人员类别": "管理人员",
            "职称": "主治医师",
            "编制情况": "在编",
            "职务": "中层干部",
            "入职日期": "2015-07-01",
        }
    )
    assert errors == []
    assert (values["category"], values["position"], values["establishment"]) == (
        "management",
        "middle",
        "on",
    )


def test_people_already_on_the_roster_keep_their_own_category_position_and_establishment(
    client, manager, centre
):
    """刘护士 is on the roster as 中层, 在编, nurse since 2018-03: a file without those columns
    changes none of it (and the preview says so); only the new people take the file's values."""
    client.force_login(manager)  # a clerk may not send full ID numbers of people on file
    _upload(client, centre, office_file(ROWS[1:2]))
    job = ImportJob.objects.get()
    _confirm(client, centre, job, {"create_department": ["全科门诊"], "establishment": "在编"})
    Spell.objects.update(position="middle")  # since then, made 护士长
    ImportJob.objects.all().delete()

    body = _upload(client, centre, office_file()).content.decode()
    assert "已在花名册上的任职保留原有的人员类别、职务、编制情况。" in body
    job = ImportJob.objects.get()
    rows = {r["values"]["name"]: r for r in job.plan["rows"]}
    assert rows["刘护士"]["action"] == importer.Action.UNCHANGED
    body = _confirm(client, centre, job, {"establishment": "编外-合同制"}).content.decode()
    assert "导入完成：新增人员 2 人" in body
    spells = {s.person.name: s for s in Spell.objects.select_related("person")}
    nurse = spells["刘护士"]
    assert (nurse.category, nurse.position, nurse.establishment) == ("nurse", "middle", "on")
    assert (spells["王医生"].position, spells["王医生"].establishment) == ("staff", "off")
