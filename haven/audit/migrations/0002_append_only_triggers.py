"""Make the audit table append-only in the database: UPDATE, DELETE (and TRUNCATE on PostgreSQL) are refused.

The SQL lives in haven.audit.triggers (also used to lift the triggers around a test or demo flush).
"""

from __future__ import annotations

from django.db import migrations

from haven.audit import triggers


def forward(apps, schema_editor):
    triggers.install(schema_editor.connection)


def backward(apps, schema_editor):
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
