"""An import process killed part-way (SIGKILL, after some batches are written) leaves no partial rows.

The child process imports into a real database: on SQLite a file copy of the test database in a HAVEN_HOME of
its own, on PostgreSQL the test database itself (``committed_db`` makes the set-up visible to other
connections). It is slowed down after each batch so it can be killed between two batches of one transaction.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

import haven
from haven.exchange.models import ImportRun
from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, write_csv
from haven.records.models import Person, PersonIndex, PersonName

SLOW_IMPORT = """
import sys, time
import django
django.setup()
from haven.exchange import importing
write_names = importing._PersonWriter._write_names
def slow(self, pairs):
    write_names(self, pairs)
    sys.stderr.write("BATCH WRITTEN\\n")
    sys.stderr.flush()
    time.sleep(0.3)
importing._PersonWriter._write_names = slow
from haven.cli import main
main(["import", sys.argv[1], "--kind", "persons", "--source", "ngo", "--compartment", "ngo-main",
      "--user", "ngo-documenter", "--skip-checks"])
"""


def _database_url(sd: dict) -> str:  # type: ignore[type-arg]
    password = f":{quote(sd['PASSWORD'], safe='')}" if sd.get("PASSWORD") else ""
    return f"postgres://{quote(sd['USER'] or '', safe='')}{password}@{sd['HOST']}:{sd['PORT']}/{sd['NAME']}"


def test_a_killed_import_leaves_no_partial_rows(committed_db, tmp_path):
    setup_world()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "haven.config.settings",
        "HAVEN_MODE": "test",
        "HAVEN_HOME": str(home),
        "HAVEN_MASTER_KEY": settings.HAVEN_MASTER_KEY,
        "HAVEN_SECRET_KEY": settings.SECRET_KEY,
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = _database_url(connection.settings_dict)

        def counts() -> tuple[int, int, int, list[str]]:
            return (
                Person.objects.count(),
                PersonName.objects.count(),
                PersonIndex.objects.count(),
                list(ImportRun.objects.values_list("status", flat=True)),
            )
    else:
        # The child cannot see the in-memory test database: give it a file copy, as a real instance has.
        db_file = home / "haven.sqlite3"
        with sqlite3.connect(db_file) as copy:
            connection.connection.backup(copy)

        def counts() -> tuple[int, int, int, list[str]]:
            with sqlite3.connect(db_file) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                return (
                    db.execute("SELECT count(*) FROM records_person").fetchone()[0],
                    db.execute("SELECT count(*) FROM records_personname").fetchone()[0],
                    db.execute("SELECT count(*) FROM records_personindex").fetchone()[0],
                    [r[0] for r in db.execute("SELECT status FROM exchange_importrun")],
                )

    assert counts() == (0, 0, 0, [])
    path = write_csv(tmp_path / "persons.csv", PERSON_HEADERS, person_rows(6000)[0])
    root = Path(haven.__file__).resolve().parent.parent
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", SLOW_IMPORT, str(path)],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    batches, output = 0, []
    try:
        deadline = time.monotonic() + 180
        assert child.stderr is not None
        while batches < 2:
            line = child.stderr.readline()
            output.append(line)
            assert line or child.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "the import never got going"
            batches += line.startswith("BATCH WRITTEN")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    # Two batches (2,000 persons) had been written in the import's transaction: none of them remain. The run
    # itself was recorded before the import began, and stays "running": a trace that an import was cut short.
    assert counts() == (0, 0, 0, ["running"])
