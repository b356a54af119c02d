"""Tests that really kill processes: a child Haven process on the test database, killed at a chosen moment.

The child sees the same data as the test: on PostgreSQL the test database itself (the test must use
``committed_db`` so its set-up is visible to other connections), on SQLite a file copy of the in-memory test
database in a HAVEN_HOME of its own. ``ChildDatabase.rows`` reads what the child left behind.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

import haven

ROOT = Path(haven.__file__).resolve().parent.parent


def _database_url(sd: dict[str, Any]) -> str:
    password = f":{quote(sd['PASSWORD'], safe='')}" if sd.get("PASSWORD") else ""
    return f"postgres://{quote(sd['USER'] or '', safe='')}{password}@{sd['HOST']}:{sd['PORT']}/{sd['NAME']}"


@dataclass
class ChildDatabase:
    env: dict[str, str]
    sqlite_file: Path | None

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query on the database as the child left it (SQLite: checked for integrity)."""
        if self.sqlite_file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        with sqlite3.connect(self.sqlite_file) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            return list(db.execute(sql.replace("%s", "?"), params).fetchall())


def child_database(home: Path) -> ChildDatabase:
    """Prepare the environment of a child process that works on the test's database."""
    home.mkdir(parents=True, exist_ok=True)
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
        return ChildDatabase(env, None)
    db_file = home / "haven.sqlite3"
    with sqlite3.connect(db_file) as copy:
        connection.connection.backup(copy)
    return ChildDatabase(env, db_file)


def kill_after(
    code: str, args: list[str], env: dict[str, str], marker: str, times: int, timeout: float = 180
) -> str:
    """Run ``python -c code args`` and SIGKILL it once its stderr has shown ``marker`` ``times`` times.

    Returns what the child wrote to stderr. Fails if the child ends on its own first.
    """
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", code, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen, output = 0, []
    try:
        deadline = time.monotonic() + timeout
        assert child.stderr is not None
        while seen < times:
            line = child.stderr.readline()
            output.append(line)
            assert line or child.poll() is None, "the child ended before it was killed:\n" + "".join(output)
            assert time.monotonic() < deadline, "the child never got going:\n" + "".join(output)
            seen += line.startswith(marker)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.returncode
    return "".join(output)


def run_child(
    code: str, args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result
