"""The 党支部 page and its editors: bounded queries, htmx partials, errors beside the field with
what was typed kept, a stale edit refused with both versions shown, ID numbers masked."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centers.tests.editing import opened, sessions
from core.models import AuditEntry
from staff.models import CommitteeTerm, PartyBranch, PartyMember
from staff.tests.factories import PersonFactory, SpellFactory
from staff.validators import id_check_digit, mask_id_number

pytestmark = pytest.mark.django_db

FOUNDED = dt.date(2021, 5, 1)
BODY17 = "50010619900615012"
NUMBER = BODY17 + id_check_digit(BODY17)


def _url(centre, name, *args):
    return reverse(f"staff:{name}", args=[centre.slug, *args])


def _member(centre, name, *, joined=dt.date(2015, 7, 1), **person):
    person = PersonFactory(centre=centre, name=name, **person)
    SpellFactory(person=person, hired_on=dt.date(2018, 1, 1))
    return PartyMember.objects.create(
        centre=centre,
        person=person,
        joined_on=joined,
        full_on=joined.replace(year=joined.year + 1),
        origin="transferred",
        in_on=FOUNDED,
        in_from="原党支部",
    )


@pytest.fixture
def branch(centre):
    return PartyBranch.objects.create(centre=centre, name="测试党支部", founded_on=FOUNDED)


@pytest.fixture
def many(centre, branch):
    """Twenty members and a committee: the page's queries must not grow with them."""
    members = [_member(centre, f"党员{i:02d}") for i in range(20)]
    term = CommitteeTerm.objects.create(
        centre=centre, branch=branch, elected_on=dt.date(2023, 7, 1), kind="founded",
        secretary=members[0], deputy=members[1],
    )  # fmt: skip
    term.members.set(members[2:5])
    return members


