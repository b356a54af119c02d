from __future__ import annotations

from typing import Any

from django.db import models

from haven.crypto import keyring


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted (AES-256-GCM) and bound to its table and column.

    Only ``isnull`` lookups are allowed: the database holds no clear text to compare with, so exact lookups
    go through blind indexes and similarity search through a permission-checked, decrypt-in-memory path.
    """

    description = "Encrypted text"

    def _context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return keyring.encrypt_str(str(value), self._context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return keyring.decrypt_str(value, self._context())

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(
                f"{self.model.__name__}.{self.name} is encrypted: look it up through its blind index"
            )
        return super().get_lookup(lookup_name)
