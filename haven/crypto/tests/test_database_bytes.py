"""A copy of the database alone reveals no name, birth date or place of origin of the demo's people.

The demo corpus is built in the test database, the database is copied as bytes (SQLite's backup API, or
pg_dump for PostgreSQL) and searched for every identifying value, in every script it was written in.
Public reference tables (vocabularies, gazetteer) are left out of the copy: a place name such as 회령 is in
the gazetteer because it is a place, not because someone comes from it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connection

from haven.demo.generator import DemoBuilder
from haven.records.models import Act, Event, Information, Person, PersonName

REFERENCE_TABLES = ["places_location", "vocab_term", "vocab_vocabulary"]


def _database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "copy.sqlite3"
            target = sqlite3.connect(path)
            connection.ensure_connection()
            connection.connection.backup(target)
            for table in REFERENCE_TABLES:
                target.execute(f"DELETE FROM {table}")  # noqa: S608
            target.commit()
            target.execute("VACUUM")
            target.close()
            return path.read_bytes()
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    command = [
        "pg_dump",
        "--data-only",
        "-h",
        settings.get("HOST") or "127.0.0.1",
        "-p",
        str(settings.get("PORT") or 5432),
        "-U",
        settings.get("USER") or "postgres",
        *[f"--exclude-table-data={t}" for t in REFERENCE_TABLES],
        settings["NAME"],
    ]
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout  # noqa: S603


def test_no_identifying_value_of_the_demo_is_in_the_database_bytes(committed_db):
    DemoBuilder(persons=300, seed=3).build()
    names = set()
    for n in PersonName.objects.filter(person__counting_unit__code="01"):
        names.add(n.full_name)
        if n.given_name and len(n.given_name) >= 5:
            names.add(n.given_name)
    # Day-precise birth dates; a date string that also appears as the (non-identifying) date of an event is
    # left out, since finding it would prove nothing.
    other_dates = {
        str(d)
        for model in (Event, Act, Information)
        for d in model.objects.values_list("date_start", flat=True)
    }
    births = {
        p.birth_date
        for p in Person.objects.exclude(birth_date__isnull=True)
        if p.birth_date and len(p.birth_date) == 10 and p.birth_date not in other_dates
    }
    origins = {p.origin_detail for p in Person.objects.exclude(origin_detail__isnull=True) if p.origin_detail}
    assert len(names) > 300 and len(births) > 20 and len(origins) > 50
    data = _database_bytes()
    assert len(data) > 100_000
    found = [
        v
        for v in sorted(names | births | origins)
        if v.encode("utf-8") in data or v.upper().encode("utf-8") in data
    ]
    assert not found, f"{len(found)} identifying values in clear, e.g. {found[:5]}"
