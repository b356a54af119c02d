"""App configuration for :mod:`haven.linkage`."""

from __future__ import annotations

from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """Record linkage: commands now; runs, review queue and merges later."""

    name = "haven.linkage"
    verbose_name = "Record linkage"
    default_auto_field = "django.db.models.BigAutoField"
