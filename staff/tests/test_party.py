"""Party records: 在职党员 on a day and 发展党员 in a year worked by hand, and the rules the
actions guard (dates against the branch, the roster's spells and each other), audited."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditEntry
from core.stale import StaleEdit, stamp
from staff import party
from staff.models import CommitteeTerm, PartyBranch, PartyMember
from staff.party_selectors import developed_by_year, flagged_without_record, party_counts
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = pytest.mark.django_db

FOUNDED = dt.date(2021, 5, 1)


def _person(centre, name, hired, left=None):
    person = PersonFactory(centre=centre, name=name)
    SpellFactory(
        person=person, hired_on=hired, left_on=left, leave_reason="retired" if left else ""
    )
    return person


def _stay(centre, person, joined, full=None, origin="transferred", **extra):
    extra.setdefault("in_on", FOUNDED if origin == "transferred" else joined)
    extra.setdefault("in_from", "原党支部" if origin == "transferred" else "")
    return PartyMember.objects.create(
        centre=centre, person=person, joined_on=joined, full_on=full, origin=origin, **extra
    )


@pytest.fixture
def branch(centre):
    """Six people on the books (see the module's tests for who is where when).

    A serves throughout; B transferred out on 2024-06-30; C retired on 2024-09-30 and stays on
    the books; D was admitted 2024-03-15 (probationary); E admitted 2023-11-20, full member from
    2024-11-20; F hired 2024-02-01 and transferred in on 2024-04-01.
    """
    branch = PartyBranch.objects.create(centre=centre, name="测试党支部", founded_on=FOUNDED)
    a = _person(centre, "甲", dt.date(2015, 1, 1))
    b = _person(centre, "乙", dt.date(2016, 3, 1))
    c = _person(centre, "丙", dt.date(2018, 1, 1), left=dt.date(2024, 9, 30))
    d = _person(centre, "丁", dt.date(2020, 1, 1))
    e = _person(centre, "戊", dt.date(2020, 1, 1))
    f = _person(centre, "己", dt.date(2024, 2, 1))
    _stay(centre, a, dt.date(2010, 7, 1), dt.date(2011, 7, 1))
    _stay(
        centre, b, dt.date(2012, 7, 1), dt.date(2013, 7, 1), out_on=dt.date(2024, 6, 30),
        out_to="某医院党支部",
    )  # fmt: skip
    _stay(centre, c, dt.date(2009, 7, 1), dt.date(2010, 7, 1))
    _stay(centre, d, dt.date(2024, 3, 15), origin="developed")
    _stay(centre, e, dt.date(2023, 11, 20), dt.date(2024, 11, 20), origin="developed")
    _stay(centre, f, dt.date(2019, 6, 1), dt.date(2020, 6, 1), in_on=dt.date(2024, 4, 1))
    return branch


def _counts(centre, day, first=dt.date(2024, 1, 1)):
    return party_counts(centre_ids=[centre.pk], day=day, first=first, last=day)


def test_members_at_work_at_year_end(centre, branch):
    """On 2024-12-31: on the books A C D E F (B transferred out) = 5; at work A D E F (C retired)
    = 4; probationary among them D = 1 (E made full on 2024-11-20). In 2024: D admitted (1),
    F transferred in (1), B out (1)."""
    c = _counts(centre, dt.date(2024, 12, 31))
    assert (c.on_books, c.at_work, c.probationary) == (5, 4, 1)
    assert (c.developed, c.transferred_in, c.transferred_out) == (1, 1, 1)


def test_the_transfer_day_still_counts_and_the_next_does_not(centre, branch):
    """On 2024-06-30 all six are on the books and serving (D and E probationary); a day later B
    is gone."""
    c = _counts(centre, dt.date(2024, 6, 30))
    assert (c.on_books, c.at_work, c.probationary) == (6, 6, 2)
    assert _counts(centre, dt.date(2024, 7, 1)).at_work == 5


def test_someone_who_left_counts_until_their_last_day(centre, branch):
    """C's spell ends 2024-09-30, which still counts: A C D E F at work = 5 (B is out)."""
    assert _counts(centre, dt.date(2024, 9, 30)).at_work == 5
    assert _counts(centre, dt.date(2024, 10, 1)).at_work == 4


def test_developed_in_a_year(centre, branch):
    """D in 2024, E in 2023; the transfers in are not 发展党员."""
    assert _counts(centre, dt.date(2023, 12, 31), first=dt.date(2023, 1, 1)).developed == 1
    assert developed_by_year(centre=centre) == [(2024, 1), (2023, 1)]


def test_other_centres_do_not_count(centre, other_centre, branch):
    assert party_counts(
        centre_ids=[other_centre.pk], day=dt.date(2024, 12, 31), first=FOUNDED,
        last=dt.date(2024, 12, 31),
    ).at_work == 0  # fmt: skip


def test_roster_party_members_without_a_record_are_listed(centre, branch):
    flagged = _person(centre, "庚", dt.date(2019, 1, 1))
    flagged.party_member = True
    flagged.save()
    assert flagged_without_record(centre=centre, day=dt.date(2024, 12, 31)) == [flagged]


# --- the actions' rules -------------------------------------------------------------------


def _data(person, **over):
    data = {
        "person": person,
        "joined_on": dt.date(2022, 7, 1),
        "full_on": None,
        "origin": "developed",
        "in_on": dt.date(2022, 7, 1),
        "in_from": "",
        "out_on": None,
        "out_to": "",
        "note": "",
    }
    return data | over


def test_admitting_a_member_is_audited_and_marks_the_roster(centre, branch, manager):
    person = _person(centre, "新人", dt.date(2021, 1, 1))
    member = party.member_create(centre=centre, data=_data(person), actor=manager)
    person.refresh_from_db()
    assert person.party_member
    entry = AuditEntry.objects.get(action="staff.party_member.created")
    assert entry.changes["joined_on"] == [None, "2022-07-01"] and entry.target_id == str(member.pk)
    assert AuditEntry.objects.filter(action="staff.person.updated").exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"in_on": dt.date(2020, 1, 1), "joined_on": dt.date(2020, 1, 1)}, "in_on"),  # pre-branch
        ({"in_on": dt.date(2022, 8, 1)}, "in_on"),  # developed: on the books from admission
        ({"full_on": dt.date(2022, 1, 1)}, "full_on"),
        ({"out_on": dt.date(2023, 1, 1)}, "out_to"),
        ({"origin": "transferred"}, "in_from"),
        ({"out_on": dt.date(2022, 1, 1), "out_to": "某处"}, "out_on"),
    ],
)
def test_broken_dates_are_refused_beside_their_field(centre, branch, manager, over, field):
    person = _person(centre, "新人", dt.date(2019, 1, 1))
    with pytest.raises(party.PartyError) as refused:
        party.member_create(centre=centre, data=_data(person, **over), actor=manager)
    assert field in refused.value.errors
    assert not PartyMember.objects.filter(person=person).exists()


