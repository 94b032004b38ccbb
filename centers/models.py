"""Organisations and people's places in them: authorities, centres, memberships."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from core.models import TimeStampedModel

from .standards import STANDARD_ITEM_CHOICES
from .validators import validate_credit_code

MONEY = {"max_digits": 12, "decimal_places": 2}
EXPIRY_WARNING_DAYS = 90
# Upper bounds that catch a slipped finger (an extra digit or two), not real limits.
MAX_PEOPLE = 10_000_000
MAX_BEDS = 5_000
# Months before its start a new centre may back-fill, when no commission above it says.
DEFAULT_BACKFILL_MONTHS = 12
MAX_BACKFILL_MONTHS = 36


def this_month() -> dt.date:
    """The first day of the current month: a new centre reports from the month it is created."""
    return timezone.localdate().replace(day=1)


class Authority(TimeStampedModel):
    """A health administration (卫生健康行政部门); authorities form a tree of any depth."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("short code"),
        max_length=50,
        unique=True,
        help_text=_("Latin letters, digits and hyphens; used in web addresses."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Blank: as the commission above (DEFAULT_BACKFILL_MONTHS at the top).
    backfill_months = models.PositiveSmallIntegerField(
        _("months a new centre may back-fill"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_BACKFILL_MONTHS)],
        help_text=_(
            "How many months before its first reporting month a new centre may still enter. "
            "Leave blank to use the value of the parent authority."
        ),
    )

    class Meta:
        verbose_name = _("health authority")
        verbose_name_plural = _("health authorities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="authority_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FundingSource(TimeStampedModel):
    """A value for 经费来源; no official list exists, so administrators extend this one."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered in forms"), default=True)

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Centre(TimeStampedModel):
    """A community health service centre (社区卫生服务中心), a legal entity with one sponsor.

    The registered items (登载事项) change only through RegistrationChange once filled in.
    """

    name = models.CharField(_("unit name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("short code"),
        max_length=50,
        unique=True,
        help_text=_("Latin letters, digits and hyphens; used in web addresses."),
    )
    sponsor = models.ForeignKey(
        Authority,
        verbose_name=_("sponsoring authority"),
        on_delete=models.PROTECT,
        related_name="centres",
    )
    address = models.CharField(_("domicile"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    purpose = models.TextField(_("purpose and scope of business"), blank=True)
    capital = models.DecimalField(
        _("start-up capital (10k yuan)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **MONEY,
    )
    funding_source = models.ForeignKey(
        FundingSource,
        verbose_name=_("source of funds"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    certificate_valid_from = models.DateField(_("certificate valid from"), null=True, blank=True)
    certificate_valid_to = models.DateField(_("certificate valid to"), null=True, blank=True)
    online_name = models.CharField(_("online name"), max_length=100, blank=True, default="无")
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    # Not founded_on (the legal date): the first month the centre reports in this system; the
    # months before it, within its commission's back-fill window, stay open for a while.
    reporting_since = models.DateField(
        _("reporting since"),
        default=this_month,
        help_text=_("The first month the centre reports in this system."),
    )
    # Counts the edits made in the app; stale forms are refused on updated_at (core/stale.py).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("community health centre")
        verbose_name_plural = _("community health centres")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="unique_credit_code"
            ),
            models.CheckConstraint(
                condition=Q(certificate_valid_to__isnull=True)
                | Q(certificate_valid_from__isnull=True)
                | Q(certificate_valid_to__gte=F("certificate_valid_from")),
                name="certificate_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(capital__isnull=True) | Q(capital__gte=0), name="capital_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reporting_since__day=1), name="reporting_since_is_a_month_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """The founding day is what the centre owes reports from: never ahead of today, nor
        after the certificate it was issued (every form of a centre, the admin's too, runs this)."""
        super().clean()
        founded, valid_from = self.founded_on, self.certificate_valid_from
        if founded and founded > timezone.localdate():
            raise ValidationError({"founded_on": _("The date founded cannot be in the future.")})
        if founded and valid_from and founded > valid_from:
            raise ValidationError(
                {"founded_on": _("The centre was founded after its certificate became valid.")}
            )

    # What owes_from reads: load these with .only() where centres are listed.
    OWES_FIELDS = ("founded_on", "reporting_since")

    @property
    def owes_from(self) -> dt.date | None:
        return owes_from(self.founded_on, self.reporting_since)


def owes_from(founded_on: dt.date | None, reporting_since: dt.date | None) -> dt.date | None:
    """From when a centre owes monthly reports: founded, and started in this system (the months
    before its start may be back-filled, but none is overdue)."""
    days = [d for d in (founded_on, reporting_since) if d is not None]
    return max(days) if days else None


class CentreMembership(TimeStampedModel):
    """A user's place at a centre: a clerk enters data, a manager also runs the centre's account."""

    class Role(models.TextChoices):
        CLERK = "CLERK", _("Clerk")
        MANAGER = "MANAGER", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="centre_memberships",
    )
    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.CLERK)

    class Meta:
        verbose_name = _("centre membership")
        verbose_name_plural = _("centre memberships")
        ordering = ["centre__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "centre"], name="one_membership_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.centre} ({self.get_role_display()})"


