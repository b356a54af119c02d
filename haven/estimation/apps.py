from __future__ import annotations

from django.apps import AppConfig


class EstimationConfig(AppConfig):
    name = "haven.estimation"
    verbose_name = "Estimation of the undocumented"

    def ready(self) -> None:
        from haven.estimation import jobs  # noqa: F401  (registers the "estimation.run" job runner)
