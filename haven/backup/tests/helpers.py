"""Helpers for the backup tests: what an instance holds (to compare before and after), and archive surgery."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from haven.backup.archive import FIXED_BYTES, HEADER_BYTES, TAG_BYTES, ArchiveReader, ArchiveWriter, KdfParams

PASSPHRASE = "correct horse battery staple 말"
FAST_KDF = KdfParams(log2n=14)  # the smallest a reader accepts: keeps the tests quick
SMALL_CHUNKS = 64 * 1024


@dataclass
class Instance:
    home: Path
    files: Path
    keys: Path

    def write(self, name: str, data: bytes, mode: int = 0o640) -> Path:
        path = self.files / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
        return path

    def leftovers(self) -> list[str]:
        """Return what a backup or restore should never leave behind in HAVEN_HOME."""
        return sorted(p.name for p in self.home.iterdir() if p.name.startswith(".haven-staging-") or
                      ".before-restore-" in p.name)  # fmt: skip


def db_rows() -> dict[str, list[tuple[str, ...]]]:
    """Return every row of every table, as sorted tuples of reprs: equal iff the database content is equal."""
    out = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out[table] = sorted(tuple(repr(v) for v in row) for row in cursor.fetchall())
    return out


AUDIT_TABLE = "audit_auditentry"


def assert_restored(before: dict[str, list[tuple[str, ...]]]) -> None:
    """Assert that the database holds ``before`` again, plus the audit entry of the restore if Haven audits."""
    after = db_rows()
    old_entries, new_entries = set(before.get(AUDIT_TABLE, [])), set(after.pop(AUDIT_TABLE, []))
    assert after == {table: rows for table, rows in before.items() if table != AUDIT_TABLE}
    if AUDIT_TABLE in before:
        from haven.audit.models import AuditAction, AuditEntry

        assert old_entries <= new_entries and len(new_entries - old_entries) == 1
        assert AuditEntry.objects.order_by("seq").last().action == AuditAction.BACKUP_RESTORED  # type: ignore[union-attr]


def files_state(root: Path) -> dict[str, tuple[str, int]]:
    """Return relative name -> (SHA-256, permission bits) of everything under ``root``."""
    if not root.exists():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        digest = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        out[rel] = (digest, path.stat().st_mode & 0o777)
    return out


def instance_state(instance: Instance) -> tuple[Any, ...]:
    keys = {p.name: p.read_bytes() for p in instance.keys.iterdir()} if instance.keys.exists() else {}
    return db_rows(), files_state(instance.files), keys, settings.HAVEN_MASTER_KEY, settings.SECRET_KEY


def wipe_database() -> None:
    """Drop every table, as if the database had been lost and created again empty."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        else:
            raw: sqlite3.Connection = connection.connection
            raw.execute("PRAGMA foreign_keys=OFF")
            # Virtual tables (full-text indexes) first: dropping one drops its shadow tables with it.
            for (name,) in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
            ).fetchall():
                raw.execute(f'DROP TABLE IF EXISTS "{name}"')
            raw.execute("PRAGMA foreign_keys=ON")
    assert connection.introspection.table_names() == []


def chunk_offset(index: int, chunk_size: int = SMALL_CHUNKS) -> int:
    return HEADER_BYTES + index * (chunk_size + TAG_BYTES)


def chunk_count(path: Path, chunk_size: int = SMALL_CHUNKS) -> int:
    return (path.stat().st_size - HEADER_BYTES - TAG_BYTES) // (chunk_size + TAG_BYTES) + 1


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def read_members(path: Path, passphrase: str = PASSPHRASE) -> dict[str, tarfile.TarInfo | Any]:
    """Return name -> (TarInfo, content) of every member of the archive at ``path``."""
    members = {}
    with open(path, "rb") as fh:
        reader = ArchiveReader(fh, passphrase, name=path.name)
        with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
            for info in tar:
                data = tar.extractfile(info).read() if info.isreg() else b""  # type: ignore[union-attr]
                members[info.name] = (info, data)
    return members


def write_members(path: Path, members: dict[str, Any], passphrase: str = PASSPHRASE) -> None:
    """Write an archive holding ``members`` (name -> (TarInfo, content)), as someone with the passphrase could."""
    with open(path, "wb") as fh:
        writer = ArchiveWriter(fh, passphrase, chunk_size=SMALL_CHUNKS, kdf=FAST_KDF)
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for info, data in members.values():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
        writer.close()


def manifest_of(members: dict[str, Any]) -> dict[str, Any]:
    return json.loads(members["manifest.json"][1])


def set_manifest(members: dict[str, Any], manifest: dict[str, Any]) -> None:
    info, _ = members.pop("manifest.json")
    members["manifest.json"] = (info, json.dumps(manifest).encode())


def rehash(members: dict[str, Any], name: str) -> None:
    manifest = manifest_of(members)
    data = members[name][1]
    manifest["members"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    set_manifest(members, manifest)


def header_fixed(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(FIXED_BYTES)


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
