"""Demo training, registrations, promotions and 编制 for 磁器口, on the roster staff.demo made.

2024 reproduces seed 000: 外派进修学习5人次 (five 进修 at higher hospitals, one each for five people
serving all year) and 高级职称通过评审1人 (a 全科 physician passes 副主任医师 in September, to be
appointed in 2025). Beside them: 继续教育 and 适宜技术培训, a 中级 promotion, registrations for
everyone who needs one, of which one nurse's expires within a month of the day the demo is
loaded and one nurse's has run out, so that she practises without a valid registration; and 15
posts of 全额拨款事业编制 against 12 on the establishment at the end of 2024 (空编 3).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from centers.models import Centre

from .models import (
    Category,
    EstablishmentQuota,
    LicenceKind,
    PractisingLicence,
    Promotion,
    Spell,
    Training,
)

D = dt.date
FURTHER_STUDY = [  # (place, subject, from, to)
    ("陆军军医大学第一附属医院（西南医院）", "全科医学", D(2024, 3, 4), D(2024, 5, 31)),
    ("重庆医科大学附属第一医院", "急诊急救", D(2024, 4, 1), D(2024, 6, 28)),
    ("重庆市中医院", "中医康复", D(2024, 5, 6), D(2024, 7, 31)),
    ("重庆医科大学附属儿童医院", "儿科常见病诊治", D(2024, 9, 2), D(2024, 11, 29)),
    ("陆军军医大学第二附属医院（新桥医院）", "超声诊断", D(2024, 10, 8), D(2024, 12, 27)),
]
CONTINUING = [  # (place, subject, day, hours, credits)
    ("重庆市医学会", "慢性病管理新进展", D(2024, 3, 15), Decimal("8"), Decimal("4")),
    ("沙坪坝区卫生健康委员会", "传染病防控", D(2024, 5, 20), Decimal("6"), Decimal("2")),
    ("重庆市护理学会", "社区护理质量", D(2024, 8, 16), Decimal("8"), Decimal("4")),
    ("重庆市医学会", "合理用药", D(2024, 10, 25), Decimal("6"), Decimal("2")),
]
APPROPRIATE_TECH = [("重庆市中医院", "中医适宜技术（针刺、艾灸）", D(2024, 6, 13))] * 3
QUOTA_DOCUMENT = "沙编办〔2019〕8号"


def _serving_all_year(centre: Centre) -> list[Spell]:
    """Who served all through 2024 and still does, physicians and nurses first, in a fixed order."""
    spells = Spell.objects.filter(
        centre=centre, hired_on__lt=D(2024, 1, 1), left_on__isnull=True
    ).select_related("person")
    order = {Category.PHYSICIAN: 0, Category.NURSE: 1}
    return sorted(spells, key=lambda s: (order.get(s.category, 2), s.hired_on, s.pk))


def _training(centre: Centre, spells: list[Spell]) -> None:
    rows = []
    for spell, (place, subject, start, end) in zip(spells, FURTHER_STUDY, strict=False):
        weeks = Decimal((end - start).days // 7)
        rows.append((spell, "further_study", place, subject, start, end, weeks * 40, Decimal(10)))
    for spell, (place, subject, day, hours, credits) in zip(spells[5:], CONTINUING, strict=False):
        rows.append((spell, "continuing", place, subject, day, day, hours, credits))
    for spell, (place, subject, day) in zip(spells[9:], APPROPRIATE_TECH, strict=False):
        rows.append((spell, "appropriate_tech", place, subject, day, day, Decimal(8), Decimal(2)))
    Training.objects.bulk_create(
        Training(
            person=spell.person,
            centre=centre,
            kind=kind,
            place=place,
            subject=subject,
            started_on=start,
            ended_on=end,
            hours=hours,
            credits=credits,
        )
        for spell, kind, place, subject, start, end, hours, credits in rows
    )


def _promotions(centre: Centre, spells: list[Spell]) -> None:
    physician = next(
        s
        for s in spells
        if s.category == Category.PHYSICIAN
        and s.practice_type == "clinical"
        and s.general_practice
        and s.title == "intermediate"
    )
    nurse = next(s for s in spells if s.category == Category.NURSE and s.title == "junior")
    Promotion.objects.bulk_create(
        [
            Promotion(
                person=physician.person,
                centre=centre,
                title="associate_senior",
                title_name="副主任医师",
                previous_title="intermediate",
                passed_on=D(2024, 9, 20),
                appointed_on=D(2025, 1, 1),
                document="渝卫职改〔2024〕16号",
            ),
            Promotion(
                person=nurse.person,
                centre=centre,
                title="intermediate",
                title_name="主管护师",
                previous_title="junior",
                passed_on=D(2024, 6, 28),
                appointed_on=D(2024, 8, 1),
            ),
        ]
    )


LICENCE_OF = {
    Category.PHYSICIAN: LicenceKind.PHYSICIAN,
    Category.ASSISTANT_PHYSICIAN: LicenceKind.ASSISTANT_PHYSICIAN,
    Category.NURSE: LicenceKind.NURSE,
}


def _licences(centre: Centre, today: dt.date) -> None:
    """A registration from the hiring day for everyone who needs one; a nurse's lasts five years
    from today, but one expires in 25 days and one ran out 40 days ago."""
    spells = (
        Spell.objects.filter(centre=centre, category__in=list(LICENCE_OF))
        .select_related("person")
        .order_by("hired_on", "pk")
    )
    nurses_now = [s for s in spells if s.category == Category.NURSE and s.left_on is None]
    soon, lapsed = nurses_now[0].pk, nurses_now[1].pk
    rows = []
    for i, spell in enumerate(spells):
        kind = LICENCE_OF[spell.category]
        valid_to = None
        if kind == LicenceKind.NURSE:
            days = {soon: 25, lapsed: -40}.get(spell.pk, 5 * 365)
            valid_to = today + dt.timedelta(days=days)
        number = f"{'2' if kind == LicenceKind.NURSE else '1'}1050{spell.hired_on:%Y}{i:06d}"
        base = {"person": spell.person, "centre": centre, "issued_on": spell.hired_on}
        rows.append(
            PractisingLicence(
                **base,
                kind=kind,
                licence_number=number,
                practice_type=spell.practice_type,
                valid_to=valid_to,
            )
        )
        if spell.general_practice:
            rows.append(
                PractisingLicence(
                    **base,
                    kind=LicenceKind.GENERAL_PRACTICE,
                    practice_type=spell.practice_type,
                    scope="全科医学专业",
                )
            )
    PractisingLicence.objects.bulk_create(rows)


def _ciqikou(centre: Centre) -> None:
    spells = _serving_all_year(centre)
    _training(centre, spells)
    _promotions(centre, spells)
    _licences(centre, timezone.localdate())
    EstablishmentQuota.objects.create(
        centre=centre,
        kind="full",
        approved=15,
        effective_on=D(2019, 1, 1),
        document=QUOTA_DOCUMENT,
    )


def load_record_demo(centres: dict[str, Centre]) -> None:
    """磁器口's records once; a second run finds its training there and stops."""
    centre = centres.get("ciqikou")
    if centre is None or Training.objects.filter(centre=centre).exists():
        return
    _ciqikou(centre)
