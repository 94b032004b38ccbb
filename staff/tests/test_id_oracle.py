"""Issue 11: a clerk may not learn a masked 身份证号 by trying candidates against the roster.

Knowing a colleague's birth date and sex leaves 500 numbers; any outcome of an import or a staff
form that differs between the right one and a wrong one gives the number away.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from centers.models import Department
from core.models import AuditEntry, ImportJob
from core.tests.helpers import post_and_run
from staff.models import Person
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.test_excel_import import GOOD, _id, _upload, workbook

pytestmark = pytest.mark.django_db

BORN = "1992-05-17"
NUMBER = _id(BORN, "124")  # 王芳's; she is a woman, so the sequence ends in an even digit
CANDIDATES = [_id(BORN, f"{seq:03d}") for seq in range(0, 1000, 2)]
CONFLICT = "文件中有身份证号与花名册中其他人员冲突"
UNSEEN = "您无权查看身份证号：花名册中已有的人员请保留导出的脱敏号码或留空"
BLOCKED = "您已多次输入花名册中其他人员的身份证号"
IN_USE = "花名册中已有人使用该身份证号"


@pytest.fixture
def department(centre):
    return Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )


@pytest.fixture
def colleague(centre, department):
    person = PersonFactory(
        centre=centre,
        name="王芳",
        birth_date=dt.date(1992, 5, 17),
        id_number=NUMBER,
        education="bachelor",  # as in GOOD
    )
    SpellFactory(person=person, hired_on=dt.date(2023, 3, 1), department=department)
    return person


def _fake_names() -> bytes:
    """One row per candidate, each under an invented name with her birth date."""
    return workbook(
        *({**GOOD, "姓名": f"假名{i}", "身份证号": n} for i, n in enumerate(CANDIDATES))
    )


def _her_name() -> bytes:
    """One row per candidate under her own name and birth date, as one-day spells.

    They never overlap each other, but each overlaps her spell on the roster: only the row that
    matches her (by the number) would say so.
    """
    rows = []
    for i, number in enumerate(CANDIDATES):
        day = (dt.date(2023, 3, 2) + dt.timedelta(days=i)).isoformat()
        rows.append(
            {**GOOD, "身份证号": number, "入职日期": day, "离职日期": day, "离职原因": "辞职"}
        )
    return workbook(*rows)


def _latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def _confirm(client, centre):
    url = reverse("staff:import-confirm", args=[centre.slug, _latest_job().pk])
    return post_and_run(client, url, follow=True)


def _result_cell(body: str, row: int) -> str:
    """The preview's 结果 cell for one file row, with the row's own number taken out."""
    match = re.search(rf"<tr[^>]*>\s*<td>{row}</td>.*?</tr>", body, re.S)
    assert match, row
    cells = re.findall(r"<td>(.*?)</td>", match.group(0), re.S)
    return re.sub(rf"第\s*{row}\s*行", "第N行", cells[-1]).strip()


def _probes(user, action="staff.id_number.conflict"):
    return AuditEntry.objects.filter(actor=user, action=action)


# --- (a) the rebuild attack through the import, as a clerk -----------------------------------


def test_a_clerk_with_invented_names_gets_the_whole_file_back_naming_no_row(
    client, clerk, centre, colleague
):
    client.force_login(clerk)
    body = _upload(client, centre, _fake_names()).content.decode()
    job = _latest_job()
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == 1 and CONFLICT in job.errors[0]
    assert not re.search(r"\d", job.errors[0])  # no row, no count, no number
    assert CONFLICT in body and 'id="import-rows"' not in body and "新增人员" not in body
    assert NUMBER not in body and "rows" not in job.plan
    assert Person.objects.count() == 1 and Person.objects.get().name == "王芳"
    (entry,) = _probes(clerk)
    assert entry.centre == centre and entry.changes == {"count": 1}
    assert NUMBER not in str(entry.changes) and NUMBER not in entry.target_repr


def test_a_clerk_under_her_name_gets_the_same_result_for_every_candidate(
    client, clerk, centre, colleague
):
    client.force_login(clerk)
    body = _upload(client, centre, _her_name()).content.decode()
    rows = _latest_job().plan["rows"]
    right, wrong = rows[CANDIDATES.index(NUMBER)], rows[CANDIDATES.index(NUMBER) + 1]
    assert _result_cell(body, right["number"]) == _result_cell(body, wrong["number"])
    assert UNSEEN in _result_cell(body, right["number"])
    outcomes = {(r["action"], tuple(r["changes"]), tuple(m for _c, m in r["errors"])) for r in rows}
    assert len(outcomes) == 1, outcomes
    assert len({_result_cell(body, r["number"]) for r in rows}) == 1
    assert "500 行有错误" in body
    _confirm(client, centre)
    assert Person.objects.get().id_number == NUMBER and colleague.spells.count() == 1
    assert not _probes(clerk).exists()


def test_a_clerks_guesses_behind_an_older_mask_are_not_tested_either(
    client, clerk, centre, colleague
):
    """The older mask showed the last four characters; a clerk's file may not try them."""
    client.force_login(clerk)
    rows = []
    for i, number in enumerate(CANDIDATES):
        day = (dt.date(2023, 3, 2) + dt.timedelta(days=i)).isoformat()
        masked = number[:6] + "*" * 8 + number[-4:]
        rows.append(
            {**GOOD, "身份证号": masked, "入职日期": day, "离职日期": day, "离职原因": "辞职"}
        )
    body = _upload(client, centre, workbook(*rows)).content.decode()
    rows = _latest_job().plan["rows"]
    right, wrong = rows[CANDIDATES.index(NUMBER)], rows[CANDIDATES.index(NUMBER) + 1]
    assert _result_cell(body, right["number"]) == _result_cell(body, wrong["number"])
    assert len({_result_cell(body, r["number"]) for r in rows}) == 1


