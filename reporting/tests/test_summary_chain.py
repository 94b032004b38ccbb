"""Summaries handed up: every step and every refused one, the lock while handed up, the diff,
the received list with its deadline, compiling with sources, and the notices."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.access import Access
from centers.models import CentreMembership
from centers.permissions import CLERK, MANAGER, REVIEWER
from centers.tests.factories import CentreFactory, CentreMembershipFactory
from core.errors import DomainError
from core.models import AuditEntry
from core.periods import Period
from core.stale import StaleEdit, stamp
from reporting import actions, summary_actions, summary_review
from reporting.actions import TransitionNotAllowed
from reporting.models import Notification, Summary, SummaryEvent, SummaryVersion
from reporting.outline_edit import walk
from reporting.summary import Owner
from reporting.tests.outline_data import outline_of, paragraphs, section, section_id

pytestmark = pytest.mark.django_db
SS = Summary.Status
M, C, R = (Access(frozenset({r})) for r in (MANAGER, CLERK, REVIEWER))
H1 = {"first": dt.date(2024, 1, 1), "last": dt.date(2024, 6, 1)}


def _summary(*, texts=None, kind="half", **owner) -> Summary:
    s = Summary.objects.create(
        **owner, kind=kind, **H1, title="2024年上半年工作总结", texts=texts or {}
    )
    SummaryVersion.objects.create(summary=s, number=1, texts=s.texts, figures={})
    return s


@pytest.fixture
def draft(centre):
    return _summary(centre=centre, texts={"intro": "开头。", "medical": "门诊量增长。\n签约扎实。"})


def _submit(s, manager):
    return summary_actions.summary_submit(summary_obj=s, actor=manager, access=M)


def _return(s, reviewer, comment="请补充慢病管理情况。"):
    return summary_actions.summary_return(summary_obj=s, comment=comment, actor=reviewer, access=R)


def _accept(s, reviewer):
    return summary_actions.summary_accept(summary_obj=s, actor=reviewer, access=R)


def _save(s, user, **texts):
    s.refresh_from_db()
    return actions.summary_save_texts(
        summary_obj=s, texts=s.texts | texts, based_on=stamp(s), actor=user
    )


# --- the steps ------------------------------------------------------------------------------


def test_submit_freezes_the_text_as_a_version_audits_and_tells_the_commission(
    draft, manager, reviewer, district_admin, city_reviewer
):
    moved = _submit(draft, manager)
    assert moved.status == SS.SUBMITTED and moved.submitted_by == manager
    version = moved.versions.first()
    assert (version.number, version.note, version.texts) == (2, "已上报", draft.texts)
    event = SummaryEvent.objects.get(summary=draft)
    assert (event.from_status, event.to_status, event.version) == ("draft", "submitted", 2)
    entry = AuditEntry.objects.get(action="reporting.summary.submit")
    assert entry.centre_id == draft.centre_id and entry.changes["version"] == 2
    told = set(
        Notification.objects.filter(kind="summary_step").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"reviewer", "districtadmin"}  # the sponsor's reviewers, not the city's
    note = Notification.objects.filter(recipient=reviewer).get()
    assert note.path == reverse("reporting:centre-summary", args=[draft.centre.slug, draft.pk])


def test_return_resubmit_accept_and_reopen(draft, manager, clerk, reviewer):
    _submit(draft, manager)
    returned = _return(draft, reviewer)
    assert returned.status == SS.RETURNED
    assert returned.events.last().comment == "请补充慢病管理情况。"
    told = Notification.objects.filter(kind="summary_step", title__contains="已退回")
    assert set(told.values_list("recipient__username", flat=True)) == {"manager", "clerk"}
    _save(draft, clerk, medical="门诊量增长。\n慢病管理规范。")  # returned: the centre edits
    again = _submit(draft, manager)
    assert again.status == SS.SUBMITTED and again.versions.first().number == 4
    accepted = _accept(draft, reviewer)
    assert accepted.status == SS.ACCEPTED
    assert accepted.events.last().version == 4  # the version that was accepted
    reopened = summary_actions.summary_reopen(
        summary_obj=draft, reason="数据有误。", actor=reviewer, access=R
    )
    assert reopened.status == SS.RETURNED
    steps = list(draft.events.values_list("from_status", "to_status"))
    assert steps == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "returned"),
    ]
    audited = AuditEntry.objects.filter(action__startswith="reporting.summary.")
    assert list(audited.order_by("id").values_list("action", flat=True)) == [
        "reporting.summary.submit",
        "reporting.summary.return",
        "reporting.summary.submit",
        "reporting.summary.accept",
        "reporting.summary.reopen",
    ]


@pytest.mark.parametrize(
    ("start", "step", "state"),
    [
        ("draft", "accept", "草稿"),
        ("draft", "return", "草稿"),
        ("draft", "reopen", "草稿"),
        ("returned", "accept", "已退回"),
        ("submitted", "submit", "已上报"),
        ("submitted", "reopen", "已上报"),
        ("accepted", "submit", "已接收"),
        ("accepted", "accept", "已接收"),
        ("accepted", "return", "已接收"),
    ],
)
def test_out_of_order_steps_name_the_blocking_state(draft, manager, reviewer, start, step, state):
    Summary.objects.filter(pk=draft.pk).update(status=start)
    run = {
        "submit": lambda: _submit(draft, manager),
        "accept": lambda: _accept(draft, reviewer),
        "return": lambda: _return(draft, reviewer),
        "reopen": lambda: summary_actions.summary_reopen(
            summary_obj=draft, reason="x", actor=reviewer, access=R
        ),
    }[step]
    with pytest.raises(TransitionNotAllowed, match=f"当前为“{state}”"):
        run()
    draft.refresh_from_db()
    assert draft.status == start and not draft.events.exists()


def test_return_and_reopen_need_a_comment(draft, manager, reviewer):
    _submit(draft, manager)
    with pytest.raises(DomainError, match="请说明中心需要修改"):
        _return(draft, reviewer, comment="  ")
    _accept(draft, reviewer)
    with pytest.raises(DomainError, match="重新打开该总结的原因"):
        summary_actions.summary_reopen(summary_obj=draft, reason="", actor=reviewer, access=R)


def test_a_clerk_cannot_hand_up_and_a_manager_cannot_review(draft, clerk, manager):
    with pytest.raises(TransitionNotAllowed):
        summary_actions.summary_submit(summary_obj=draft, actor=clerk, access=C)
    _submit(draft, manager)
    with pytest.raises(TransitionNotAllowed):
        summary_actions.summary_accept(summary_obj=draft, actor=manager, access=M)


def test_separation_of_duties(draft, manager, reviewer, city_reviewer, district):
    _submit(draft, manager)
    # The city reads but does not act: only the centre's own commission does.
    with pytest.raises(TransitionNotAllowed, match="只有本中心所属"):
        _accept(draft, city_reviewer)
    # A district reviewer who also holds a role at the centre does not.
    CentreMembershipFactory(user=reviewer, centre=draft.centre, role=CentreMembership.Role.CLERK)
    with pytest.raises(TransitionNotAllowed, match="在本中心担任角色"):
        _return(draft, reviewer)
    # Nor does whoever handed it up, whatever their memberships are now.
    CentreMembership.objects.filter(user=reviewer).delete()
    Summary.objects.filter(pk=draft.pk).update(submitted_by=reviewer)
    with pytest.raises(TransitionNotAllowed, match="该总结是您上报的"):
        _accept(draft, reviewer)
    draft.refresh_from_db()
    assert draft.status == SS.SUBMITTED


def test_only_centre_half_year_or_year_summaries_are_handed_up(district, centre, manager):
    own = _summary(authority=district)
    ranged = _summary(centre=centre, kind="range")
    for s in (own, ranged):
        with pytest.raises(TransitionNotAllowed, match="半年或年度"):
            _submit(s, manager)


def test_one_summary_per_period_is_handed_up(draft, centre, manager):
    second = _summary(centre=centre)
    _submit(draft, manager)
    with pytest.raises(TransitionNotAllowed, match="每期只能上报一份"):
        _submit(second, manager)


# --- the lock --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "accepted"])
def test_handed_up_or_accepted_text_is_immutable(draft, manager, state, centre):
    Summary.objects.filter(pk=draft.pk).update(status=state)
    draft.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="不能修改"):
        _save(draft, manager, intro="改了")
    with pytest.raises(TransitionNotAllowed):
        actions.summary_regenerate(
            summary_obj=draft, owner=Owner(name=centre.name, centre=centre), actor=manager
        )
    with pytest.raises(TransitionNotAllowed):
        actions.summary_restore(summary_obj=draft, number=1, actor=manager)
    draft.refresh_from_db()
    assert draft.texts["intro"] == "开头。" and draft.versions.count() == 1


def test_a_form_opened_before_the_hand_up_is_refused_with_the_lock(client, draft, manager):
    based_on = stamp(draft)
    _submit(draft, manager)
    client.force_login(manager)
    url = reverse("reporting:centre-summary-texts", args=[draft.centre.slug, draft.pk])
    response = client.post(url, {"based_on": based_on, "intro": "我的新开头"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "在卫健委退回或重新打开之前不能修改" in body
    draft.refresh_from_db()
    assert draft.texts["intro"] == "开头。"


def test_page_hides_the_boxes_while_handed_up_and_shows_the_steps(client, draft, manager):
    url = reverse("reporting:centre-summary", args=[draft.centre.slug, draft.pk])
    client.force_login(manager)
    assert 'id="summary-submit"' in client.get(url).content.decode()
    _submit(draft, manager)
    body = client.get(url).content.decode()
    assert "<textarea" not in body and 'id="summary-submit"' not in body
    assert 'id="summary-events"' in body and "已上报" in body


# --- views -----------------------------------------------------------------------------------


def test_views_walk_the_chain(client, draft, manager, reviewer):
    slug = draft.centre.slug
    client.force_login(manager)
    page = reverse("reporting:centre-summary", args=[slug, draft.pk])
    # Never handed up: nothing has changed "since it was handed up".
    assert 'id="summary-changes"' not in client.get(page).content.decode()
    client.post(reverse("reporting:centre-summary-submit", args=[slug, draft.pk]))
    client.force_login(reviewer)
    body = client.get(page).content.decode()
    assert 'id="summary-accept"' in body and 'id="summary-return"' in body
    assert 'id="summary-changes"' in body
    back = client.post(
        reverse("reporting:centre-summary-return", args=[slug, draft.pk]),
        {"comment": "", "back": "inbox"},
    )
    inbox = reverse("reporting:authority-summary-inbox", args=["district"])
    assert back["Location"] == inbox + "?year=2024&part=h1"
    draft.refresh_from_db()
    assert draft.status == SS.SUBMITTED  # no comment, no return
    client.post(reverse("reporting:centre-summary-accept", args=[slug, draft.pk]))
    draft.refresh_from_db()
    assert draft.status == SS.ACCEPTED
    response = client.post(
        reverse("reporting:centre-summary-accept", args=[slug, draft.pk]), follow=True
    )
    assert "当前为“已接收”，不能接收" in response.content.decode()


def test_changes_page_diffs_against_the_handed_up_version_safely(client, draft, manager, reviewer):
    _submit(draft, manager)
    _return(draft, reviewer)
    _save(draft, manager, medical="门诊量增长<script>x</script>。\n签约扎实。", plans="新计划")
    client.force_login(manager)
    url = reverse("reporting:centre-summary-changes", args=[draft.centre.slug, draft.pk])
    body = client.get(url).content.decode()
    assert "第2版文字与当前文字（第3版）的对比" in body
    assert "<ins>&lt;script&gt;x&lt;/script&gt;</ins>" in body and "<script>x" not in body
    assert "<ins>新计划</ins>" in body and 'data-key="lead"' not in body
    # The reviewer, after the resubmission, compares with what was handed up before.
    _submit(draft, manager)
    client.force_login(reviewer)
    body = client.get(url).content.decode()
    assert "第2版文字与当前文字（第4版）的对比" in body
    assert client.get(url, {"base": "99"}).status_code == 404
    assert client.get(url, {"base": "x"}).status_code == 404


def test_text_changes_by_section():
    runs = summary_review.text_changes({"intro": "甲乙丙"}, {"intro": "甲丁丙", "plans": "新"})
    assert [c["title"] for c in runs] == ["开头", "三、下一步工作计划"]
    assert runs[0]["runs"] == [[("same", "甲"), ("del", "乙"), ("ins", "丁"), ("same", "丙")]]
    assert runs[1]["runs"] == [[("same", "下一步工作计划")], [("ins", "新")]]


def test_text_changes_show_a_renamed_moved_and_removed_section():
    from reporting.outline_legacy import upgrade

    old = upgrade({"medical": "门诊量增长。", "plans": "计划"}, {})
    new = {**old, "sections": [dict(s) for s in old["sections"]]}
    work = new["sections"][0]
    work["children"] = [dict(work["children"][0], heading="医疗服务提质增效")]
    new["sections"] = [work, new["sections"][1]]  # 下一步工作计划 removed
    runs = {c["title"]: c["runs"] for c in summary_review.text_changes(old, new)}
    assert runs["（一）医疗服务提质增效"][0] == [("same", "医疗服务"), ("ins", "提质增效")]
    assert runs["三、下一步工作计划"] == [[("del", "下一步工作计划")], [("del", "计划")]]


# --- the received list -----------------------------------------------------------------------


def test_due_date_is_ten_days_after_the_period():
    assert summary_review.due_date(Period.half(2024, 1)) == dt.date(2024, 7, 10)
    assert summary_review.due_date(Period.half(2024, 2)) == dt.date(2025, 1, 10)
    assert summary_review.due_date(Period.year(2024)) == dt.date(2025, 1, 10)


def test_inbox_states_and_lateness(draft, district, manager, reviewer, other_centre):
    quiet = CentreFactory(name="乙中心", slug="yi", sponsor=district)
    late = CentreFactory(name="丙中心", slug="bing", sponsor=district)
    _summary(centre=late)  # a draft only
    _submit(draft, manager)
    period = Period.half(2024, 1)
    args = {"authority_ids": {district.pk}, "period": period, "kind": "half"}
    rows = summary_review.inbox(**args, today=dt.date(2024, 7, 10))
    assert [(r.centre.slug, r.state, r.late) for r in rows] == [
        ("bing", "draft", False),
        ("yi", "", False),
        ("ciqikou", "submitted", False),
    ]
    rows = summary_review.inbox(**args, today=dt.date(2024, 7, 11))
    states = {r.centre.slug: (r.state, r.late) for r in rows}
    assert states == {
        "ciqikou": ("submitted", False),
        "yi": ("", True),
        "bing": ("draft", True),
    }
    assert quiet.pk and summary_review.counts(rows)["late"] == 2


def test_inbox_marks_a_summary_handed_up_after_its_due_day(draft, district, manager):
    on_time = _summary(centre=CentreFactory(name="丁中心", slug="ding", sponsor=district))
    with time_machine.travel(dt.datetime(2024, 7, 10, 9, 0), tick=False):
        _submit(on_time, manager)
    with time_machine.travel(dt.datetime(2024, 7, 11, 9, 0), tick=False):
        _submit(draft, manager)
    args = {"authority_ids": {district.pk}, "period": Period.half(2024, 1), "kind": "half"}
    rows = summary_review.inbox(**args, today=dt.date(2024, 7, 20))
    assert {r.centre.slug: (r.late, r.handed_late) for r in rows} == {
        "ding": (False, False),  # handed up on the due day
        "ciqikou": (False, True),  # a day after: handed up, but late
    }


def test_the_centre_s_page_says_late_as_the_received_list_does(client, draft, manager, district):
    url = reverse("reporting:centre-summary", args=[draft.centre.slug, draft.pk])
    period = {"authority_ids": {district.pk}, "period": Period.half(2024, 1), "kind": "half"}
    late = '<span class="badge badge-expired" id="summary-late">逾期</span>'
    client.force_login(manager)
    with time_machine.travel(dt.datetime(2024, 7, 10, 9, 0), tick=False):
        assert 'id="summary-late"' not in client.get(url).content.decode()  # due today
    with time_machine.travel(dt.datetime(2024, 7, 11, 9, 0), tick=False):
        assert late in client.get(url).content.decode()
        assert summary_review.inbox(**period)[0].late
        _submit(draft, manager)
        body = client.get(url).content.decode()
        assert summary_review.inbox(**period)[0].handed_late
    assert '<span class="badge badge-expired" id="summary-late">逾期上报</span>' in body
    assert "截止日期2024年7月10日。" in body
    # Another draft of the period beside the one handed up is not late: the list shows that one.
    second = _summary(centre=draft.centre)
    other = reverse("reporting:centre-summary", args=[draft.centre.slug, second.pk])
    assert 'id="summary-late"' not in client.get(other).content.decode()


def test_inbox_page_acts_and_keeps_a_query_ceiling(
    client, draft, district, manager, reviewer, django_assert_max_num_queries
):
    _submit(draft, manager)
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-inbox", args=[district.slug])
    # 12, and the number check of the summaries waiting (tallies, roster, records, catalogue)
    with django_assert_max_num_queries(15):
        body = client.get(url, {"year": 2024, "part": "h1"}).content.decode()
    assert "上报截止日期为期末后10天，即2024年7月10日" in body
    assert 'class="accept"' in body
    for n in range(8):  # more centres, same number of queries
        c = CentreFactory(name=f"中心{n}", slug=f"c{n}", sponsor=district)
        s = _summary(centre=c)
        Summary.objects.filter(pk=s.pk).update(status="accepted")
    with django_assert_max_num_queries(15):
        body = client.get(url, {"year": 2024, "part": "h1"}).content.decode()
    assert body.count("<tr data-centre") == 9


def test_city_reviewer_sees_the_inbox_but_cannot_act(client, draft, manager, city_reviewer, city):
    _submit(draft, manager)
    client.force_login(city_reviewer)
    body = client.get(
        reverse("reporting:authority-summary-inbox", args=[city.slug]),
        {"year": 2024, "part": "h1"},
    ).content.decode()
    assert "磁器口" in body and 'class="accept"' not in body and "只有本中心所属" in body


# --- compiling -------------------------------------------------------------------------------


@pytest.fixture
def accepted(draft, manager, reviewer):
    _submit(draft, manager)
    return _accept(draft, reviewer)


def test_compile_copies_paragraphs_with_their_source(
    client, accepted, district, reviewer, django_assert_max_num_queries
):
    own = _summary(authority=district, texts={"medical": "全区门诊量稳步增长。"})
    sections = [{"key": "medical", "title": "医疗服务", "clauses": []}]
    Summary.objects.filter(pk=own.pk).update(figures={"sections": sections})
    own.refresh_from_db()
    target = section_id(own, "医疗服务")
    picked = next(
        b["id"] for b in section(accepted, "医疗服务")["blocks"] if b["text"] == "签约扎实。"
    )
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-compile", args=[district.slug, own.pk])
    with django_assert_max_num_queries(10):
        body = client.get(url).content.decode()
    assert f'value="{accepted.pk}:{picked}"' in body and "签约扎实。" in body
    assert f'<option value="{target}" selected>' in body  # the work section's first part
    data = {"pick": [f"{accepted.pk}:{picked}"], "target": target, "based_on": stamp(own)}
    response = client.post(url, data)
    assert response.status_code == 302
    own.refresh_from_db()
    assert paragraphs(own, "医疗服务") == ["全区门诊量稳步增长。", "签约扎实。"]
    block = section(own, "医疗服务")["blocks"][-1]
    assert block["origin"]["summary"] == accepted.pk
    assert own.sources[0]["centre"] == accepted.centre.name
    assert own.versions.first().note == "汇编自中心总结"
    assert AuditEntry.objects.filter(action="summary.compile").exists()
    page = client.get(response["Location"]).content.decode()
    link = reverse("reporting:centre-summary", args=[accepted.centre.slug, accepted.pk])
    assert f'href="{link}"' in page and "摘自" in page
    # A stale form is refused and copies nothing more.
    again = client.post(url, data | {"based_on": "stale"})
    assert again.status_code == 409
    own.refresh_from_db()
    assert paragraphs(own, "医疗服务") == ["全区门诊量稳步增长。", "签约扎实。"]
    # A chosen section that is gone is refused in words.
    gone = client.post(url, data | {"based_on": stamp(own), "target": "nosuch"})
    assert gone.status_code == 400 and "提纲中的这一部分已不存在" in gone.content.decode()


def test_compile_offers_and_takes_only_accepted_summaries_below(
    client, draft, district, other_centre, manager, reviewer
):
    own = _summary(authority=district)
    foreign = _summary(centre=other_centre, texts={"intro": "别区的。", "plans": "别区计划"})
    Summary.objects.filter(pk=foreign.pk).update(status="accepted")
    _submit(draft, manager)  # handed up, not yet accepted
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-compile", args=[district.slug, own.pk])
    assert "本期尚无已接收的中心总结" in client.get(url).content.decode()
    blocks = [(s, outline_of(s)["sections"]) for s in (draft, foreign)]
    ids = [
        next(b["id"] for x, _p in walk(tree) for b in x["blocks"] if b["kind"] == "text")
        for _s, tree in blocks
    ]
    target = section_id(own, "plans")
    for pick in (f"{draft.pk}:{ids[0]}", f"{foreign.pk}:{ids[1]}", "junk"):
        response = client.post(url, {"pick": [pick], "target": target, "based_on": stamp(own)})
        assert response.status_code == 400
        assert "所选段落已不在已接收的总结中" in response.content.decode()
    own.refresh_from_db()
    assert own.texts == {} and own.versions.count() == 1


def test_compile_refuses_a_centre_summary(accepted, district, reviewer):
    other = _summary(centre=accepted.centre)
    with pytest.raises(DomainError, match="只有卫健委的总结"):
        summary_actions.summary_compile(
            summary_obj=other,
            picks=[(accepted.pk, "x")],
            target="x",
            authority_ids={district.pk},
            based_on=stamp(other),
            actor=reviewer,
        )


def test_compile_action_stale_check(accepted, district, reviewer):
    own = _summary(authority=district)
    with pytest.raises(StaleEdit):
        summary_actions.summary_compile(
            summary_obj=own,
            picks=[(accepted.pk, "x")],
            target="x",
            authority_ids={district.pk},
            based_on="",
            actor=reviewer,
        )
