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
        indexes = [
            models.Index(fields=["centre", "name"], name="person_centre_name"),
            # A summary counts the postgraduates among the staff of a thousand centres from
            # these few ids (staff.selectors.roster_summary), not a join of everyone.
            models.Index(
                fields=["id"],
                condition=Q(education=Education.POSTGRADUATE),
                name="person_postgraduates",
            ),
        ]

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


# --- Training, practising licences, title promotions and 编制 (issue 18, parts 1–4) ---------
# Kept apart from the roster above (and from the party records another block adds): each record
# hangs on a person of the roster and is checked against their spells (staff.record_actions).


class TrainingKind(models.TextChoices):
    FURTHER_STUDY = "further_study", _("further study at a higher hospital (进修)")
    RESIDENCY = "residency", _("standardised residency training (规培)")
    CONTINUING = "continuing", _("continuing medical education (继续教育)")
    APPROPRIATE_TECH = "appropriate_tech", _("appropriate-technology training (适宜技术培训)")
    STUDY_VISIT = "study_visit", _("study visit elsewhere (外出学习)")
    OTHER = "other", _("other training")


def certificate_path(instance: Training, filename: str) -> str:
    """A name of our making (never the uploader's), under the centre."""
    import uuid

    return f"staff-certificates/{instance.centre_id}/{uuid.uuid4().hex}{instance.certificate_ext}"


class Training(TimeStampedModel):
    """One training or 进修 of one person: one 人次 in the period it starts.

    `external` marks training outside the person's employment here (before they were hired, say):
    it is kept on their record but not counted among the centre's own, and not checked against
    their spells.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="trainings")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="trainings")
    kind = models.CharField(_("kind of training"), max_length=20, choices=TrainingKind.choices)
    place = models.CharField(_("where (institution)"), max_length=100)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, null=True, blank=True)
    credits = models.DecimalField(
        _("credits (学分)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    external = models.BooleanField(
        _("outside employment here"),
        default=False,
        help_text=_("Training before being hired here (or after leaving): not counted as ours."),
    )
    certificate = models.FileField(
        _("certificate"), upload_to=certificate_path, max_length=200, blank=True
    )
    # The uploader's file name, cleaned: what pages and the history show of the certificate.
    certificate_name = models.CharField(_("certificate file"), max_length=150, blank=True)
    certificate_type = models.CharField(max_length=40, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("training and further study")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__gte=F("started_on")), name="training_period_in_order"
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0), name="training_hours_positive"
            ),
            models.CheckConstraint(
                condition=Q(credits__isnull=True) | Q(credits__gte=0),
                name="training_credits_positive",
            ),
        ]
        indexes = [models.Index(fields=["centre", "started_on"], name="training_centre_start")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.started_on}"

    @property
    def certificate_ext(self) -> str:
        return {"application/pdf": ".pdf", "image/png": ".png"}.get(self.certificate_type, ".jpg")


class LicenceKind(models.TextChoices):
    """执业注册: what a person is registered to practise, each its own certificate or entry."""

    PHYSICIAN = "physician", _("physician's practising certificate (执业医师)")
    ASSISTANT_PHYSICIAN = (
        "assistant_physician",
        _("assistant physician's practising certificate (执业助理医师)"),
    )
    GENERAL_PRACTICE = "general_practice", _("general practice registration (全科医学专业)")
    NURSE = "nurse", _("nurse's practising certificate (护士执业证书)")
    PHARMACIST = "pharmacist", _("licensed pharmacist registration (执业药师)")
    OTHER = "other", _("other practising registration")


class PractisingLicence(TimeStampedModel):
    """A person's registration to practise: valid from its issue to its expiry (none: no expiry),
    and only at the centre where it is registered."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="licences")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="practising_licences")
    kind = models.CharField(_("kind of registration"), max_length=20, choices=LicenceKind.choices)
    # Masked like 身份证号 for those who may not see those (staff.licences.mask_licence_number).
    licence_number = models.CharField(_("certificate number"), max_length=30, blank=True)
    practice_type = models.CharField(
        _("practice category"), max_length=20, choices=PracticeType.choices, blank=True
    )
    scope = models.CharField(_("scope of practice"), max_length=100, blank=True)
    registered_here = models.BooleanField(_("registered at this centre"), default=True)
    registered_at = models.CharField(
        _("registered at (another institution)"), max_length=100, blank=True
    )
    issued_on = models.DateField(_("issued or registered on"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("practising registration")
        verbose_name_plural = _("practising registrations")
        ordering = ["person__name", "kind", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("issued_on")),
                name="licence_validity_in_order",
            )
        ]
        indexes = [models.Index(fields=["centre", "valid_to"], name="licence_centre_valid_to")]

    def __str__(self) -> str:  # never the number: audit rows and pages name it by this
        return f"{self.person} {self.get_kind_display()}"

    def valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day and (self.valid_to is None or self.valid_to >= day)


