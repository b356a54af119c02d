from __future__ import annotations

from django.db import models


class KeyPurpose(models.TextChoices):
    DATA = "data", "Data encryption (AES-256-GCM)"
    INDEX = "index", "Blind index (HMAC-SHA256)"
    AUDIT_CHAIN = "audit-chain", "Audit chain (HMAC-SHA256)"
    AUDIT_VALUES = "audit-values", "Audit value fingerprints (HMAC-SHA256)"


class DataKey(models.Model):
    """A data key, stored only wrapped (encrypted) under the master key, which never enters the database.

    Ciphertexts name the key that made them (``kid``), so keys can be rotated: a new key becomes active for
    new writes while old ones stay readable until every value has been re-encrypted.
    """

    kid = models.CharField(max_length=16, unique=True)
    purpose = models.CharField(max_length=16, choices=KeyPurpose.choices)
    wrapped = models.TextField(help_text="The key, encrypted under the master key (base64).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purpose"], condition=models.Q(active=True), name="one_active_key_per_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.purpose}{', active' if self.active else ''})"
