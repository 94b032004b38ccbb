"""The staff roster (花名册): people and their spells of employment at a centre."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from centers.models import Centre, Department
from core.models import TimeStampedModel

from .validators import mask_id_number, validate_id_number


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Category(models.TextChoices):
    """人员类别, as the health statistics count them."""

    PHYSICIAN = "physician", _("licensed physician")
    ASSISTANT_PHYSICIAN = "assistant_physician", _("licensed assistant physician")
    NURSE = "nurse", _("registered nurse")
    PHARMACIST = "pharmacist", _("pharmacist")
    TECHNICIAN = "technician", _("technician")
    OTHER_HEALTH = "other_health", _("other health professional")
    OTHER_TECHNICAL = "other_technical", _("other technical staff")
    MANAGEMENT = "management", _("management staff")
    SUPPORT = "support", _("support and skilled workers")


HEALTH_PROFESSIONALS = frozenset(
    {
        Category.PHYSICIAN,
        Category.ASSISTANT_PHYSICIAN,
        Category.NURSE,
        Category.PHARMACIST,
        Category.TECHNICIAN,
        Category.OTHER_HEALTH,
    }
)
PHYSICIANS = frozenset({Category.PHYSICIAN, Category.ASSISTANT_PHYSICIAN})


class PracticeType(models.TextChoices):
    CLINICAL = "clinical", _("clinical")
    TCM = "tcm", _("traditional Chinese medicine")
    DENTAL = "dental", _("dental")
    PUBLIC_HEALTH = "public_health", _("public health")


class Title(models.TextChoices):
    """职称 (专业技术职务), coded as in the health data standards."""

    SENIOR = "senior", _("senior (full)")
    ASSOCIATE_SENIOR = "associate_senior", _("associate senior")
    INTERMEDIATE = "intermediate", _("intermediate")
    JUNIOR = "junior", _("junior (physician level)")
    ASSISTANT = "assistant", _("assistant level")
    NONE = "none", _("not appointed / none")


class TitleLevel(models.TextChoices):
    HIGH = "high", _("senior")
    MIDDLE = "middle", _("intermediate")
    LOW = "low", _("junior and below")


TITLE_LEVELS = {
    Title.SENIOR: TitleLevel.HIGH,
    Title.ASSOCIATE_SENIOR: TitleLevel.HIGH,
    Title.INTERMEDIATE: TitleLevel.MIDDLE,
    Title.JUNIOR: TitleLevel.LOW,
    Title.ASSISTANT: TitleLevel.LOW,
    Title.NONE: TitleLevel.LOW,
}


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("postgraduate")
    BACHELOR = "bachelor", _("university")
    COLLEGE = "college", _("college")
    SECONDARY = "secondary", _("secondary and below")


class Degree(models.TextChoices):
    DOCTOR = "doctor", _("doctorate")
    MASTER = "master", _("master's")


class Establishment(models.TextChoices):
    ON = "on", _("on the establishment")
    OFF = "off", _("off the establishment")


class ContractKind(models.TextChoices):
    CONTRACT = "contract", _("contract")
    DISPATCHED = "dispatched", _("agency dispatched")
    REHIRED = "rehired", _("re-employed retiree")


class Position(models.TextChoices):
    LEADER = "leader", _("centre leadership")
    MIDDLE = "middle", _("middle management")
    STAFF = "staff", _("staff")


class LeaveReason(models.TextChoices):
    RESIGNED = "resigned", _("resigned")
    TRANSFERRED = "transferred", _("transferred out")
    RETIRED = "retired", _("retired")
    DISMISSED = "dismissed", _("dismissed")
    DIED = "died", _("died")
    OTHER = "other", _("other")


class Person(TimeStampedModel):
    """Someone who works or worked at a centre; their spells of employment hang below."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("full name"), max_length=50)  # 姓名, not the 名称 of a thing
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    id_number = models.CharField(
        _("identity card number"), max_length=18, blank=True, validators=[validate_id_number]
    )
    education = models.CharField(
        _("education"), max_length=20, choices=Education.choices, blank=True
    )
    degree = models.CharField(_("degree"), max_length=10, choices=Degree.choices, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "id_number"],
                condition=~Q(id_number=""),
                name="one_person_per_id_number",
            )
        ]
        indexes = [models.Index(fields=["centre", "name"], name="person_centre_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def age_on(self, day: dt.date) -> int:
        """Completed years on a day."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


class Spell(TimeStampedModel):
    """One period of employment, with the post held: who leaves and returns has two spells.

    A spell counts on every day from hired_on to left_on, both included.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="spells")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="spells")
    hired_on = models.DateField(_("date hired"))
    left_on = models.DateField(_("date left"), null=True, blank=True)
    leave_reason = models.CharField(
        _("reason for leaving"), max_length=20, choices=LeaveReason.choices, blank=True
    )
    category = models.CharField(_("staff category"), max_length=30, choices=Category.choices)
    practice_type = models.CharField(
        _("practice type"), max_length=20, choices=PracticeType.choices, blank=True
    )
    general_practice = models.BooleanField(_("registered in general practice"), default=False)
    title = models.CharField(_("professional title"), max_length=20, choices=Title.choices)
    # The title as the office writes it (主管护师); `title` is only its level, which counts.
    title_name = models.CharField(
        _("professional title as written"),
        max_length=50,
        blank=True,
        help_text=_(
            "For example 主管护师 or 会计师; when the level is left empty it is read from this."
        ),
    )
    establishment = models.CharField(
        _("establishment"), max_length=5, choices=Establishment.choices
    )
    contract_kind = models.CharField(
        _("kind of off-establishment post"), max_length=20, choices=ContractKind.choices, blank=True
    )
    # 职务: the shared msgid "position" is the 排序 (sort order) of centres and indicators.
    position = models.CharField(
        pgettext_lazy("staff", "position"), max_length=10, choices=Position.choices
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="spells",
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("spell of employment")
        verbose_name_plural = _("spells of employment")
        ordering = ["person__name", "hired_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("hired_on")),
                name="spell_period_in_order",
            ),
            models.UniqueConstraint(fields=["person", "hired_on"], name="one_spell_per_start"),
        ]
        indexes = [
            models.Index(fields=["centre", "hired_on"], name="spell_centre_hired"),
            models.Index(fields=["centre", "left_on"], name="spell_centre_left"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.hired_on}"

    @property
    def is_health_professional(self) -> bool:
        return self.category in HEALTH_PROFESSIONALS
