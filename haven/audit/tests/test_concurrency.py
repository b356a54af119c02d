"""Concurrent appends, from threads and from processes, keep one gap-free chain on SQLite and PostgreSQL.

Processes (of two threads each) use Haven's production database settings: on SQLite a fresh database file (WAL,
BEGIN IMMEDIATE, busy timeout), migrated first; on PostgreSQL the test database (transaction=True: only the audit
table is flushed afterwards). Threads of the test process itself share the test database, on PostgreSQL only:
Django's SQLite test database lives in memory in "shared cache" mode, where a second writer gets "database
table is locked" at once instead of waiting, which production's database file never does. Every fifth append
is a refused change whose refusal must survive its rollback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record, audit_refusal
from haven.audit.verify import verify_chain
from haven.crypto import keyring

ROOT = Path(__file__).resolve().parents[3]


def append(worker: int, count: int) -> None:
    for i in range(count):
        details = {"worker": worker, "i": i}
        if i % 5 == 4:
            try:
                with transaction.atomic():
                    audit_record(actor=None, action=AuditAction.RECORD_CHANGED, details=details)
                    audit_refusal(actor=None, details=details)
                    raise PermissionError
            except PermissionError:
                pass
        else:
            with transaction.atomic():
                audit_record(actor=None, action=AuditAction.RECORD_VIEWED, details=details)


def _check(entries: list[tuple[int, int, dict]], workers: int, count: int) -> None:  # type: ignore[type-arg]
    assert [seq for seq, _, _ in entries] == list(range(1, workers * count + 1))  # no gap, no duplicate
    actions = Counter(action for _, action, _ in entries)
    assert actions == {
        AuditAction.RECORD_VIEWED: workers * count * 4 // 5,
        AuditAction.ACCESS_REFUSED: workers * count // 5,
    }
    for w in range(workers):  # each worker's entries in the order it wrote them
        assert [d["i"] for _, _, d in entries if d["worker"] == w] == list(range(count))


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="in-memory shared-cache test database (see the docstring)"
)
@pytest.mark.django_db(transaction=True, available_apps=["haven.audit"])
def test_concurrent_appends_from_threads_keep_one_chain():
    workers, count = 6, 25
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            start.wait()
            append(worker, count)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    _check(list(AuditEntry.objects.order_by("seq").values_list("seq", "action", "details")), workers, count)
    assert verify_chain(batch_size=16).ok


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=["haven.audit"])
def test_concurrent_appends_from_processes_keep_one_chain(tmp_path):
    processes, threads, count = 3, 2, 25
    workers = processes * threads
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "haven.config.settings_test",
        "HAVEN_HOME": str(tmp_path),
        "HAVEN_MASTER_KEY": settings.HAVEN_MASTER_KEY,
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        migrated = _run(env, "-m", "django", "migrate", "--run-syncdb", "--skip-checks", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "haven.audit.tests.append_worker",
                str(w * threads),
                str(threads),
                str(count),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(processes)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", (
                p.stderr.read() if p.stderr else ""
            )
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in procs), [err for _, err in outcomes]

    verified = _run(env, "-m", "django", "audit", "--skip-checks", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"audit chain intact: {workers * count} entries, head ")
    if connection.vendor == "postgresql":
        keyring.clear_cache()  # use the key as the database has it, as the workers did
        _check(
            list(AuditEntry.objects.order_by("seq").values_list("seq", "action", "details")), workers, count
        )
    else:
        import json
        import sqlite3

        with sqlite3.connect(tmp_path / "haven.sqlite3") as db:
            rows = db.execute("SELECT seq, action, details FROM audit_auditentry ORDER BY seq").fetchall()
        _check([(s, a, json.loads(d)) for s, a, d in rows], workers, count)
