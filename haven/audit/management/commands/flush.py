"""Django's ``flush``, which would empty the append-only audit table too: allowed in test and demo mode only.

In production the audit log's triggers refuse the flush (the log never expires, and no command empties it).
In test and demo mode (``HAVEN_MODE``) the triggers are lifted for the flush, in the same transaction, and put
back after it; test runners flush between transactional tests, and ``haven demo --reset`` starts afresh.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections

from haven.audit import triggers


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        lift = getattr(settings, "HAVEN_MODE", "production") in {"test", "demo"} and triggers.TABLE in (
            connection.introspection.table_names()
        )
        if not lift:
            try:
                return super().handle(**options)
            except (IntegrityError, CommandError) as exc:
                if "append-only" in f"{exc} {exc.__cause__}":
                    raise CommandError(
                        "flush refused: the audit log is append-only and never emptied in production mode"
                    ) from exc
                raise
        with triggers.lifted(connection):
            super().handle(**options)