class AuthorityMembership(TimeStampedModel):
    """A user's place at an authority: a reviewer reads every centre of its subtree."""

    class Role(models.TextChoices):
        REVIEWER = "REVIEWER", _("Reviewer")
        # A reviewer who also maintains the commission's own indicators, rules, targets and
        # assessment schemes (and reads those of the commissions above, never those below).
        ADMIN = "ADMIN", _("Commission administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="authority_memberships",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("authority"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        verbose_name = _("authority membership")
        verbose_name_plural = _("authority memberships")
        ordering = ["authority__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "authority"], name="one_membership_per_authority"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.authority} ({self.get_role_display()})"


class RegistrationChange(TimeStampedModel):
    """A change registration (变更登记) of one registered item, with its old and new value."""

    class Item(models.TextChoices):
        NAME = "name", _("unit name")
        PURPOSE = "purpose", _("purpose and scope of business")
        ADDRESS = "address", _("domicile")
        LEGAL_REPRESENTATIVE = "legal_representative", _("legal representative")
        CAPITAL = "capital", _("start-up capital")
        FUNDING_SOURCE = "funding_source", _("source of funds")
        SPONSOR = "sponsor", _("sponsoring authority")

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="registration_changes"
    )
    item = models.CharField(_("registered item"), max_length=30, choices=Item.choices)
    old_value = models.TextField(_("old value"))
    new_value = models.TextField(_("new value"))
    effective_on = models.DateField(_("date of the change"))
    registered_on = models.DateField(_("date registered"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("change registration")
        verbose_name_plural = _("change registrations")
        ordering = ["registered_on", "effective_on", "id"]
        indexes = [models.Index(fields=["centre", "registered_on"], name="regchange_centre_date")]

    def __str__(self) -> str:
        return f"{self.registered_on} {self.get_item_display()}"


class CentreYear(TimeStampedModel):
    """Figures that change by year: service area and population, floor space, beds, net assets."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1949), MaxValueValidator(2100)]
    )
    service_area_km2 = models.DecimalField(
        _("service area (km²)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    served_population = models.PositiveIntegerField(
        _("population served"), null=True, blank=True, validators=[MaxValueValidator(MAX_PEOPLE)]
    )
    floor_area_m2 = models.DecimalField(
        _("floor area for services (m²)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    beds = models.PositiveIntegerField(
        _("beds"), null=True, blank=True, validators=[MaxValueValidator(MAX_BEDS)]
    )
    net_assets_begin = models.DecimalField(
        _("net assets at start of year (10k yuan)"), null=True, blank=True, **MONEY
    )
    net_assets_end = models.DecimalField(
        _("net assets at end of year (10k yuan)"), null=True, blank=True, **MONEY
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("yearly figures")
        verbose_name_plural = _("yearly figures")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "year"], name="one_figure_row_per_year")
        ]

    def __str__(self) -> str:
        return str(self.year)


class Licence(TimeStampedModel):
    """A qualification or practising licence (资质认可或执业许可) with its validity."""

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        EXPIRING = "expiring", _("expiring soon")
        EXPIRED = "expired", _("expired")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="licences")
    name = models.CharField(_("licence name"), max_length=100)
    number = models.CharField(_("licence number"), max_length=100, blank=True)
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Leave empty if it does not expire.")
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="licence_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def status(self, today: dt.date) -> str:
        """Valid, expiring within 90 days, or expired, as of the given day."""
        if self.valid_to is None:
            return self.Status.VALID
        if self.valid_to < today:
            return self.Status.EXPIRED
        if (self.valid_to - today).days <= EXPIRY_WARNING_DAYS:
            return self.Status.EXPIRING
        return self.Status.VALID


class PerformanceRecord(TimeStampedModel):
    """An honour, penalty, lawsuit or complaint concerning the unit (绩效和受奖惩及诉讼投诉)."""

    class Kind(models.TextChoices):
        HONOUR = "honour", _("honour or award")
        PENALTY = "penalty", _("penalty")
        LAWSUIT = "lawsuit", _("lawsuit")
        COMPLAINT = "complaint", _("complaint")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="performance")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    issuer = models.CharField(_("issued by or source"), max_length=100, blank=True)
    text = models.TextField(_("content"))

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("honour, penalty, lawsuit or complaint")
        verbose_name_plural = _("honours, penalties, lawsuits and complaints")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Donation(TimeStampedModel):
    """A donation or grant received (接受捐赠资助) and how it was used."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="donations")
    date = models.DateField(_("date received"))
    donor = models.CharField(_("donor"), max_length=100)
    amount = models.DecimalField(_("amount (10k yuan)"), validators=[MinValueValidator(0)], **MONEY)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    usage = models.TextField(_("how it was used"), blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="donation_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.donor}"


class Department(TimeStampedModel):
    """A department (科室) and the period it was open."""

    class Kind(models.TextChoices):
        CLINICAL = "clinical", _("clinical")
        TECHNICAL = "technical", _("medical technology")
        PREVENTIVE = "preventive", _("prevention and health care")
        ADMINISTRATIVE = "administrative", _("administration")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("department name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    standard_item = models.CharField(
        _("counts as (standard)"),
        max_length=40,
        blank=True,
        choices=STANDARD_ITEM_CHOICES,
        help_text=_("Which room of the national standards this department provides."),
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="department_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, on: dt.date) -> bool:
        return self.opened_on <= on and (self.closed_on is None or self.closed_on > on)
