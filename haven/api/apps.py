from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "haven.api"
    label = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The schema extension teaches drf-spectacular the bearer-token scheme. The web import's job runner is
        # registered here too: every process that runs jobs (the web server, `haven worker`) loads the apps,
        # and haven.exchange's AppConfig has no ready() of its own.
        from haven.api import schema  # noqa: F401
        from haven.exchange import webimport  # noqa: F401
