# Covering indexes for a search's facets, on PostgreSQL only. Django would create them on SQLite too, without their
# INCLUDE columns: a plain (compartment, confidentiality) index that narrows little, costs every write and can
# mislead SQLite's planner. Built CONCURRENTLY, so that an instance with a million acts keeps taking writes while
# they are built (about a second each on the benchmark's large instance). Each build may be run again: a valid
# index already there is kept, an invalid one (left by a build that failed or was interrupted) is built afresh.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, again after a failed run; only the model's state elsewhere."""

    def _index_state(self, schema_editor) -> bool | None:  # type: ignore[no-untyped-def]
        """True: a valid index of this name exists; False: an invalid one; None: none."""
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)",
                [self.index.name],
            )
            row = cursor.fetchone()
        return None if row is None else bool(row[0])

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        state = self._index_state(schema_editor)
        if state:
            return
        if state is False:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY {schema_editor.quote_name(self.index.name)}")
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


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
