"""Column mappings saved per source organisation, and the record of every import run (never row contents)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("Persons")
    EVENTS = "events", _("Events with acts")
    CASES = "cases", _("Assistance cases")


class ColumnMapping(models.Model):
    """How one organisation's files name their columns and values.

    ``mapping`` is {source column: Haven field}; ``value_maps`` is {Haven field: {source value: Haven value}},
    for example {"sex": {"여": "F", "남": "M"}} or {"act_type": {"체포": "030101"}}. Columns not named in
    ``mapping`` are recognised by the default headers (see :mod:`haven.exchange.mapping`).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=64)
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    mapping = models.JSONField(default=dict, blank=True)
    value_maps = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name", "kind"], name="columnmapping_unique_per_organisation"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ImportKind.values), name="columnmapping_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("Running (or killed before it finished)")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed: nothing stored")
    DRY_RUN = "dry_run", _("Dry run: nothing stored")


class ImportRun(models.Model):
    """One run of ``haven import``: who, which file (name and SHA-256), what kind, counts and outcome.

    The run is recorded in its own transaction before the import starts, so a run that is killed stays
    visible as "running" while none of its rows exist.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    compartment = models.ForeignKey("accounts.Compartment", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    mapping_name = models.CharField(max_length=64, blank=True)
    dry_run = models.BooleanField(default=False)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importrun_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.kind}, {self.status})"
