"""Cross-cutting models: the timestamp base and the audit log of every official change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class TimeStampedModel(models.Model):
    """Adds created/updated times, which every table carries."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One change to official data: who, when, what, and the old and new values.

    Rows are written inside the same transaction as the change and never edited. The actor's
    username is copied so that the row still says who it was if the account goes; a centre
    with audit rows cannot be deleted (legal entities are deregistered, not erased).
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor's username"), max_length=150, blank=True)
    centre = models.ForeignKey(
        "centers.Centre",
        verbose_name=_("centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100)
    target_id = models.CharField(_("target id"), max_length=64)
    target_repr = models.CharField(_("target"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["centre", "-created_at"], name="audit_centre_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday, or a weekend made a workday (调休).

    Deadlines counted in working days (实施细则 第四十五条) read this table.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a working day"), help_text=_("Tick for a weekend day worked in exchange (调休).")
    )
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class OutboxMessage(models.Model):
    """A Celery task recorded in the transaction that needs it, so a broker outage loses nothing.

    The row commits with the change; the hand-off after commit marks it sent, and a beat sweeper
    sends every row that is still unsent once the broker answers again (core/outbox.py).
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    # The sweeper publishes one message per key: ten saves while Redis was down make one rollup
    # refresh, not ten.
    key = models.CharField(max_length=200, blank=True, db_index=True)
    # Seconds the task waits in the broker before it runs: a rollup refresh waits for the saves
    # that follow within them, so a clerk typing a column makes one refresh, not thirty.
    countdown = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unsent",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs} {'sent' if self.sent_at else 'pending'}"


class ImportJob(TimeStampedModel):
    """One uploaded spreadsheet on its way in: stored file → checked plan → preview → applied.

    Every import (roster, tallies, and those to come) is a job of some `kind`; the kind's handler
    (core/imports.py) says how to read and apply it, the job holds everything between the steps
    so any web process or worker can pick it up.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be checked")
        CHECKING = "checking", _("being checked")
        PREVIEW = "preview", _("checked, awaiting confirmation")
        APPLYING = "applying", _("being imported")
        APPLIED = "applied", _("imported")
        FAILED = "failed", _("refused")

    kind = models.CharField(_("kind"), max_length=20)
    # Whose data it writes: a centre's (roster, tallies) or a commission's (its centres' targets).
    centre = models.ForeignKey(
        "centers.Centre",
        verbose_name=_("centre"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
        null=True,
        blank=True,
    )
    authority = models.ForeignKey(
        "centers.Authority",
        verbose_name=_("authority"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
        null=True,
        blank=True,
    )
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=200)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the checked file would do (kind-specific) and what is wrong with the file as a whole.
    plan = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # The state of the target data when checked: applying is refused once it has moved.
    fingerprint = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=list, blank=True)  # [done, total] of the check
    attempts = models.PositiveSmallIntegerField(default=0)
    step_started_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "step_started_at"], name="import_job_step")]
        constraints = [
            models.CheckConstraint(
                condition=Q(centre__isnull=True) ^ Q(authority__isnull=True),
                name="import_job_of_a_centre_or_a_commission",
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def busy(self) -> bool:
        return self.status in BUSY_STATUSES


# A job in one of these has a step queued or running; the page polls, the user waits.
BUSY_STATUSES = (
    ImportJob.Status.QUEUED,
    ImportJob.Status.CHECKING,
    ImportJob.Status.APPLYING,
)


class ApiToken(models.Model):
    """A personal API token: acts as its user, with exactly the user's places (core/api.py).

    Only the SHA-256 of the secret is stored (the secret is 32 random bytes, so a plain hash is
    enough); `prefix` is its first characters, shown so the owner can tell tokens apart. A
    revoked or expired token is refused at its next request: nothing caches it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The last day it works (local time); empty: until revoked.
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
