from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "haven.web"
    label = "web"
    verbose_name = "Web pages and search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from haven.web import signals  # noqa: F401  (connects the search-table upkeep)
        from haven.web.intake import drafts  # noqa: F401  (registers the worker's expiry of old drafts)
