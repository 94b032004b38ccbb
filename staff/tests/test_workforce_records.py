"""Training, promotions, title at a date, 编制 and registrations, each counted by hand (issue 18)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from core.errors import DomainError
from core.models import AuditEntry
from staff import establishment, licences, promotions, record_actions, training
from staff.development import development_figures
from staff.models import Training
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.record_factories import (
    LicenceFactory,
    PromotionFactory,
    QuotaFactory,
    TrainingFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date
H1 = (D(2024, 1, 1), D(2024, 6, 30))
YEAR = (D(2024, 1, 1), D(2024, 12, 31))


SINCE_2020 = D(2020, 1, 1)


def _serving(centre, hired=SINCE_2020, left=None, **job):
    reason = "resigned" if left else ""
    return SpellFactory(
        person=PersonFactory(centre=centre),
        hired_on=hired,
        left_on=left,
        leave_reason=reason,
        **job,
    )


# --- training --------------------------------------------------------------------------------


@pytest.fixture
def trained(centre):
    """A serves since 2020; B from 2024-03-01 to 2024-09-30; C since 2021, trained before."""
    a, b = _serving(centre).person, _serving(centre, D(2024, 3, 1), D(2024, 9, 30)).person
    c = _serving(centre, D(2021, 1, 1)).person
    rows = [
        (a, "further_study", D(2024, 2, 1), D(2024, 7, 31), "200", "10"),
        (a, "continuing", D(2024, 3, 10), D(2024, 3, 12), "24", "5"),
        (b, "appropriate_tech", D(2024, 4, 1), D(2024, 4, 2), "16", "2.5"),
        (b, "appropriate_tech", D(2024, 6, 30), D(2024, 7, 1), "8", "1"),  # starts in H1
        (a, "study_visit", D(2024, 7, 1), D(2024, 7, 3), None, "3"),  # the second half
        (c, "further_study", D(2023, 12, 20), D(2024, 1, 10), "80", "4"),  # starts in 2023
    ]
    for person, kind, start, end, hours, credits in rows:
        TrainingFactory(
            person=person,
            kind=kind,
            started_on=start,
            ended_on=end,
            hours=hours and Decimal(hours),
            credits=Decimal(credits),
        )
    # Before C was hired: on their record, never the centre's count.
    TrainingFactory(
        person=c, started_on=D(2019, 5, 1), ended_on=D(2019, 6, 1), external=True, credits=9
    )
    return a, b, c


def test_training_for_a_half_year_counts_times_people_and_credits(centre, trained):
    counts = training.training_counts(centre_ids=[centre.pk], start=H1[0], end=H1[1])
    # Rows 1–4 start in January–June: 4 人次 by A and B, 10 + 5 + 2.5 + 1 credits.
    assert (counts.times, counts.people) == (4, 2)
    assert counts.credits == Decimal("18.5") and counts.hours == Decimal("248")
    assert counts.of("further_study") == training.KindCount(1, 1, Decimal("200"), Decimal("10"))
    assert counts.of("appropriate_tech").times == 2 and counts.of("appropriate_tech").people == 1
    assert counts.of("appropriate_tech").credits == Decimal("3.5")
    assert counts.of("residency").times == 0
    year = training.training_counts(centre_ids=[centre.pk], start=YEAR[0], end=YEAR[1])
    assert (year.times, year.people, year.credits) == (5, 2, Decimal("21.5"))  # + the visit
    # No centre at all (a commission with none yet): nothing, not an error.
    none = training.training_counts(centre_ids=[], start=YEAR[0], end=YEAR[1])
    assert (none.times, none.people, none.hours, none.by_kind) == (0, 0, Decimal(0), {})


def test_training_outside_the_spells_is_refused_unless_external(centre, clerk):
    spell = _serving(centre, D(2024, 3, 1), D(2024, 9, 30))
    person = spell.person
    data = {"kind": "continuing", "place": "区卫健委", "external": False}
    with pytest.raises(DomainError, match="2024-01-15"):
        record_actions.person_record_create(
            person=person,
            model=Training,
            data=data | {"started_on": D(2024, 1, 15), "ended_on": D(2024, 1, 16)},
            actor=clerk,
        )
    errors = record_actions.date_errors(
        Training, person, data | {"started_on": D(2024, 9, 25), "ended_on": D(2024, 10, 5)}
    )
    assert [field for field, _message in errors] == ["ended_on"]
    assert "2024-09-30" in errors[0][1]
    record = record_actions.person_record_create(
        person=person,
        model=Training,
        data=data | {"started_on": D(2024, 1, 15), "ended_on": D(2024, 1, 16), "external": True},
        actor=clerk,
    )
    entry = AuditEntry.objects.get(action="staff.training.created")
    assert entry.changes["external"] == [None, True] and entry.target_id == str(record.pk)


# --- promotions and the title at a date ---------------------------------------------------


@pytest.fixture
def promoted(centre):
    a = _serving(centre, title="intermediate", title_name="主治医师", category="physician")
    b = _serving(centre, title="junior", title_name="护师")
    c = _serving(centre, title="associate_senior")
    d = _serving(centre, title="intermediate")
    PromotionFactory(
        person=a.person,
        title="associate_senior",
        title_name="副主任医师",
        previous_title="intermediate",
        passed_on=D(2024, 3, 15),
        appointed_on=D(2024, 6, 1),
    )
    PromotionFactory(person=b.person, title="intermediate", passed_on=D(2024, 11, 20))
    PromotionFactory(
        person=c.person, title="senior", passed_on=D(2023, 12, 1), appointed_on=D(2024, 2, 1)
    )
    PromotionFactory(person=d.person, title="associate_senior", passed_on=D(2024, 5, 1))
    PromotionFactory(person=d.person, title="senior", passed_on=D(2024, 10, 1))
    return a, b, c, d


def test_promotions_count_people_per_level(centre, promoted):
    year = promotions.promotion_counts(scope=Q(centre=centre), start=YEAR[0], end=YEAR[1])
    # Passed in 2024: A (副高) and D (副高, then 正高: once for 高级); B (中级). C passed in 2023.
    assert year.passed == {"high": 2, "middle": 1, "low": 0}
    assert year.passed_total == 3
    # Appointed in 2024: A on 1 June and C on 1 February, both 高级.
    assert year.appointed == {"high": 2, "middle": 0, "low": 0}
    assert year.passed_by_title == {"senior": 1, "associate_senior": 2, "intermediate": 1}
    half = promotions.promotion_counts(scope=Q(centre=centre), start=H1[0], end=H1[1])
    assert half.passed == {"high": 2, "middle": 0, "low": 0}  # A in March, D in May


def test_title_at_a_date_follows_appointments(centre, promoted):
    a, b, _c, _d = promoted

    def at(spell, day):
        found = promotions.titles_at(spells=[spell], day=day)[spell.pk]
        return found.title, found.title_name

    assert at(a, D(2024, 1, 1)) == ("intermediate", "")  # before: the title it started from
    assert at(a, D(2024, 3, 20)) == ("intermediate", "")  # passed, not yet appointed
    assert at(a, D(2024, 6, 1)) == ("associate_senior", "副主任医师")
    # B has no appointment: the review counts from the day it was passed; before it, the roster.
    assert at(b, D(2024, 12, 31)) == ("intermediate", "")
    assert at(b, D(2024, 6, 30)) == ("junior", "护师")


# --- 编制 -----------------------------------------------------------------------------------


def test_establishment_vacant_and_over(centre, other_centre):
    QuotaFactory(centre=centre, kind="full", approved=20, effective_on=D(2021, 1, 1))
    QuotaFactory(centre=centre, kind="full", approved=18, effective_on=D(2024, 7, 1))
    QuotaFactory(centre=centre, kind="partial", approved=5, effective_on=D(2022, 1, 1))
    QuotaFactory(centre=centre, kind="partial", approved=0, effective_on=D(2024, 10, 1))
    for _ in range(13):
        _serving(centre, establishment="on", contract_kind="")
    _serving(centre, D(2024, 8, 1), establishment="on", contract_kind="")  # a 14th from August
    _serving(centre)  # 编外: not 实有在编
    mid = establishment.establishment_at(centre_id=centre.pk, day=D(2024, 6, 30))
    assert mid.by_kind == {"full": 20, "partial": 5}
    assert (mid.approved, mid.actual, mid.vacant, mid.over) == (25, 13, 12, 0)
    end = establishment.establishment_at(centre_id=centre.pk, day=D(2024, 12, 31))
    assert (end.approved, end.actual, end.vacant, end.over) == (18, 14, 4, 0)
    assert not establishment.establishment_at(centre_id=centre.pk, day=D(2020, 12, 31)).known
    QuotaFactory(centre=other_centre, kind="full", approved=2, effective_on=D(2020, 1, 1))
    for _ in range(3):
        _serving(other_centre, establishment="on", contract_kind="")
    both = establishment.establishment_brief(
        centre_ids=[centre.pk, other_centre.pk], day=D(2024, 12, 31)
    )
    # One centre's 超编 does not fill the other's 空编.
    assert (both.approved, both.actual, both.vacant, both.over) == (20, 17, 4, 1)


def test_development_figures_for_the_figures_page_in_three_queries(
    centre, trained, django_assert_num_queries
):
    QuotaFactory(centre=centre, approved=30)
    # Training 1 (by kind and in all), promotions 1, quotas 1: 实有在编 is the count the figures
    # page already has.
    with django_assert_num_queries(3):
        dev = development_figures(
            centre_ids=[centre.pk], start=H1[0], end=H1[1], on_establishment=7
        )
    assert dev.training.times == 4 and dev.establishment.vacant == 23


# --- registrations ------------------------------------------------------------------------


def test_unregistered_flags_each_missing_registration(centre):
    day = D(2025, 3, 1)
    nurse = _serving(centre, category="nurse")
    LicenceFactory(person=nurse.person, kind="nurse", valid_to=D(2025, 3, 21))
    gp = _serving(centre, category="physician", practice_type="clinical", general_practice=True)
    LicenceFactory(person=gp.person, kind="physician", practice_type="clinical")
    tcm_mismatch = _serving(centre, category="physician", practice_type="clinical")
    LicenceFactory(person=tcm_mismatch.person, kind="physician", practice_type="tcm")
    elsewhere = _serving(centre, category="nurse")
    LicenceFactory(
        person=elsewhere.person, kind="nurse", registered_here=False, registered_at="区人民医院"
    )
    expired = _serving(centre, category="nurse")
    LicenceFactory(person=expired.person, kind="nurse", valid_to=D(2025, 2, 28))
    _serving(centre, category="pharmacist")  # needs none here
    left = _serving(centre, left=D(2024, 12, 31), category="nurse")  # not serving that day
    found = {u.spell.pk: u.missing for u in licences.unregistered(centre=centre, day=day)}
    assert found == {
        gp.pk: ["全科医学专业注册"],
        tcm_mismatch.pk: ["执业医师注册"],
        elsewhere.pk: ["护士执业注册"],
        expired.pk: ["护士执业注册"],
    }
    assert nurse.pk not in found and left.pk not in found


def test_licence_expiries_for_the_reminders(centre):
    today = D(2025, 3, 1)
    soon = LicenceFactory(person=_serving(centre).person, valid_to=D(2025, 3, 21))  # 20 days
    later = LicenceFactory(person=_serving(centre).person, valid_to=D(2025, 5, 15))  # 75 days
    gone = LicenceFactory(person=_serving(centre).person, valid_to=D(2025, 2, 1))
    LicenceFactory(person=_serving(centre).person, valid_to=D(2025, 7, 1))  # 122 days: not yet
    leaver = _serving(centre, left=D(2025, 1, 31)).person
    LicenceFactory(person=leaver, valid_to=D(2025, 2, 1))  # left: no warning
    renewed = _serving(centre).person
    LicenceFactory(person=renewed, valid_to=D(2025, 2, 1))
    LicenceFactory(person=renewed, issued_on=D(2025, 1, 20), valid_to=D(2030, 1, 19))
    found = {
        e.licence_id: e.urgency
        for e in licences.licence_expiries(centre_ids=[centre.pk], today=today)
    }
    assert found == {soon.pk: "30", later.pk: "90", gone.pk: "expired"}


def test_the_demo_reproduces_seed_000s_training_and_promotion():
    from django.utils import timezone

    from centers.demo import load_centres_demo
    from centers.models import Centre
    from staff.demo import load_staff_demo

    load_staff_demo(load_centres_demo())
    centre = Centre.objects.get(slug="ciqikou")
    dev = development_figures(centre_ids=[centre.pk], start=YEAR[0], end=YEAR[1])
    assert dev.training.of("further_study").times == 5  # 外派进修学习5人次
    assert dev.promotions.passed["high"] == 1  # 高级职称通过评审1人
    position = dev.establishment
    assert (position.approved, position.actual, position.vacant) == (15, 12, 3)
    today = timezone.localdate()
    assert len(licences.unregistered(centre=centre, day=today)) == 1
    urgencies = sorted(
        e.urgency for e in licences.licence_expiries(centre_ids=[centre.pk], today=today)
    )
    assert urgencies == ["30", "expired"]
