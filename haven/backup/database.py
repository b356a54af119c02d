"""Copy the configured database out to a file, and replace it from such a file: SQLite and PostgreSQL.

SQLite: the copy is made with SQLite's online backup API from Django's own connection (a consistent snapshot
even while Haven writes; works for the in-memory test database too), then switched to rollback-journal mode so
that it is one self-contained file. Restoring copies it back with the same API *into* the live database: SQLite
does this in one write transaction, so a crash or an error leaves the old database whole, other connections
see either the old or the new content, and no stale ``-wal`` file can be replayed onto a swapped-in file (which
an ``os.replace`` of the database file would risk while any process still has it open).

PostgreSQL: ``pg_dump --format=custom`` inside a REPEATABLE READ transaction whose snapshot it shares
(``--snapshot``), so that the row counts in the manifest are those of the dump. Restoring runs ``pg_restore
--clean --if-exists --single-transaction --no-owner``: an error rolls everything back. The libpq connection
arguments come from ``DATABASES['default']`` and go to the tools through ``PG*`` environment variables, the
password included, so they never appear on a command line.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, connections

from haven.backup.errors import BackupError

TableCounts = dict[str, int]


class Database(Protocol):
    vendor: str
    member: str  # the archive member that holds the copy

    def dump(self, dest: Path) -> TableCounts:
        """Write a consistent copy of the database to ``dest``; return its row count per table."""

    def tables(self) -> set[str]:
        """Return the names of the tables the live database has."""

    def check_copy(self, copy: Path, tables: TableCounts) -> None:
        """Raise BackupError if ``copy`` cannot replace the live database, without changing anything."""

    def replace(self, copy: Path) -> None:
        """Replace the live database's content with ``copy``, all or nothing."""

    def counts(self) -> TableCounts:
        """Return the row count per table of the live database."""


def database() -> Database:
    vendor = connection.vendor
    if vendor == "sqlite":
        return SqliteDatabase()
    if vendor == "postgresql":
        return PostgresDatabase()
    raise BackupError(f"backups of a {vendor} database are not supported (only SQLite and PostgreSQL)")


def _not_in_transaction() -> None:
    if connection.in_atomic_block:
        raise BackupError("backup and restore cannot run inside a database transaction")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(db: sqlite3.Connection) -> TableCounts:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    return {name: db.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0] for name in names}  # noqa: S608


class SqliteDatabase:
    vendor = "sqlite"
    member = "database/haven.sqlite3"

    def _live(self) -> sqlite3.Connection:
        _not_in_transaction()
        connection.ensure_connection()
        return connection.connection  # type: ignore[no-any-return]

    def dump(self, dest: Path) -> TableCounts:
        live = self._live()
        copy = sqlite3.connect(dest)
        try:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            return _sqlite_counts(copy)
        finally:
            copy.close()

    def tables(self) -> set[str]:
        return set(_sqlite_counts(self._live()))

    def counts(self) -> TableCounts:
        return _sqlite_counts(self._live())

    def check_copy(self, copy: Path, tables: TableCounts) -> None:
        db = sqlite3.connect(copy, isolation_level=None)
        try:
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(f"the database in the backup is corrupt: {problems[0]}")
            found = _sqlite_counts(db)
            if found != tables:
                raise BackupError("the database in the backup does not hold the rows its manifest lists")
            # The backup API cannot change the page size of a database in WAL mode: give the copy the live one's.
            live_page_size = self._live().execute("PRAGMA page_size").fetchone()[0]
            if db.execute("PRAGMA page_size").fetchone()[0] != live_page_size:
                db.execute("PRAGMA journal_mode=DELETE")
                db.execute(f"PRAGMA page_size={int(live_page_size)}")
                db.execute("VACUUM")
        finally:
            db.close()

    def replace(self, copy: Path) -> None:
        live = self._live()
        source = sqlite3.connect(copy)
        try:
            source.backup(live)
        except sqlite3.Error as exc:
            raise BackupError(f"the database could not be replaced ({exc}); it was left as it was") from None
        finally:
            source.close()
        # The copy went through the write-ahead log: move it into the database file now rather than leave a
        # log the size of the database until the next automatic checkpoint.
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connections.close_all()


