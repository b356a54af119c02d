from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """An organisation that documents or assists: the owner of its lists and records."""

    code = models.SlugField(max_length=32, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ko = models.CharField(_("name (Korean)"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_ko}" if self.name_ko else self.name_en


class Compartment(models.Model):
    """A need-to-know partition (a project or team). Every record lies in exactly one compartment."""

    code = models.SlugField(max_length=48, unique=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="compartments")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a user does. What each role may do is decided in haven.accounts.policy, nowhere else."""

    ADMINISTRATOR = "administrator", _("Administrator")
    DOCUMENTER = "documenter", _("Documenter")
    CASE_WORKER = "case_worker", _("Case worker")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
    VIEWER = "viewer", _("Viewer")


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    preferred_language = models.CharField(
        max_length=8, choices=[("en", "English"), ("ko", "한국어")], default="en"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    compartments = models.ManyToManyField(
        Compartment,
        through="CompartmentGrant",
        through_fields=("user", "compartment"),
        related_name="members",
        blank=True,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid")
        ]


class CompartmentGrant(models.Model):
    """Need-to-know: a user sees the records of a compartment only while holding a grant for it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="grants")
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "compartment"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.compartment}"
