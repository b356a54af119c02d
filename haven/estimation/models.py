"""Estimation runs: every multiple systems estimate made in Haven, saved so it can be reproduced and cited.

A run keeps its exact inputs (the capture-pattern table actually estimated, counts per pattern per stratum,
never person ids; the lists, filters, strata, method and its settings, the seed, the software versions) and
its outputs (estimate, interval, chosen model, the model table, sampler diagnostics, warnings). Runs are
written once, by :func:`haven.estimation.services.estimation_run_save`, and never changed: a citation of
"run 12" must keep meaning the same numbers.

The table holds aggregates only. Who may read a run, and who sees its small counts, is decided in
:mod:`haven.estimation.access`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    LOGLINEAR = "loglinear", _("Log-linear models (AIC/BIC selection)")
    LCMCR = "lcmcr", _("Bayesian latent classes (LCMCR)")


class RunStatus(models.TextChoices):
    OK = "ok", _("estimated")
    UNAVAILABLE = "unavailable", _("no estimate (unbounded or not identifiable)")
    FAILED = "failed", _("could not be estimated from these data")


class RunImmutableError(Exception):
    """A saved run was about to be changed or deleted; runs are cited and must stay as they are."""


class EstimationRun(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The owner's organisation when the run was made: runs are shared with its analysts.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rerun_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reruns"
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    status = models.CharField(max_length=12, choices=RunStatus.choices)
    # Summary columns (also inside ``outputs``) for the runs list.
    num_lists = models.PositiveSmallIntegerField()
    observed = models.PositiveIntegerField()
    estimate = models.FloatField(null=True, blank=True)
    lower = models.FloatField(null=True, blank=True)
    upper = models.FloatField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # Compartments whose records made the table: who holds all of them may see its small counts.
    compartment_ids = models.JSONField(default=list)
    # SHA-256 of the canonical JSON of ``inputs``: equal fingerprints, equal inputs.
    inputs_sha256 = models.CharField(max_length=64)
    inputs = models.JSONField()
    outputs = models.JSONField()
    elapsed_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="estimation_run_org_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=Method.values), name="estimation_method_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="estimation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Estimation run {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RunImmutableError("estimation runs are never changed once saved")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RunImmutableError("estimation runs are never deleted")

    @property
    def number(self) -> str:
        """Return the run's citable number, e.g. ``E-12``."""
        return f"E-{self.pk}"