# libpq connection keywords, and the environment variables that carry them to pg_dump and pg_restore.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def pg_conninfo(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Return libpq keyword arguments for a Django PostgreSQL ``settings_dict`` (OPTIONS that libpq knows)."""
    params = {
        "dbname": settings_dict.get("NAME"),
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: options[key] for key in _LIBPQ_ENV if key in options})
    return {key: str(value) for key, value in params.items() if value not in (None, "")}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # If haven is killed mid-backup, pg_dump must not go on writing the database out to a staging file.
    PR_SET_PDEATHSIG = 1  # noqa: N806
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class PostgresDatabase:
    vendor = "postgresql"
    member = "database/haven.pgdump"

    def __init__(self) -> None:
        self.conninfo = pg_conninfo(connection.settings_dict)

    def _tool(self, name: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise BackupError(
                f"{name} was not found: install the PostgreSQL client tools (the server's version)"
            )
        return path

    def _run(self, args: list[str], *, what: str, die_with_parent: bool = False) -> None:
        # Haven's own secrets (the backup passphrase, the master key) have no business in the tool's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_") and k != "DATABASE_URL"}
        env.update({_LIBPQ_ENV[key]: value for key, value in self.conninfo.items() if key in _LIBPQ_ENV})
        dbname = self.conninfo.get("dbname")
        if dbname:
            escaped = dbname.replace("\\", "\\\\").replace("'", "\\'")
            args = [*args, f"--dbname=dbname='{escaped}'"]
        preexec: Callable[[], None] | None = (
            _die_with_parent if die_with_parent and sys.platform.startswith("linux") else None
        )
        result = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
            args, env=env, capture_output=True, text=True, check=False, preexec_fn=preexec
        )
        if result.returncode != 0:
            detail = " ".join(result.stderr.strip().splitlines()[-3:]) or f"exit status {result.returncode}"
            raise BackupError(f"{what} failed: {detail}")

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(**self.conninfo)

    def _counts(self, conn: Any) -> TableCounts:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
            names = cur.fetchall()
            counts = {}
            for schema, table in names:
                cur.execute(f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)}")  # noqa: S608
                counts[table if schema == "public" else f"{schema}.{table}"] = cur.fetchone()[0]
        return counts

    def dump(self, dest: Path) -> TableCounts:
        import psycopg

        _not_in_transaction()
        pg_dump = self._tool("pg_dump")
        conn = self._connect()
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = self._counts(conn)
            self._run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={dest}"],
                what="pg_dump",
                die_with_parent=True,
            )
            return counts
        finally:
            conn.rollback()
            conn.close()

    def tables(self) -> set[str]:
        return set(self.counts())

    def counts(self) -> TableCounts:
        with self._connect() as conn:
            return self._counts(conn)

    def check_copy(self, copy: Path, tables: TableCounts) -> None:
        self._tool("pg_restore")
        # pg_restore --clean drops only what the dump holds: tables that a newer Haven added would survive next
        # to the restored ones, and the instance would be neither version. Refuse before changing anything.
        extra = sorted(self.tables() - set(tables))
        if extra:
            shown = ", ".join(extra[:5]) + (" …" if len(extra) > 5 else "")
            tables_text = f"{len(extra)} table" + ("s" if len(extra) > 1 else "")
            raise BackupError(
                f"the database has {tables_text} that the backup does not have ({shown}): it was probably "
                "migrated by a newer Haven. Restore into an empty database instead (createdb, then "
                "haven restore --into-empty-only). Nothing was changed"
            )

    def replace(self, copy: Path) -> None:
        _not_in_transaction()
        connections.close_all()
        self._run(
            [self._tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
             "--no-owner", "--no-password", str(copy)],
            what="pg_restore (the database was left as it was)",
        )  # fmt: skip