def test_a_member_must_serve_when_coming_onto_the_books(centre, branch, manager):
    """Hired 2023-01-01: a stay from 2022-07-01 is refused, naming the roster."""
    person = _person(centre, "新人", dt.date(2023, 1, 1))
    with pytest.raises(party.PartyError) as refused:
        party.member_create(centre=centre, data=_data(person), actor=manager)
    assert "2022-07-01" in refused.value.errors["in_on"]


def test_stays_of_one_person_do_not_overlap(centre, branch, manager):
    a = PartyMember.objects.get(person__name="甲")
    data = _data(a.person, origin="transferred", joined_on=a.joined_on, in_from="某处")
    with pytest.raises(party.PartyError) as refused:
        party.member_create(
            centre=centre, data=data | {"in_on": dt.date(2023, 1, 1)}, actor=manager
        )
    assert "in_on" in refused.value.errors


def test_no_member_before_a_branch(centre, manager):
    person = _person(centre, "新人", dt.date(2019, 1, 1))
    with pytest.raises(party.PartyError):
        party.member_create(centre=centre, data=_data(person), actor=manager)


def test_a_stale_member_edit_is_refused_and_nothing_written(centre, branch, manager, clerk):
    """Two forms opened on B; the clerk's save moves the stamp, the manager's is refused."""
    b = PartyMember.objects.get(person__name="乙")
    opened = stamp(b)
    fields = {k: getattr(b, k) for k in party.MEMBER_FIELDS}
    party.member_update(
        member=b, data=fields | {"out_to": "区医院党总支"}, based_on=opened, actor=clerk
    )
    with pytest.raises(StaleEdit) as refused:
        party.member_update(
            member=b, data=fields | {"out_to": "别处"}, based_on=opened, actor=manager
        )
    assert refused.value.values["out_to"] == "区医院党总支"
    b.refresh_from_db()
    assert b.out_to == "区医院党总支"
    entry = AuditEntry.objects.get(action="staff.party_member.updated")
    assert entry.changes == {"out_to": ["某医院党支部", "区医院党总支"]}


