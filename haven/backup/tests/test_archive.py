"""The archive format on its own (no database): what it gives back, and everything it refuses."""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.backup.archive import (
    _FIXED,
    FIXED_BYTES,
    HEADER_BYTES,
    MIN_CHUNK_SIZE,
    TAG_BYTES,
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    KdfParams,
    _derive,
)
from haven.backup.tests.helpers import FAST_KDF, PASSPHRASE

C = MIN_CHUNK_SIZE  # small chunks: many of them in a few KiB


def make(path: Path, data: bytes, passphrase: str = PASSPHRASE, *, piece: int = 1000) -> Path:
    with open(path, "wb") as fh:
        writer = ArchiveWriter(fh, passphrase, chunk_size=C, kdf=FAST_KDF)
        for i in range(0, len(data), piece):
            writer.write(data[i : i + piece])
        writer.close()
    return path


def read(path: Path, passphrase: str = PASSPHRASE) -> bytes:
    with open(path, "rb") as fh:
        reader = ArchiveReader(fh, passphrase, name="backup.hvb")
        data = reader.read()
        assert reader.verify_to_end() == 0
        return data


def chunk_at(index: int) -> int:
    return HEADER_BYTES + index * (C + TAG_BYTES)


@pytest.fixture
def payload() -> bytes:
    return os.urandom(3 * C + 123)  # four chunks, the last one short


@pytest.fixture
def archive(tmp_path, payload) -> Path:
    return make(tmp_path / "backup.hvb", payload)


@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 3 * C, 3 * C + 5])
def test_it_gives_back_what_was_written(tmp_path, size):
    data = os.urandom(size)
    path = make(tmp_path / "a.hvb", data)
    assert read(path) == data
    chunks = max(1, -(-size // C))
    assert path.stat().st_size == HEADER_BYTES + size + chunks * TAG_BYTES


def test_it_reads_in_any_piece_size(archive, payload):
    with open(archive, "rb") as fh:
        reader = ArchiveReader(fh, PASSPHRASE, name="backup.hvb")
        pieces = []
        while piece := reader.read(777):
            pieces.append(piece)
    assert b"".join(pieces) == payload
    assert reader.at_end


def test_a_passphrase_in_another_unicode_normalization_still_opens_it(tmp_path):
    composed = "비밀번호는 열두 글자 이상"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    path = make(tmp_path / "a.hvb", b"data", passphrase=composed)
    assert read(path, passphrase=decomposed) == b"data"


def test_the_same_content_never_gives_the_same_archive(tmp_path):
    a, b = make(tmp_path / "a.hvb", b"x" * 100), make(tmp_path / "b.hvb", b"x" * 100)
    assert a.read_bytes()[:FIXED_BYTES] != b.read_bytes()[:FIXED_BYTES]
    assert a.read_bytes()[HEADER_BYTES:] != b.read_bytes()[HEADER_BYTES:]


def test_the_plaintext_does_not_appear_in_the_archive(tmp_path):
    secret = "박은정 Park Eun-jung 1984".encode() * 50
    assert secret[:30] not in make(tmp_path / "a.hvb", secret).read_bytes()


def refused(path: Path, match: str, passphrase: str = PASSPHRASE) -> None:
    with pytest.raises(ArchiveError, match=match):
        read(path, passphrase)


def test_a_wrong_passphrase_is_refused(archive):
    refused(archive, r"^wrong passphrase for backup\.hvb", passphrase="correct horse battery stapler")


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    path = tmp_path / "x.hvb"
    path.write_bytes(b"PK\x03\x04" + os.urandom(500))
    refused(path, r"^backup\.hvb is not a Haven backup$")
    path.write_bytes(b"")
    refused(path, "is not a Haven backup")


def test_a_newer_format_is_refused_by_name(archive):
    data = bytearray(archive.read_bytes())
    data[8:10] = (2).to_bytes(2, "big")
    archive.write_bytes(bytes(data))
    refused(archive, r"^backup\.hvb is in backup format 2, which this version of Haven cannot read \(a newer")


def test_an_unfinished_archive_is_called_incomplete(tmp_path):
    path = tmp_path / "a.hvb"
    with open(path, "wb") as fh:
        writer = ArchiveWriter(fh, PASSPHRASE, chunk_size=C, kdf=FAST_KDF)
        writer.write(os.urandom(5 * C))  # killed here: close() never ran
    refused(path, r"is incomplete: the backup that was writing it did not finish")


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (0, "is not a Haven backup"),  # magic
        (10, "its header is invalid"),  # KDF id
        (11, "its header is invalid|wrong passphrase"),  # log2(N)
        (20, "wrong passphrase for backup.hvb \\(or its header was altered\\)"),  # salt
        (35, "wrong passphrase"),  # archive id
        (50, "wrong passphrase"),  # nonce prefix
        (57, "its header is invalid|wrong passphrase"),  # chunk size
        (60, "wrong passphrase"),  # length
        (80, "wrong passphrase"),  # MAC
    ],
)
def test_a_flipped_header_byte_is_refused(archive, offset, message):
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0x01
    archive.write_bytes(bytes(data))
    refused(archive, message)


