"""A key rotation killed part-way leaves every value readable, and running it again finishes the job."""

from __future__ import annotations

from haven.crypto import keyring
from haven.lib.testing.processes import child_database, kill_after, run_child
from haven.records.tests import factories as f

SLOW_ROTATION = """
import sys, time
import django
django.setup()
from haven.crypto import rotation
def progress(message):
    sys.stderr.write("BATCH " + message + "\\n")
    sys.stderr.flush()
    time.sleep(0.2)
rotation.rotate_data_key(batch=5, progress=progress)
"""

READ_ALL = """
import sys
import django
django.setup()
from haven.crypto import rotation
count = 0
for model, names in rotation.encrypted_columns():
    for obj in model._default_manager.only("pk", *names):
        for name in names:
            getattr(obj, name)  # decrypts; raises if a value cannot be read
            count += 1
from haven.records.models import PersonName
print(count, "|".join(sorted(n.full_name for n in PersonName.objects.all())))
"""


def test_a_killed_data_key_rotation_loses_nothing_and_can_be_finished(committed_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    people = [f.person(hangul=f"김{chr(0xAC00 + i)}희", roman=f"Kim Test {i}") for i in range(40)]
    names = sorted(n.full_name for p in people for n in p.names.all())
    old = keyring.active_kid("data")
    db = child_database(tmp_path / "home")

    kill_after(SLOW_ROTATION, [], db.env, "BATCH records.personname", times=2)

    # Killed between two batches: some names are under the new key, the rest still under the old one, and
    # both keys are still stored, so every value reads back.
    kids = {row[0].split(":")[1] for row in db.rows("SELECT full_name FROM records_personname")}
    assert old in kids and len(kids) == 2, kids
    readable = run_child(READ_ALL, [], db.env).stdout.split(" ", 1)[1].strip().split("|")
    assert readable == names

    # Running the rotation again finishes: nothing is left under any key but the newest.
    run_child(
        "import django; django.setup(); from haven.crypto import rotation; rotation.rotate_data_key()",
        [],
        db.env,
    )
    kids = {row[0].split(":")[1] for row in db.rows("SELECT full_name FROM records_personname")}
    assert len(kids) == 1 and old not in kids
    assert db.rows("SELECT count(*) FROM crypto_datakey WHERE kid = %s", (old,)) == [(0,)]
    readable = run_child(READ_ALL, [], db.env).stdout.split(" ", 1)[1].strip().split("|")
    assert readable == names
