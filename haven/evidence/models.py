from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from haven.crypto.fields import EncryptedTextField
from haven.records.models import Confidentiality


class EvidenceFile(models.Model):
    """A supporting document attached to a record, stored encrypted on disk.

    Each file has its own random key; that key is stored here encrypted under the data key (envelope
    encryption), so rotating the data key re-wraps file keys without rewriting files. The file's name, media
    type and SHA-256 are encrypted too: a name or a known photo's hash could identify someone.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    compartment = models.ForeignKey("accounts.Compartment", on_delete=models.PROTECT, related_name="+")
    confidentiality = models.CharField(
        max_length=16, choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    storage_name = models.CharField(max_length=64, unique=True)
    file_key = EncryptedTextField()
    original_name = EncryptedTextField()
    media_type = EncryptedTextField()
    sha256 = EncryptedTextField(help_text="SHA-256 of the original content, for chain of custody.")
    size = models.PositiveBigIntegerField()
    description = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"Evidence {self.pk}"
