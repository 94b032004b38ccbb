"""The filing workflow: each transition and each forbidden one, versions and diff, no lost update,
prefill, notifications, the year's tallies frozen on approval, and 公示."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from centers.access import Access
from centers.models import Licence, RegistrationChange
from centers.permissions import CLERK, MANAGER, REVIEWER
from core.errors import DomainError
from core.stale import stamp
from reporting import actions
from reporting.actions import TransitionNotAllowed
from reporting.models import AnnualFiling, FilingVersion
from reporting.prefill import prefill
from services.locking import LockContext, lock_state
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = pytest.mark.django_db
M, C, R = Access(frozenset({MANAGER})), Access(frozenset({CLERK})), Access(frozenset({REVIEWER}))
S = AnnualFiling.Status


def test_the_happy_path_and_its_timeline(
    ready, manager, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    from centers.tests.factories import UserFactory  # noqa: F401

    reviewer.email = "reviewer@example.org"
    reviewer.save()
    with django_capture_on_commit_callbacks(execute=True):
        filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    assert filing.status == S.SUBMITTED and filing.versions.count() == 1
    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    manager.email = "manager@example.org"
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        filing = actions.filing_return(filing=filing, reason="请补充", actor=reviewer, access=R)
    assert mailoutbox[-1].to == ["manager@example.org"] and "请补充" in mailoutbox[-1].body
    filing = actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    filing = actions.filing_publish(filing=filing, actor=reviewer, access=R)
    assert filing.status == S.PUBLISHED
    steps = [(e.from_status, e.to_status, e.actor_name) for e in filing.events.all()]
    assert steps == [
        ("", "draft", "manager"),
        ("draft", "submitted", "manager"),
        ("submitted", "returned", "reviewer"),
        ("returned", "submitted", "manager"),
        ("submitted", "approved", "reviewer"),
        ("approved", "published", "reviewer"),
    ]


@pytest.mark.parametrize(
    ("steps", "act", "access"),
    [
        ([], "approve", R),  # a draft cannot be approved
        ([], "publish", R),
        ([], "return", R),
        (["submit"], "submit", M),  # twice
        (["submit"], "publish", R),  # before approval
        (["submit", "approve"], "submit", M),  # approved: frozen
        ([], "submit", C),  # a clerk cannot submit
        (["submit"], "approve", M),  # a manager cannot approve
        (["submit"], "return", C),
        (["submit", "approve"], "reopen", M),
        (["submit"], "reopen", R),  # only approved ones reopen
        (["submit", "approve", "publish"], "reopen", R),  # published is final
    ],
)
def test_forbidden_moves_raise_a_domain_error(ready, manager, reviewer, steps, act, access):
    filing = ready
    for step in steps:
        filing = _do(step, filing, manager, reviewer)
    with pytest.raises(TransitionNotAllowed):
        _do(act, filing, manager if access is not R else reviewer, reviewer, access=access)
    filing.refresh_from_db()


def _do(step, filing, manager, reviewer, access=None):
    if step == "submit":
        return actions.filing_submit(
            filing=filing, actor=manager, access=access or M, render_pdf=False
        )
    if step == "approve":
        return actions.filing_approve(filing=filing, comment="", actor=reviewer, access=access or R)
    if step == "publish":
        return actions.filing_publish(filing=filing, actor=reviewer, access=access or R)
    if step == "return":
        return actions.filing_return(filing=filing, reason="x", actor=reviewer, access=access or R)
    return actions.filing_reopen(filing=filing, reason="x", actor=reviewer, access=access or R)


def test_return_and_reopen_need_a_reason(ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    with pytest.raises(DomainError, match="请填写退回原因"):
        actions.filing_return(filing=filing, reason="  ", actor=reviewer, access=R)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    with pytest.raises(DomainError, match="请填写重新打开的原因"):
        actions.filing_reopen(filing=filing, reason="", actor=reviewer, access=R)
    filing = actions.filing_reopen(filing=filing, reason="数据有误", actor=reviewer, access=R)
    assert filing.status == S.RETURNED and filing.editable


def test_submitting_an_incomplete_report_says_what_is_missing(centre, manager):
    filing = actions.filing_open(centre=centre, year=2024, actor=manager)
    with pytest.raises(DomainError) as exc:
        actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    assert "统一社会信用代码" in str(exc.value) and "开办资金" in str(exc.value)
    assert AnnualFiling.objects.get().status == S.DRAFT


def test_a_report_with_a_part_left_to_the_centre_is_not_submitted(client, ready, manager):
    """The draft marks 二、存在的问题 / 三、工作思路 “（待中心填写）”: submitting with a marker left
    is refused and says where, on the page as in the refusal; the centre's words let it go."""
    AnnualFiling.objects.filter(pk=ready.pk).update(
        narrative="一、2024年工作开展情况\n门诊人次增长。\n三、2025年工作思路\n（待中心填写）"
    )
    ready.refresh_from_db()
    with pytest.raises(DomainError, match="开展业务活动情况（标有（待中心填写）的部分）"):
        actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    client.force_login(manager)
    page = client.get(reverse("reporting:filing", args=[ready.centre.slug, 2024]))
    assert "开展业务活动情况（标有（待中心填写）的部分）" in page.content.decode()
    AnnualFiling.objects.filter(pk=ready.pk).update(
        narrative=ready.narrative.replace("（待中心填写）", "推进家庭医生签约。")
    )
    ready.refresh_from_db()
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    assert filing.status == S.SUBMITTED


