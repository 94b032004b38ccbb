"""Demo party records. 磁器口 reproduces seed 000: “中心于2021年5月成立党支部，2023年7月成立支部
委员会，目前在职党员11人，本年度吸纳党员4人” for 2024.

How: the roster's eight party members on the establishment came onto the books when the branch
was founded (one of them by a transfer in 2022); the first of them left the centre, and the
branch, on 20 January 2024. Four young colleagues off the establishment were admitted in 2024
(预备党员 at the year's end). So on 31 December 2024: 7 + 4 = 11 members at work. The meetings
themselves are work records (services/demo.py); 2024's fourth quarter has no 党员大会.
双碑 has a branch since March 2022 with five members and no committee, and records no meeting.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from centers.models import Centre

from .models import CommitteeTerm, PartyBranch, PartyMember, PartyOrigin, Person

FOUNDED = dt.date(2021, 5, 26)
COMMITTEE = dt.date(2023, 7, 14)
FOUNDED_FROM = "区卫生健康系统联合党支部"
LATE_TRANSFER = (dt.date(2022, 9, 15), "重庆市沙坪坝区人民医院检验科党支部")
LEFT = (dt.date(2024, 1, 20), "重庆市沙坪坝区人民医院党总支")
ADMITTED_2024 = [dt.date(2024, 6, 28)] * 2 + [dt.date(2024, 12, 20)] * 2


def _year_later(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1)


def _stay(centre: Centre, person: Person, joined: dt.date, **stay) -> PartyMember:
    stay.setdefault("origin", PartyOrigin.TRANSFERRED)
    stay.setdefault("in_on", FOUNDED)
    stay.setdefault("in_from", FOUNDED_FROM if stay["origin"] == PartyOrigin.TRANSFERRED else "")
    full = _year_later(joined)
    return PartyMember.objects.create(
        centre=centre,
        person=person,
        joined_on=joined,
        full_on=full if full <= timezone.localdate() else None,
        **stay,
    )


def _ciqikou(centre: Centre) -> None:
    branch = PartyBranch.objects.create(
        centre=centre, name=f"{centre.name}党支部", founded_on=FOUNDED
    )
    founders = list(Person.objects.filter(centre=centre, party_member=True).order_by("pk")[:8])
    stays = []
    for i, person in enumerate(founders):
        extra: dict = {}
        if i == 0:
            extra = {"out_on": LEFT[0], "out_to": LEFT[1]}
        elif i == 7:
            extra = {"in_on": LATE_TRANSFER[0], "in_from": LATE_TRANSFER[1]}
        stays.append(_stay(centre, person, dt.date(2006 + i, 7, 1), **extra))
    young = Person.objects.filter(
        centre=centre,
        party_member=False,
        spells__establishment="off",
        spells__left_on__isnull=True,
        spells__hired_on__lt=dt.date(2024, 1, 1),
    ).order_by("pk")[: len(ADMITTED_2024)]
    for person, day in zip(young, ADMITTED_2024, strict=True):
        _stay(centre, person, day, origin=PartyOrigin.DEVELOPED, in_on=day)
        Person.objects.filter(pk=person.pk).update(party_member=True)
    term = CommitteeTerm.objects.create(
        centre=centre,
        branch=branch,
        elected_on=COMMITTEE,
        kind=CommitteeTerm.Kind.FOUNDED,
        secretary=stays[1],
        deputy=stays[2],
    )
    term.members.set(stays[3:6])


def _small(centre: Centre, founded: dt.date) -> None:
    """A branch of five members serving on its founding day, without a committee."""
    PartyBranch.objects.create(centre=centre, name=f"{centre.name}党支部", founded_on=founded)
    serving = Q(spells__hired_on__lte=founded) & (
        Q(spells__left_on__isnull=True) | Q(spells__left_on__gte=founded)
    )
    people = Person.objects.filter(serving, centre=centre).distinct().order_by("pk")[:5]
    for i, person in enumerate(people):
        _stay(centre, person, dt.date(2010 + i, 7, 1), in_on=founded)
        Person.objects.filter(pk=person.pk).update(party_member=True)


def load_party_demo(centres: dict[str, Centre]) -> None:
    """磁器口's and 双碑's branches, once (a centre with a branch already is left alone)."""
    plans = {"ciqikou": _ciqikou, "shuangbei": lambda c: _small(c, dt.date(2022, 3, 18))}
    for slug, build in plans.items():
        centre = centres.get(slug)
        if centre is not None and not PartyBranch.objects.filter(centre=centre).exists():
            build(centre)
