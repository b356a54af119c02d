from __future__ import annotations

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "haven.records"
    verbose_name = "Documentation (HURIDOCS events model)"
