"""Test helpers: making entries, and tampering with the table behind the triggers' back."""

# ruff: noqa: S608 - raw SQL on purpose; the only interpolated name is the audit table's, a constant

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from haven.audit import triggers
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record

TABLE = triggers.TABLE


def make_entries(n: int, **kwargs: Any) -> list[AuditEntry]:
    return [
        audit_record(
            actor=kwargs.get("actor"),
            action=kwargs.get("action", AuditAction.RECORD_VIEWED),
            target=("records.person", str(1000 + i)),
            details={"i": i, "via": "test"},
            compartment_id=kwargs.get("compartment_id"),
        )
        for i in range(n)
    ]


@contextmanager
def triggers_off() -> Iterator[None]:
    """Let raw SQL change the audit table for the block, as someone with database access could.

    PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER USER`` (then ENABLE). SQLite cannot disable a trigger, so
    they are dropped and created again. Both are DDL inside the test's transaction, rolled back with it anyway.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred FK checks
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            triggers.remove(connection)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
            else:
                triggers.install(connection)


def sql(statement: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def row(seq: int) -> dict[str, Any]:
    """Return the raw column values of entry ``seq`` (as stored, for copying into forged rows)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE} WHERE seq = %s", [seq])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def insert_raw(values: dict[str, Any]) -> None:
    values = {k: v for k, v in values.items() if k != "id"}
    cols = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    sql(f"INSERT INTO {TABLE} ({cols}) VALUES ({marks})", list(values.values()))  # noqa: S608
