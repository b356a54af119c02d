"""verify_chain finds every kind of tampering and names the first broken entry.

Tampering is done with raw SQL after taking the triggers off (helpers.triggers_off), as someone with direct
database access could; they cannot recompute the HMACs, which need the key wrapped under the master key.
"""

# ruff: noqa: S608 - raw SQL on purpose; the only interpolated name is the audit table's, a constant

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection

from haven.audit import chain
from haven.audit.models import AuditEntry
from haven.audit.tests.helpers import TABLE, insert_raw, make_entries, row, sql, triggers_off
from haven.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _broken(seq: int, words: str):  # type: ignore[no-untyped-def]
    result = verify_chain(batch_size=4)
    assert not result.ok, result
    assert result.broken_seq == seq, result
    assert words in result.reason, result
    assert str(result).startswith(f"audit chain BROKEN at entry #{seq}: ")
    return result


def test_an_empty_log_is_intact():
    result = verify_chain()
    assert result.ok and result.entries == 0 and result.head == chain.GENESIS_HASH


def test_a_long_chain_verifies_across_batches():
    entries = make_entries(250)
    result = verify_chain(batch_size=7)
    assert result.ok and result.entries == 250 and result.head == entries[-1].entry_hash
    assert str(result) == f"audit chain intact: 250 entries, head {entries[-1].entry_hash}"


def test_it_finds_an_edited_entry():
    make_entries(10)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET details = %s WHERE seq = 6", [json.dumps({"i": 5, "via": "forged"})])
    _broken(6, "contents do not match its hash")


@pytest.mark.parametrize(
    "column,value",
    [
        ("actor_label", "someone"),
        ("action", 900),
        ("target_id", "9999"),
        ("compartment_id", 3),
        ("ip", "10.0.0.1"),
    ],
)
def test_it_finds_an_edit_to_any_chained_field(column, value):
    make_entries(5)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET {column} = %s WHERE seq = 4", [value])  # noqa: S608
    _broken(4, "contents do not match")


def test_it_finds_an_edit_whose_hash_was_recomputed_without_the_key():
    make_entries(5)
    forged = row(3)
    forged_details = {"i": 2, "via": "forged"}
    entry = AuditEntry.objects.get(seq=3)
    entry.details = forged_details
    plain = hashlib.sha256(
        forged["prev_hash"].encode() + chain.canonical_json(chain.payload(entry)).encode()
    ).hexdigest()
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET details = %s, entry_hash = %s WHERE seq = 3",
            [json.dumps(forged_details), plain],
        )
        sql(f"UPDATE {TABLE} SET prev_hash = %s WHERE seq = 4", [plain])
    _broken(3, "contents do not match")


def test_it_finds_a_deleted_entry():
    make_entries(10)
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE seq = 4")
    result = _broken(4, "#4 is missing")
    assert result.entries == 3


def test_it_finds_a_deleted_entry_even_if_the_rest_were_renumbered():
    make_entries(8)
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE seq = 5")
        for seq in (6, 7, 8):
            sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])
    _broken(5, "prev_hash is not the hash of the entry before it")


def test_it_finds_a_forged_entry_appended_at_the_end():
    make_entries(6)
    forged = row(6) | {"seq": 7, "prev_hash": row(6)["entry_hash"], "entry_hash": "f" * 64}
    with triggers_off():
        insert_raw(forged)
    _broken(7, "contents do not match")


def test_it_finds_a_forged_entry_inserted_in_the_middle():
    make_entries(6)
    with triggers_off():
        for seq in (6, 5, 4):  # make room at #4, as an intruder would have to
            sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq + 1, seq])
        insert_raw(row(3) | {"seq": 4, "prev_hash": row(3)["entry_hash"], "entry_hash": "e" * 64})
    _broken(4, "contents do not match")


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="dropping a unique constraint needs a table rebuild on SQLite"
)
def test_it_finds_a_duplicated_entry_number():
    make_entries(5)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'", [TABLE]
        )
        (name,) = cursor.fetchone()
    with triggers_off():
        sql(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        insert_raw(row(3))
    _broken(3, "appears more than once")


def test_it_finds_two_entries_whose_contents_were_swapped():
    make_entries(8)
    a, b = row(3), row(6)
    columns = [c for c in a if c not in {"id", "seq"}]
    assignments = ", ".join(f"{c} = %s" for c in columns)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET {assignments} WHERE seq = 3", [b[c] for c in columns])  # noqa: S608
        sql(f"UPDATE {TABLE} SET {assignments} WHERE seq = 6", [a[c] for c in columns])  # noqa: S608
    _broken(3, "prev_hash is not the hash of the entry before it")


def test_it_finds_two_entries_whose_positions_were_swapped():
    make_entries(8)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET seq = 1000000 WHERE seq = 3")
        sql(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 5")
        sql(f"UPDATE {TABLE} SET seq = 5 WHERE seq = 1000000")
    _broken(3, "prev_hash is not the hash")


def test_it_names_only_the_first_of_several_breaks():
    make_entries(10)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET actor_label = 'x' WHERE seq IN (2, 7)")
        sql(f"DELETE FROM {TABLE} WHERE seq = 9")
    _broken(2, "contents do not match")


def test_an_anchor_catches_entries_removed_from_the_end():
    entries = make_entries(6)
    anchor = entries[-1].entry_hash
    assert verify_chain(anchors=[anchor]).ok
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE seq >= 5")
    assert verify_chain().ok  # a shortened chain is still a valid chain...
    result = verify_chain(anchors=[anchor])  # ...which the head written down earlier shows
    assert not result.ok and result.broken_seq == 5 and "anchor" in result.reason


def test_a_missing_chain_key_is_reported_not_silently_replaced():
    make_entries(2)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM crypto_datakey WHERE purpose = %s", [chain.KEY_PURPOSE])
    _broken(1, "audit-chain key is missing")


def test_entries_appended_together_chain_like_entries_appended_one_by_one():
    from haven.audit.models import AuditAction
    from haven.audit.services import audit_record, audit_records

    audit_record(actor=None, action=AuditAction.RECORD_VIEWED, target=("records.person", 1), details={"n": 0})
    written = audit_records(
        actor=None,
        action=AuditAction.RECORD_VIEWED,
        targets=[(("records.person", i), {"n": i}) for i in range(2, 9)],
    )
    audit_record(actor=None, action=AuditAction.RECORD_VIEWED, target=("records.person", 9), details={"n": 9})
    assert [e.seq for e in written] == list(range(2, 9))
    stored = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in stored] == list(range(1, 10))
    assert [e.target_id for e in stored] == [str(i) for i in range(1, 10)]
    result = verify_chain(batch_size=3)
    assert result.ok and result.entries == 9, result
    # The batch is chained like any other entries: changing one of them is found.
    with triggers_off():
        sql(f"UPDATE {TABLE} SET target_id = '99' WHERE seq = 5")
    _broken(5, "")