@pytest.mark.parametrize(
    ("where", "chunk"),
    [
        (lambda: chunk_at(0), 0),  # first byte of the first chunk
        (lambda: chunk_at(1) + C // 2, 1),  # middle of a middle chunk
        (lambda: chunk_at(2) + C + 3, 2),  # in a middle chunk's tag
        (lambda: chunk_at(3) + 10, 3),  # the final chunk
        (lambda: -1, 3),  # the very last byte: the final chunk's tag
    ],
)
def test_a_flipped_payload_byte_is_refused_naming_the_chunk(archive, where, chunk):
    data = bytearray(archive.read_bytes())
    data[where()] ^= 0x80
    archive.write_bytes(bytes(data))
    refused(archive, rf"^backup\.hvb is damaged or was altered: chunk {chunk} fails authentication$")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_anywhere_is_refused(archive, position, bit):
    original = archive.read_bytes()
    data = bytearray(original)
    data[position % len(data)] ^= 1 << bit
    archive.write_bytes(bytes(data))
    try:
        refused(
            archive, "not a Haven backup|cannot read|header is invalid|wrong passphrase|fails authentication"
        )
    finally:
        archive.write_bytes(original)


@pytest.mark.parametrize("cut", [1, TAG_BYTES, C // 2, C + TAG_BYTES + 123 + TAG_BYTES, 2 * (C + TAG_BYTES)])
def test_a_truncated_archive_is_refused(archive, cut):
    data = archive.read_bytes()
    archive.write_bytes(data[:-cut])
    refused(archive, rf"^backup\.hvb is truncated: {cut} of its {len(data)} bytes are missing at the end$")


def test_an_archive_cut_inside_its_header_is_refused(archive):
    archive.write_bytes(archive.read_bytes()[:40])
    refused(archive, "is truncated: its header is incomplete")


@pytest.mark.parametrize("extra", [b"\x00", os.urandom(TAG_BYTES), os.urandom(C + TAG_BYTES)])
def test_appended_data_is_refused(archive, extra):
    archive.write_bytes(archive.read_bytes() + extra)
    refused(archive, rf"^backup\.hvb was altered: {len(extra)} unexpected bytes follow its end$")


def test_swapped_chunks_are_refused(archive):
    data = archive.read_bytes()
    one, two = data[chunk_at(1) : chunk_at(2)], data[chunk_at(2) : chunk_at(3)]
    archive.write_bytes(data[: chunk_at(1)] + two + one + data[chunk_at(3) :])
    refused(archive, "chunk 1 fails authentication")


def test_a_chunk_from_another_archive_is_refused(tmp_path, archive, payload):
    other = make(tmp_path / "other.hvb", payload).read_bytes()
    data = archive.read_bytes()
    archive.write_bytes(data[: chunk_at(1)] + other[chunk_at(1) : chunk_at(2)] + data[chunk_at(2) :])
    refused(archive, "chunk 1 fails authentication")


def reseal_header(data: bytes) -> bytes:
    """Give ``data`` (an archive, possibly cut) a header whose length and MAC match: only the passphrase can."""
    fixed = data[:FIXED_BYTES]
    _, _, _, log2n, r, p, salt, *_ = _FIXED.unpack(fixed)
    keys = _derive(PASSPHRASE, salt, KdfParams(log2n=log2n, r=r, p=p))
    length = len(data).to_bytes(8, "big")
    mac = hmac.new(keys.header, fixed + length, hashlib.sha256).digest()
    return fixed + length + mac + data[HEADER_BYTES:]


def test_without_its_final_chunk_an_archive_is_refused_even_with_a_consistent_header(archive):
    # The final flag in each chunk's associated data catches what the authenticated length would: someone
    # holding the passphrase who drops the last chunk and fixes up the header still cannot pass it off.
    archive.write_bytes(reseal_header(archive.read_bytes()[: chunk_at(3)]))
    refused(archive, r"^backup\.hvb is truncated: the final chunk is missing$")


def test_chunks_after_the_final_chunk_are_refused_even_with_a_consistent_header(tmp_path, archive):
    # An archive of exactly one full chunk (sealed final), followed by a copy of it.
    short = make(tmp_path / "short.hvb", b"x" * C).read_bytes()
    archive.write_bytes(reseal_header(short + short[HEADER_BYTES:]))
    refused(archive, r"^backup\.hvb was altered: chunk 0 is a final chunk but more follow$")
