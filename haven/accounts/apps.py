from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "haven.accounts"
    verbose_name = "Accounts, organisations and compartments"

    def ready(self) -> None:
        from haven.accounts import admin_policy, signals  # noqa: F401  (connects receivers, patches admin site)
