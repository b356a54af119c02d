from __future__ import annotations

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "haven.exchange"
    verbose_name = "Import and export"
