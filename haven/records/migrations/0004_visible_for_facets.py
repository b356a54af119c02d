# Covering indexes for a search's facets (PostgreSQL only: other databases ignore ``include``, and Django does not
# create such an index there). Built CONCURRENTLY, so that an instance with a million acts keeps taking writes
# while they are built (about a second each on the benchmark's large instance).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain AddIndex elsewhere (SQLite has no CONCURRENTLY)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("records", "0003_event_visible"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="act",
            index=models.Index(
                fields=["compartment", "confidentiality"],
                include=("event", "act_type", "victim", "victim_age"),
                name="act_visible",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="involvement",
            index=models.Index(
                fields=["compartment", "confidentiality"], include=("id", "event"), name="involvement_visible"
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="person",
            index=models.Index(
                fields=["compartment", "confidentiality"], include=("id", "sex"), name="person_visible"
            ),
        ),
    ]
