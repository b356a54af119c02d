from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_keys(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Create the first key of every purpose at set-up, outside any request's transaction.

    Created lazily inside a transaction that then rolled back, a key would stay in this process's cache
    while gone from the database.
    """
    from haven.crypto import keyring
    from haven.crypto.models import KeyPurpose

    keyring.clear_cache()
    for purpose in KeyPurpose.values:
        keyring.active_kid(purpose)


class CryptoConfig(AppConfig):
    name = "haven.crypto"
    verbose_name = "Encryption keys"

    def ready(self) -> None:
        post_migrate.connect(ensure_keys, sender=self, dispatch_uid="haven.crypto.ensure_keys")
