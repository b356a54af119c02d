"""System checks for what the audit chain's serialisation relies on (see haven.audit.chain)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def problems(databases: dict[str, dict[str, Any]]) -> list[checks.CheckMessage]:
    """Return errors for databases whose transactions would let two appends read the same chain head."""
    errors: list[checks.CheckMessage] = []
    for alias, db in databases.items():
        engine = db.get("ENGINE", "")
        options = db.get("OPTIONS", {})
        if (
            engine == "django.db.backends.sqlite3"
            and str(options.get("transaction_mode", "")).upper() != "IMMEDIATE"
        ):
            errors.append(
                checks.Error(
                    f"Database {alias!r}: SQLite transactions must begin IMMEDIATE for the audit chain.",
                    hint='Set DATABASES[...]["OPTIONS"]["transaction_mode"] = "IMMEDIATE".',
                    id="haven.audit.E001",
                )
            )
        if engine == "django.db.backends.postgresql" and options.get("isolation_level") is not None:
            from psycopg import IsolationLevel

            # Under REPEATABLE READ or SERIALIZABLE the head would be read from a snapshot older than the lock.
            if IsolationLevel(options["isolation_level"]) > IsolationLevel.READ_COMMITTED:
                errors.append(
                    checks.Error(
                        f"Database {alias!r}: the audit chain needs READ COMMITTED isolation on PostgreSQL.",
                        hint="Remove OPTIONS['isolation_level'] or set it to READ COMMITTED.",
                        id="haven.audit.E002",
                    )
                )
    return errors


@checks.register()
def check_transaction_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return problems(settings.DATABASES)
