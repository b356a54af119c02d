"""An import process killed part-way (SIGKILL, after some batches are written) leaves no partial rows.

The child process imports into a real database (see haven.lib.testing.processes). It is slowed down after each
batch so it can be killed between two batches of one transaction.
"""

from __future__ import annotations

from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, write_csv
from haven.lib.testing.processes import child_database, kill_after

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


def test_a_killed_import_leaves_no_partial_rows(committed_db, tmp_path):
    setup_world()
    db = child_database(tmp_path / "home")

    def counts() -> tuple[int, int, int, list[str]]:
        return (
            db.rows("SELECT count(*) FROM records_person")[0][0],
            db.rows("SELECT count(*) FROM records_personname")[0][0],
            db.rows("SELECT count(*) FROM records_personindex")[0][0],
            [r[0] for r in db.rows("SELECT status FROM exchange_importrun")],
        )

    assert counts() == (0, 0, 0, [])
    path = write_csv(tmp_path / "persons.csv", PERSON_HEADERS, person_rows(6000)[0])
    kill_after(SLOW_IMPORT, [str(path)], db.env, "BATCH WRITTEN", times=2)
    # Two batches (2,000 persons) had been written in the import's transaction: none of them remain. The run
    # itself was recorded before the import began, and stays "running": a trace that an import was cut short.
    assert counts() == (0, 0, 0, ["running"])
