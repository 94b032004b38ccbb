"""Service tallies: indicator catalogue, monthly values, rules, completeness, locks, activities."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from centers.models import Authority, Centre
from core.models import TimeStampedModel


class Category(models.TextChoices):
    """The 12 国家基本公共卫生服务 categories, family-doctor contracts, medical services, other."""

    RECORDS = "records", _("resident health records")
    EDUCATION = "education", _("health education")
    VACCINATION = "vaccination", _("vaccination")
    CHILDREN = "children", _("children 0–6")
    MATERNAL = "maternal", _("pregnant and postpartum women")
    ELDERLY = "elderly", _("older people")
    CHRONIC = "chronic", _("hypertension and type 2 diabetes")
    MENTAL = "mental", _("severe mental disorders")
    TUBERCULOSIS = "tuberculosis", _("tuberculosis")
    TCM = "tcm", _("traditional Chinese medicine care")
    INFECTIOUS = "infectious", _("infectious diseases and emergencies")
    SUPERVISION = "supervision", _("health supervision assistance")
    FAMILY_DOCTOR = "family_doctor", _("family doctor contracts")
    MEDICAL = "medical", _("medical services")
    OTHER = "other", _("other")


class Definition(TimeStampedModel):
    """Owned along the commission tree and in force over a span of months: a centre sees the
    definitions of no commission (the system's) and of every commission from its sponsor up
    (services/definitions.py), each for the months it is in force."""

    owner = models.ForeignKey(
        Authority,
        verbose_name=_("defined by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the system's definition, for every centre."),
    )
    active_from = models.DateField(_("in force from"), null=True, blank=True)  # a month's 1st
    active_to = models.DateField(_("in force until"), null=True, blank=True)  # its last month

    class Meta:
        abstract = True


class Indicator(Definition):
    """A figure a centre reports, with how it adds up over time."""

    class Aggregation(models.TextChoices):
        FLOW = "flow", _("flow: summed over the period")
        STOCK = "stock", _("stock: value at the period's end")

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        YEARLY = "yearly", _("yearly")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=10)
    aggregation = models.CharField(
        _("aggregation"), max_length=5, choices=Aggregation.choices, default=Aggregation.FLOW
    )
    frequency = models.CharField(
        _("frequency"), max_length=7, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    whole_numbers = models.BooleanField(_("whole numbers only"), default=True)
    max_value = models.DecimalField(
        _("largest plausible value"), max_digits=14, decimal_places=2, default=10_000_000
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["category", "position", "code"]

    def __str__(self) -> str:
        return self.name


class Rate(Definition):
    """A rate derived from two indicators; rates are never typed in."""

    class Scale(models.IntegerChoices):
        PERCENT = 100, "%"
        PERMILLE = 1000, "‰"
        YUAN_PER_VISIT = 10000, _("yuan")

    # One code, successive versions: a changed formula is a new version from a month on, and the
    # periods before keep the old one (services/definitions.versions_for).
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    numerator = models.ForeignKey(
        Indicator, verbose_name=_("numerator"), on_delete=models.PROTECT, related_name="+"
    )
    denominator = models.ForeignKey(
        Indicator, verbose_name=_("denominator"), on_delete=models.PROTECT, related_name="+"
    )
    scale = models.PositiveIntegerField(_("scale"), choices=Scale.choices, default=Scale.PERCENT)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["category", "position", "code", "active_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "active_from"], name="one_rate_version_per_start"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(active_from__isnull=True),
                name="one_rate_version_from_the_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def suffix(self) -> str:
        """%, ‰, ‱ or 元/人次: looked up once per instance (a city's dashboard asks thousands of
        times)."""
        return self.get_scale_display()


class TallyValue(models.Model):
    """One indicator's value for one centre and period (a month, or a year for yearly ones).

    period is the first day of the month (or of the year); each cell is its own row, saved alone.
    """

    # No index of its own: the cell's unique index and tally_centre_period_values lead with the
    # centre (a third let the planner read a centre's whole history to find two years of it).
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="tallies", db_index=False
    )
    # Its index is tally_indicator_period_values, which leads with it.
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", db_index=False
    )
    period = models.DateField(_("period"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("tally value")
        verbose_name_plural = _("tally values")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "indicator", "period"], name="one_value_per_cell"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="period_is_a_month_start"),
        ]
        # Carrying the indicator and the value, figures computed live read a centre's months
        # from the index alone (PostgreSQL; services.selectors.summed_totals); a city's, each
        # kind's indicators over its months (the second; it replaces the plain index of the
        # indicator's foreign key): its thousand centres live read 216,000 entries, not 500,000.
        indexes = [
            models.Index(
                fields=["centre", "period"],
                include=["indicator", "value"],
                name="tally_centre_period_values",
            ),
            models.Index(
                fields=["indicator", "period", "centre"],
                include=["value"],
                name="tally_indicator_period_values",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.period:%Y-%m}"


class ValidationRule(Definition):
    """left operator right, in the same period (a yearly side uses that year's value)."""

    class Operator(models.TextChoices):
        LE = "<=", "≤"
        LT = "<", "<"
        GE = ">=", "≥"
        GT = ">", ">"
        EQ = "==", "="

    class Severity(models.TextChoices):
        ERROR = "error", _("error: refuses the value")
        WARNING = "warning", _("warning: needs an explanation")

    left = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="rules_left")
    operator = models.CharField(max_length=2, choices=Operator.choices, default=Operator.LE)
    right = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="rules_right")
    severity = models.CharField(max_length=7, choices=Severity.choices, default=Severity.WARNING)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        constraints = [
            models.UniqueConstraint(fields=["left", "operator", "right"], name="one_rule_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.left.name} {self.get_operator_display()} {self.right.name}"


class MonthReport(TimeStampedModel):
    """A centre marked a month 已报送 (complete); its sponsoring commission may then approve it
    (已审核), and the commission above that confirm it (已确认). services.approval_actions moves
    it; an approved month is locked for the centre (services.locking)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("month state", "submitted")
        APPROVED = "approved", pgettext_lazy("month state", "approved")
        CONFIRMED = "confirmed", pgettext_lazy("month state", "confirmed")

    # No index of its own: the unique (centre, period) index leads with it, and with both the
    # planner read a city's every month to find six (issue 12).
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="month_reports", db_index=False
    )
    period = models.DateField(_("month"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SUBMITTED
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["centre", "period"], name="one_report_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.period:%Y-%m}"


class LockException(TimeStampedModel):
    """A reviewer reopens months of one centre for late corrections, until a date."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="lock_exceptions")
    first_month = models.DateField(_("from month"))
    last_month = models.DateField(_("to month"))
    open_until = models.DateField(_("open until"))
    reason = models.CharField(_("reason"), max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("lock exception")
        verbose_name_plural = _("lock exceptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.centre} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


# How long the months of a granted request stay open.
OPEN_REQUEST_DAYS = 30


class OpenMonthRequest(TimeStampedModel):
    """A centre asks its commission to open locked months; a reviewer grants (a LockException)
    or declines it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        GRANTED = "granted", _("granted")
        DECLINED = "declined", _("declined")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="open_month_requests")
    first_month = models.DateField(_("from month"))
    last_month = models.DateField(_("to month"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    exception = models.ForeignKey(
        LockException, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("request to open months")
        verbose_name_plural = _("requests to open months")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")),
                name="open_request_months_in_order",
            )
        ]
        indexes = [models.Index(fields=["status", "centre"], name="open_request_status")]

    def __str__(self) -> str:
        return f"{self.centre} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


class FrozenYear(TimeStampedModel):
    """A centre's year whose figures may no longer change: its annual filing is approved.

    Reporting freezes the year when it approves the filing and unfreezes it on reopening, through
    services' actions, so the tally lock reads this table rather than the filings above it.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="frozen_years")
    year = models.PositiveSmallIntegerField(_("year"))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("frozen year")
        verbose_name_plural = _("frozen years")
        constraints = [
            models.UniqueConstraint(fields=["centre", "year"], name="one_freeze_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}"


class ActivityKind(Definition):
    """A kind of work record (义诊, 党员大会 …); administrators add more."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    counts_label = models.CharField(
        _("what the number counts"), max_length=20, default="人次", blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("activity kind")
        verbose_name_plural = _("activity kinds")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Activity(TimeStampedModel):
    """A dated work record: a free clinic, a lecture, a party meeting, a drill …"""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="activities")
    date = models.DateField(_("date"))
    kind = models.ForeignKey(
        ActivityKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    people = models.PositiveIntegerField(_("people served or present"), default=0)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["centre", "date"], name="activity_centre_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class FigureRollup(models.Model):
    """One centre's figure for a half-year or a year, computed ahead like DHIS2's analytics tables.

    For an indicator `value` is what `centre_totals` gives for the span; for a rate it is the
    numerator and `denominator` the denominator, stored only when the centre has both. Read only
    for centres whose RollupState is fresh; every other centre is computed live.
    """

    # No index of its own: one_rollup_per_span leads with the centre (with a third the planner
    # read a city's every span to add up two of them: 120 ms instead of 40).
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", db_index=False)
    first = models.DateField()
    last = models.DateField()
    code = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    denominator = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "first", "last", "code"], name="one_rollup_per_span"
            )
        ]
        indexes = [
            # A summary adds up its centres' rows of a span (span_figures), from the index alone:
            # a city's 61,000 rows in half the time of reading them from the table.
            models.Index(
                fields=["first", "last", "centre"],
                include=["code", "value", "denominator"],
                name="rollup_span_centre_sums",
            ),
            # A dashboard reads a few codes of a span at every centre of a city (span_totals):
            # 18,000 of its 122,000 rows, from the index alone.
            models.Index(
                fields=["first", "last", "code", "centre"],
                include=["value"],
                name="rollup_span_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.first}–{self.last} {self.code}"


class RollupState(models.Model):
    """Whether a centre's rollups are current: a tally write bumps `changed` in its transaction,
    the refresh task sets `built` to the `changed` it started from. Fresh iff built == changed;
    the spans of a year are current while no dirty year reaches them."""

    centre = models.OneToOneField(
        Centre, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    changed = models.PositiveBigIntegerField(default=0)
    built = models.PositiveBigIntegerField(default=0)
    catalogue = models.CharField(max_length=16, blank=True)  # the catalogue_key it was built with
    # When `changed` last moved: beat refreshes a centre still stale a minute later (its refresh
    # message was lost with the broker), and leaves recent saves to their own refresh.
    changed_at = models.DateTimeField(null=True, blank=True)
    # {year: the `changed` of its last write} for the years written since they were last built
    # ("2024" written as a whole, "2024/17" indicator 17's cells of it: rollups.dirty_keys):
    # a refresh rebuilds those years (and the next) and clears the keys no write outran.
    dirty_years = models.JSONField(default=dict, blank=True)
    # Set while a refresh is queued or running, so a burst of saves queues one; beat re-queues
    # one older than a minute (its message was lost).
    refresh_queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.centre_id} {self.built}/{self.changed}"


class Target(TimeStampedModel):
    """A centre's annual target (年度任务) for one indicator, set by its commission."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("annual target"), max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("annual target")
        verbose_name_plural = _("annual targets")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "indicator", "year"], name="one_target_per_year"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="target_is_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year} {self.indicator.name}"


class ImportProfile(TimeStampedModel):
    """How to read a file another system exported (a HIS or 公卫 report): which column holds
    which indicator, where the month is, and for files of several centres which column names
    the centre. Owned by a centre, or by a commission for every centre below it; the layouts
    shipped with the app (services/import_layouts.py) are not rows.

    Not behind a ScopedManager: a centre's page lists its commissions' profiles too, and a
    profile holds no data of a centre, only the names of columns (selectors filter by owner).
    """

    class FileType(models.TextChoices):
        XLSX = "xlsx", _("Excel workbook (.xlsx)")
        CSV = "csv", _("CSV text (.csv)")

    class Encoding(models.TextChoices):
        AUTO = "auto", _("recognise (UTF-8 or GB18030)")
        GB18030 = "gb18030", "GB18030 / GBK"
        UTF8 = "utf-8", _("UTF-8 (with or without BOM)")

    class RowsCombine(models.TextChoices):
        """What several rows of one centre and month (a month broken down by 科室 …) make."""

        UNSET = "", _("not set: such a file is refused")
        TOTAL = "total", _("use the 合计 row")
        SUM = "sum", _("add the rows up")

    centre = models.ForeignKey(
        Centre,
        verbose_name=_("centre"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_profiles",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("authority"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_profiles",
    )
    name = models.CharField(_("name"), max_length=100)
    file_type = models.CharField(
        _("file type"), max_length=4, choices=FileType.choices, default=FileType.XLSX
    )
    encoding = models.CharField(
        _("text encoding"), max_length=8, choices=Encoding.choices, default=Encoding.AUTO
    )
    header_row = models.PositiveSmallIntegerField(
        _("header row"),
        null=True,
        blank=True,
        help_text=_("The row number of the column names; empty: found in the first 10 rows."),
    )
    # Header texts as the file writes them ("" when the file has no such column).
    period_column = models.CharField(_("month column"), max_length=100, blank=True)
    centre_code_column = models.CharField(_("credit code column"), max_length=100, blank=True)
    centre_name_column = models.CharField(_("centre name column"), max_length=100, blank=True)
    # [{"header": …, "indicator": code or "" (read, not imported), "scale": "1",
    #   "missing": "skip" | "zero" | "dash_zero"}], one per column, in the file's order.
    mappings = models.JSONField(_("columns"), default=list, blank=True)
    # Never guessed: one row of a broken-down month imported as the whole is a wrong figure.
    rows_combine = models.CharField(
        _("several rows of one centre and month"),
        max_length=5,
        choices=RowsCombine.choices,
        blank=True,
        default=RowsCombine.UNSET,
        help_text=_(
            "When the file breaks a centre's month down into rows (by 科室 …): take its 合计 "
            "row, or add the rows up."
        ),
    )

    class Meta:
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(centre__isnull=True) ^ Q(authority__isnull=True),
                name="import_profile_of_a_centre_or_a_commission",
            ),
            models.UniqueConstraint(
                fields=["centre", "name"],
                condition=Q(centre__isnull=False),
                name="one_profile_name_per_centre",
            ),
            models.UniqueConstraint(
                fields=["authority", "name"],
                condition=Q(authority__isnull=False),
                name="one_profile_name_per_commission",
            ),
        ]

    def __str__(self) -> str:
        return self.name
