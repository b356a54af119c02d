from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "haven.cases"
    label = "cases"
    verbose_name = "Assistance cases"
    default_auto_field = "django.db.models.BigAutoField"
