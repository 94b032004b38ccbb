"""Demo rosters. 磁器口's 2024 reproduces seed 000: average 60 in service, 25 departures
(23 health professionals, 3 middle managers, 1 on the establishment), 48 off the establishment on
average (80%) and younger than 34 on average, 20 hires (associate senior 1, intermediate 6,
junior and below 13), turnover 41.67%.

How: 65 people at 1 January (13 on the establishment, 52 off); each month some are hired (on the
8th) and some leave (on the 20th) so that the month-end headcounts run
64 63 62 61 60 59 58 58 58 58 59 60 (sum 720, mean 60) and 60 serve on 31 December, the 从业人数
the seed files; the one departure on the establishment is in January, so 12 of every month-end
count are on it and 48 on average are off it.
"""

from __future__ import annotations

import datetime as dt
import random

from centers.models import Centre, Department

from .models import Person, Spell
from .party_demo import load_party_demo
from .record_demo import load_record_demo
from .validators import id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞玲雪琳晨宇浩然欣怡佳琪子涵梓萱"

# (hires, departures) per month of 2024.
# fmt: off
MONTHS = [(1, 2), (2, 3), (1, 2), (2, 3), (1, 2), (2, 3),
          (1, 2), (2, 2), (2, 2), (1, 1), (3, 2), (2, 1)]
# fmt: on
HIRE_TITLES = ["associate_senior"] + ["intermediate"] * 6 + ["junior"] * 9 + ["assistant"] * 4


def _names():
    for given in GIVEN:
        for surname in SURNAMES:
            yield surname + given


def _id_number(born: dt.date, serial: int, gender: str) -> str:
    odd_for_men = serial * 2 + (1 if gender == "M" else 0)
    first17 = f"500106{born:%Y%m%d}{odd_for_men % 1000:03d}"
    return first17 + id_check_digit(first17)


class _Builder:
    """Creates people and spells for one centre with deterministic names and ID numbers."""

    def __init__(self, centre: Centre, seed: int):
        self.centre = centre
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.names = _names()
        self.serial = 0
        self.departments = {d.name: d for d in Department.objects.filter(centre=centre)}

    def person(self, born: dt.date, **extra) -> Person:
        self.serial += 1
        gender = "F" if self.serial % 3 else "M"
        return Person.objects.create(
            centre=self.centre,
            name=next(self.names),
            gender=gender,
            birth_date=born,
            id_number=_id_number(born, self.serial, gender),
            education=extra.pop("education", "bachelor"),
            party_member=extra.pop("party_member", False),
        )

    def spell(self, person: Person, hired_on: dt.date, department: str = "", **job) -> Spell:
        job.setdefault("position", "staff")
        job.setdefault("title", "junior")
        if job.get("establishment", "off") == "off":
            job.setdefault("contract_kind", "contract")
        job.setdefault("establishment", "off")
        return Spell.objects.create(
            person=person,
            centre=self.centre,
            hired_on=hired_on,
            department=self.departments.get(department),
            **job,
        )

    def born(self, first_year: int, last_year: int) -> dt.date:
        return dt.date(
            self.rng.randint(first_year, last_year),
            self.rng.randint(1, 12),
            self.rng.randint(1, 28),
        )


# Posts on the establishment at 1 January 2024 (the first leaves in January).
ON_ESTABLISHMENT = [
    ("physician", "clinical", True, "intermediate", "staff", "全科门诊"),
    ("physician", "clinical", True, "associate_senior", "leader", "全科门诊"),
    ("physician", "tcm", True, "intermediate", "leader", "中医康复科"),
    ("physician", "public_health", False, "intermediate", "middle", "公共卫生科"),
    ("physician", "clinical", True, "intermediate", "middle", "全科门诊"),
    ("nurse", "", False, "intermediate", "middle", "护理部"),
    ("nurse", "", False, "junior", "staff", "预防接种门诊"),
    ("nurse", "", False, "junior", "staff", "全科门诊"),
    ("pharmacist", "", False, "intermediate", "staff", "药房"),
    ("technician", "", False, "junior", "staff", "检验科"),
    ("management", "", False, "none", "leader", "综合办公室"),
    ("management", "", False, "none", "middle", "财务科"),
    ("physician", "dental", False, "junior", "staff", "口腔科"),
]
# Off-establishment posts at 1 January: the first 24 leave during 2024, in order.
OFF_LEAVERS = (
    [("nurse", "", "junior", "middle"), ("physician", "clinical", "junior", "middle"),
     ("technician", "", "junior", "middle")]
    + [("nurse", "", "assistant", "staff")] * 10
    + [("physician", "clinical", "junior", "staff")] * 5
    + [("technician", "", "assistant", "staff")] * 2
    + [("pharmacist", "", "assistant", "staff")] * 2
    + [("support", "", "none", "staff"), ("other_technical", "", "none", "staff")]
)  # fmt: skip
OFF_STAYERS = (
    [("nurse", "", "junior", "staff")] * 12
    + [("physician", "clinical", "junior", "staff")] * 6
    + [("physician", "tcm", "intermediate", "staff")] * 2
    + [("technician", "", "junior", "staff")] * 3
    + [("pharmacist", "", "junior", "staff")]
    + [("management", "", "none", "staff")] * 2
    + [("support", "", "none", "staff")] * 2
)  # fmt: skip
DEPARTMENT_FOR = {
    "physician": ["全科门诊", "儿科门诊", "两病门诊", "中医康复科"],
    "nurse": ["全科门诊", "预防接种门诊", "治疗室", "观察室", "妇女儿童保健科"],
    "technician": ["检验科", "放射科", "B超室", "心电图室"],
    "pharmacist": ["药房", "药学门诊"],
    "support": ["综合办公室"],
    "other_technical": ["信息科"],
    "management": ["综合办公室", "医务科"],
}
REASONS = ["resigned"] * 17 + ["transferred"] * 3 + ["dismissed"] * 3 + ["other"] * 2


