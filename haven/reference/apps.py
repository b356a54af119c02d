from __future__ import annotations

from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "haven.reference"
    verbose_name = "Reference datasets"