# --- (b) a manager, who may see the numbers, imports as before -------------------------------


def test_the_same_files_by_a_manager_match_and_report_as_before(
    client, clerk, manager, centre, colleague
):
    client.force_login(clerk)
    assert CONFLICT in _upload(client, centre, _fake_names()).content.decode()
    client.force_login(manager)
    body = _upload(client, centre, _fake_names()).content.decode()
    assert "新增人员 499 · 新增任职 0 · 修改 1 · 未变 0" in body
    rows = _latest_job().plan["rows"]
    right = rows[CANDIDATES.index(NUMBER)]
    assert (right["action"], right["changes"]) == ("update", ["name"])
    body = _upload(client, centre, _her_name()).content.decode()
    rows = _latest_job().plan["rows"]
    right = rows[CANDIDATES.index(NUMBER)]
    assert right["errors"] == [["入职日期", "与花名册中 2023-03-01 起的任职期间重叠。"]]
    assert "1 行有错误" in body  # hers alone: matched by the number
    assert not _probes(manager).exists() and not _probes(manager, "staff.id_number.refused")


# --- (c) a clerk's masked export still round-trips --------------------------------------------


def test_a_clerks_masked_export_re_imports_unchanged(client, clerk, manager, centre, department):
    client.force_login(manager)
    other = {**GOOD, "姓名": "李强", "性别": "男", "出生日期": "1988-01-02"}
    other["身份证号"] = _id("1988-01-02", "135")
    _upload(client, centre, workbook(GOOD, other))
    _confirm(client, centre)
    full = client.get(reverse("staff:roster-export", args=[centre.slug])).content
    client.force_login(clerk)
    body = _upload(client, centre, full).content.decode()  # the manager's export, unmasked
    assert body.count(UNSEEN) == 2 and "2 行有错误" in body
    exported = client.get(reverse("staff:roster-export", args=[centre.slug])).content
    body = _upload(client, centre, exported).content.decode()
    assert "新增人员 0 · 新增任职 0 · 修改 0 · 未变 2" in body and "行有错误" not in body
    _confirm(client, centre)
    assert set(Person.objects.values_list("id_number", flat=True)) == {
        GOOD["身份证号"],
        other["身份证号"],
    }
    # An empty cell keeps the number too, and a new hire may still come with a full one.
    newcomer = {**GOOD, "姓名": "赵敏", "出生日期": "1995-02-03", "身份证号": _id("1995-02-03")}
    body = _upload(client, centre, workbook({**GOOD, "身份证号": ""}, newcomer)).content.decode()
    assert "新增人员 1 · 新增任职 0 · 修改 0 · 未变 1" in body
    assert not _probes(clerk).exists()


# --- (d) three conflicts in 24 hours, then no more full numbers from that clerk ----------------


