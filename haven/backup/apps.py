from __future__ import annotations

from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "haven.backup"