def test_versions_freeze_what_was_submitted_and_the_diff_shows_the_fix(
    client, ready, manager, reviewer
):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_return(filing=filing, reason="补充", actor=reviewer, access=R)
    actions.filing_save_narrative(
        filing=filing,
        narrative=filing.narrative + "新增义诊情况。",
        based_on=stamp(filing),
        actor=manager,
        access=M,
    )
    v1 = FilingVersion.objects.get(number=1)
    assert "新增义诊情况" not in v1.content["narrative"]  # the first submission is untouched
    filing = actions.filing_submit(
        filing=AnnualFiling.objects.get(), actor=manager, access=M, render_pdf=False
    )
    assert FilingVersion.objects.get(number=2).content["narrative"].endswith("新增义诊情况。")
    client.force_login(reviewer)
    body = client.get(reverse("reporting:filing", args=[filing.centre.slug, 2024])).content.decode()
    assert "第2版与第1版相比的修改" in body and "<ins>新增义诊情况。</ins>" in body
    assert "提交的内容（第2版）" in body


def test_an_approved_report_cannot_change_and_freezes_its_tallies(ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    with pytest.raises(DomainError):
        actions.filing_save_narrative(
            filing=filing, narrative="改", based_on=stamp(filing), actor=manager, access=M
        )
    with pytest.raises(DomainError):
        actions.filing_refresh(filing=filing, actor=manager)
    state = lock_state(dt.date(2024, 12, 1), LockContext.load(filing.centre, dt.date(2025, 1, 5)))
    assert state.locked and "2024年度报告已审核通过" in state.reason


def test_two_real_sessions_editing_one_draft_do_not_lose_an_update(ready, manager, clerk):
    url = reverse("reporting:filing", args=[ready.centre.slug, 2024])
    save = reverse("reporting:filing-narrative", args=[ready.centre.slug, 2024])
    first, second = Client(), Client()
    first.force_login(manager)
    second.force_login(clerk)
    v1 = first.get(url).context["narrative_form"]["based_on"].value()
    v2 = second.get(url).context["narrative_form"]["based_on"].value()
    assert v1 == v2
    assert first.post(save, {"narrative": "管理员写的", "based_on": v1}).status_code == 302
    refused = second.post(save, {"narrative": "录入员写的", "based_on": v2})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "在您编辑期间，其他人（彭娅" in body
    assert "录入员写的" in body and "管理员写的" in body  # both texts on the page to merge
    assert AnnualFiling.objects.get().narrative == "管理员写的"


def test_refresh_updates_the_prefilled_parts_and_keeps_the_narrative(ready, manager):
    actions.filing_save_narrative(
        filing=ready, narrative="我们自己写的", based_on=stamp(ready), actor=manager, access=M
    )
    Licence.objects.create(
        centre=ready.centre,
        name="医疗机构执业许可证",
        valid_from=dt.date(2024, 9, 5),
        valid_to=dt.date(2026, 7, 4),
    )
    filing = actions.filing_refresh(filing=AnnualFiling.objects.get(), actor=manager)
    assert filing.data["licences"] == "医疗机构执业许可证，有效期：2024年9月5日至2026年7月4日。"
    assert filing.narrative == "我们自己写的"


def test_prefill_uses_year_end_values_and_says_none_for_empty_sections(centre):
    RegistrationChange.objects.create(
        centre=centre,
        item="legal_representative",
        old_value="张三",
        new_value="王五",
        effective_on=dt.date(2025, 2, 1),
        registered_on=dt.date(2025, 2, 3),
    )
    centre.legal_representative = "王五"
    centre.save()
    data = prefill(centre, 2024)
    assert data["legal_representative"] == "张三"  # the 2025 change is after the report year
    assert data["licences"] == data["performance"] == data["donations"] == "无"
    assert data["registration"] == "无" and data["online_name"] == "无"


def test_staff_count_follows_the_configured_definition(centre):
    end = dt.date(2024, 12, 31)
    SpellFactory(person=PersonFactory(centre=centre), establishment="on", contract_kind="")
    SpellFactory(person=PersonFactory(centre=centre))  # off the establishment
    SpellFactory(
        person=PersonFactory(centre=centre), left_on=end, leave_reason="resigned"
    )  # counts on 31 Dec
    SpellFactory(
        person=PersonFactory(centre=centre), left_on=dt.date(2024, 12, 30), leave_reason="resigned"
    )
    assert prefill(centre, 2024)["staff_count"] == "3"
    assert prefill(centre, 2024)["staff_count_basis"] == "按12月31日全部在职人员计"
    with override_settings(FILING_STAFF_COUNT="establishment"):
        assert prefill(centre, 2024)["staff_count"] == "1"


def test_public_pages_show_only_published_reports(client, ready, manager, reviewer, district):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    url = reverse("reporting:public-filing", args=[filing.pk])
    listing = reverse("reporting:public-list", args=[district.slug, 2024])
    assert client.get(url).status_code == 404  # approved is not yet public
    assert filing.centre.name not in client.get(listing).content.decode()
    actions.filing_publish(filing=filing, actor=reviewer, access=R)
    page = client.get(url)
    assert page.status_code == 200 and "事业单位法人年度报告书" in page.content.decode()
    assert filing.centre.name in client.get(listing).content.decode()
    assert client.get(reverse("reporting:public-filing", args=[999999])).status_code == 404


def test_reviewer_list_counts_states_and_flags_overdue(client, ready, reviewer, centre, district):
    from centers.tests.factories import CentreFactory

    CentreFactory(sponsor=district, name="未开始中心")
    client.force_login(reviewer)
    import time_machine

    with time_machine.travel(dt.datetime(2025, 4, 2, 9, 0)):
        body = client.get(
            reverse("reporting:authority-filings", args=[district.slug, 2024])
        ).content.decode()
        assert "未开始 1" in body and "草稿 1" in body
        assert body.count("badge-expired") == 2  # draft and not started are overdue after 31 March
        overdue = client.get(
            reverse("reporting:authority-filings", args=[district.slug, 2024]), {"state": "overdue"}
        )
        assert "未开始中心" in overdue.content.decode()


def test_the_page_offers_reopen_for_approved_reports_only(client, ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    client.force_login(reviewer)
    url = reverse("reporting:filing", args=[filing.centre.slug, 2024])
    reopen = reverse("reporting:filing-reopen", args=[filing.centre.slug, 2024])
    assert reopen in client.get(url).content.decode()
    actions.filing_publish(filing=filing, actor=reviewer, access=R)
    assert reopen not in client.get(url).content.decode()
    client.post(reopen, {"reason": "数据有误"})
    assert AnnualFiling.objects.get().status == S.PUBLISHED


def test_a_return_from_a_tab_that_still_shows_it_submitted_is_not_taken(
    client, ready, manager, reviewer, django_user_model
):
    """Approved in one tab; 退回 in a second tab that still shows 待审核 is refused (409), the
    reason typed is kept in the page's reopen form with the reason beside it, nothing moves."""
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    client.force_login(reviewer)
    slug = filing.centre.slug
    page = client.get(reverse("reporting:filing", args=[slug, 2024])).content.decode()
    shown = str(filing.version)
    assert page.count(f'name="shown" value="{shown}"') == 2  # approve and return
    approve = reverse("reporting:filing-approve", args=[slug, 2024])
    assert client.post(approve, {"comment": "", "shown": shown}).status_code == 302
    events = filing.events.count()
    back = reverse("reporting:filing-return", args=[slug, 2024])
    refused = client.post(back, {"reason": "第二个标签页退回", "shown": shown})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "在您打开此页期间，报告已有变动（现为“审核通过”），本次操作未执行" in body
    reopen_form = body[body.index(reverse("reporting:filing-reopen", args=[slug, 2024])) :]
    assert "第二个标签页退回</textarea>" in reopen_form and 'class="error" id="step-error"' in body
    filing.refresh_from_db()
    assert filing.status == S.APPROVED and filing.events.count() == events


def test_a_report_returned_and_submitted_again_is_not_approved_from_the_older_page(
    client, ready, manager, reviewer
):
    """A page showed version 1 待审核; it was returned, changed and submitted again: the status
    is 待审核 again, but 审核通过 on the older page would approve what nobody read."""
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    shown = str(filing.version)
    filing = actions.filing_return(filing=filing, reason="请补充", actor=reviewer, access=R)
    AnnualFiling.objects.filter(pk=filing.pk).update(narrative=filing.narrative + "\n补充内容")
    filing.refresh_from_db()
    filing = actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    client.force_login(reviewer)
    approve = reverse("reporting:filing-approve", args=[filing.centre.slug, 2024])
    refused = client.post(approve, {"comment": "同意", "shown": shown})
    assert refused.status_code == 409 and "报告已有变动（现为“待审核”）" in refused.content.decode()
    assert "同意</textarea>" in refused.content.decode()  # the comment is kept
    filing.refresh_from_db()
    assert filing.status == S.SUBMITTED and filing.versions.count() == 2
    current = client.post(approve, {"comment": "同意", "shown": str(filing.version)})
    assert current.status_code == 302
    assert AnnualFiling.objects.get(pk=filing.pk).status == S.APPROVED


def test_an_empty_return_reason_is_said_beside_the_field(client, ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    client.force_login(reviewer)
    back = reverse("reporting:filing-return", args=[filing.centre.slug, 2024])
    refused = client.post(back, {"reason": "  ", "shown": str(filing.version)})
    assert refused.status_code == 200
    body = refused.content.decode()
    field = body[body.index('<label for="id_reason">') - 40 : body.index('id="step-error"') + 40]
    assert "has-error" in field and "请填写退回原因。" in body
    filing.refresh_from_db()
    assert filing.status == S.SUBMITTED
