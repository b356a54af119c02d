from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "haven.audit"

    def ready(self) -> None:
        from haven.audit import checks  # noqa: F401  (registers the system checks)
        from haven.audit.chain import ensure_chain_key

        post_migrate.connect(ensure_chain_key, sender=self, dispatch_uid="haven.audit.ensure_chain_key")
