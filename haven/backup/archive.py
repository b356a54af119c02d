"""The encrypted backup archive (``.hvb``), format version 1: a header, then a payload sealed chunk by chunk.

This module knows nothing of Django: it turns a byte stream into an archive and back, and refuses any archive
that is not exactly what a writer holding the passphrase produced. ``haven.backup.services`` puts a tar stream
in it (see there for the payload's contents).

Header (98 bytes; integers are unsigned big-endian)::

    offset size  field
     0      8    magic b"HAVENBAK"
     8      2    format version: 1
    10      1    KDF: 1 = scrypt
    11      1    scrypt log2(N): 17 by default (N = 131072, 128 MiB of memory)
    12      1    scrypt r: 8
    13      1    scrypt p: 1
    14     16    salt (random)
    30     16    archive id (random)
    46      8    nonce prefix (random)
    54      4    chunk size C: the plaintext bytes in every chunk but the last (1 MiB)
    58      8    total length of the archive in bytes (header included)
    66     32    header MAC: HMAC-SHA256 under the header key of bytes 0..65

Keys. K = scrypt(passphrase, salt, N, r, p) with the passphrase in Unicode NFC, UTF-8 (so a Korean passphrase
typed on another system still matches). Two keys are derived from K with HKDF-SHA256: the payload key (info
``haven-backup/1/payload``) and the header key (info ``haven-backup/1/header``). scrypt's N is 2**17 rather
than the common 2**15: an archive is exactly what an attacker would copy and attack offline, and 0.3 s and
128 MiB once per backup or restore costs nothing. Readers accept 2**14..2**20 so the cost can change later.

Payload. The plaintext is cut into chunks: every chunk but the last holds exactly C bytes, the last holds 0 to
C bytes (there is always a last chunk, possibly empty). Chunk i (from 0) is stored as
AES-256-GCM(payload key, nonce = nonce prefix ‖ i as 4 bytes, associated data = header bytes 0..57 ‖ final
flag), i.e. its ciphertext followed by the 16-byte tag; the final flag is one byte, 1 for the last chunk and 0
for the others. This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as in age and Tink.

What is detected, and how it is reported (``ArchiveError``'s message names the file):

- not starting with the magic: "is not a Haven backup"; another format version: "which this version of Haven
  cannot read";
- KDF parameters or chunk size out of range: "its header is invalid";
- length and MAC still zero (a backup killed before it finished): "is incomplete";
- a wrong passphrase, or any change to the header: the header MAC fails, "wrong passphrase ... (or its header
  was altered)". Both cases are the same to the cryptography, so they cannot be told apart;
- the file shorter or longer than the authenticated length: "is truncated" / "unexpected bytes follow its end";
- any changed, moved, swapped or replayed chunk: its tag fails, "chunk i fails authentication";
- (defence in depth, for someone holding the passphrase who also fixes up the header) the last chunk sealed as
  not final: "truncated: the final chunk is missing"; a final chunk before the end: "is a final chunk but more
  follow".

The authenticated length is written last (the writer seeks back to the header), so an archive must be written
to a seekable file; the final flag keeps the payload self-delimiting even without it. A reader returns a
chunk's plaintext only after that chunk authenticates; a caller must still read to the end (``verify_to_end``)
before acting on what it read, since a later chunk may fail.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from haven.backup.errors import BackupError

MAGIC = b"HAVENBAK"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
DEFAULT_CHUNK_SIZE = 1 << 20
TAG_BYTES = 16

# magic, version, kdf, log2(N), r, p, salt, archive id, nonce prefix, chunk size
_FIXED = struct.Struct(">8sHBBBB16s16s8sI")
_TRAILER = struct.Struct(">Q32s")  # total length, header MAC
FIXED_BYTES = _FIXED.size  # 58
HEADER_BYTES = FIXED_BYTES + _TRAILER.size  # 98

MIN_LOG2N, MAX_LOG2N = 14, 20
MAX_KDF_MEMORY = 1 << 30  # scrypt needs 128·r·N bytes
MIN_CHUNK_SIZE, MAX_CHUNK_SIZE = 4096, 64 << 20
MAX_CHUNKS = 1 << 32  # the counter is 4 bytes


class ArchiveError(BackupError):
    """An archive cannot be read: not a backup, wrong passphrase, damaged, altered or truncated."""


@dataclass(frozen=True)
class KdfParams:
    log2n: int = 17
    r: int = 8
    p: int = 1

    def valid(self) -> bool:
        return (
            MIN_LOG2N <= self.log2n <= MAX_LOG2N
            and 1 <= self.r <= 32
            and 1 <= self.p <= 16
            and 128 * self.r * (1 << self.log2n) <= MAX_KDF_MEMORY
        )


@dataclass(frozen=True)
class _Keys:
    payload: AESGCM
    header: bytes


def _derive(passphrase: str, salt: bytes, kdf: KdfParams) -> _Keys:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    root = Scrypt(salt=salt, length=32, n=1 << kdf.log2n, r=kdf.r, p=kdf.p).derive(secret)

    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)

    return _Keys(payload=AESGCM(hkdf(b"haven-backup/1/payload")), header=hkdf(b"haven-backup/1/header"))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


def _aad(fixed: bytes, final: bool) -> bytes:
    return fixed + (b"\x01" if final else b"\x00")


class ArchiveWriter:
    """Seal what is written into ``fileobj`` (seekable, positioned at its start); ``close`` completes the archive.

    Holds at most one chunk of plaintext in memory. ``close`` does not close ``fileobj``, nor fsync it.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        passphrase: str,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        kdf: KdfParams | None = None,
    ) -> None:
        kdf = kdf or KdfParams()
        if not kdf.valid():
            raise ValueError(f"KDF parameters out of range: {kdf}")
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk size out of range: {chunk_size}")
        self._file = fileobj
        self._start = fileobj.tell()
        salt, self.archive_id, self._prefix = os.urandom(16), os.urandom(16), os.urandom(8)
        self._fixed = _FIXED.pack(MAGIC, FORMAT_VERSION, KDF_SCRYPT, kdf.log2n, kdf.r, kdf.p, salt,
                                  self.archive_id, self._prefix, chunk_size)  # fmt: skip
        self._keys = _derive(passphrase, salt, kdf)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        self.length = HEADER_BYTES
        # Length and MAC stay zero until close: a reader calls such a file incomplete.
        fileobj.write(self._fixed + bytes(_TRAILER.size))

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed archive")
        self._buffer += data
        # A full chunk is sealed as not final only once more data follows it, so the last chunk is never
        # sealed before we know it is the last.
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), final=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def _seal(self, plaintext: bytes, *, final: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("archive too large for its chunk counter")
        sealed = self._keys.payload.encrypt(
            _nonce(self._prefix, self._index), plaintext, _aad(self._fixed, final)
        )
        self._file.write(sealed)
        self.length += len(sealed)
        self._index += 1

    def close(self) -> None:
        if self._closed:
            return
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()
        self._closed = True
        length = self.length.to_bytes(8, "big")
        mac = hmac.new(self._keys.header, self._fixed + length, hashlib.sha256).digest()
        end = self._file.tell()
        self._file.seek(self._start + FIXED_BYTES)
        self._file.write(length + mac)
        self._file.seek(end)


class ArchiveReader:
    """Read and authenticate an archive from ``fileobj`` (a regular file, at its start).

    The constructor checks the header, the passphrase and the length; ``read`` returns authenticated plaintext;
    ``verify_to_end`` authenticates whatever the caller did not read. ``name`` is used in error messages.
    """

    def __init__(self, fileobj: BinaryIO, passphrase: str, *, name: str) -> None:
        self._file = fileobj
        self.name = name
        head = fileobj.read(HEADER_BYTES)
        if not head.startswith(MAGIC):
            raise ArchiveError(f"{name} is not a Haven backup")
        if len(head) < HEADER_BYTES:
            raise ArchiveError(f"{name} is truncated: its header is incomplete")
        fixed = head[:FIXED_BYTES]
        _, version, kdf_id, log2n, r, p, salt, archive_id, prefix, chunk_size = _FIXED.unpack(fixed)
        if version != FORMAT_VERSION:
            raise ArchiveError(
                f"{name} is in backup format {version}, which this version of Haven cannot read "
                "(a newer Haven made it, or its header is damaged)"
            )
        kdf = KdfParams(log2n=log2n, r=r, p=p)
        if kdf_id != KDF_SCRYPT or not kdf.valid() or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise ArchiveError(f"{name} is damaged or was altered: its header is invalid")
        length_bytes, mac = head[FIXED_BYTES:FIXED_BYTES + 8], head[FIXED_BYTES + 8:]  # fmt: skip
        if length_bytes == bytes(8) and mac == bytes(32):
            raise ArchiveError(f"{name} is incomplete: the backup that was writing it did not finish")
        keys = _derive(passphrase, salt, kdf)
        expected = hmac.new(keys.header, fixed + length_bytes, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            raise ArchiveError(f"wrong passphrase for {name} (or its header was altered)")
        length = int.from_bytes(length_bytes, "big")
        size = os.fstat(fileobj.fileno()).st_size
        if size < length:
            raise ArchiveError(
                f"{name} is truncated: {length - size} of its {length} bytes are missing at the end"
            )
        if size > length:
            raise ArchiveError(f"{name} was altered: {size - length} unexpected bytes follow its end")
        payload = length - HEADER_BYTES
        if payload < TAG_BYTES:
            raise ArchiveError(f"{name} is truncated: the final chunk is missing")
        # Every chunk but the last is C + 16 bytes; the last is 16 to C + 16.
        self.chunks = (payload - TAG_BYTES) // (chunk_size + TAG_BYTES) + 1
        if self.chunks > MAX_CHUNKS:
            raise ArchiveError(f"{name} is damaged or was altered: its header is invalid")
        self._last_size = payload - (self.chunks - 1) * (chunk_size + TAG_BYTES)
        self.archive_id = archive_id
        self._fixed, self._prefix, self._chunk_size, self._keys = fixed, prefix, chunk_size, keys
        self._index = 0
        self._plain = memoryview(b"")
        self._done = False

    def _next_chunk(self) -> bool:
        if self._index >= self.chunks:
            self._done = True
            return False
        final = self._index == self.chunks - 1
        size = self._last_size if final else self._chunk_size + TAG_BYTES
        sealed = self._file.read(size)
        if len(sealed) < size:  # the file shrank since we looked at its size
            raise ArchiveError(f"{self.name} is truncated: chunk {self._index} is incomplete")
        nonce = _nonce(self._prefix, self._index)
        try:
            plain = self._keys.payload.decrypt(nonce, sealed, _aad(self._fixed, final))
        except InvalidTag:
            raise ArchiveError(self._failure(nonce, sealed, final)) from None
        self._index += 1
        self._plain = memoryview(plain)
        return True

    def _failure(self, nonce: bytes, sealed: bytes, final: bool) -> str:
        # Only reachable with a correct header MAC, i.e. by someone holding the passphrase, or through a bug;
        # still, say what the final flag shows.
        try:
            self._keys.payload.decrypt(nonce, sealed, _aad(self._fixed, not final))
        except InvalidTag:
            return f"{self.name} is damaged or was altered: chunk {self._index} fails authentication"
        if final:
            return f"{self.name} is truncated: the final chunk is missing"
        return f"{self.name} was altered: chunk {self._index} is a final chunk but more follow"

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes of authenticated plaintext (all the rest if negative); b"" at the end."""
        out = bytearray()
        while size < 0 or len(out) < size:
            if not self._plain:
                if not self._next_chunk():
                    break
                continue
            take = len(self._plain) if size < 0 else min(size - len(out), len(self._plain))
            out += self._plain[:take]
            self._plain = self._plain[take:]
        return bytes(out)

    def verify_to_end(self) -> int:
        """Authenticate every chunk not read yet; return how many plaintext bytes were left unread."""
        left = len(self._plain)
        self._plain = memoryview(b"")
        while self._next_chunk():
            left += len(self._plain)
            self._plain = memoryview(b"")
        return left

    @property
    def at_end(self) -> bool:
        return self._done
