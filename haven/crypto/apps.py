from __future__ import annotations

from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "haven.crypto"
    verbose_name = "Encryption keys"
