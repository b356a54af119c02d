from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import World
from haven.crypto import keyring, rotation
from haven.evidence import storage
from haven.evidence.models import EvidenceFile
from haven.evidence.services import evidence_attach, evidence_open

pytestmark = pytest.mark.django_db

CONTENT = ("증언 녹취록: 온성 집결소. " * 90_000).encode()  # about 3 MB: several chunks


def _attach(w: World) -> EvidenceFile:
    return evidence_attach(
        actor=w.users[Role.DOCUMENTER],
        record=w.person_a,
        chunks=[CONTENT[:1000], CONTENT[1000:]],
        original_name="최예린-testimony.txt",
        media_type="text/plain",
    )


def test_files_are_stored_encrypted_and_come_back_whole(tmp_path):
    w = World()
    evidence = _attach(w)
    stored = storage.path_for(evidence.storage_name).read_bytes()
    assert "온성".encode() not in stored and len(stored) > len(CONTENT)
    assert b"".join(evidence_open(actor=w.users[Role.DOCUMENTER], evidence=evidence)) == CONTENT
    assert evidence.size == len(CONTENT)


def test_an_altered_or_truncated_file_is_refused():
    w = World()
    evidence = _attach(w)
    path = storage.path_for(evidence.storage_name)
    original = path.read_bytes()
    for damaged in (
        original[:-10],
        original[:100] + bytes([original[100] ^ 1]) + original[101:],
        original[: len(original) // 2],
    ):
        path.write_bytes(damaged)
        with pytest.raises(storage.EvidenceDamaged):
            b"".join(evidence_open(actor=w.users[Role.DOCUMENTER], evidence=evidence))


def test_download_is_allowed_to_documenters_and_looks_missing_to_others(client):
    w = World()
    evidence = _attach(w)
    url = reverse("evidence:download", args=[evidence.pk])
    client.force_login(w.users[Role.DOCUMENTER])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == CONTENT
    assert response["Content-Disposition"].startswith("attachment")
    for role in (Role.ANALYST, Role.VIEWER, Role.AUDITOR, Role.ADMINISTRATOR):
        client.force_login(w.users[role])
        assert client.get(url).status_code == 404, role
        assert client.get(reverse("evidence:download", args=[999_999])).status_code == 404


def test_rotating_the_data_key_rewraps_file_keys_and_files_still_open():
    w = World()
    evidence = _attach(w)
    rotation.rotate_data_key()
    keyring.clear_cache()
    evidence.refresh_from_db()
    assert b"".join(evidence_open(actor=w.users[Role.DOCUMENTER], evidence=evidence)) == CONTENT