def _term(**over):
    data = {
        "elected_on": dt.date(2023, 7, 1),
        "kind": "founded",
        "secretary": None,
        "deputy": None,
        "note": "",
    }
    return data | over


def test_a_committee_is_founded_once_and_reelected_after(centre, branch, manager):
    a = PartyMember.objects.get(person__name="甲")
    founded = party.term_create(centre=centre, data=_term(secretary=a), members=[], actor=manager)
    with pytest.raises(party.PartyError) as twice:
        party.term_create(
            centre=centre, data=_term(elected_on=dt.date(2024, 1, 1)), members=[], actor=manager
        )
    assert "kind" in twice.value.errors
    with pytest.raises(party.PartyError) as early:
        party.term_create(
            centre=centre,
            data=_term(kind="reelected", elected_on=dt.date(2023, 1, 1)),
            members=[],
            actor=manager,
        )
    assert "kind" in early.value.errors
    party.term_create(
        centre=centre,
        data=_term(kind="reelected", elected_on=dt.date(2026, 7, 1)),
        members=[],
        actor=manager,
    )
    with pytest.raises(party.PartyError):  # the founding goes last
        party.term_delete(term=founded, actor=manager)
    assert CommitteeTerm.objects.count() == 2


def test_committee_seats_go_to_members_on_the_books(centre, branch, manager):
    """F came onto the books on 2024-04-01: not electable on 2023-07-01."""
    f = PartyMember.objects.get(person__name="己")
    with pytest.raises(party.PartyError) as refused:
        party.term_create(centre=centre, data=_term(), members=[f], actor=manager)
    assert "members" in refused.value.errors


def test_term_members_are_audited_by_name(centre, branch, manager):
    a, c = (PartyMember.objects.get(person__name=n) for n in ("甲", "丙"))
    term = party.term_create(centre=centre, data=_term(secretary=a), members=[c], actor=manager)
    party.term_update(
        term=term, data=_term(secretary=a), members=[], based_on=stamp(term), actor=manager
    )
    entry = AuditEntry.objects.get(action="staff.committee_term.updated")
    assert entry.changes == {"members": [["丙"], []]}


def test_a_committee_member_cannot_be_deleted(centre, branch, manager):
    a = PartyMember.objects.get(person__name="甲")
    party.term_create(centre=centre, data=_term(secretary=a), members=[], actor=manager)
    with pytest.raises(party.PartyError):
        party.member_delete(member=a, actor=manager)
    assert PartyMember.objects.filter(pk=a.pk).exists()


def test_the_founding_cannot_move_past_a_member(centre, branch, manager):
    data = {"name": "测试党支部", "founded_on": dt.date(2022, 1, 1), "note": ""}
    with pytest.raises(party.PartyError) as refused:
        party.branch_save(centre=centre, data=data, based_on=stamp(branch), actor=manager)
    assert "founded_on" in refused.value.errors
