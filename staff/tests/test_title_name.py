"""The title as written (主管护师) kept beside its level through import, form, roster and export;
and 编制情况 as offices write it (编内, 编外, 临聘 …), a bare 编外's assumed kind said in the preview."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from centers.tests.editing import opened
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff import excel, importer
from staff.excel import HEADERS
from staff.models import Person, Spell
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.test_excel_import import GOOD, _upload, department, workbook
from staff.tests.test_roster import _form

pytestmark = pytest.mark.django_db
__all__ = ["department"]  # the fixture, used by name


def _confirm(client, centre):
    job = ImportJob.objects.order_by("-pk").first()
    url = reverse("staff:import-confirm", args=[centre.slug, job.pk])
    return post_and_run(client, url, follow=True)


def _import(client, centre, *rows, headers=HEADERS):
    body = _upload(client, centre, workbook(*rows, headers=headers)).content.decode()
    _confirm(client, centre)
    return body


# --- the written title ----------------------------------------------------------------------


def test_an_imported_title_keeps_its_name_and_shows_on_the_roster_and_export(
    client, manager, centre, department
):
    client.force_login(manager)
    # An office file with no 职称名称 column: the 职称 cell names the title.
    headers = [h for h in HEADERS if h != "职称名称"]
    _import(client, centre, {**GOOD, "职称": "主管 护师"}, headers=headers)
    spell = Spell.objects.get()
    assert (spell.title, spell.title_name) == ("intermediate", "主管护师")
    entry = AuditEntry.objects.get(action="staff.spell.imported")
    assert entry.changes["title_name"] == [None, "主管护师"]

    roster = client.get(reverse("staff:roster", args=[centre.slug])).content.decode()
    assert '<td>主管护师<br><small class="meta">中级</small></td>' in roster

    exported = client.get(reverse("staff:roster-export", args=[centre.slug])).content
    header, row = list(load_workbook(io.BytesIO(exported)).active.values)
    assert header[7:9] == ("职称", "职称名称") and row[7:9] == ("中级", "主管护师")
    body = _upload(client, centre, exported, name="again.xlsx").content.decode()
    assert "新增人员 0 · 新增任职 0 · 修改 0 · 未变 1" in body


def test_a_level_only_cell_keeps_the_written_title_and_a_named_one_replaces_it(
    client, manager, centre, department
):
    client.force_login(manager)
    _import(client, centre, {**GOOD, "职称": "主管护师"})
    # 中级 names no title: 主管护师 stays, nothing changes.
    body = _upload(client, centre, workbook({**GOOD, "职称": "中级"})).content.decode()
    assert "修改 0 · 未变 1" in body
    # A 职称名称 cell replaces it; the level stays 中级.
    body = _import(client, centre, {**GOOD, "职称": "中级", "职称名称": "主管检验师"})
    assert "变更内容：职称名称" in body
    spell = Spell.objects.get()
    assert (spell.title, spell.title_name) == ("intermediate", "主管检验师")
    entry = AuditEntry.objects.filter(action="staff.spell.imported").latest("pk")
    assert entry.changes == {"title_name": ["主管护师", "主管检验师"]}
    # A new level without a name drops the old name rather than show 主管检验师 as 副高.
    _import(client, centre, {**GOOD, "职称": "副高"})
    spell.refresh_from_db()
    assert (spell.title, spell.title_name) == ("associate_senior", "")


@pytest.mark.parametrize(
    ("title", "written", "level", "name"),
    [
        ("会计师", "", "intermediate", "会计师"),
        ("副主任医师", "", "associate_senior", "副主任医师"),
        ("待聘/无", "", "none", ""),
        ("", "主管护师", "intermediate", "主管护师"),  # no level: read from the name
        ("正高", "主任中医师", "senior", "主任中医师"),
    ],
)
def test_a_row_reads_the_level_and_the_written_title(title, written, level, name):
    values, errors = importer.parse_row({**GOOD, "职称": title, "职称名称": written})
    assert errors == []
    assert (values["title"], values["title_name"]) == (level, name)


def test_a_written_title_over_50_characters_is_refused():
    _values, errors = importer.parse_row({**GOOD, "职称": "中级", "职称名称": "师" * 51})
    assert errors == [("职称名称", "最多 50 个字符。")]


def test_the_form_reads_the_level_from_the_written_title(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("staff:staff-add", args=[centre.slug])
    response = client.post(url, _form(title="", title_name=" 主管护师 "))
    assert response.status_code == 302
    spell = Spell.objects.get()
    assert (spell.title, spell.title_name) == ("intermediate", "主管护师")
    created = AuditEntry.objects.get(action="staff.spell.created")
    assert created.changes["title_name"] == [None, "主管护师"]


def test_the_form_keeps_a_chosen_level_and_refuses_an_unreadable_or_missing_one(
    client, clerk, centre
):
    client.force_login(clerk)
    url = reverse("staff:staff-add", args=[centre.slug])
    response = client.post(url, _form(category="management", title="junior", title_name="会计师"))
    assert response.status_code == 302  # the level chosen wins over what 会计师 would say
    assert Spell.objects.get().title == "junior"
    Person.objects.all().delete()
    body = client.post(url, _form(title="", title_name="保健师")).content.decode()
    assert "请选择职称级别：无法从“保健师”判断。" in body
    body = client.post(url, _form(title="", title_name="")).content.decode()
    assert "请选择职称级别，或填写职称名称（据此判断级别）" in body
    assert not Person.objects.exists()


def test_editing_the_written_title_is_audited(client, clerk, centre):
    spell = SpellFactory(person=PersonFactory(centre=centre), title="intermediate")
    client.force_login(clerk)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    data = {k: v for k, v in opened(client, url).items() if v is not False}
    assert client.post(url, {**data, "title_name": "主管护师"}).status_code == 302
    entry = AuditEntry.objects.get(action="staff.spell.updated")
    assert entry.changes == {"title_name": ["", "主管护师"]}


# --- 编制情况 as offices write it ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "establishment", "kind"),
    [
        ("在编", "on", ""),
        ("编内", "on", ""),
        ("编制内", "on", ""),
        ("编外", "off", "contract"),  # no kind said: assumed, and the preview says so
        ("编制外", "off", "contract"),
        ("合同制", "off", "contract"),
        ("聘用", "off", "contract"),
        ("临聘", "off", "contract"),
        ("劳务派遣", "off", "dispatched"),
        ("编外-聘用", "off", "contract"),
        ("编外（临聘）", "off", "contract"),
        ("编制外-返聘", "off", "rehired"),
    ],
)
def test_each_establishment_spelling_reads_as_its_choice(written, establishment, kind):
    values, errors = importer.parse_row({**GOOD, "编制情况": written})
    assert errors == []
    assert (values["establishment"], values["contract_kind"]) == (establishment, kind)
    assert values["establishment_unsaid"] == (written in ("编外", "编制外"))


@pytest.mark.parametrize("written", ["编", "编外人员", "外包"])
def test_an_unknown_establishment_is_refused(written):
    with pytest.raises(ValueError):
        excel.establishment(written)


def test_a_bare_编外_is_imported_as_合同制_and_the_preview_says_so(
    client, manager, centre, department
):
    client.force_login(manager)
    # 赵六 is on the roster as 编外-劳务派遣 (born 1990-06-15, hired 2020-01-01, the factory's); the
    # file says only 编外 for him and for 王芳, who is new.
    person = PersonFactory(centre=centre, name="赵六", education="bachelor")
    SpellFactory(person=person, contract_kind="dispatched", department=department)
    zhao = {
        **GOOD, "姓名": "赵六", "身份证号": "", "出生日期": "1990-06-15", "入职日期": "2020-01-01",
        "编制情况": "编外",
    }  # fmt: skip
    body = _upload(client, centre, workbook({**GOOD, "编制情况": "编外"}, zhao)).content.decode()
    assert "有 2 行的编制情况只写了“编外”（或“编制外”），未说明用工形式" in body
    assert "新任职按“编外-合同制”导入，花名册上已是编外的任职保留原有用工形式" in body
    assert "新增人员 1 · 新增任职 0 · 修改 0 · 未变 1" in body
    _confirm(client, centre)
    assert Spell.objects.get(person__name="王芳").contract_kind == "contract"
    assert Spell.objects.get(person__name="赵六").contract_kind == "dispatched"


def test_a_reimport_without_the_number_checks_the_stored_number_against_the_sex(
    client, manager, centre, department
):
    """An export for clerks leaves 身份证号 empty or masked: the stored number is used, and a
    性别 changed in the file is refused as the staff form refuses it."""
    client.force_login(manager)
    _import(client, centre, GOOD)  # 王芳, 女, a woman's number (17th digit even)
    body = _upload(client, centre, workbook({**GOOD, "身份证号": "", "性别": "男"})).content
    assert "身份证号第17位表示性别为女，与填写的性别不一致" in body.decode()
    assert ImportJob.objects.order_by("-pk").first().plan["bad_rows"] == 1
    assert Person.objects.get().gender == "F"
