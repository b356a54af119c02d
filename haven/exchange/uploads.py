"""Uploaded import files, kept encrypted from the first byte until the import is done.

A file sent to the import page holds identifying data, so it must never be written in clear while it waits
(between the upload, the dry run and the import):

- :class:`EncryptingUploadHandler` replaces Django's upload handlers for the import page. Django's own would keep
  a large upload in a plaintext temporary file; this one encrypts each chunk as it arrives, in haven.evidence's
  format (AES-256-GCM in 1 MiB chunks bound to the file and their position), under a random key of its own.
- The key is kept only in the background job's parameters, which are encrypted in the database
  (haven.jobs); the file alone reveals nothing.
- While a job reads it, the plaintext exists in a private temporary file (in memory-backed /dev/shm when it has
  room), readable by the server's user only and deleted as soon as the job ends.
- The upload is deleted after the import; one left waiting (a dry run never confirmed) is deleted after
  ``HAVEN_IMPORT_UPLOAD_HOURS`` (24 by default) by :func:`sweep`, which the import page runs.

A marker file per upload (empty, named like the stored file) in ``HAVEN_FILES_DIR/import-uploads`` records when it
was uploaded, so the sweep finds uploads without reading any database row.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload

from haven.evidence import storage
from haven.exchange.readers import max_bytes

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".json")
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def marker_dir() -> Path:
    path = settings.HAVEN_FILES_DIR / "import-uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def keep_hours() -> int:
    return int(getattr(settings, "HAVEN_IMPORT_UPLOAD_HOURS", 24))


@dataclass(frozen=True)
class StoredUpload:
    """Where an upload is and how to open it: goes into the job's (encrypted) parameters."""

    storage_name: str
    key: str  # base64
    file_name: str
    size: int
    sha256: str

    def as_params(self) -> dict[str, Any]:
        return {
            "storage_name": self.storage_name,
            "key": self.key,
            "file_name": self.file_name,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> StoredUpload:
        return cls(
            storage_name=str(params["storage_name"]),
            key=str(params["key"]),
            file_name=str(params["file_name"]),
            size=int(params["size"]),
            sha256=str(params["sha256"]),
        )


class EncryptingWriter:
    """Write a file in haven.evidence's encrypted format from chunks pushed one at a time.

    haven.evidence.storage.write_encrypted pulls its chunks from an iterable; an upload handler is pushed them, so
    this writer produces the same format incrementally (the last full or partial chunk is held back until
    :meth:`close` knows it is the last). :func:`haven.evidence.storage.read_decrypted` reads the result.
    """

    def __init__(self) -> None:
        self.storage_name = secrets.token_hex(16)
        self.key = os.urandom(32)
        self._aes = AESGCM(self.key)
        self._prefix = os.urandom(8)
        self._index = 0
        self._buffer = b""
        self._digest = hashlib.sha256()
        self.size = 0
        self.target = storage.path_for(self.storage_name)
        self.target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._tmp = self.target.with_suffix(".partial")
        self._out = open(self._tmp, "wb")  # closed in close() or abort()
        os.chmod(self._tmp, 0o600)
        self._out.write(storage.MAGIC + self._prefix)

    def _seal(self, piece: bytes, final: bool) -> None:
        nonce = self._prefix + self._index.to_bytes(4, "big")
        # The associated data is haven.evidence's: storage name, chunk index, final flag.
        self._out.write(self._aes.encrypt(nonce, piece, storage._aad(self.storage_name, self._index, final)))
        self._index += 1

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) > storage.CHUNK:
            self._seal(self._buffer[: storage.CHUNK], final=False)
            self._buffer = self._buffer[storage.CHUNK :]

    def close(self, file_name: str) -> StoredUpload:
        self._seal(self._buffer, final=True)
        self._buffer = b""
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._tmp, self.target)
        marker = marker_dir() / self.storage_name
        marker.touch(mode=0o600)
        return StoredUpload(
            storage_name=self.storage_name,
            key=base64.b64encode(self.key).decode("ascii"),
            file_name=file_name,
            size=self.size,
            sha256=self._digest.hexdigest(),
        )

    def abort(self) -> None:
        if not self._out.closed:
            self._out.close()
        self._tmp.unlink(missing_ok=True)


