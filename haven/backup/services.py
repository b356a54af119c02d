"""Back up a whole Haven instance into one encrypted archive, and restore an instance from one.

The archive (``haven.backup.archive``: header, then the payload sealed in AES-256-GCM chunks under a key derived
from a passphrase) holds a tar stream (PAX format) of:

- ``database/haven.sqlite3`` or ``database/haven.pgdump``: a consistent copy of the database
  (``haven.backup.database``: SQLite's online backup API, or ``pg_dump --format=custom``);
- ``files/…``: the evidence files directory ``HAVEN_FILES_DIR``, if it exists (regular files and directories,
  with their permissions and modification times; symbolic links, special files and files that disappear while
  the backup runs are skipped and counted);
- ``keys/keys.json``: ``{"haven_master_key": …, "secret_key": …}`` as configured when the backup was made. The
  data keys are in the database, wrapped by the master key, so the archive is the whole instance and its
  passphrase is the only secret needed to read it. Keep the passphrase apart from the archive;
- ``manifest.json``, last, once everything it describes is written: ``format``, ``haven_version``,
  ``created_at``, ``archive_id``, ``db_vendor``, ``database`` (``member`` and the row count per table, from the
  same snapshot as the copy), ``members`` (size and SHA-256 of every other regular member), ``directories``
  and ``skipped`` (how many entries of the files directory were left out, see above).

Backup. The database is copied first, then the files are read, so that a file a copied record names exists
(a file added meanwhile is merely extra). The archive is written to ``FILE.partial`` (mode 0600, locked against
a second backup writing it), fsynced, then renamed to FILE, so a backup killed at any point leaves no archive
under FILE's name and never touches the instance; the staging directory it used (``$HAVEN_HOME/.haven-staging-
…``, 0700, holding the plaintext database copy for a moment) is removed by the next backup or restore.

Restore. Everything is decrypted, authenticated and checked first, into a private staging directory under
``$HAVEN_HOME``: chunks, manifest checksums, the database vendor, the copy itself (SQLite ``quick_check`` and
row counts; on PostgreSQL that the live database has no table the backup lacks), and ``--into-empty-only``.
Any failure there changes nothing. Only then is the instance replaced: the files directory is moved aside
(``files.before-restore-<time>``), the restored one moved in, the database replaced all or nothing (see
``haven.backup.database``); if that fails, the files are moved back. The old files are deleted at the end.
Only a crash (not an error) between the files swap and the end of the database replacement leaves the restored
files next to the old database, with the old files still in ``files.before-restore-<time>``: run the restore
again. Stop Haven's web and worker processes before a restore: they cache data keys.

Audit. "Backup made" is recorded once the archive is complete (so no archive holds its own entry). After a
restore the restored chain is verified (``haven.audit.verify``) and the result reported, then "backup restored"
is recorded in it, naming the archive and the newest entry of the log it replaced (``replaced_audit_head``):
entries written after the backup was made are gone with the rest of the newer data, and this says they were.

Keys on restore. If the configured master key or Django secret key differs from the archive's: in demo and test
mode, where they live in ``$HAVEN_HOME/keys``, the archive's are written there (``master.key``,
``django_secret_key``, mode 0600). In production, and wherever a key comes from the environment
(``HAVEN_MASTER_KEY``/``_FILE``), Haven cannot change it: the archive's key is written to
``$HAVEN_HOME/keys/restored-master.key`` (``restored-secret-key``), mode 0600, and the operator is told to point
``HAVEN_MASTER_KEY_FILE`` at it (or set ``HAVEN_MASTER_KEY`` to its content) before Haven starts again: until
then Haven cannot decrypt the restored data. The restoring process itself goes on with the archive's keys.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from haven.backup.archive import DEFAULT_CHUNK_SIZE, ArchiveReader, ArchiveWriter, KdfParams
from haven.backup.database import Database, database
from haven.backup.errors import BackupError
from haven.backup.passphrase import passphrase_check
from haven.crypto import keyring

MANIFEST = "manifest.json"
KEYS = "keys/keys.json"
FILES = "files"
DATABASE_MEMBERS = {"sqlite": "database/haven.sqlite3", "postgresql": "database/haven.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
STAGING_PREFIX = ".haven-staging-"
BUFFER = 1 << 20


@dataclass
class BackupReport:
    path: Path
    size: int
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    path: Path
    manifest: dict[str, Any]
    keys: list[str] = field(default_factory=list)
    action_needed: bool = False
    audit_chain: str | None = None  # the audit chain verification's result, if Haven has one
    audit_chain_ok: bool | None = None
    notes: list[str] = field(default_factory=list)


def manifest_totals(manifest: dict[str, Any]) -> dict[str, int]:
    """Return the counts an operator wants to see: tables, rows, files and their bytes."""
    tables = manifest["database"]["tables"]
    files = {name: m for name, m in manifest["members"].items() if name.startswith(FILES + "/")}
    return {
        "tables": len(tables),
        "rows": sum(tables.values()),
        "files": len(files),
        "file_bytes": sum(m["size"] for m in files.values()),
    }


# Staging directories ------------------------------------------------------------------------------------------


@contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    """Yield a fresh private directory in ``parent``, locked while in use, removed afterwards."""
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    lock = os.open(path / ".lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(lock)


def _sweep_staging(parent: Path) -> None:
    """Remove the staging directories a killed backup or restore left in ``parent`` (nobody holds their lock)."""
    for path in parent.glob(STAGING_PREFIX + "*"):
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            lock = os.open(path / ".lock", os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            # Killed between creating the directory and locking it; or being created right now.
            if time.time() - path.stat().st_mtime > 60:
                shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        shutil.rmtree(path, ignore_errors=True)
        os.close(lock)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Backup -------------------------------------------------------------------------------------------------------


class _HashingReader:
    """Read exactly ``size`` bytes of ``source`` for tarfile, hashing them; a file that shrinks is an error."""

    def __init__(self, source: IO[bytes], size: int, name: str) -> None:
        self._source, self._left, self._name = source, size, name
        self.sha256 = hashlib.sha256()

    def read(self, n: int) -> bytes:
        n = min(n, self._left)
        out = bytearray()
        while len(out) < n:
            data = self._source.read(n - len(out))
            if not data:
                raise BackupError(f"{self._name} changed while it was being backed up: run the backup again")
            out += data
        self.sha256.update(out)
        self._left -= len(out)
        return bytes(out)


def _tarinfo(
    name: str, *, size: int = 0, mode: int = 0o600, mtime: float = 0, kind: bytes = tarfile.REGTYPE
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime, info.type = size, mode & 0o777, int(mtime), kind
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as source:
        st = os.fstat(source.fileno())
        reader = _HashingReader(source, st.st_size, name)
        tar.addfile(_tarinfo(name, size=st.st_size, mode=st.st_mode, mtime=st.st_mtime), reader)  # type: ignore[arg-type]
    return {"size": st.st_size, "sha256": reader.sha256.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict[str, Any]:
    tar.addfile(_tarinfo(name, size=len(data), mtime=time.time()), io.BytesIO(data))
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _walk_files(root: Path, skipped: list[str]) -> Iterator[tuple[str, Path, bool]]:
    """Yield (relative name, path, is directory) under ``root``, directories before their content, sorted."""
    yield "", root, True
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            if (base / d).is_symlink():
                skipped.append(str(base / d))
            else:
                kept.append(d)
        dirnames[:] = kept
        for d in kept:
            yield (base / d).relative_to(root).as_posix(), base / d, True
        for f in sorted(filenames):
            path = base / f
            if path.is_symlink() or not path.is_file():
                skipped.append(str(path))
                continue
            yield path.relative_to(root).as_posix(), path, False


def _haven_version() -> str:
    try:
        return importlib.metadata.version("haven")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write_payload(writer: ArchiveWriter, db: Database, stage: Path, files_dir: Path) -> dict[str, Any]:
    members: dict[str, dict[str, Any]] = {}
    directories: list[str] = []
    skipped: list[str] = []
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:  # type: ignore[call-overload]
        copy = stage / "database"
        created_at = timezone.now().isoformat()  # the moment of the database snapshot
        tables = db.dump(copy)
        members[db.member] = _add_file(tar, copy, db.member)
        copy.unlink()
        if files_dir.is_dir():
            for rel, path, is_dir in _walk_files(files_dir, skipped):
                name = f"{FILES}/{rel}" if rel else FILES
                # Haven keeps running: a file may go between listing and reading (an upload's temporary file
                # renamed, say). The database was copied first, so no record it holds can name such a file.
                try:
                    if is_dir:
                        st = path.stat()
                        tar.addfile(_tarinfo(name, mode=st.st_mode, mtime=st.st_mtime, kind=tarfile.DIRTYPE))
                        directories.append(name)
                    else:
                        members[name] = _add_file(tar, path, name)
                except FileNotFoundError:  # raised before anything of it reached the archive
                    skipped.append(str(path))
        keys = {"haven_master_key": settings.HAVEN_MASTER_KEY, "secret_key": settings.SECRET_KEY}
        members[KEYS] = _add_bytes(tar, KEYS, json.dumps(keys).encode("utf-8"))
        manifest = {
            "format": 1,
            "haven_version": _haven_version(),
            "created_at": created_at,
            "archive_id": writer.archive_id.hex(),
            "db_vendor": db.vendor,
            "database": {"member": db.member, "tables": tables},
            "members": members,
            "directories": directories,
            "skipped": len(skipped),
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode())
    return manifest


@contextmanager
def _open_partial(partial: Path) -> Iterator[BinaryIO]:
    """Open ``partial`` for writing, mode 0600, locked so that a second backup to the same file is refused.

    A ``.partial`` file that nobody holds is what a killed backup left: it is overwritten.
    """
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup is writing {partial}") from None
        os.ftruncate(fd, 0)
        os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "wb") as out:
        yield out


def backup_create(
    *,
    path: Path,
    passphrase: str,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    kdf: KdfParams | None = None,
) -> BackupReport:
    """Write an encrypted archive of this instance to ``path``; see the module docstring."""
    passphrase_check(passphrase)
    path = Path(path).absolute()
    files_dir = Path(settings.HAVEN_FILES_DIR).resolve()
    home = Path(settings.HAVEN_HOME)
    if path.resolve().is_relative_to(files_dir):
        raise BackupError(f"{path} is inside the files directory {files_dir}: write the backup elsewhere")
    if path.is_dir():
        raise BackupError(f"{path} is a directory: name the archive file to write")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} does not exist")
    if path.exists() and not force:
        raise BackupError(f"{path} exists: give --force to overwrite it")
    db = database()
    _sweep_staging(home)
    partial = path.with_name(path.name + ".partial")
    with _staging(home) as stage, _open_partial(partial) as out:
        try:
            writer = ArchiveWriter(out, passphrase, chunk_size=chunk_size, kdf=kdf)
            manifest = _write_payload(writer, db, stage, files_dir)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
            if path.exists() and not force:
                raise BackupError(f"{path} appeared while the backup was being written: it was left alone")
            os.replace(partial, path)  # still holding the lock, so no other backup can have touched it
            _fsync_dir(path.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    report = BackupReport(path=path, size=path.stat().st_size, manifest=manifest)
    totals = manifest_totals(manifest)
    warning = _audit_record(
        "BACKUP_MADE",
        {"archive_id": manifest["archive_id"], "file": str(path), "size": report.size, **totals},
    )
    if warning:
        report.warnings.append(warning)
    return report


# Restore ------------------------------------------------------------------------------------------------------


@dataclass
class _Verified:
    manifest: dict[str, Any]
    keys: dict[str, str]
    database_member: str
    has_files: bool


def _safe_relative(name: str) -> list[str] | None:
    parts = name.split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return None
    return parts


def _extract_file(source: IO[bytes], dest: Path, member: tarfile.TarInfo) -> dict[str, Any]:
    sha = hashlib.sha256()
    size = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with open(fd, "wb") as out:
        while block := source.read(BUFFER):
            sha.update(block)
            out.write(block)
            size += len(block)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(dest, member.mode & 0o777)
    os.utime(dest, (member.mtime, member.mtime))
    return {"size": size, "sha256": sha.hexdigest()}


def _extract(path: Path, passphrase: str, db_dest: Path, files_dest: Path) -> _Verified:
    """Decrypt, authenticate and unpack the archive at ``path``; check it against its manifest."""
    name = path.name
    try:
        archive = open(path, "rb")  # closed by the with below
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None

    def damaged(why: str) -> BackupError:
        return BackupError(f"{name} is damaged or was altered: {why}")

    found: dict[str, dict[str, Any]] = {}
    small: dict[str, bytes] = {}
    directories: list[str] = []
    seen: set[str] = set()
    database_member = ""
    dir_modes: list[tuple[Path, int]] = []
    with archive:
        reader = ArchiveReader(archive, passphrase, name=name)
        try:
            with tarfile.open(fileobj=reader, mode="r|", encoding="utf-8") as tar:  # type: ignore[call-overload]
                for member in tar:
                    mname = member.name
                    if mname in seen:
                        raise damaged(f"{mname} appears twice")
                    seen.add(mname)
                    parts = _safe_relative(mname)
                    in_files = parts is not None and parts[0] == FILES
                    if member.isdir() and in_files:
                        target = files_dest.joinpath(*parts[1:])  # type: ignore[index]
                        target.mkdir(mode=0o700, parents=True, exist_ok=True)
                        dir_modes.append((target, member.mode))
                        directories.append(mname)
                    elif not member.isreg():
                        raise damaged(f"unexpected member {mname!r}")
                    elif mname in (MANIFEST, KEYS):
                        small[mname] = tar.extractfile(member).read()  # type: ignore[union-attr]
                    elif mname in DATABASE_MEMBERS.values() and not database_member:
                        database_member = mname
                        found[mname] = _extract_file(tar.extractfile(member), db_dest, member)  # type: ignore[arg-type]
                    elif in_files and len(parts) > 1:  # type: ignore[arg-type]
                        target = files_dest.joinpath(*parts[1:])  # type: ignore[index]
                        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                        found[mname] = _extract_file(tar.extractfile(member), target, member)  # type: ignore[arg-type]
                    else:
                        raise damaged(f"unexpected member {mname!r}")
        except tarfile.TarError as exc:
            reader.verify_to_end()  # a chunk that fails authentication explains more than tar does
            raise damaged(f"its content is not a valid tar stream ({exc})") from None
        reader.verify_to_end()
    for target, mode in reversed(dir_modes):
        os.chmod(target, mode & 0o777)

    if MANIFEST not in small or KEYS not in small or not database_member:
        raise damaged("its manifest, keys or database is missing")
    try:
        manifest = json.loads(small[MANIFEST])
        keys = json.loads(small[KEYS])
        listed = dict(manifest["members"])
        keys_entry = listed.pop(KEYS)
        tables = manifest["database"]["tables"]
        vendor = manifest["db_vendor"]
        master, secret = keys["haven_master_key"], keys["secret_key"]
    except (ValueError, KeyError, TypeError):
        raise damaged("its manifest or keys cannot be read") from None
    if keys_entry != {"size": len(small[KEYS]), "sha256": hashlib.sha256(small[KEYS]).hexdigest()}:
        raise damaged(f"{KEYS} does not match its manifest")
    for mname in sorted(set(listed) | set(found)):
        if mname not in found:
            raise damaged(f"{mname} is listed in the manifest but missing")
        if mname not in listed:
            raise damaged(f"{mname} is not listed in the manifest")
        if found[mname] != listed[mname]:
            raise damaged(f"{mname} does not match its checksum in the manifest")
    if sorted(directories) != sorted(manifest.get("directories", [])):
        raise damaged("its directories do not match the manifest")
    if (
        DATABASE_MEMBERS.get(vendor) != database_member
        or manifest["database"].get("member") != database_member
    ):
        raise damaged("its database does not match the manifest")
    if not isinstance(tables, dict) or not isinstance(master, str) or not isinstance(secret, str):
        raise damaged("its manifest or keys cannot be read")
    return _Verified(
        manifest=manifest,
        keys={"master": master, "secret": secret},
        database_member=database_member,
        has_files=FILES in directories,
    )


def _check_empty(db: Database, files_dir: Path) -> None:
    tables = db.tables()
    entries = list(files_dir.iterdir()) if files_dir.is_dir() else []
    if tables or entries:
        raise BackupError(
            f"this instance is not empty (its database has {len(tables)} tables, its files directory "
            f"{len(entries)} entries) and --into-empty-only was given: nothing was changed"
        )


def _replace_instance(db: Database, db_copy: Path, new_files: Path | None, files_dir: Path) -> list[str]:
    """Swap the files directory and replace the database; if the database fails, put the old files back.

    Return what the operator should know (an old files directory that could not be removed).
    """
    old: Path | None = None
    placed = False
    if files_dir.exists():
        old = files_dir.with_name(f"{files_dir.name}.before-restore-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.rename(files_dir, old)
        except OSError as exc:
            raise BackupError(
                f"the files directory {files_dir} cannot be moved aside ({exc}): nothing was changed"
            ) from None
    try:
        if new_files is not None:
            os.rename(new_files, files_dir)
            placed = True
        db.replace(db_copy)
    except BaseException:
        if placed:
            os.rename(files_dir, new_files)  # type: ignore[arg-type]
        if old is not None:
            os.rename(old, files_dir)
        raise
    _fsync_dir(files_dir.parent)
    if old is not None:
        try:
            shutil.rmtree(old)
        except OSError as exc:
            return [f"WARNING: the files from before the restore, in {old}, could not be removed ({exc})"]
    return []


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        out.write(value)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


_KEY_SETTINGS = [
    # key in keys.json, setting, environment variable, file in demo/test mode, file for the operator, label
    ("master", "HAVEN_MASTER_KEY", "HAVEN_MASTER_KEY", "master.key", "restored-master.key", "master key"),
    (
        "secret",
        "SECRET_KEY",
        "HAVEN_SECRET_KEY",
        "django_secret_key",
        "restored-secret-key",
        "Django secret key",
    ),
]


def _install_keys(keys: dict[str, str]) -> tuple[list[str], bool]:
    """Make the archive's keys this instance's; return what the operator must be told, and if they must act."""
    notes: list[str] = []
    action_needed = False
    keys_dir = Path(settings.HAVEN_KEYS_DIR)
    for key, setting, env, filename, restored, label in _KEY_SETTINGS:
        value = keys[key]
        if getattr(settings, setting) == value:
            continue
        from_env = bool(os.environ.get(env) or os.environ.get(f"{env}_FILE"))
        if settings.HAVEN_MODE != "production" and not from_env:
            _write_secret(keys_dir / filename, value)
            notes.append(f"the backup's {label} was installed in {keys_dir / filename}")
        else:
            _write_secret(keys_dir / restored, value)
            action_needed = True
            notes.append(
                f"ACTION NEEDED: the restored data needs the backup's {label}, which differs from the configured "
                f"one. It was written to {keys_dir / restored} (mode 0600): before Haven starts again, point "
                f"{env}_FILE at that file (and unset {env}), or set {env} to its content; keep a copy offline"
            )
        setattr(settings, setting, value)  # this process goes on with the restored keys
    return notes, action_needed


def _vendor_error(name: str, archived: str, configured: str) -> BackupError:
    return BackupError(
        f"{name} was made from a {VENDOR_NAMES.get(archived, archived)} instance, but this instance uses "
        f"{VENDOR_NAMES.get(configured, configured)}: restore it into an instance configured with "
        f"{VENDOR_NAMES.get(archived, archived)}. Nothing was changed"
    )


def _migration_note() -> str | None:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    unknown = applied - set(loader.disk_migrations)
    if unknown:
        return (
            f"the backup was made by a newer Haven: {len(unknown)} of its migrations are unknown to this version; "
            "upgrade Haven before using this instance"
        )
    missing = set(loader.graph.nodes) - applied
    if missing:
        return f"the backup was made by an older Haven: run `haven setup` to apply {len(missing)} migrations"
    return None


def backup_restore(
    *,
    path: Path,
    passphrase: str,
    into_empty_only: bool = False,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
) -> RestoreReport:
    """Replace this instance with the archive at ``path``, after verifying all of it; see the module docstring.

    ``confirm`` is called with the verified manifest before anything changes; if it returns False, nothing does.
    """
    passphrase_check(passphrase)
    path = Path(path).absolute()
    home = Path(settings.HAVEN_HOME)
    files_dir = Path(settings.HAVEN_FILES_DIR).resolve()
    db = database()
    with ExitStack() as stack:
        _sweep_staging(home)
        stage = stack.enter_context(_staging(home))
        files_stage = stage
        if files_dir.parent != home.resolve():  # the swap is a rename: stage the files beside their directory
            _sweep_staging(files_dir.parent)
            files_stage = stack.enter_context(_staging(files_dir.parent))
        db_copy, new_files = stage / "database", files_stage / FILES
        verified = _extract(path, passphrase, db_copy, new_files)
        manifest = verified.manifest
        if manifest["db_vendor"] != db.vendor:
            raise _vendor_error(path.name, manifest["db_vendor"], db.vendor)
        db.check_copy(db_copy, manifest["database"]["tables"])
        if into_empty_only:
            _check_empty(db, files_dir)
        if confirm is not None and not confirm(manifest):
            raise BackupError("restore cancelled: nothing was changed")
        replaced_head = _audit_head()
        notes = _replace_instance(db, db_copy, new_files if verified.has_files else None, files_dir)
    report = RestoreReport(path=path, manifest=manifest, notes=notes)
    try:
        report.keys, report.action_needed = _install_keys(verified.keys)
    except OSError as exc:
        raise BackupError(
            f"the database and files were restored, but the backup's keys could not be written ({exc}): "
            "Haven cannot read the restored data without them. Fix that, then run the same restore again"
        ) from None
    keyring.clear_cache()
    counts = db.counts()
    if counts != manifest["database"]["tables"]:
        report.notes.append("WARNING: the restored database does not hold the row counts of the manifest")
    note = _migration_note()
    if note:
        report.notes.append(note)
    report.audit_chain, report.audit_chain_ok = _audit_verify()
    warning = _audit_record(
        "BACKUP_RESTORED",
        {"archive_id": manifest["archive_id"], "file": str(path), "created_at": manifest["created_at"],
         "haven_version": manifest["haven_version"], "replaced_audit_head": replaced_head,
         **manifest_totals(manifest)},
    )  # fmt: skip
    if warning:
        report.notes.append(warning)
    return report


# The audit log (haven.audit) is written by another part of Haven; use it when it is there ---------------------


def _missing(exc: ImportError) -> bool:
    """Return True if ``exc`` says the audit module or name does not exist (yet), not that it is broken."""
    return (exc.name or "").startswith("haven.audit")


def _audit_verify() -> tuple[str | None, bool | None]:
    try:
        from haven.audit.verify import verify_chain
    except ImportError as exc:
        if _missing(exc):
            return None, None
        raise
    result = verify_chain()
    return str(result), getattr(result, "ok", None)


def _audit_head() -> dict[str, Any] | None:
    """Return the number and hash of the newest audit entry, which a restore is about to discard with the rest.

    Recorded in the restore's own entry, so that the entries written after the backup was made are known to
    have existed even though the restored chain no longer holds them.
    """
    try:
        from haven.audit.models import AuditEntry
    except ImportError as exc:
        if _missing(exc):
            return None
        raise
    try:
        last = AuditEntry.objects.order_by("-seq").values("seq", "entry_hash").first()
    except DatabaseError:  # an empty instance: no audit table yet
        return None
    return dict(last) if last else None


def _audit_record(action: str, details: dict[str, Any]) -> str | None:
    """Record ``action`` (an AuditAction member name) in the audit log; return a warning if that failed."""
    try:
        from haven.audit.models import AuditAction
        from haven.audit.services import audit_record
    except ImportError as exc:
        if _missing(exc):
            return None
        raise
    code = getattr(AuditAction, action, None)
    if code is None:
        return None
    try:
        audit_record(actor=None, action=code, details=details)
    except Exception as exc:  # the backup or restore is done; say that the audit entry is missing
        return f"WARNING: could not record this in the audit log: {exc}"
    return None
