"""开展业务活动情况 in the filed report's outline (seed 000): the first draft from the year's
figures, and the import from the centre's accepted year summary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from centers.access import Access
from centers.permissions import CLERK, MANAGER, REVIEWER
from core.errors import DomainError
from core.models import AuditEntry
from core.stale import StaleEdit, stamp
from reporting import narrative_actions
from reporting.actions import TransitionNotAllowed
from reporting.models import AnnualFiling, Summary
from reporting.prefill import narrative_draft
from services.models import Activity, ActivityKind, MonthReport
from staff.tests.factories import PersonFactory, SpellFactory

from .data import put

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER, CLERK}))


def test_the_draft_follows_the_filed_report_outline(centre):
    for m in range(1, 13):
        put(centre, "opd_visits", (2024, m), 5000)  # 60000 against 12 × 4000 = 48000: +25%
        put(centre, "opd_visits", (2023, m), 4000)
        MonthReport.objects.create(centre=centre, period=dt.date(2024, m, 1))
    for year, signed in ((2024, 3000), (2023, 3200)):  # 30% against 32%: −2 points
        put(centre, "res_pop", (year, 1), 10000)
        put(centre, "fd_signed", (year, 12), signed)
    # 10 nurses all year, 2 hired on 1 July and gone on 31 December (still serving that day):
    # month-ends 10 × 6 + 12 × 6 → average 11; 2 ÷ 11 = 18.18% > 15%; 编外 12 of 12 serving on
    # 31 December; 12 nurses meet the standard's 9.
    for _ in range(10):
        SpellFactory(person=PersonFactory(centre=centre))
    for _ in range(2):
        SpellFactory(
            person=PersonFactory(centre=centre),
            hired_on=dt.date(2024, 7, 1),
            left_on=dt.date(2024, 12, 31),
            leave_reason="resigned",
        )
    clinic = ActivityKind.objects.get_or_create(name="义诊")[0]
    Activity.objects.create(centre=centre, kind=clinic, date=dt.date(2024, 5, 1), people=80)
    meeting = ActivityKind.objects.get_or_create(name="主题党日")[0]
    Activity.objects.create(centre=centre, kind=meeting, date=dt.date(2024, 5, 2), people=8)
    lines = narrative_draft(centre, 2024).split("\n")
    standard = "《城市社区卫生服务中心基本标准》"
    assert lines == [
        "2024年，中心在登记的宗旨和业务范围内开展了以下工作，现将年度工作总结如下。",
        "一、2024年工作总结",
        "（一）党建引领",
        "全年召开主题党日1次。",  # no branch recorded: the bare count
        "（二）人才队伍建设",
        "全年平均在职职工11人（其中非编11人），新进2人（高级职称0人、中级职称0人、"
        "初级及以下2人），离职2人，离职率18.18%。",
        "（三）医疗服务",
        "门急诊人次60000人次（同比+25.00%）。",
        "（四）基本公共卫生服务",
        "全人群签约率30.00%（同比-2.00个百分点）。",
        "（五）健康服务活动",
        "全年开展义诊1次，服务80人次。",  # as seed 000 words it (“累计服务居民5241人次”)
        "二、存在的问题和不足",
        # −2 points ÷ 1 = 2; 编外 12 of 12 = 100% ÷ 50 = 2; no physician: 1 + 6 ÷ 6 = 2 (the
        # worst shortfall); 18.18% ÷ 15 = 1.21. Equal sizes keep the order they were found in:
        # falls, then the roster's shares, then the standard.
        "一是全人群签约率较去年同期降低2个百分点。"
        "二是编外人员占比较高，期末编外人员12人，占在岗职工的100%。"
        f"三是人员配备未达{standard}：全科执业医师（临床或中医类别）0人（应不少于6人），"
        "副高级以上职称执业医师0人（应不少于1人），中级以上职称中医类别执业医师0人"
        "（应不少于1人），公共卫生类别执业医师0人（应不少于1人）。"
        # 签约人数 3000 against 3200: −6.25% (written 6.3%), 6.25 ÷ 5 = 1.25
        "四是家庭医生签约服务人数较去年同期下降6.3%。"
        "五是人员流动较大，全年离职率18.18%，高于15%。",
        "三、2025年工作思路",
        "（待中心填写）",
    ]


# --- the import from the accepted year summary ---------------------------------------------

FIGURES = {
    "first": "2024-01-01",
    "last": "2024-12-01",
    "lead": "截至2024年12月，磁器口社区卫生服务中心各项工作情况如下。",
    "sections": [
        {
            "key": "medical",
            "title": "医疗服务",
            "clauses": [
                {
                    "text": "门急诊人次6万人次，较去年同期增长20%",
                    "code": "opd_visits",
                    "name": "门急诊人次",
                    "value": "60000",
                    "unit": "人次",
                }
            ],
        }
    ],
}


def _text(bid: str, text: str) -> dict:
    return {"id": bid, "kind": "text", "text": text}


TEXTS = {
    "format": 2,
    "lead": "2024年，中心围绕年度目标扎实推进各项工作。",
    "sections": [
        {
            "id": "w",
            "heading": "工作情况",
            "blocks": [{"id": "l", "kind": "figures", "source": "lead", "codes": None}],
            "children": [
                {
                    "id": "p",
                    "heading": "聚焦党建引领",
                    "blocks": [_text("t1", "全年召开党员大会3次。")],
                    "children": [],
                },
                {
                    "id": "m",
                    "heading": "医疗服务",
                    "blocks": [
                        {"id": "f", "kind": "figures", "source": "medical", "codes": None},
                        _text("t2", "其中门急诊人次{{opd_visits:value|门急诊人次·本期}}。"),
                    ],
                    "children": [],
                },
            ],
        },
        {
            "id": "q",
            "heading": "存在的问题",
            "role": "problems",
            "blocks": [_text("t3", "一是人员流动性较大。")],
            "children": [],
        },
        {
            "id": "n",
            "heading": "下一步工作计划",
            "role": "plans",
            "blocks": [_text("t4", "持续推进党建品牌建设。")],
            "children": [],
        },
    ],
}
IMPORTED = "\n".join(
    [
        "2024年，中心围绕年度目标扎实推进各项工作。",
        "一、2024年工作总结",
        "截至2024年12月，磁器口社区卫生服务中心各项工作情况如下。",
        "（一）聚焦党建引领",
        "全年召开党员大会3次。",
        "（二）医疗服务",
        "门急诊人次6万人次，较去年同期增长20%。",
        "其中门急诊人次6万人次。",  # the live reference, as the summary prints it
        "二、存在的问题和不足",
        "一是人员流动性较大。",
        "三、2025年工作思路",
        "持续推进党建品牌建设。",
    ]
)


def _year_summary(centre, status: str) -> Summary:
    return Summary.objects.create(
        centre=centre,
        kind="year",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 12, 1),
        title="磁器口社区卫生服务中心2024年工作总结",
        figures=FIGURES,
        texts=TEXTS,
        status=status,
    )


@pytest.fixture
def filing(centre):
    return AnnualFiling.objects.create(centre=centre, year=2024, narrative="原来的文字。")


def test_the_accepted_year_summary_becomes_the_narrative_in_the_report_outline(
    filing, centre, manager
):
    summary = _year_summary(centre, "accepted")
    narrative_actions.filing_import_summary(
        filing=filing, based_on=stamp(filing), actor=manager, access=M
    )
    filing.refresh_from_db()
    assert filing.narrative == IMPORTED
    entry = AuditEntry.objects.get(action="reporting.filing.narrative_imported")
    assert entry.changes["narrative"] == ["原来的文字。", IMPORTED]
    assert entry.changes["summary"] == [None, f"{summary.title}（#{summary.pk}）"]


@pytest.mark.parametrize("status", [None, "draft", "submitted", "returned"])
def test_only_an_accepted_year_summary_is_imported(filing, centre, manager, status):
    if status is not None:
        _year_summary(centre, status)
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        narrative_actions.filing_import_summary(
            filing=filing, based_on=stamp(filing), actor=manager, access=M
        )
    if status is None:
        assert str(refused.value).startswith("没有可导入的2024年度工作总结")
    else:
        assert "只有卫健委已接收的年度工作总结才能导入" in str(refused.value)
    filing.refresh_from_db()
    assert filing.narrative == "原来的文字。"
    assert not AuditEntry.objects.filter(action="reporting.filing.narrative_imported").exists()


def test_a_half_year_summary_is_not_the_year_s(filing, centre, manager):
    half = _year_summary(centre, "accepted")
    Summary.objects.filter(pk=half.pk).update(kind="half", last=dt.date(2024, 6, 1))
    with pytest.raises(DomainError, match="2024"):
        narrative_actions.filing_import_summary(
            filing=filing, based_on=stamp(filing), actor=manager, access=M
        )


def test_an_import_over_a_newer_save_is_refused(filing, centre, manager):
    _year_summary(centre, "accepted")
    opened = stamp(filing)
    AnnualFiling.objects.filter(pk=filing.pk).update(
        narrative="别人刚保存的。", updated_at=filing.updated_at + dt.timedelta(seconds=5)
    )
    with pytest.raises(StaleEdit):
        narrative_actions.filing_import_summary(
            filing=filing, based_on=opened, actor=manager, access=M
        )
    filing.refresh_from_db()
    assert filing.narrative == "别人刚保存的。"


def test_a_submitted_report_takes_no_import_and_a_reviewer_cannot_import(filing, centre, manager):
    _year_summary(centre, "accepted")
    with pytest.raises(TransitionNotAllowed):
        narrative_actions.filing_import_summary(
            filing=filing,
            based_on=stamp(filing),
            actor=manager,
            access=Access(frozenset({REVIEWER})),
        )
    AnnualFiling.objects.filter(pk=filing.pk).update(status="submitted")
    filing.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        narrative_actions.filing_import_summary(
            filing=filing, based_on=stamp(filing), actor=manager, access=M
        )


def test_a_summary_longer_than_the_box_is_refused_not_cut(filing, centre, manager, monkeypatch):
    _year_summary(centre, "accepted")
    monkeypatch.setattr(narrative_actions, "NARRATIVE_LIMIT", len(IMPORTED) - 1)
    with pytest.raises(DomainError) as refused:
        narrative_actions.filing_import_summary(
            filing=filing, based_on=stamp(filing), actor=manager, access=M
        )
    assert f"{len(IMPORTED)}" in str(refused.value)
    filing.refresh_from_db()
    assert filing.narrative == "原来的文字。"


# --- the page -------------------------------------------------------------------------------


def _page(client, centre):
    return client.get(reverse("reporting:filing", args=[centre.slug, 2024]))


def test_the_filing_page_offers_the_import_or_says_why_not(
    client, filing, centre, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    body = _page(client, centre).content.decode()
    assert 'id="narrative-import-refusal"' in body
    assert "没有可导入的2024年度工作总结" in body  # the page is in Chinese
    summary = _year_summary(centre, "submitted")
    assert "只有卫健委已接收的年度工作总结才能导入" in _page(client, centre).content.decode()
    Summary.objects.filter(pk=summary.pk).update(status="accepted")
    with django_assert_max_num_queries(30):
        body = _page(client, centre).content.decode()
    assert 'id="narrative-import-button"' in body
    based_on = stamp(filing)
    url = reverse("reporting:filing-narrative-import", args=[centre.slug, 2024])
    response = client.post(url, {"based_on": based_on, "mode": "replace"})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.narrative == IMPORTED
    again = client.post(url, {"based_on": based_on, "mode": "replace"})  # the stamp is old now
    assert again.status_code == 409
    assert "保存" in again.content.decode()  # the stale refusal says who saved meanwhile
    filing.refresh_from_db()
    assert filing.narrative == IMPORTED


# --- the import asks first, keeps what was typed, and shows in the history ------------------


def _import_url(centre) -> str:
    return reverse("reporting:filing-narrative-import", args=[centre.slug, 2024])


def test_the_import_button_shows_both_texts_and_writes_nothing(client, filing, centre, manager):
    _year_summary(centre, "accepted")
    client.force_login(manager)
    page = _page(client, centre).content.decode()
    # The button is in the narrative's own form, so it carries the box's text as typed.
    form = page[
        page.index('id="narrative-form"') : page.index("</form>", page.index('id="narrative-form"'))
    ]
    assert 'id="narrative-import-button"' in form and "formaction=" in form
    typed = "原来的文字。还没保存的一句。"
    response = client.post(_import_url(centre), {"based_on": stamp(filing), "narrative": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="import-question"' in body and "历史记录" in body
    assert typed in body and 'id="import-unsaved"' in body  # the unsaved typing is shown
    assert "（一）聚焦党建引领" in body  # the text that would come in
    assert 'name="mode" value="replace"' in body and 'name="mode" value="append"' in body
    filing.refresh_from_db()
    assert filing.narrative == "原来的文字。"  # nothing written yet
    assert not AuditEntry.objects.filter(target_id=str(filing.pk)).exists()


def test_replacing_keeps_the_unsaved_typing_in_the_history(client, filing, centre, manager):
    _year_summary(centre, "accepted")
    client.force_login(manager)
    typed = "原来的文字。还没保存的一句。"
    response = client.post(
        _import_url(centre), {"based_on": stamp(filing), "narrative": typed, "mode": "replace"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.narrative == IMPORTED
    saved = AuditEntry.objects.get(action="reporting.filing.narrative_saved")
    assert saved.changes["narrative"] == ["原来的文字。", typed]
    imported = AuditEntry.objects.get(action="reporting.filing.narrative_imported")
    assert imported.changes["narrative"] == [typed, IMPORTED]


def test_appending_puts_the_summary_after_the_typed_text(client, filing, centre, manager):
    _year_summary(centre, "accepted")
    client.force_login(manager)
    typed = "原来的文字。还没保存的一句。"
    client.post(
        _import_url(centre), {"based_on": stamp(filing), "narrative": typed, "mode": "append"}
    )
    filing.refresh_from_db()
    assert filing.narrative == typed + "\n" + IMPORTED


def test_the_history_box_lists_the_narrative_saves_and_the_import(client, filing, centre, manager):
    summary = _year_summary(centre, "accepted")
    client.force_login(manager)
    client.post(
        reverse("reporting:filing-narrative", args=[centre.slug, 2024]),
        {"based_on": stamp(filing), "narrative": "改过的文字。"},
    )
    filing.refresh_from_db()
    client.post(_import_url(centre), {"based_on": stamp(filing), "mode": "replace"})
    body = _page(client, centre).content.decode()
    timeline = body[body.index('id="timeline"') :]
    assert "保存业务活动情况" in timeline
    assert f"从年度工作总结导入业务活动情况（{summary.title}（#{summary.pk}））" in timeline


EMPTY_PARTS = {
    "format": 2,
    "lead": "",
    "sections": [
        {
            "id": "w",
            "heading": "工作情况",
            "blocks": [{"id": "l", "kind": "figures", "source": "lead", "codes": None}],
            "children": [
                {"id": "p", "heading": "党建引领", "blocks": [_text("t1", "召开党员大会3次。")]},
                {"id": "m", "heading": "医疗服务", "blocks": [], "children": []},
                {"id": "h", "heading": "公共卫生", "blocks": [_text("t2", "一是建档。")]},
            ],
        },
        {"id": "q", "heading": "存在的问题", "role": "problems", "blocks": [], "children": []},
        {"id": "n", "heading": "下一步工作计划", "role": "plans", "blocks": [], "children": []},
    ],
}


def test_the_import_leaves_out_empty_sections_and_speaks_of_the_centre(filing, centre, manager):
    summary = _year_summary(centre, "accepted")
    figures = {
        **FIGURES,
        # what summaries generated before said of a centre's own missing months
        "lead": "截至2024年12月，磁器口社区卫生服务中心各项工作情况如下。"
        "其中1个中心1月、2月、3月、4月、5月、6月、7月、8月、9月、10月、11月、12月数据未报，"
        "以上合计不含未报数据。",
        "missing": {f"2024-{m:02d}-01": 1 for m in range(1, 13)},
    }
    Summary.objects.filter(pk=summary.pk).update(texts=EMPTY_PARTS, figures=figures)
    narrative_actions.filing_import_summary(
        filing=filing, based_on=stamp(filing), actor=manager, access=M
    )
    filing.refresh_from_db()
    assert filing.narrative.split("\n") == [
        "一、2024年工作总结",
        "截至2024年12月，磁器口社区卫生服务中心各项工作情况如下。"
        "其中1–12月数据未报，以上数字不含未报月份。",
        "（一）党建引领",
        "召开党员大会3次。",
        "（二）公共卫生",  # 医疗服务 said nothing: left out, the next numbered on
        "一是建档。",
        "二、存在的问题和不足",
        "（待中心填写）",  # the report's outline needs 二 and 三: a marker, never “（无）”
        "三、2025年工作思路",
        "（待中心填写）",
    ]
    assert "（无）" not in filing.narrative and "个中心" not in filing.narrative
