"""Attach and open evidence files: permission-checked, audited, encrypted."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.evidence import storage
from haven.evidence.models import EvidenceFile


def evidence_attach(
    *,
    actor: Any,
    record: Any,
    chunks: Iterable[bytes],
    original_name: str,
    media_type: str,
    description: str = "",
    request: Any = None,
) -> EvidenceFile:
    if not policy.can_edit(actor, record):
        audit_refusal(actor=actor, target=record, request=request, details={"attempted": "attach evidence"})
        raise Http404("No such record.")
    key = os.urandom(32)
    storage_name, size, sha256 = storage.write_encrypted(chunks, key)
    try:
        with transaction.atomic():
            evidence = EvidenceFile.objects.create(
                organisation_id=record.organisation_id,
                compartment_id=record.compartment_id,
                confidentiality=record.confidentiality,
                content_type=ContentType.objects.get_for_model(record),
                object_id=record.pk,
                storage_name=storage_name,
                file_key=base64.b64encode(key).decode(),
                original_name=original_name,
                media_type=media_type or "application/octet-stream",
                sha256=sha256,
                size=size,
                description=description,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action=AuditAction.EVIDENCE_ADDED,
                target=evidence,
                request=request,
                details={"record": f"{record._meta.label_lower}:{record.pk}", "size": size},
            )
    except Exception:
        storage.path_for(storage_name).unlink(missing_ok=True)  # no file without its record
        raise
    return evidence


def evidence_for_user(actor: Any, pk: Any, *, request: Any = None) -> EvidenceFile:
    """Return an evidence file the user may open; the same 404 whether it is missing or forbidden."""
    evidence = EvidenceFile.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if evidence is None or not policy.can_view(actor, evidence) or not policy.shows_identifying(actor):
        audit_refusal(
            actor=actor,
            target=("evidence.evidencefile", str(pk)),
            request=request,
            details={"reason": "not found or not permitted"},
        )
        raise Http404("No such file.")
    return evidence


def evidence_open(*, actor: Any, evidence: EvidenceFile, request: Any = None) -> Iterator[bytes]:
    audit_record(actor=actor, action=AuditAction.EVIDENCE_VIEWED, target=evidence, request=request)
    return storage.read_decrypted(evidence.storage_name, base64.b64decode(evidence.file_key))