def test_the_fourth_conflict_in_a_day_is_refused_outright_and_audited(
    client, clerk, centre, colleague
):
    client.force_login(clerk)
    probe = workbook({**GOOD, "姓名": "假名", "身份证号": NUMBER})
    for _ in range(3):
        _upload(client, centre, probe)
        assert CONFLICT in _latest_job().errors[0]
    assert _probes(clerk).count() == 3
    body = _upload(client, centre, probe).content.decode()
    assert BLOCKED in body and CONFLICT not in body
    assert _probes(clerk).count() == 3
    (refused,) = _probes(clerk, "staff.id_number.refused")
    assert refused.centre == centre and refused.changes == {"count": 1}
    # Any full number now, even a new hire's, right or wrong; masked and empty cells still go.
    newcomer = {**GOOD, "姓名": "赵敏", "出生日期": "1995-02-03", "身份证号": _id("1995-02-03")}
    assert BLOCKED in _upload(client, centre, workbook(newcomer)).content.decode()
    assert _probes(clerk, "staff.id_number.refused").count() == 2
    body = _upload(client, centre, workbook({**GOOD, "身份证号": ""})).content.decode()
    assert _latest_job().status == ImportJob.Status.PREVIEW and "行有错误" not in body
    assert Person.objects.count() == 1
    # A day later the conflicts have aged out.
    _probes(clerk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert "新增人员 1" in _upload(client, centre, workbook(newcomer)).content.decode()


def test_a_managers_imports_are_never_limited(client, manager, clerk, centre, colleague):
    client.force_login(clerk)
    for _ in range(3):
        _upload(client, centre, workbook({**GOOD, "姓名": "假名", "身份证号": NUMBER}))
    client.force_login(manager)
    newcomer = {**GOOD, "姓名": "赵敏", "出生日期": "1995-02-03", "身份证号": _id("1995-02-03")}
    assert "新增人员 1" in _upload(client, centre, workbook(newcomer)).content.decode()


# --- (e) the staff form -----------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "name": "假名", "gender": "F", "birth_date": BORN, "id_number": "",
        "education": "bachelor", "degree": "", "hired_on": "2024-03-01", "left_on": "",
        "leave_reason": "", "category": "nurse", "practice_type": "", "title": "junior",
        "establishment": "off", "contract_kind": "contract", "position": "staff", "department": "",
    }  # fmt: skip
    return {**data, **overrides}


def test_the_add_form_audits_a_clerks_number_in_use_and_then_refuses_full_numbers(
    client, clerk, centre, colleague
):
    client.force_login(clerk)
    url = reverse("staff:staff-add", args=[centre.slug])
    for i in range(3):
        response = client.post(url, _form(id_number=NUMBER))
        assert response.status_code == 200 and IN_USE in response.content.decode()
        assert _probes(clerk).count() == i + 1
    (entry, *_rest) = _probes(clerk)
    assert entry.centre == centre and entry.changes == {"count": 1}
    # A wrong candidate is refused like the right one now, and so is a stranger's new number.
    for number in (CANDIDATES[0], _id("1995-02-03")):
        born = BORN if number != _id("1995-02-03") else "1995-02-03"
        body = client.post(url, _form(id_number=number, birth_date=born)).content.decode()
        assert BLOCKED in body and IN_USE not in body
    assert _probes(clerk, "staff.id_number.refused").count() == 2
    assert _probes(clerk).count() == 3
    assert Person.objects.count() == 1
    assert client.post(url, _form(name="赵敏")).status_code == 302  # without a number: fine


def test_a_managers_number_in_use_is_reported_but_not_counted(client, manager, centre, colleague):
    client.force_login(manager)
    url = reverse("staff:staff-add", args=[centre.slug])
    for _ in range(4):
        assert IN_USE in client.post(url, _form(id_number=NUMBER)).content.decode()
    assert not AuditEntry.objects.filter(action__startswith="staff.id_number").exists()
    assert client.post(url, _form(id_number=CANDIDATES[0])).status_code == 302


def test_a_clerk_cannot_replace_a_stored_number_right_or_wrong(client, clerk, centre, colleague):
    spell = colleague.spells.get()
    client.force_login(clerk)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    initial = client.get(url).context["form"].initial
    data = {
        **_form(name="王芳", hired_on="2023-03-01", department=spell.department_id),
        "based_on": initial["based_on"],
    }
    bodies = {
        number: client.post(url, {**data, "id_number": number}).content.decode()
        for number in (NUMBER, CANDIDATES[0])
    }
    for body in bodies.values():
        assert "您无权查看身份证号：请保留显示的脱敏号码" in body
    assert Person.objects.get().id_number == NUMBER
    masked = client.post(url, {**data, "id_number": initial["id_number"]})
    assert masked.status_code == 302 and Person.objects.get().id_number == NUMBER
