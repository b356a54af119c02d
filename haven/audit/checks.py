"""System checks for what the audit chain's serialisation relies on (see haven.audit.chain)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def check_transaction_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Appends are serialised by IMMEDIATE transactions on SQLite and by READ COMMITTED reads on PostgreSQL."""
    errors: list[checks.CheckMessage] = []
    for alias, db in settings.DATABASES.items():
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
        if engine == "django.db.backends.postgresql" and options.get("isolation_level") not in (None, 1):
            # psycopg's IsolationLevel.READ_COMMITTED is 1; a stricter level would read a stale chain head.
            errors.append(
                checks.Error(
                    f"Database {alias!r}: the audit chain needs READ COMMITTED isolation on PostgreSQL.",
                    hint="Remove OPTIONS['isolation_level'] or set it to READ COMMITTED.",
                    id="haven.audit.E002",
                )
            )
    return errors
