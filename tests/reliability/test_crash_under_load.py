"""A database that crashes under write load loses no committed write, and leaves nothing half-written.

PostgreSQL: a private server (initdb in a temporary directory, its own port) takes a stream of record creations
(person + names + blind indexes + audit entry, one transaction each) from a child Haven process; it is stopped
with ``pg_ctl stop -m immediate`` (no checkpoint: a crash, recovered from the WAL on restart) and started again
while the writer keeps going. SQLite: the writer process itself is killed with SIGKILL, which is how an
embedded database crashes.

Afterwards every write the child saw committed must be there whole, and the audit chain must verify.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from haven.lib.testing.processes import ROOT, child_database, run_child

WRITER = """
import sys, time
import django
django.setup()
from django.db import connection, transaction, DatabaseError, InterfaceError
from haven.accounts.models import Compartment
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.records.models import NameKind, NameSystem
from haven.records.services import NameInput, person_create

comp = Compartment.objects.select_related("organisation").get(code="crash-main")
target = int(sys.argv[1])
committed = failed = 0
i = 0
while committed < target:
    i += 1
    try:
        with transaction.atomic():
            p = person_create(
                organisation=comp.organisation, compartment=comp,
                names=[NameInput(f"시험{i}", NameKind.HANGUL, NameSystem.SOUTH, is_primary=True),
                       NameInput(f"Test {i}", NameKind.ROMANIZED, NameSystem.PASSPORT)],
                external_id=f"crash-{i}",
            )
            audit_record(actor=None, action=AuditAction.RECORD_CREATED, target=p, details={"via": "crash-test"})
        committed += 1
        print(f"COMMITTED {p.pk} crash-{i}", flush=True)
    except (DatabaseError, InterfaceError) as exc:
        failed += 1
        print(f"FAILED {type(exc).__name__}", flush=True)
        connection.close()
        time.sleep(0.2)
print(f"DONE {committed} {failed}", flush=True)
"""

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from haven.accounts.models import Compartment, Organisation
org = Organisation.objects.create(code="crash", name_en="Crash test")
Compartment.objects.create(code="crash-main", name="main", organisation=org)
"""

CHECK = """
import django
django.setup()
from haven.records.models import Person, PersonIndex, PersonName
ids = set(int(x) for x in open(__import__("sys").argv[1]).read().split())
found = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
whole = set(Person.objects.filter(pk__in=ids).filter(names__isnull=False).values_list("pk", flat=True))
indexed = set(PersonIndex.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
half = Person.objects.exclude(pk__in=set(PersonName.objects.values_list("person_id", flat=True))).count()
print("MISSING", len(ids - found), "NAMELESS", len(ids - whole), "UNINDEXED", len(ids - indexed), "HALF", half)
"""


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("HAVEN_CI") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    """A PostgreSQL server of our own, so crashing it disturbs nothing else on the machine."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="haven-pg-crash-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        os.chmod(self.dir, 0o755)  # noqa: S103 - the postgres user must enter it; it holds only test data
        shutil.chown(self.dir, "postgres", "postgres")

    def _as_postgres(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                          "--locale=C.UTF-8")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def crash(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def _writer(env: dict[str, str], target: int) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-u", "-c", WRITER, str(target)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _read_until(child: subprocess.Popen[str], committed: list[str], want: int, deadline: float) -> list[str]:
    lines = []
    assert child.stdout is not None
    while len(committed) < want:
        line = child.stdout.readline()
        assert line or child.poll() is None, "writer ended early:\n" + "".join(lines) + child.stderr.read()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "writer too slow:\n" + "".join(lines)
        lines.append(line)
        if line.startswith("COMMITTED"):
            committed.append(line.split()[1])
    return lines


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL's crash test runs with the suite on PostgreSQL")
def test_postgresql_crashed_under_load_loses_no_committed_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bindir = _pg_bin()
    _require(bindir is not None, "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)")
    _require(
        os.geteuid() == 0 or os.environ.get("USER") == "postgres", "needs root (runuser) or the postgres user"
    )
    server = PrivateServer(bindir)  # type: ignore[arg-type]
    try:
        server.init()
        server.start()
        subprocess.run(  # noqa: S603
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "haven"], check=True
        )  # fmt: skip
        env = child_database(tmp_path / "home").env | {"DATABASE_URL": server.url("haven")}
        run_child(SETUP, [], env)

        committed: list[str] = []
        writer = _writer(env, 120)
        deadline = time.monotonic() + 600
        try:
            _read_until(writer, committed, 30, deadline)
            server.crash()  # mid-stream: the writer is between or inside transactions
            time.sleep(1)
            server.start()
            log = _read_until(writer, committed, 120, deadline)
            writer.wait(timeout=120)
        finally:
            if writer.poll() is None:
                writer.kill()
        out = writer.stdout.read() if writer.stdout else ""  # type: ignore[union-attr]
        assert writer.returncode == 0, out
        assert any(line.startswith("FAILED") for line in log), "the crash did not interrupt the writer"

        ids = tmp_path / "ids.txt"
        ids.write_text(" ".join(committed))
        report = run_child(CHECK, [str(ids)], env).stdout.split()
        assert report == ["MISSING", "0", "NAMELESS", "0", "UNINDEXED", "0", "HALF", "0"], report
        verify = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "haven.cli", "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True
        )  # fmt: skip
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        server.destroy()


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="SQLite's crash test"
)
def test_sqlite_writer_killed_under_load_loses_no_committed_write(committed_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from haven.accounts.models import Compartment, Organisation

    org = Organisation.objects.create(code="crash", name_en="Crash test")
    Compartment.objects.create(code="crash-main", name="main", organisation=org)
    db = child_database(tmp_path / "home")
    committed: list[str] = []
    writer = _writer(db.env, 10_000)
    try:
        _read_until(writer, committed, 40, time.monotonic() + 300)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    ids = tmp_path / "ids.txt"
    ids.write_text(" ".join(committed))
    report = run_child(CHECK, [str(ids)], db.env).stdout.split()
    assert report == ["MISSING", "0", "NAMELESS", "0", "UNINDEXED", "0", "HALF", "0"], report
    verify = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "haven.cli", "audit", "verify"], cwd=ROOT, env=db.env, capture_output=True, text=True
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert connection.vendor == "sqlite"
