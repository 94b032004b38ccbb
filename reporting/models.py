"""The yearly 《事业单位法人年度报告书》 filing (the workflow and content arrive with its issue)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from centers.models import Centre
from core.models import TimeStampedModel


class AnnualFiling(TimeStampedModel):
    """One centre's annual report for one year; once approved, that year's tallies are frozen."""

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

    objects = ScopedManager(centre="centre")

    class Meta:
        verbose_name = _("annual filing")
        verbose_name_plural = _("annual filings")
        constraints = [
            models.UniqueConstraint(fields=["centre", "year"], name="one_filing_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}"


FROZEN_STATUSES = (AnnualFiling.Status.APPROVED, AnnualFiling.Status.PUBLISHED)
