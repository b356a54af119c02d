"""Rows per second of ``haven import`` (persons, then events with sources), on SQLite and PostgreSQL.

A synthetic CSV of 100,000 invented persons (Hangul and romanized names drawn from the surname table and
``sample_given_name``, sex, birth year, province of origin, year of exit) is imported by a documenter into a
fresh database: a dry run, the import, and the same import again (every row unchanged). Then an events CSV of
as many act rows as persons (``--event-rows`` to change it) goes through the same three steps: one row per
act, one to three acts per event (two on average) with the event's columns (title, imprecise date, place as a
gazetteer code or name, sometimes a description) repeated on each, act type, victim_id (a person imported
before, distinct within an event) and victim age; nine events in ten also name their source on every row
(source_id, source_connection, source_date, source_interviewer, source_language, source_consent), which makes
one Information record per event. Its "created" counts acts plus information records, as ``haven import``
reports them; rows per second count act rows.

SQLite is a file in a temporary directory; PostgreSQL (only when DATABASE_URL is set) is a throw-away test
database (``test_<name>``, created from HAVEN_PG_TEST_TEMPLATE) that is dropped afterwards. Each backend runs
in a child process of its own, since Django's settings are fixed per process. Wall time and rows per second
are printed with this process's CPU time beside them: on a shared machine the CPU figure is the steadier one
(on PostgreSQL it leaves out the server's own work).

Run: ``.venv/bin/python benchmarks/bench_import.py [--rows 100000] [--event-rows N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

EVENT_HEADERS = [
    "id", "event_id", "title", "date", "place", "description", "act_type", "victim_id", "victim_age",
    "source_id", "source_connection", "source_date", "source_interviewer", "source_language", "source_consent",
]  # fmt: skip
# Values the importer accepts, in the spellings a partner's file might use (codes, English, Korean, aliases).
TITLES = (
    "Arrest at the border",
    "Forced repatriation",
    "Detention after return",
    "국경에서 체포",
    "강제북송",
)
DATES = ("{y}", "{y}-{m:02d}", "c. {y}", "{y}년 {m}월")
PLACES = (
    "KP-09", "Hoeryong", "KP-09-ONSONG-MSS-DETENTION", "KP-10-HYESAN-JIPKYULSO", "CN-LN-SHENYANG", "선양",
    "CN-JL-YANBIAN-YANJI", "",
)  # fmt: skip
ACT_TYPES = ("030101", "arrest", "030102", "030103", "030104", "체포")
CONNECTIONS = ("0101", "witness", "목격자", "010291", "020101")  # 0101: the victim him/herself
INTERVIEWERS = ("Interviewer Yoon (fictional)", "Interviewer Han (fictional)", "면담자 최 (가상)", "")
LANGUAGES = ("ko-KP", "문화어", "Chinese", "중국어", "")
CONSENTS = ("full", "anonymous", "익명", "동의", "internal", "unknown", "")


def event_rows(n: int, persons: int, *, seed: int) -> tuple[list[list[str]], int]:
    """Return ``n`` synthetic act rows over the persons ``P000000``… and the number of events they make."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    event = 0
    while len(rows) < n:
        event += 1
        victims = rng.sample(range(persons), min(rng.choice((1, 2, 2, 3)), persons, n - len(rows)))
        y, m = rng.randint(1998, 2020), rng.randint(1, 12)
        shared = [
            f"E{event:06d}",
            f"{rng.choice(TITLES)} (fictional) {event}",
            rng.choice(DATES).format(y=y, m=m),
            rng.choice(PLACES),
            f"Invented account number {event}, for benchmarking." if rng.random() < 0.5 else "",
        ]
        source = [""] * 6
        if rng.random() < 0.9:
            connection = rng.choice(CONNECTIONS)
            person = victims[0] if connection == "0101" else rng.randrange(persons)
            source = [
                f"P{person:06d}",
                connection,
                rng.choice(DATES).format(y=rng.randint(y, 2024), m=m),
                rng.choice(INTERVIEWERS),
                rng.choice(LANGUAGES),
                rng.choice(CONSENTS),
            ]
        for victim in victims:
            age = str(rng.randint(14, 70)) if rng.random() < 0.7 else ""
            act = [rng.choice(ACT_TYPES), f"P{victim:06d}", age]
            rows.append([f"A{len(rows):07d}", *shared, *act, *source])
    return rows, event


def measure(user: Any, org: Any, comp: Any, path: Path, kind: str, rows: int) -> None:
    from haven.exchange.importing import import_file

    for label, dry in (("dry run", True), ("import", False), ("re-import (unchanged)", False)):
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(
            actor=user, path=path, kind=kind, organisation=org, compartment=comp, dry_run=dry
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"  {label:<22} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s"
            f"  (this process's CPU {cpu:.1f} s: {rows / cpu:,.0f} rows/s)"
            f"  (created {report.created:,}, updated {report.updated:,}, unchanged {report.unchanged:,},"
            f" problems {len(report.problems)})",
            flush=True,
        )
        # A benchmark of a failing import measures the wrong thing: show why and stop.
        for problem in report.problems[:5]:
            print(f"    {problem}")
        if report.problems:
            raise SystemExit(f"{kind}: {len(report.problems)} problems in the synthetic file")


def child(rows: int, events_rows: int, workdir: Path) -> None:
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
        from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, write_csv
        from haven.records.models import Act, Event, Information, Person, PersonIndex

        load_reference_data()
        org, comp, user = setup_world("bench")
        backend = connection.vendor
        data, _ = person_rows(rows, seed=2026)
        path = write_csv(workdir / "persons.csv", PERSON_HEADERS, data)
        print(f"{backend}: persons, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB CSV", flush=True)
        measure(user, org, comp, path, "persons", rows)
        data, events = event_rows(events_rows, rows, seed=2026)
        sourced = len({(r[1], r[9]) for r in data if r[9]})
        path = write_csv(workdir / "events.csv", EVENT_HEADERS, data)
        print(
            f"{backend}: events, {events_rows:,} act rows ({events:,} events, {sourced:,} with a source),"
            f" {path.stat().st_size / 1e6:.1f} MB CSV",
            flush=True,
        )
        measure(user, org, comp, path, "events", events_rows)
        print(
            f"  stored: {Person.objects.count():,} persons, {PersonIndex.objects.count():,} blind indexes,"
            f" {Event.objects.count():,} events, {Act.objects.count():,} acts,"
            f" {Information.objects.count():,} information records"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="persons (default 100,000)")
    parser.add_argument("--event-rows", type=int, help="act rows of the events file (default: as --rows)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    events_rows = args.rows if args.event_rows is None else args.event_rows
    if args.child:
        with tempfile.TemporaryDirectory(prefix="haven-bench-import-") as tmp:
            child(args.rows, events_rows, Path(tmp))
        return
    backends = [("sqlite", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"})]
    if os.environ.get("DATABASE_URL"):
        backends.append(("postgresql", dict(os.environ)))
    for _, env in backends:
        subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--child", "--rows", str(args.rows), "--event-rows", str(events_rows)],
            env=env,
            check=True,
            cwd=ROOT,
        )


if __name__ == "__main__":
    main()