class EncryptedUpload(UploadedFile):
    """What the form receives instead of a file: the stored upload's description, no contents."""

    def __init__(self, stored: StoredUpload) -> None:
        super().__init__(file=None, name=stored.file_name, content_type=None, size=stored.size)
        self.stored = stored

    def open(self, mode: str | None = None) -> Any:
        raise ValueError("an encrypted upload is read by the import job, not by the request")


def safe_file_name(name: str) -> str:
    """Return the base name of an uploaded file, without path or odd characters (kept for messages)."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip(" .") or "upload"
    stem, dot, suffix = cleaned.rpartition(".")
    return (stem[:120] + dot + suffix[:10]) if dot else cleaned[:130]


class EncryptingUploadHandler(FileUploadHandler):
    """Encrypt the upload of the ``file`` field as it streams in; refuse anything above the import size limit.

    ``too_large`` is set (and the rest of the upload discarded) when the file passes the limit; ``stored`` is
    the upload once complete.
    """

    field = "file"

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.writer: EncryptingWriter | None = None
        self.too_large = False
        self.limit = max_bytes()
        self.stored: StoredUpload | None = None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != self.field or self.stored is not None or self.too_large:
            self.writer = None  # any other file is dropped unread: one file, in the one file field
            raise StopFutureHandlers()
        self.writer = EncryptingWriter()
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.writer is None:
            return None
        if self.writer.size + len(raw_data) > self.limit:
            self.too_large = True
            self.writer.abort()
            self.writer = None
            raise StopUpload(connection_reset=False)
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> EncryptedUpload | None:
        if self.writer is None:
            return None
        self.stored = self.writer.close(safe_file_name(self.file_name or "upload"))
        self.writer = None
        return EncryptedUpload(self.stored)

    def upload_interrupted(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


CLAIMED = ".claimed"


def _markers(stored: StoredUpload) -> tuple[Path, Path]:
    marker = marker_dir() / stored.storage_name
    return marker, marker.with_name(marker.name + CLAIMED)


def exists(stored: StoredUpload) -> bool:
    """Is the upload still kept (waiting for a decision, or claimed by its import)?"""
    waiting, claimed = _markers(stored)
    return storage.path_for(stored.storage_name).exists() and (waiting.exists() or claimed.exists())


def claim(stored: StoredUpload) -> bool:
    """Mark a waiting upload as taken by an import; False if it is gone or already taken (atomic)."""
    waiting, claimed = _markers(stored)
    if not storage.path_for(stored.storage_name).exists():
        return False
    try:
        os.rename(waiting, claimed)
    except FileNotFoundError:
        return False
    return True


def delete(stored: StoredUpload | None) -> None:
    if stored is None:
        return
    storage.path_for(stored.storage_name).unlink(missing_ok=True)
    for marker in _markers(stored):
        marker.unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Delete uploads left waiting longer than HAVEN_IMPORT_UPLOAD_HOURS; return how many."""
    cutoff = (now or time.time()) - keep_hours() * 3600
    removed = 0
    for marker in marker_dir().iterdir():
        if not re.fullmatch(r"[0-9a-f]{32}(\.claimed)?", marker.name):
            continue
        try:
            old = marker.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if old:
            storage.path_for(marker.name.removesuffix(CLAIMED)).unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
            removed += 1
    return removed


def _scratch_dir(size: int) -> Path:
    shm = Path("/dev/shm")  # noqa: S108 (a private directory is made inside it)
    if shm.is_dir() and os.access(shm, os.W_OK):
        try:
            if shutil.disk_usage(shm).free > 2 * size + (64 << 20):
                return shm
        except OSError:
            pass
    path = settings.HAVEN_FILES_DIR / "import-scratch"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@contextmanager
def plaintext(stored: StoredUpload) -> Iterator[Path]:
    """Decrypt the upload into a private temporary file named like the original; delete it afterwards.

    Raises:
        FileNotFoundError: the upload is no longer kept.
        haven.evidence.storage.EvidenceDamaged: the stored file was altered.
    """
    if not exists(stored):
        raise FileNotFoundError(stored.storage_name)
    directory = Path(tempfile.mkdtemp(prefix="haven-import-", dir=_scratch_dir(stored.size)))
    try:
        os.chmod(directory, 0o700)
        path = directory / safe_file_name(stored.file_name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        digest = hashlib.sha256()
        with os.fdopen(descriptor, "wb") as out:
            for chunk in storage.read_decrypted(stored.storage_name, base64.b64decode(stored.key)):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != stored.sha256:
            raise storage.EvidenceDamaged(f"{stored.storage_name}: not the file that was uploaded")
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
