"""Rows per second of ``haven import`` (persons) for a dry run and a real import, on SQLite and PostgreSQL.

A synthetic CSV of 100,000 invented persons (Hangul and romanized names drawn from the surname table and
``sample_given_name``, sex, birth year, province of origin, year of exit) is imported by a documenter into a
fresh database: a dry run, the import, and the same import again (every row unchanged). SQLite is a file in a
temporary directory; PostgreSQL (only when DATABASE_URL is set) is a throw-away test database
(``test_<name>``, created from HAVEN_PG_TEST_TEMPLATE) that is dropped afterwards. Each backend runs in a
child process of its own, since Django's settings are fixed per process. Wall time and rows per second are
printed with this process's CPU time beside them: on a shared machine the CPU figure is the steadier one (on
PostgreSQL it leaves out the server's own work).

Run: ``.venv/bin/python benchmarks/bench_import.py [--rows 100000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(rows: int, workdir: Path) -> None:
    os.environ["HAVEN_MODE"] = "test"
    os.environ.setdefault("HAVEN_HOME", str(workdir / "home"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "haven.config.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if "DATABASE_URL" not in os.environ:
        settings.DATABASES["default"]["TEST"] = {"NAME": str(workdir / "bench.sqlite3")}
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from haven.config.testing import load_reference_data
        from haven.exchange.importing import import_file
        from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, write_csv
        from haven.records.models import Person, PersonIndex

        load_reference_data()
        org, comp, user = setup_world("bench")
        data, _ = person_rows(rows, seed=2026)
        path = write_csv(workdir / "persons.csv", PERSON_HEADERS, data)
        size = path.stat().st_size
        backend = connection.vendor
        print(f"{backend}: {rows:,} rows, {size / 1e6:.1f} MB CSV")
        for label, dry in (("dry run", True), ("import", False), ("re-import (unchanged)", False)):
            started, cpu = time.perf_counter(), time.process_time()
            report = import_file(
                actor=user, path=path, kind="persons", organisation=org, compartment=comp, dry_run=dry
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"  {label:<22} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s"
                f"  (this process's CPU {cpu:.1f} s: {rows / cpu:,.0f} rows/s)"
                f"  (created {report.created:,}, updated {report.updated:,}, unchanged {report.unchanged:,},"
                f" problems {len(report.problems)})"
            )
        print(f"  stored: {Person.objects.count():,} persons, {PersonIndex.objects.count():,} blind indexes")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory(prefix="haven-bench-import-") as tmp:
            child(args.rows, Path(tmp))
        return
    backends = [("sqlite", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"})]
    if os.environ.get("DATABASE_URL"):
        backends.append(("postgresql", dict(os.environ)))
    for _, env in backends:
        subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--child", "--rows", str(args.rows)], env=env, check=True, cwd=ROOT
        )


if __name__ == "__main__":
    main()
