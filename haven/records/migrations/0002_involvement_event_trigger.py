"""Database triggers for invariants a CHECK constraint cannot express, because they read another table.

- An involvement's event must be the event of its act (HURIDOCS: Involvement is one perpetrator × one act
  of that event). Refused on insert and update of the involvement.
- An act cannot move to another event while involvements point at it through the old event.

Both SQLite and PostgreSQL raise an integrity error, so Django reports IntegrityError on either.
"""

from __future__ import annotations

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER records_involvement_event_matches_act_ins
    BEFORE INSERT ON records_involvement
    FOR EACH ROW WHEN NEW.event_id IS NOT (SELECT event_id FROM records_act WHERE id = NEW.act_id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: involvement_event_matches_act'); END;
    """,
    """
    CREATE TRIGGER records_involvement_event_matches_act_upd
    BEFORE UPDATE OF act_id, event_id ON records_involvement
    FOR EACH ROW WHEN NEW.event_id IS NOT (SELECT event_id FROM records_act WHERE id = NEW.act_id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: involvement_event_matches_act'); END;
    """,
    """
    CREATE TRIGGER records_act_event_change_keeps_involvements
    BEFORE UPDATE OF event_id ON records_act
    FOR EACH ROW WHEN NEW.event_id IS NOT OLD.event_id
        AND EXISTS (SELECT 1 FROM records_involvement WHERE act_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: involvement_event_matches_act'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS records_involvement_event_matches_act_ins",
    "DROP TRIGGER IF EXISTS records_involvement_event_matches_act_upd",
    "DROP TRIGGER IF EXISTS records_act_event_change_keeps_involvements",
]

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION records_involvement_event_matches_act() RETURNS trigger AS $$
    BEGIN
        IF NEW.event_id IS DISTINCT FROM (SELECT event_id FROM records_act WHERE id = NEW.act_id) THEN
            RAISE EXCEPTION 'involvement % : its event must be the event of act %', NEW.id, NEW.act_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'involvement_event_matches_act';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER records_involvement_event_matches_act
    BEFORE INSERT OR UPDATE OF act_id, event_id ON records_involvement
    FOR EACH ROW EXECUTE FUNCTION records_involvement_event_matches_act();
    """,
    """
    CREATE FUNCTION records_act_event_change_keeps_involvements() RETURNS trigger AS $$
    BEGIN
        IF NEW.event_id IS DISTINCT FROM OLD.event_id
           AND EXISTS (SELECT 1 FROM records_involvement WHERE act_id = NEW.id) THEN
            RAISE EXCEPTION 'act % has involvements: it cannot move to another event', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'involvement_event_matches_act';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER records_act_event_change_keeps_involvements
    BEFORE UPDATE OF event_id ON records_act
    FOR EACH ROW EXECUTE FUNCTION records_act_event_change_keeps_involvements();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS records_act_event_change_keeps_involvements ON records_act",
    "DROP FUNCTION IF EXISTS records_act_event_change_keeps_involvements()",
    "DROP TRIGGER IF EXISTS records_involvement_event_matches_act ON records_involvement",
    "DROP FUNCTION IF EXISTS records_involvement_event_matches_act()",
]


def forward(apps, schema_editor):
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    statements = POSTGRES_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
