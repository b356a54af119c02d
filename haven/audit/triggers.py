"""Database triggers that make the audit table append-only, whatever writes to it.

SQLite: BEFORE UPDATE and BEFORE DELETE row triggers that RAISE(ABORT). PostgreSQL: a BEFORE UPDATE OR DELETE
row trigger and a BEFORE TRUNCATE statement trigger that raise. Both surface in Django as IntegrityError.

These stop the application's own connection (a bug, an injected statement) and casual editing. Someone who
owns the database can drop a trigger; what catches them is the HMAC chain (``haven audit verify``).

Migration 0002 installs them; :func:`lifted` takes them off for the span of a ``flush`` in test and demo
mode only (see ``management/commands/flush.py``). This module is the one source of the SQL: if the triggers
ever change, copy the current SQL into migration 0002 first, then write a new migration for the new version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditentry"

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END
    """,
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]

POSTGRES_INSTALL = [
    """
    CREATE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
]
POSTGRES_REMOVE = [
    # ALTER/DROP on the table fails while deferred foreign-key checks of this transaction are pending.
    "SET CONSTRAINTS ALL IMMEDIATE",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_append_only()",
]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: BaseDatabaseWrapper) -> None:
    _run(connection, POSTGRES_INSTALL if connection.vendor == "postgresql" else SQLITE_INSTALL)


def remove(connection: BaseDatabaseWrapper) -> None:
    _run(connection, POSTGRES_REMOVE if connection.vendor == "postgresql" else SQLITE_REMOVE)


def installed(connection: BaseDatabaseWrapper) -> set[str]:
    """Return the names of the append-only triggers present on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Take the triggers off for the block, in one transaction with it, and put them back.

    Both databases have transactional DDL, so if the block fails, the removal is rolled back with it and the
    triggers stay. Only for wiping a test or demo database.
    """
    with transaction.atomic(using=connection.alias):
        remove(connection)
        yield
        install(connection)
