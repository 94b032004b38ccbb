"""Organisations and people's places in them: authorities, centres, memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


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


class Centre(TimeStampedModel):
    """A community health service centre (社区卫生服务中心), a legal entity with one sponsor."""

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

    class Meta:
        verbose_name = _("community health centre")
        verbose_name_plural = _("community health centres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
