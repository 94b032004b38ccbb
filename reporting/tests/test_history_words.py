"""The 历史 lists speak Chinese: action codes, changed keys and status values in words, and people
by their names, for entries written by the app's own actions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from core.history import action_label, person_name
from core.stale import stamp
from reporting import actions
from reporting.summary import Owner
from reporting.tests.data import H1_2024
from services.actions import tally_comment, tally_save
from services.models import Indicator

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))
RAW = {"opened", "submitted", "approved", "published", "create", "texts", "draft", "comment"}


def _visible(html: str, section_id: str) -> str:
    """The text a reader sees in one section (tags stripped)."""
    start = html.index(f'id="{section_id}"')
    section = html[start : html.index("</section>", start)]
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", " ", section.split(">", 1)[1]))


def test_the_centre_history_has_no_raw_codes_and_names_people(client, ready, manager, reviewer):
    reviewer.last_name, reviewer.first_name = "王", "审核"
    reviewer.save()
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="同意", actor=reviewer, access=R)
    actions.filing_publish(filing=filing, actor=reviewer, access=R)
    summary = actions.summary_create(
        owner=Owner(name=ready.centre.name, centre=ready.centre),
        period=H1_2024,
        kind="half",
        actor=manager,
    )
    actions.summary_save_texts(
        summary_obj=summary, texts={"intro": "上半年开头"}, based_on=stamp(summary), actor=manager
    )

    client.force_login(manager)
    html = client.get(reverse("centers:history", args=[ready.centre.slug])).content.decode()
    text = _visible(html, "history-list")

    assert re.findall(r"[A-Za-z_]{2,}", text) == []
    assert "王审核" in text and "彭娅" in text
    # filing_approve: status submitted → approved, with the reviewer's comment
    assert "状态：待审核→审核通过意见：同意" in text
    assert "状态：草稿→待审核" in text
    # filing_publish and the summary's texts, in words
    assert "年度报告·公示" in text and "状态：审核通过→已公示" in text
    assert "工作总结·保存文字" in text and "开头段落：→上半年开头" in text
    assert "已冻结年度·关闭年度" in text and "年度：2024" in text  # year_freeze's {"year": 2024}


def test_a_tally_cells_history_names_the_person_and_the_fields(client, centre, manager):
    manager.last_name, manager.first_name = "彭", "娅"
    manager.save()
    indicator = Indicator.objects.filter(frequency=Indicator.Frequency.MONTHLY).first()
    period = dt.date.today().replace(day=1)  # an open month
    tally_save(centre=centre, indicator=indicator, period=period, raw="12", actor=manager)
    tally_comment(
        centre=centre, indicator=indicator, period=period, comment="义诊", actor=manager, base=""
    )
    client.force_login(manager)
    url = reverse("services:tally-cell-detail", args=[centre.slug])
    html = client.get(
        url, {"indicator": indicator.code, "period": period.isoformat()}
    ).content.decode()
    text = _visible(html, "cell-detail").split("历史", 1)[1]
    assert "彭娅" in text and "manager" not in text
    assert "说明：→义诊" in text and "数值：—→12" in text


def test_action_and_name_helpers():
    assert action_label("reporting.filing.submitted") == "提交"
    assert action_label("summary.create") == "新增"
    assert action_label("auth.password.changed") == "修改密码"
    assert action_label("something.unknown") == "something.unknown"

    class U:
        first_name, last_name = "娅", "彭"

        def get_username(self):
            return "manager"

    assert person_name(U()) == "彭娅"
    U.first_name = U.last_name = ""
    assert person_name(U(), "manager") == "manager"
    assert person_name(None, "gone") == "gone"


def test_a_deleted_accounts_changes_still_say_who(client, centre, manager, clerk):
    indicator = Indicator.objects.filter(frequency=Indicator.Frequency.MONTHLY).first()
    period = dt.date.today().replace(day=1)
    tally_save(centre=centre, indicator=indicator, period=period, raw="7", actor=clerk)
    clerk.delete()  # the audit row keeps the login name (actor_name); its actor goes to None
    client.force_login(manager)
    cell = client.get(
        reverse("services:tally-cell-detail", args=[centre.slug]),
        {"indicator": indicator.code, "period": period.isoformat()},
    ).content.decode()
    assert "clerk" in _visible(cell, "cell-detail").split("历史", 1)[1]
    page = client.get(reverse("centers:history", args=[centre.slug])).content.decode()
    assert "clerk" in _visible(page, "history-list")


def test_roster_imports_empty_categories_and_declined_requests_read_in_words(
    client, centre, manager
):
    from core.models import AuditEntry

    for action, target_type, changes in (  # the shapes staff.importer and services.actions write
        (
            "staff.roster.imported",
            "core.importjob",
            {"file": "花名册.xlsx", "new_person": 2, "new_spell": 1, "update": 3, "unchanged": 4},
        ),
        ("services.month.submitted", "services.monthreport", {"empty_categories": ["药事"]}),
        (
            "services.open_month_request.declined",
            "services.openmonthrequest",
            {"status": ["pending", "declined"], "reason": "已过期"},
        ),
    ):
        AuditEntry.objects.create(
            centre=centre,
            actor=manager,
            action=action,
            target_type=target_type,
            target_id="1",
            changes=changes,
        )
    client.force_login(manager)
    html = client.get(reverse("centers:history", args=[centre.slug])).content.decode()
    text = _visible(html, "history-list")
    assert re.findall(r"[A-Za-z_]{2,}", text) == ["xlsx"], text
    assert "文件：花名册.xlsx新增人员：2新增任职：1更新人员：3未变的行：4" in text
    assert "无数据的类别：药事" in text and "不予开放" in text


def test_a_key_named_like_a_relation_or_an_unlabelled_field_does_not_break_the_list():
    from centers.models import Centre
    from core.history import field_label
    from core.models import ImportJob

    assert field_label(Centre, "centers.centre", "audit_entries") == "audit_entries"  # was a 500
    assert field_label(ImportJob, "core.importjob", "file") == "文件"  # no verbose_name: FIELDS


def test_two_empty_categories_read_as_a_list_not_as_old_and_new(client, centre, manager):
    from core.models import AuditEntry

    AuditEntry.objects.create(
        centre=centre,
        actor=manager,
        action="services.month.submitted",
        target_type="services.monthreport",
        target_id="1",
        changes={"month": "2024-04", "empty_categories": ["药事", "公共卫生"]},
    )
    client.force_login(manager)
    html = client.get(reverse("centers:history", args=[centre.slug])).content.decode()
    text = _visible(html, "history-list")
    assert "无数据的类别：药事、公共卫生" in text and "→" not in text
