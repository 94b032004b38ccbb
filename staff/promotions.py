"""Reads about title promotions (职称晋升): counts per period by level, and a person's title at
any date.

A promotion counts in the period its review was passed (评审通过: “高级职称通过评审1人”), and as
an appointment (聘任) in the period of its appointment. The title at a date is the latest
promotion in effect by then, appointed or (without an appointment recorded) passed; before a
person's first promotion it is the title that promotion started from, and without promotions
the roster's own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from centers.models import Centre

from .models import TITLE_LEVELS, Promotion, Spell, Title, TitleLevel


@dataclass(frozen=True)
class PromotionCounts:
    """People who passed a review and who were appointed in a period, by title level."""

    passed: dict[str, int] = field(default_factory=dict)  # TitleLevel → people
    appointed: dict[str, int] = field(default_factory=dict)
    passed_by_title: dict[str, int] = field(default_factory=dict)  # Title → people

    @property
    def passed_total(self) -> int:
        return sum(self.passed.values())


def promotion_counts(*, scope: Q, start: dt.date, end: dt.date) -> PromotionCounts:
    """Distinct people per level who passed, and who were appointed, in [start, end]; one query.

    Someone promoted twice within one level in the period counts once for it.
    """
    rows = (
        Promotion.objects.filter(scope)
        .filter(Q(passed_on__range=(start, end)) | Q(appointed_on__range=(start, end)))
        .values_list("person_id", "title", "passed_on", "appointed_on")
    )
    passed, appointed, by_title = defaultdict(set), defaultdict(set), defaultdict(set)
    for person_id, title, passed_on, appointed_on in rows:
        level = TITLE_LEVELS.get(title, TitleLevel.LOW)
        if start <= passed_on <= end:
            passed[level].add(person_id)
            by_title[title].add(person_id)
        if appointed_on is not None and start <= appointed_on <= end:
            appointed[level].add(person_id)
    return PromotionCounts(
        passed={level: len(passed[level]) for level in TitleLevel},
        appointed={level: len(appointed[level]) for level in TitleLevel},
        passed_by_title={t: len(by_title[t]) for t in Title.values if by_title[t]},
    )


@dataclass(frozen=True)
class TitleAt:
    title: str
    title_name: str
    from_promotion: bool  # False: the roster's own title stands


def title_at(spell: Spell, promotions: Iterable[Promotion], day: dt.date) -> TitleAt:
    """The person's title on `day` from their promotions (module docstring), else the roster's."""
    ordered = sorted(promotions, key=lambda p: (p.effective_on, p.pk or 0))
    held = [p for p in ordered if p.effective_on <= day]
    if held:
        latest = held[-1]
        return TitleAt(latest.title, latest.title_name, True)
    later = [p for p in ordered if p.effective_on > day]
    if later and later[0].previous_title:
        return TitleAt(later[0].previous_title, "", True)
    return TitleAt(spell.title, spell.title_name, False)


def titles_at(*, spells: Iterable[Spell], day: dt.date) -> dict[int, TitleAt]:
    """Each spell's title on `day` (title_at), with one query for all their promotions."""
    spells = list(spells)
    by_person = defaultdict(list)
    for promotion in Promotion.objects.filter(person_id__in={s.person_id for s in spells}):
        by_person[promotion.person_id].append(promotion)
    return {s.pk: title_at(s, by_person[s.person_id], day) for s in spells}


def promotion_list(
    *, centre: Centre, start: dt.date, end: dt.date, level: str = "", search: str = ""
) -> QuerySet[Promotion]:
    """The centre's promotions whose review was passed in the period, newest first."""
    qs = Promotion.objects.filter(centre=centre, passed_on__range=(start, end))
    if level:
        qs = qs.filter(title__in=[t for t, lv in TITLE_LEVELS.items() if lv == level])
    if search:
        qs = qs.filter(person__name__icontains=search)
    return qs.select_related("person").order_by("-passed_on", "person__name", "-id")


def person_promotions(*, person_id: int) -> QuerySet[Promotion]:
    return Promotion.objects.filter(person_id=person_id).order_by("-passed_on", "-id")
