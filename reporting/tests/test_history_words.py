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
