"""Encrypted file storage: AES-256-GCM in 1 MiB chunks, each bound to the file and its position.

Chunk i is sealed with nonce = 8 random bytes (per file) + i (4 bytes) and associated data = the file's
storage name, i and a final-chunk flag, so a chunk swapped, dropped, moved to another file or a file cut
short fails to decrypt. Files are written to a temporary name and renamed, so a crash leaves no half file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"HVNF1"
CHUNK = 1024 * 1024
TAG = 16


class EvidenceDamaged(Exception):
    """The stored file fails authentication: altered, truncated or not the file the record points to."""


def evidence_dir() -> Path:
    path = settings.HAVEN_FILES_DIR / "evidence"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def path_for(storage_name: str) -> Path:
    return evidence_dir() / storage_name[:2] / storage_name


def _aad(storage_name: str, index: int, final: bool) -> bytes:
    return f"{storage_name}:{index}:{int(final)}".encode()


def write_encrypted(chunks: Iterable[bytes], key: bytes) -> tuple[str, int, str]:
    """Encrypt ``chunks`` into a new file; return (storage name, plaintext size, plaintext SHA-256)."""
    storage_name = secrets.token_hex(16)
    target = path_for(storage_name)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.with_suffix(".partial")
    aes = AESGCM(key)
    prefix = os.urandom(8)
    digest = hashlib.sha256()
    size = 0
    with open(tmp, "wb") as out:
        os.chmod(tmp, 0o600)
        out.write(MAGIC + prefix)
        pending = b""
        index = 0
        for piece in _rechunk(chunks):
            if pending:
                out.write(
                    aes.encrypt(prefix + index.to_bytes(4, "big"), pending, _aad(storage_name, index, False))
                )
                index += 1
            pending = piece
            digest.update(piece)
            size += len(piece)
        out.write(aes.encrypt(prefix + index.to_bytes(4, "big"), pending, _aad(storage_name, index, True)))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return storage_name, size, digest.hexdigest()


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            yield buffer[:CHUNK]
            buffer = buffer[CHUNK:]
    if buffer:
        yield buffer


def read_decrypted(storage_name: str, key: bytes) -> Iterator[bytes]:
    """Yield the plaintext of a stored file, chunk by chunk; raise EvidenceDamaged on any alteration."""
    aes = AESGCM(key)
    with open(path_for(storage_name), "rb") as fh:
        head = fh.read(len(MAGIC) + 8)
        if not head.startswith(MAGIC):
            raise EvidenceDamaged(f"{storage_name}: not a Haven evidence file")
        prefix = head[len(MAGIC) :]
        index = 0
        block = fh.read(CHUNK + TAG)
        while True:
            following = fh.read(CHUNK + TAG)
            final = not following
            try:
                yield aes.decrypt(prefix + index.to_bytes(4, "big"), block, _aad(storage_name, index, final))
            except InvalidTag:
                raise EvidenceDamaged(f"{storage_name}: chunk {index} fails authentication") from None
            if final:
                return
            block, index = following, index + 1
