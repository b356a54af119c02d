"""Entries cannot be changed or removed: not through the ORM, and not through SQL (database triggers)."""

# ruff: noqa: S608 - raw SQL on purpose; the only interpolated name is the audit table's, a constant

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from haven.audit import triggers
from haven.audit.models import AppendOnlyError, AuditAction, AuditEntry
from haven.audit.tests.helpers import TABLE, make_entries, sql
from haven.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_the_triggers_are_installed():
    expected = (
        {f"{TABLE}_no_update_delete", f"{TABLE}_no_truncate"}
        if connection.vendor == "postgresql"
        else {f"{TABLE}_no_update", f"{TABLE}_no_delete"}
    )
    assert triggers.installed(connection) == expected


def test_the_orm_refuses_to_change_or_remove_an_entry():
    entry = make_entries(1)[0]
    entry.details = {"i": 99}
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(details={})
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["details"])
    assert AuditEntry.objects.get(pk=entry.pk).details == {"i": 0, "via": "test"}


def test_the_orm_refuses_entries_written_around_the_chain():
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.create(seq=1, created_at=make_entries(1)[0].created_at, action=AuditAction.LOGIN)
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_create([AuditEntry(seq=5, action=AuditAction.LOGIN)])


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET details = '{{}}' WHERE seq = 2",
        f"UPDATE {TABLE} SET entry_hash = prev_hash",
        f"DELETE FROM {TABLE} WHERE seq = 3",
        f"DELETE FROM {TABLE}",
    ],
)
def test_the_database_refuses_sql_that_changes_or_removes_entries(statement):
    make_entries(3)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        sql(statement)
    assert AuditEntry.objects.count() == 3 and verify_chain().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate_even_cascading():
    make_entries(2)
    sql(
        "SET CONSTRAINTS ALL IMMEDIATE"
    )  # TRUNCATE waits for no deferred checks of the test's own transaction
    for statement in (f"TRUNCATE {TABLE}", "TRUNCATE accounts_user CASCADE"):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            sql(statement)
    assert AuditEntry.objects.count() == 2


def test_flush_is_refused_in_production_mode(settings):
    make_entries(2)
    settings.HAVEN_MODE = "production"
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # as outside a test: no deferred checks pending
    with pytest.raises(CommandError, match="append-only"), transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 2
    assert triggers.installed(connection)


def test_flush_in_test_mode_empties_the_log_and_puts_the_triggers_back():
    make_entries(2)
    before = triggers.installed(connection)
    with transaction.atomic():  # rolled back with the test; the keys and vocabularies come back too
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        assert not AuditEntry.objects.exists()
        assert triggers.installed(connection) == before
        transaction.set_rollback(True)
    assert AuditEntry.objects.count() == 2