class Promotion(TimeStampedModel):
    """A title reached: passed the review (评审通过) and, once appointed (聘任), held.

    The title at a date is the latest promotion in effect by then (appointed, or passed when no
    appointment is recorded); before the first, the title it was reached from.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="promotions")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="promotions")
    title = models.CharField(_("title reached"), max_length=20, choices=Title.choices)
    title_name = models.CharField(_("title as written"), max_length=50, blank=True)
    previous_title = models.CharField(
        _("title before"), max_length=20, choices=Title.choices, blank=True
    )
    passed_on = models.DateField(_("passed the review on"))
    appointed_on = models.DateField(_("appointed on"), null=True, blank=True)
    document = models.CharField(_("document number"), max_length=100, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("title promotion")
        verbose_name_plural = _("title promotions")
        ordering = ["-passed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(appointed_on__isnull=True) | Q(appointed_on__gte=F("passed_on")),
                name="promotion_appointed_after_passing",
            )
        ]
        indexes = [models.Index(fields=["centre", "passed_on"], name="promotion_centre_passed")]

    def __str__(self) -> str:
        return f"{self.person} {self.title_name or self.get_title_display()}"

    @property
    def effective_on(self) -> dt.date:
        return self.appointed_on or self.passed_on


class QuotaKind(models.TextChoices):
    """Kinds of 核定编制 a centre is given by the establishment office (编办)."""

    FULL = "full", "全额拨款事业编制"
    PARTIAL = "partial", "差额拨款事业编制"
    SELF_FUNDED = "self_funded", "自收自支事业编制"
    FILED = "filed", "人员总量控制备案"


class EstablishmentQuota(TimeStampedModel):
    """核定编制数 of one kind from a day on, until a later row of the same kind replaces it."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="establishment_quotas"
    )
    kind = models.CharField(_("kind of establishment"), max_length=20, choices=QuotaKind.choices)
    approved = models.PositiveIntegerField(_("approved posts"))
    effective_on = models.DateField(_("effective from"))
    document = models.CharField(_("approving document"), max_length=100, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("approved establishment")
        verbose_name_plural = _("approved establishment")
        ordering = ["-effective_on", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "kind", "effective_on"], name="one_quota_per_kind_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.approved} ({self.effective_on})"


# --- Party records (党支部; issue 18, part 5) ------------------------------------------------
# Kept apart from the roster and from the training/licence block above. Members are the roster's
# people; 在职党员 on a day are members on the branch's books that day who also serve (a Spell).
# Writes in staff/party.py, reads in staff/party_selectors.py; 三会一课 in reporting/party.py.


class PartyBranch(TimeStampedModel):
    """A centre's party branch (党支部) and the day it was founded; one per centre."""

    centre = models.OneToOneField(Centre, on_delete=models.CASCADE, related_name="party_branch")
    name = models.CharField(_("branch name"), max_length=100)
    founded_on = models.DateField(_("date the branch was founded"))
    note = models.TextField(_("note"), blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")

    def __str__(self) -> str:
        return self.name


class PartyOrigin(models.TextChoices):
    """How a member came onto the branch's books: 发展 here, or their relation transferred in."""

    DEVELOPED = "developed", _("admitted to the party by this branch")
    TRANSFERRED = "transferred", _("party relation transferred in")


class PartyMember(TimeStampedModel):
    """One stay of a roster person on the branch's books, from in_on to out_on (both counted).

    joined_on is 入党日期 (admitted as 预备党员); full_on is 转正日期, empty while probationary.
    Someone who transfers out and back in has two rows.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="party_members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="party_stays")
    joined_on = models.DateField(_("date admitted to the party"))
    full_on = models.DateField(_("date made a full member"), null=True, blank=True)
    origin = models.CharField(
        _("how they came to the branch"), max_length=12, choices=PartyOrigin.choices
    )
    in_on = models.DateField(_("date on the branch's books"))
    in_from = models.CharField(_("transferred in from"), max_length=100, blank=True)
    out_on = models.DateField(_("date transferred out"), null=True, blank=True)
    out_to = models.CharField(_("transferred out to"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["person__name", "in_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "in_on"], name="one_party_stay_per_start"),
            models.CheckConstraint(
                condition=Q(full_on__isnull=True) | Q(full_on__gte=F("joined_on")),
                name="party_full_after_joined",
            ),
            models.CheckConstraint(
                condition=Q(in_on__gte=F("joined_on")), name="party_in_after_joined"
            ),
            models.CheckConstraint(
                condition=Q(out_on__isnull=True) | Q(out_on__gte=F("in_on")),
                name="party_out_after_in",
            ),
        ]
        indexes = [models.Index(fields=["centre", "joined_on"], name="party_centre_joined")]

    def __str__(self) -> str:
        return f"{self.person} {self.in_on}"

    def probationary_on(self, day: dt.date) -> bool:
        """预备党员 on a day: admitted, not yet made a full member."""
        return self.full_on is None or self.full_on > day


class CommitteeTerm(TimeStampedModel):
    """One term of the branch committee (支部委员会): its founding, or a re-election (换届)."""

    class Kind(models.TextChoices):
        FOUNDED = "founded", _("committee founded")
        REELECTED = "reelected", _("re-election")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="committee_terms")
    branch = models.ForeignKey(PartyBranch, on_delete=models.CASCADE, related_name="terms")
    elected_on = models.DateField(_("date elected"))
    kind = models.CharField(_("kind of election"), max_length=10, choices=Kind.choices)
    secretary = models.ForeignKey(
        PartyMember,
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deputy = models.ForeignKey(
        PartyMember,
        verbose_name=_("deputy secretary"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    members = models.ManyToManyField(
        PartyMember, verbose_name=_("committee members"), blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("committee term")
        verbose_name_plural = _("committee terms")
        ordering = ["elected_on"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "elected_on"], name="one_term_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.elected_on}"
