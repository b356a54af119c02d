"""The ``instance`` fixture: the real database and real files, outside pytest-django's test transaction.

A backup copies committed data (pg_dump sees nothing else) and a restore replaces the whole database, so these
tests cannot run inside the transaction that pytest-django wraps around a test, and its ``transaction=True``
would empty the database afterwards, taking with it the keys, vocabularies and gazetteer that the root conftest
loads once per session. So ``transactional_db`` is replaced here: it gives the test database access without a
transaction, and afterwards puts the database back exactly as it was, from a snapshot taken with the database's
own means, not with the code under test: SQLite's backup API into memory, before every test; a PostgreSQL
template database, made once for these tests and copied back after any test that changed a row, a table, an
index, a trigger or a sequence (creating a database from a template takes about a second, so only then).
``instance`` adds a HAVEN_HOME of the test's own (files, keys, staging).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, connections

from haven.backup.database import pg_conninfo
from haven.backup.tests.helpers import Instance, db_rows
from haven.crypto import keyring


@contextmanager
def _sqlite_snapshot() -> Iterator[None]:
    connection.ensure_connection()
    saved = sqlite3.connect(":memory:")
    connection.connection.backup(saved)
    try:
        yield
    finally:
        connections.close_all()
        connection.ensure_connection()
        saved.backup(connection.connection)
        saved.close()


# Relations (with their oid, so that a table dropped and created again differs), triggers and sequence values.
_PG_CATALOG = """
    SELECT c.oid::text || ' ' || c.relkind::text || ' ' || c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
    UNION ALL SELECT tgname || ' ' || tgrelid::text FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value, 0)::text FROM pg_sequences
"""


class _PostgresSnapshot:
    def __init__(self) -> None:
        from psycopg import sql

        self.sql = sql
        self.name = connection.settings_dict["NAME"]
        self.copy = f"{self.name}_before_backup_tests"
        self.admin_info = {**pg_conninfo(connection.settings_dict), "dbname": "postgres"}
        connections.close_all()
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.copy)),
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(self.copy), sql.Identifier(self.name)
            ),
        )
        self.fingerprint = self._fingerprint()

    def _admin(self, *statements: Any) -> None:
        import psycopg

        with psycopg.connect(**self.admin_info, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def _fingerprint(self) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(_PG_CATALOG)
            catalog = sorted(row[0] for row in cursor.fetchall())
        return catalog, db_rows()

    def put_back_if_changed(self) -> None:
        try:
            unchanged = self._fingerprint() == self.fingerprint
        except Exception:  # e.g. the schema was dropped
            unchanged = False
        if unchanged:
            return
        sql = self.sql
        connections.close_all()
        self._admin(
            sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(self.name)),
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(self.name), sql.Identifier(self.copy)
            ),
        )
        self.fingerprint = self._fingerprint()  # new oids

    def drop(self) -> None:
        connections.close_all()
        self._admin(self.sql.SQL("DROP DATABASE IF EXISTS {}").format(self.sql.Identifier(self.copy)))


@pytest.fixture(scope="package")
def _postgres_snapshot(django_db_setup, django_db_blocker) -> Iterator[_PostgresSnapshot]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        snapshot = _PostgresSnapshot()
        yield snapshot
        snapshot.drop()


@pytest.fixture
def transactional_db(request, django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Replace pytest-django's fixture of this name: committed transactions, then the database as it was.

    The name is kept on purpose: it is how pytest-django knows that these tests need the test database.
    """
    with django_db_blocker.unblock():
        keyring.clear_cache()
        try:
            if connection.vendor == "postgresql":
                snapshot = request.getfixturevalue("_postgres_snapshot")
                try:
                    yield
                finally:
                    snapshot.put_back_if_changed()
            else:
                with _sqlite_snapshot():
                    yield
        finally:
            keyring.clear_cache()


@pytest.fixture
def instance(transactional_db, settings, tmp_path) -> Instance:  # type: ignore[no-untyped-def]
    """An instance of its own: HAVEN_HOME, files and keys directories in ``tmp_path``, on the test database."""
    home = tmp_path / "home"
    home.mkdir()
    settings.HAVEN_HOME = home
    settings.HAVEN_FILES_DIR = home / "files"
    settings.HAVEN_KEYS_DIR = home / "keys"
    return Instance(home=home, files=home / "files", keys=home / "keys")
