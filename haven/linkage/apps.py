"""App configuration for :mod:`haven.linkage`."""

from __future__ import annotations

from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """Record linkage: runs, the review queue, merges and their undoing, and the ``haven link`` commands."""

    name = "haven.linkage"
    verbose_name = "Record linkage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from haven.linkage import jobs  # noqa: F401 - registers the job runner