def test_the_page_shows_the_branch_and_its_members_in_bounded_queries(
    client, clerk, centre, many, django_assert_max_num_queries
):
    client.force_login(clerk)
    with django_assert_max_num_queries(12):
        response = client.get(_url(centre, "party"), {"on": "2024-12-31"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "测试党支部" in body and "党员19" in body
    assert '<strong id="count-at-work">20</strong>' in body
    assert "2023-07-01" in body  # the committee's election


def test_htmx_gets_the_body_alone(client, clerk, centre, many):
    client.force_login(clerk)
    response = client.get(_url(centre, "party"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="party-body">')


@pytest.mark.parametrize(
    "role", ["manager", "clerk", "reviewer", "city_reviewer", "district_admin"]
)
def test_id_numbers_show_for_each_role_exactly_as_on_the_roster(
    client, users, centre, branch, role
):
    """Only a manager (view_id_numbers) sees 身份证号 in full, on the roster and here alike;
    everyone else sees 5001************** in the table and, if they may edit, in the editor."""
    _member(centre, "刘洋", id_number=NUMBER, birth_date=dt.date(1990, 6, 15))
    client.force_login(users[role])

    def shown(name: str) -> list[str]:
        response = client.get(_url(centre, name))
        return re.findall(r"5001[0-9X*]{14}", response.content.decode())

    expected = NUMBER if role == "manager" else mask_id_number(NUMBER)
    assert shown("party") == shown("roster") == [expected]
    if role in ("manager", "clerk"):
        assert shown("party-member-add") == [expected, expected]  # the table and the editor


def test_recording_the_branch_is_audited(client, clerk, centre):
    client.force_login(clerk)
    data = {"name": "中共测试中心支部", "founded_on": "2021-05-26", "note": ""}
    response = client.post(_url(centre, "party-branch"), data)
    assert response.status_code == 302
    assert PartyBranch.objects.get(centre=centre).founded_on == dt.date(2021, 5, 26)
    entry = AuditEntry.objects.get(action="staff.party_branch.created")
    assert entry.changes["founded_on"] == [None, "2021-05-26"]


def test_a_member_is_added_over_htmx(client, clerk, centre, branch):
    person = PersonFactory(centre=centre, name="新党员")
    SpellFactory(person=person, hired_on=dt.date(2020, 1, 1))
    client.force_login(clerk)
    data = {"person": person.pk, "joined_on": "2024-06-28", "origin": "developed"}
    response = client.post(_url(centre, "party-member-add"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    member = PartyMember.objects.get(person=person)
    assert member.in_on == dt.date(2024, 6, 28)  # admitted here: on the books from admission


def test_bad_input_comes_back_beside_its_field_with_what_was_typed(client, clerk, centre, branch):
    """Hired 2023-01-01 but put on the books from 2022-07-01: the roster's message, beside the
    date, in Chinese; the note typed is still there."""
    person = PersonFactory(centre=centre, name="新党员")
    SpellFactory(person=person, hired_on=dt.date(2023, 1, 1))
    client.force_login(clerk)
    data = {
        "person": person.pk,
        "joined_on": "2022-07-01",
        "origin": "developed",
        "note": "积极分子培养两年",
    }
    response = client.post(_url(centre, "party-member-add"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_in_on-error"' in body and "不在本中心在职" in body
    assert "积极分子培养两年" in body
    assert not PartyMember.objects.exists()


def test_a_future_date_is_refused_in_chinese(client, clerk, centre, branch):
    person = PersonFactory(centre=centre, name="新党员")
    SpellFactory(person=person, hired_on=dt.date(2020, 1, 1))
    client.force_login(clerk)
    data = {"person": person.pk, "joined_on": "2999-01-01", "origin": "developed"}
    body = client.post(_url(centre, "party-member-add"), data).content.decode()
    assert "日期" in body and 'id="id_joined_on-error"' in body


def test_a_stale_member_edit_is_refused_with_both_versions(centre, branch, manager, clerk):
    member = _member(centre, "刘洋")
    url = _url(centre, "party-member-edit", member.pk)
    first, second = sessions(manager, clerk)
    mine, theirs = opened(first, url), opened(second, url)

    assert first.post(url, {**mine, "full_on": "2016-08-01"}).status_code == 302
    refused = second.post(url, {**theirs, "note": "补录"})

    assert refused.status_code == 409
    body = refused.content.decode()
    assert 'id="stale-conflict"' in body and "2016-08-01" in body and "补录" in body
    member.refresh_from_db()
    assert member.full_on == dt.date(2016, 8, 1) and member.note == ""


def test_a_committee_election_is_recorded_with_its_seats(client, clerk, centre, many):
    client.force_login(clerk)
    data = {
        "elected_on": "2026-07-01",
        "kind": "reelected",
        "secretary": many[1].pk,
        "deputy": many[0].pk,
        "members": [many[5].pk, many[6].pk],
    }
    response = client.post(_url(centre, "party-term-add"), data)
    assert response.status_code == 302
    term = CommitteeTerm.objects.get(elected_on=dt.date(2026, 7, 1))
    assert term.secretary == many[1] and set(term.members.all()) == {many[5], many[6]}


def test_deleting_a_committee_member_says_why_not(client, clerk, centre, many):
    client.force_login(clerk)
    response = client.post(_url(centre, "party-member-delete", many[0].pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "支部委员会成员" in response.content.decode()
    assert PartyMember.objects.filter(pk=many[0].pk).exists()


def test_another_centres_member_is_out_of_reach(client, other_member, centre, branch):
    member = _member(centre, "刘洋")
    client.force_login(other_member)
    assert client.get(_url(centre, "party-member-edit", member.pk)).status_code == 404


# --- review fixes ---------------------------------------------------------------------------


def test_adding_an_existing_stay_again_says_so_in_chinese_beside_the_person(
    client, clerk, centre, branch
):
    """刘洋 is on the books from 2021-05-01; the same stay typed again is refused beside 人员,
    naming them and the day, in Chinese (not the model's generic unique message)."""
    member = _member(centre, "刘洋")
    client.force_login(clerk)
    data = {
        "person": member.person.pk,
        "joined_on": "2015-07-01",
        "origin": "transferred",
        "in_on": "2021-05-01",
        "in_from": "原党支部",
        "note": "重复录入",
    }
    response = client.post(_url(centre, "party-member-add"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_person-error"' in body
    assert "刘洋自 2021-05-01 起已在本支部党员名册中" in body
    assert "已经存在" not in body and "Person" not in body
    assert "重复录入" in body
    assert PartyMember.objects.count() == 1


def test_an_edit_may_not_move_a_stay_onto_another_of_the_same_person(client, clerk, centre, branch):
    """Two stays of 刘洋 (2021-05-01 to 2022-12-31, and from 2024-01-01): moving the second to
    start on 2021-05-01 is refused beside 人员 in Chinese."""
    first = _member(centre, "刘洋")
    first.out_on, first.out_to = dt.date(2022, 12, 31), "某医院党支部"
    first.save()
    second = PartyMember.objects.create(
        centre=centre, person=first.person, joined_on=first.joined_on, full_on=first.full_on,
        origin="transferred", in_on=dt.date(2024, 1, 1), in_from="某医院党支部",
    )  # fmt: skip
    url = _url(centre, "party-member-edit", second.pk)
    client.force_login(clerk)
    data = opened(client, url) | {"in_on": "2021-05-01"}
    body = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="id_person-error"' in body and "刘洋自 2021-05-01 起已在本支部党员名册中" in body
    second.refresh_from_db()
    assert second.in_on == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("name", "field", "extra"),
    [
        ("party-member-add", "joined_on", {"origin": "developed"}),
        ("party-branch", "founded_on", {"name": "中共测试中心支部"}),
        ("party-term-add", "elected_on", {"kind": "founded"}),
    ],
)
def test_a_date_before_1921_gets_one_message(client, clerk, centre, branch, name, field, extra):
    """1900-01-01 is before the Party was founded: one message beside the field, from 1921-07-01
    to today (2026-11-30 here), not the centre records' 1949–2100 range as well."""
    client.force_login(clerk)
    data = {field: "1900-01-01", **extra}
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False):
        response = client.post(_url(centre, name), data, HTTP_HX_REQUEST="true")
    errors = response.context["form"].errors[field]
    assert errors == ["请输入 1921-07-01 至 2026-11-30 之间的日期。"]
    assert "1949-10-01" not in response.content.decode()


@pytest.mark.parametrize(("htmx", "most"), [(False, 14), (True, 6)])
def test_the_committee_editor_reads_the_members_once(client, clerk, centre, many, htmx, most):
    """The secretary, deputy and members lists offer the same twenty stays: one query for all
    three, not one each (16 queries on the whole page before, 8 for the htmx editor)."""
    term = CommitteeTerm.objects.get()
    client.force_login(clerk)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(centre, "party-term-edit", term.pk), **headers)
    body = response.content.decode()
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= most
    assert [sql for sql, n in Counter(statements).items() if n > 1] == []
    assert body.count(f'<option value="{many[19].pk}">党员19</option>') == 2  # both seats
    assert body.count(f'value="{many[19].pk}"') == 3  # and a checkbox among the members
    assert f'value="{many[0].pk}" selected' in body  # the secretary as stored
    assert body.count("checked") == 3  # the three other members as stored