def _job(b: _Builder, category: str, practice: str, title: str, position: str) -> dict:
    gp = category == "physician" and practice in ("clinical", "tcm") and b.rng.random() < 0.5
    return {
        "category": category,
        "practice_type": practice,
        "general_practice": gp,
        "title": title,
        "position": position,
    }


def _ciqikou(centre: Centre) -> None:
    b = _Builder(centre, seed=2024)
    on = []  # 13 on the establishment + 24 leavers + 28 stayers = 65 at 1 January
    for i, (category, practice, gp, title, position, dept) in enumerate(ON_ESTABLISHMENT):
        person = b.person(
            b.born(1968, 1988),
            party_member=i < 8,
            education="postgraduate" if i < 2 else "bachelor",
        )
        on.append(
            b.spell(
                person,
                dt.date(2012 + i % 8, 3, 1),
                dept,
                category=category,
                practice_type=practice,
                general_practice=gp,
                title=title,
                position=position,
                establishment="on",
                contract_kind="",
            )
        )
    leavers = []
    for category, practice, title, position in OFF_LEAVERS:
        person = b.person(b.born(1990, 1998))
        dept = b.rng.choice(DEPARTMENT_FOR[category])
        leavers.append(
            b.spell(
                person,
                dt.date(2021 + b.rng.randint(0, 2), b.rng.randint(1, 12), 1),
                dept,
                **_job(b, category, practice, title, position),
            )
        )
    for category, practice, title, position in OFF_STAYERS:
        person = b.person(b.born(1989, 1997))
        dept = b.rng.choice(DEPARTMENT_FOR[category])
        b.spell(
            person,
            dt.date(2019 + b.rng.randint(0, 4), b.rng.randint(1, 12), 1),
            dept,
            **_job(b, category, practice, title, position),
        )
    departing = [on[0], *leavers]  # the establishment post leaves first, in January
    reasons = iter(REASONS)
    hire_titles = iter(HIRE_TITLES)
    for month, (hires, departures) in enumerate(MONTHS, start=1):
        for _ in range(departures):
            spell = departing.pop(0)
            spell.left_on = dt.date(2024, month, 20)
            spell.leave_reason = next(reasons) if spell.establishment == "off" else "transferred"
            spell.save(update_fields=["left_on", "leave_reason"])
        for _ in range(hires):
            category = b.rng.choice(["nurse", "nurse", "physician", "technician", "pharmacist"])
            practice = "clinical" if category == "physician" else ""
            person = b.person(b.born(1994, 2001))
            b.spell(
                person,
                dt.date(2024, month, 8),
                b.rng.choice(DEPARTMENT_FOR[category]),
                **_job(b, category, practice, next(hire_titles), "staff"),
            )


def _plausible(centre: Centre, seed: int) -> None:
    """A smaller roster: about 30 people, a few movements each year."""
    b = _Builder(centre, seed=seed)
    plan = [("physician", "clinical")] * 8 + [("physician", "tcm")] * 2 + [("nurse", "")] * 10
    plan += [("technician", ""), ("pharmacist", ""), ("management", ""), ("support", "")] * 2
    for i, (category, practice) in enumerate(plan):
        person = b.person(b.born(1970, 1999))
        establishment = "on" if i % 3 == 0 else "off"
        spell = b.spell(
            person,
            dt.date(2010 + b.rng.randint(0, 14), b.rng.randint(1, 12), 1),
            b.rng.choice(DEPARTMENT_FOR[category]),
            category=category,
            practice_type=practice,
            general_practice=category == "physician" and b.rng.random() < 0.6,
            title=b.rng.choice(
                ["intermediate", "junior", "junior", "assistant", "associate_senior"]
            ),
            position="middle" if i % 9 == 0 else "staff",
            establishment=establishment,
            contract_kind="" if establishment == "on" else "contract",
        )
        if b.rng.random() < 0.15 and spell.hired_on.year < 2024:
            spell.left_on = dt.date(2024, b.rng.randint(1, 12), 15)
            spell.leave_reason = "resigned"
            spell.save(update_fields=["left_on", "leave_reason"])


def load_staff_demo(centres: dict[str, Centre]) -> None:
    """Give each demo centre a roster once; a second run finds people there and stops."""
    for seed, (slug, centre) in enumerate(sorted(centres.items()), start=1):
        if Person.objects.filter(centre=centre).exists():
            continue
        if slug == "ciqikou":
            _ciqikou(centre)
        else:
            _plausible(centre, seed)
    load_party_demo(centres)  # the party branches, on the people just made
    load_record_demo(centres)  # training, registrations, promotions and 编制 (issue 18)
