"""A backup that crashes or is killed half-way leaves no archive under its name and the instance as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

import haven
from haven.backup.archive import ArchiveError, ArchiveReader, ArchiveWriter
from haven.backup.services import backup_create
from haven.backup.tests.helpers import (
    FAST_KDF,
    PASSPHRASE,
    SMALL_CHUNKS,
    db_rows,
    files_state,
    instance_state,
)
from haven.records.tests import factories as f


@pytest.mark.parametrize("crash", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_crash_while_writing_leaves_no_archive_and_changes_nothing(instance, monkeypatch, crash):
    f.person()
    instance.write("a.bin", os.urandom(500_000))
    state = instance_state(instance)
    archive = instance.home.parent / "backup.hvb"
    seal = ArchiveWriter._seal
    sealed = []

    def failing(self, plaintext, *, final):  # type: ignore[no-untyped-def]
        if len(sealed) == 3:
            raise crash
        sealed.append(1)
        seal(self, plaintext, final=final)

    monkeypatch.setattr(ArchiveWriter, "_seal", failing)
    with pytest.raises(type(crash)):
        backup_create(path=archive, passphrase=PASSPHRASE, chunk_size=SMALL_CHUNKS, kdf=FAST_KDF)
    assert not archive.exists()
    assert not archive.with_name("backup.hvb.partial").exists()
    assert instance.leftovers() == []
    assert instance_state(instance) == state


# The backup command, slowed down so that it can be killed in the middle of writing the archive.
SLOW_BACKUP = """
import sys, time
from haven.backup import archive
seal = archive.ArchiveWriter._seal
def slow(self, plaintext, *, final):
    seal(self, plaintext, final=final)
    self._file.flush()
    time.sleep(0.05)
archive.ArchiveWriter._seal = slow
from haven.cli import main
main(["backup", sys.argv[1]])
"""


def _database_url(sd: dict) -> str:  # type: ignore[type-arg]
    password = f":{quote(sd['PASSWORD'], safe='')}" if sd.get("PASSWORD") else ""
    return f"postgres://{quote(sd['USER'] or '', safe='')}{password}@{sd['HOST']}:{sd['PORT']}/{sd['NAME']}"


def test_a_killed_backup_process_leaves_no_archive_and_the_instance_as_it_was(instance):
    f.person(hangul="한서윤", roman="Han Seo-yun")
    for i in range(6):
        instance.write(f"evidence/{i}.bin", os.urandom(1 << 20))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "haven.config.settings",
        "HAVEN_MODE": "test",
        "HAVEN_HOME": str(instance.home),
        "HAVEN_MASTER_KEY": settings.HAVEN_MASTER_KEY,
        "HAVEN_SECRET_KEY": settings.SECRET_KEY,
        "HAVEN_BACKUP_PASSPHRASE": PASSPHRASE,
    }
    sqlite_file = instance.home / "haven.sqlite3"
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = _database_url(connection.settings_dict)

        def database_state() -> object:
            return db_rows()
    else:
        # The child process cannot see the in-memory test database: give it a file copy, as a real instance has.
        with sqlite3.connect(sqlite_file) as copy:
            connection.connection.backup(copy)

        def database_state() -> object:
            with sqlite3.connect(sqlite_file) as db:
                return list(db.iterdump())

    before = database_state(), files_state(instance.files)
    archive = instance.home.parent / "backup.hvb"
    partial = archive.with_name("backup.hvb.partial")
    root = Path(haven.__file__).resolve().parent.parent
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", SLOW_BACKUP, str(archive)],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size > 3 << 20):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the backup never got going"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    assert not archive.exists()
    assert (database_state(), files_state(instance.files)) == before
    # What it left is an encrypted, unfinished archive under another name, which no restore accepts...
    with open(partial, "rb") as fh, pytest.raises(ArchiveError, match=r"is incomplete"):
        ArchiveReader(fh, PASSPHRASE, name=partial.name)
    assert instance.leftovers() != []  # ...and its staging directory, which the next backup clears.
    backup_create(path=archive, passphrase=PASSPHRASE, kdf=FAST_KDF)
    assert archive.exists() and not partial.exists()
    assert instance.leftovers() == []
