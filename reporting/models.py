"""The yearly 《事业单位法人年度报告书》 filing: content, workflow, submitted versions and PDFs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from centers.models import Authority, Centre
from core.models import TimeStampedModel


class AnnualFiling(TimeStampedModel):
    """One centre's annual report for one year; once approved, that year's tallies are frozen.

    `data` holds the sections filled from stored records (refreshable while a draft);
    `narrative` is 开展业务活动情况, which the centre writes. `version` counts saves; lost updates
    are refused on updated_at (core/stale.py).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("awaiting review")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")
        PUBLISHED = "published", _("published")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="filings")
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    data = models.JSONField(default=dict, blank=True)
    narrative = models.TextField(_("activities of the year"), blank=True)
    version = models.PositiveIntegerField(default=1)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Online(models.TextChoices):
        """Where an approved report stands on 事业单位在线, as the centre records it."""

        NOT_FILED = "", _("not yet filed online")
        FILED = "filed", _("filed online, with the registration office")
        RETURNED = "returned", _("returned by the registration office")
        PUBLICISED = "publicised", _("publicised by the registration office")

    online = models.CharField(
        _("filing on 事业单位在线"), max_length=10, choices=Online.choices, default="", blank=True
    )
    filed_online_on = models.DateField(_("date filed online"), null=True, blank=True)
    registry_reason = models.TextField(_("reason given by the registration office"), blank=True)
    publicised_on = models.DateField(_("date publicised"), null=True, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("annual filing")
        verbose_name_plural = _("annual filings")
        constraints = [
            models.UniqueConstraint(fields=["centre", "year"], name="one_filing_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def centre_to_act(self) -> bool:
        """The next step is the centre's: write or correct it, or file it online once approved
        (again after the registration office returned it); not while the sponsor reviews it."""
        return self.editable or (
            self.status == self.Status.APPROVED and self.online != self.Online.FILED
        )

    @property
    def handed_in(self) -> bool:
        """Filed on 事业单位在线 and not returned from there, or published: no longer overdue."""
        return self.status == self.Status.PUBLISHED or self.online == self.Online.FILED


FROZEN_STATUSES = (AnnualFiling.Status.APPROVED, AnnualFiling.Status.PUBLISHED)


class OnlineStep(models.TextChoices):
    NONE = "", _("workflow step")
    FILED = "filed_online", _("filed on 事业单位在线")
    REGISTRY_RETURNED = "registry_returned", _("returned by the registration office")
    PUBLICISED = "publicised", _("publicised by the registration office")


class FilingEvent(models.Model):
    """One step of the workflow: who moved the filing from which state to which, and why."""

    filing = models.ForeignKey(AnnualFiling, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=AnnualFiling.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=AnnualFiling.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    comment = models.TextField(blank=True)
    # A step recorded from 事业单位在线 (the status may stay as it was), with its dates and, for a
    # filing, the attachments it went with.
    step = models.CharField(max_length=20, choices=OnlineStep.choices, default="", blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the step's mail is claimed for sending, so a repeated task never mails twice.
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.filing} {self.from_status}→{self.to_status}"

    @property
    def label(self) -> str:
        """What the step was, for the history and the notices."""
        if self.step:
            return OnlineStep(self.step).label
        return AnnualFiling.Status(self.to_status).label

    @property
    def who(self) -> str:
        """The person's name for pages and mails; the stored login name once the user is gone."""
        from core.history import person_name

        return person_name(self.actor, self.actor_name)


class FilingVersion(models.Model):
    """What was submitted, frozen: the reviewer reads exactly this, and diffs compare these."""

    filing = models.ForeignKey(AnnualFiling, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The attachments as submitted, and as filed on 事业单位在线 (with the signed scan added after
    # approval): name, kind, size and sha256 of each, so the version says exactly what went.
    attachments = models.JSONField(default=list, blank=True)
    filed_attachments = models.JSONField(default=list, blank=True)
    # 举办单位意见: the sponsor's wording at approval and the day, printed in the opinion box.
    opinion = models.TextField(blank=True)
    approved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.filing} v{self.number}"


DEFAULT_OPINION = "该年度报告书情况属实，并经保密审查，可以向社会公示"


class OpinionTemplate(TimeStampedModel):
    """A commission's wording for the 举办单位意见 box of the reports it approves."""

    authority = models.OneToOneField(
        Authority, on_delete=models.CASCADE, related_name="opinion_template"
    )
    text = models.CharField(_("opinion wording"), max_length=300, default=DEFAULT_OPINION)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.authority}: {self.text}"


def attachment_path(instance: FilingAttachment, filename: str) -> str:
    """A name of our making (never the uploader's), under the centre and year."""
    import uuid

    filing = instance.filing
    return f"filing-attachments/{filing.centre_id}/{filing.year}/{uuid.uuid4().hex}{instance.ext}"


class FilingAttachment(models.Model):
    """A file the centre files with its report (certificate, balance sheet, the signed scan).

    Removing one keeps the row and the file (`removed_at`): a version that listed it still
    names what was filed, and the file can still be read.
    """

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "《事业单位法人证书》副本"
        BALANCE_SHEET = "balance_sheet", "资产负债表"
        SIGNED_SCAN = "signed_scan", _("scan of the signed and sealed report")
        OTHER = "other", _("other")

    filing = models.ForeignKey(AnnualFiling, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=150)  # the uploader's file name, cleaned, for display
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    compressed = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(centre="filing__centre")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.filing} {self.name}"

    @property
    def ext(self) -> str:
        return {"application/pdf": ".pdf", "image/png": ".png"}.get(self.content_type, ".jpg")

    def listing(self) -> dict:
        """What a version keeps of it."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
        }


# How a run's error says that the file could not be written (the page explains it in words).
STORAGE_ERROR = "storage: "


def stuck_after() -> dt.timedelta:
    """A render takes about a second; a run queued or rendering this long has lost its worker."""
    return dt.timedelta(seconds=settings.PDF_STALL_SECONDS)


class ReportRun(models.Model):
    """A PDF of one submitted version, rendered by a Celery task and kept for download.

    A run still queued or rendering after PDF_STALL_SECONDS is stuck (its worker was killed, or
    the task never reached the broker): the page offers a retry, and beat queues it again by
    itself (`report_runs_resume`) until PDF_MAX_ATTEMPTS renders have died.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("rendering")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    version = models.OneToOneField(FilingVersion, on_delete=models.CASCADE, related_name="pdf")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="filings/", blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the current attempt was queued or claimed by a worker; older runs have none.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Renders that were claimed by a worker; one that dies mid-render counts as a spent attempt.
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.version} {self.status}"

    @property
    def storage_error(self) -> bool:
        return self.error.startswith(STORAGE_ERROR)

    @property
    def stuck(self) -> bool:
        if self.status not in (self.Status.QUEUED, self.Status.RUNNING):
            return False
        began = self.started_at or self.created_at
        return began is not None and timezone.now() - began > stuck_after()

    @property
    def retryable(self) -> bool:
        return self.status == self.Status.FAILED or self.stuck

    @property
    def in_progress(self) -> bool:
        """Queued or rendering, stuck or not: the page keeps asking until it is done or failed."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Summary(TimeStampedModel):
    """A work summary (工作总结) of a centre, or of an authority's subtree, for a period.

    `figures` is generated from stored data and only ever replaced by regenerating; `texts` is what
    the author writes around it (an opening, a note per section, 存在的问题, 下一步工作计划).
    """

    class Kind(models.TextChoices):
        HALF = "half", _("half-year")
        YEAR = "year", _("year")
        RANGE = "range", _("date range")

    class Status(models.TextChoices):
        """A centre's half-year or year summary handed up to its commission (上报); an
        authority's own summary stays a draft."""

        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("handed up")
        RETURNED = "returned", _("returned")
        ACCEPTED = "accepted", _("accepted")

    centre = models.ForeignKey(
        Centre, null=True, blank=True, on_delete=models.CASCADE, related_name="summaries"
    )
    authority = models.ForeignKey(
        "centers.Authority",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="summaries",
    )
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    first = models.DateField(_("first month"))
    last = models.DateField(_("last month"))
    title = models.CharField(_("title"), max_length=200)
    figures = models.JSONField(default=dict)
    texts = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    generated_at = models.DateTimeField(null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Paragraphs an authority's summary compiled from accepted centre summaries: section key,
    # text, and the centre summary it came from (shown beside the text while it is still there).
    sources = models.JSONField(default=list, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("work summary")
        verbose_name_plural = _("work summaries")
        ordering = ["-first", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(centre__isnull=True, authority__isnull=False)
                | models.Q(centre__isnull=False, authority__isnull=True),
                name="summary_has_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(last__gte=models.F("first")), name="summary_period_in_order"
            ),
            # A centre hands up one summary per period; drafts beside it are its own business.
            models.UniqueConstraint(
                fields=["centre", "first", "last"],
                condition=~models.Q(status="draft"),
                name="one_handed_up_summary_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def locked(self) -> bool:
        """Handed up or accepted: the centre cannot change it until it is returned or reopened."""
        return self.status in (self.Status.SUBMITTED, self.Status.ACCEPTED)


class SummaryEvent(models.Model):
    """One step of a summary's way up: who moved it from which state to which, and why."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=Summary.Status.choices)
    to_status = models.CharField(max_length=10, choices=Summary.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    comment = models.TextField(blank=True)
    # The SummaryVersion number that was handed up, returned or accepted.
    version = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.summary} {self.from_status}→{self.to_status}"

    @property
    def who(self) -> str:
        from core.history import person_name

        return person_name(self.actor, self.actor_name)


class SummaryVersion(models.Model):
    """A saved state of a summary: its texts and the figures they were written around."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    texts = models.JSONField()
    figures = models.JSONField()
    note = models.CharField(max_length=100, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["summary", "number"], name="one_summary_version")
        ]

    def __str__(self) -> str:
        return f"{self.summary} v{self.number}"


class Notification(models.Model):
    """A reminder or notice for one person, shown in the app and mailed once.

    Also the sent-log of the daily reminders: (recipient, kind, key) is unique, so a reminder
    for one centre and period goes to each person once however often the task runs.
    """

    class Kind(models.TextChoices):
        TALLY_DUE = "tally_due", _("monthly tallies due")
        TALLY_OVERDUE = "tally_overdue", _("monthly tallies overdue")
        FILING_DUE_30 = "filing_due_30", _("annual report due in 30 days")
        FILING_DUE_7 = "filing_due_7", _("annual report due in 7 days")
        EXPIRY_90 = "expiry_90", _("expires within 90 days")
        EXPIRY_30 = "expiry_30", _("expires within 30 days")
        OPEN_MONTH_ASKED = "open_month_asked", _("request to open months")
        OPEN_MONTH_DECIDED = "open_month_decided", _("request to open months decided")
        FILING_STEP = "filing_step", _("annual report step")
        REVIEW_TALLIES = "review_tallies", _("monthly tallies overdue below the commission")
        REVIEW_FILINGS = "review_filings", _("annual reports awaiting review over 7 days")
        SUMMARY_STEP = "summary_step", _("work summary handed up, returned or accepted")
        MONTH_REVIEW = "month_review", _("monthly data approved, returned or withdrawn")
        # A staff member's practising registration that has run out while they still serve.
        EXPIRED = "expired", _("expired")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100)  # the centre and period (or record) it is about
    title = models.CharField(max_length=200)
    # A digest's lines (a reviewer's overdue centres, say), under the title and in the mail.
    body = models.TextField(blank=True)
    path = models.CharField(max_length=300)  # where it is done, within the site
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # A run claims the mail before sending (so a concurrent run leaves it alone) and records it
    # sent after; a claim without a sent mail older than reminders.CLAIM_TIMEOUT is a worker
    # that died, and the next run mails it.
    claimed_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"], name="one_notification_per_kind_and_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.kind} {self.key}"


class Scheme(TimeStampedModel):
    """A commission's assessment scheme (绩效考核/赛马): weighted items scored per centre, ranked.

    The commission's `is_default` scheme gives the dashboard's 综合得分; without one, the nearest
    commission above's, else the built-in (reporting.assessment.DEFAULT_ITEMS).
    """

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("monthly")
        QUARTER = "quarter", _("quarterly")
        HALF = "half", _("half-yearly")
        YEAR = "year", _("yearly")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="schemes")
    name = models.CharField(_("name"), max_length=100)
    period_kind = models.CharField(
        _("assessed every"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.QUARTER
    )
    is_active = models.BooleanField(_("in use"), default=True)
    is_default = models.BooleanField(_("gives the dashboard's combined score"), default=False)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="scheme_name_per_authority"),
            models.UniqueConstraint(
                fields=["authority"],
                condition=models.Q(is_default=True),
                name="one_default_scheme_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchemeItem(TimeStampedModel):
    """One indicator or rate of a scheme: its weight (points) and how it is scored; the rule's
    parameters (`params`) are checked by reporting.assessment.check_params."""

    class Rule(models.TextChoices):
        TARGET = "target", _("target attainment")
        BANDS = "bands", _("threshold bands")
        RELATIVE = "relative", _("relative to the other centres")
        DEDUCTION = "deduction", _("deductions")
        LINEAR = "linear", _("linear between two values")

    class Measure(models.TextChoices):
        VALUE = "value", _("the figure")
        GROWTH = "growth", _("its growth on a year before (%)")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("indicator or rate"), max_length=40)
    measure = models.CharField(
        _("measured by"), max_length=8, choices=Measure.choices, default=Measure.VALUE
    )
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    rule = models.CharField(_("scoring rule"), max_length=10, choices=Rule.choices)
    params = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("scheme item")
        verbose_name_plural = _("scheme items")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code", "measure"], name="one_item_per_scheme_code_measure"
            ),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="item_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.code}"


class Ranking(models.Model):
    """A scheme's scores for one period, kept as computed (`items`: the scheme's items then, so
    the breakdown still reads right after the scheme changes); recomputing replaces its rows."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="rankings")
    first = models.DateField()
    last = models.DateField()
    label = models.CharField(max_length=40)
    items = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-first"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "first", "last"], name="one_ranking_per_scheme_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.label}"


class RankingRow(models.Model):
    """One centre's place in a ranking. Rows belong to the commission's ranking, not to the
    centre, so they carry no centre scope (reviewers read them across centres by design)."""

    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="rows")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField()
    breakdown = models.JSONField(default=dict)

    class Meta:
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "centre"], name="one_row_per_ranking_centre")
        ]

    def __str__(self) -> str:
        return f"{self.ranking} {self.centre_id} {self.rank}"
