"""The hash chain: how an entry's hash is computed, and how entries are appended without ever forking.

``entry_hash = HMAC-SHA256(K, prev_hash || canonical JSON of the entry's fields)``, where ``prev_hash`` is the
previous entry's ``entry_hash`` (64 zeros for entry #1) and K is ``haven.crypto.keyring.derived_key
("audit-chain")``: a key stored only wrapped under the master key, which never enters the database.

Why an HMAC and not a plain hash: with a plain SHA-256 chain, anyone who can write to the database could
edit an entry and recompute every hash after it, leaving a chain that verifies. Without K, an edited, inserted,
deleted or reordered entry cannot be given hashes that verify, so ``haven audit verify`` finds it. (What an
HMAC chain cannot show by itself is the loss of the *newest* entries, the tail, since a shorter chain is still
a valid chain; write down the head hash that ``verify`` prints, and pass it back with ``--anchor`` later.)

Appends are serialised so that two writers never read the same head and fork the chain:

- PostgreSQL: ``pg_advisory_xact_lock`` is taken before the head is read, and held until the writing
  transaction ends. Under READ COMMITTED (Django's default; see the system check) the head is read by a
  statement that starts after the lock is granted, so it sees every committed entry.
- SQLite: Haven opens every transaction with ``BEGIN IMMEDIATE`` (``OPTIONS["transaction_mode"]``, checked by
  the system check ``haven.audit.E001``), so a transaction that appends holds the database's one write lock
  from its start: no other writer can come between reading the head and inserting.

Whatever happens, the unique constraint on ``seq`` makes a fork impossible: a writer that read a stale head
fails on insert instead of creating a second entry with the same number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from haven.audit.models import AuditEntry

GENESIS_HASH = "0" * 64
KEY_PURPOSE = "audit-chain"
# pg_advisory_xact_lock key: the first 8 bytes of SHA-256("haven.audit.chain") as a signed 64-bit integer. Fixed
# so that every process (and any maintenance script) takes the same lock.
PG_LOCK_ID = int.from_bytes(hashlib.sha256(b"haven.audit.chain").digest()[:8], "big", signed=True)

# The fields an entry's hash covers, in addition to prev_hash. Changing this list or the encoding below breaks
# verification of every existing entry: don't.
CHAINED_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "compartment_id",
    "details",
    "ip",
)


def chain_key() -> bytes:
    from haven.crypto.keyring import derived_key

    return derived_key(KEY_PURPOSE)


def canonical_json(value: Any) -> str:
    """Return the one JSON text for ``value``: sorted keys, no spaces, UTF-8 (not escaped), no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_roundtrip(value: Any) -> Any:
    """Return ``value`` as it will come back from the database's JSON column (tuples become lists, ...)."""
    return json.loads(canonical_json(value))


def timestamp_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def payload(entry: AuditEntry) -> dict[str, Any]:
    """Return the chained fields of ``entry`` as plain JSON values."""
    return {
        "seq": entry.seq,
        "created_at": timestamp_text(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": int(entry.action),
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "compartment_id": entry.compartment_id,
        "details": entry.details,
        "ip": entry.ip,
    }


def entry_hash(prev_hash: str, entry: AuditEntry, key: bytes | None = None) -> str:
    message = prev_hash.encode("ascii") + canonical_json(payload(entry)).encode("utf-8")
    return hmac.new(key if key is not None else chain_key(), message, hashlib.sha256).hexdigest()


def lock_chain(connection: BaseDatabaseWrapper) -> None:
    """Take the chain's append lock for the rest of the current transaction (see the module docstring)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_ID])
    # SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE); nothing to do.


def head(using: str = DEFAULT_DB_ALIAS) -> tuple[int, str]:
    """Return (seq, entry_hash) of the newest entry, or (0, GENESIS_HASH) for an empty log."""
    row = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "entry_hash").first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def append(entry: AuditEntry, *, using: str = DEFAULT_DB_ALIAS) -> AuditEntry:
    """Number, chain and insert ``entry`` (built by the services, not yet saved) in the current transaction.

    If no transaction is open, one is opened for the append alone. If the insert fails, the surrounding
    transaction is marked for rollback (no savepoint): a change whose audit entry cannot be written must not
    be committed without it.
    """
    connection = connections[using]
    key = chain_key()  # before the lock: on first use this may create the key (see ensure_chain_key)
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(connection)
        last_seq, last_hash = head(using)
        entry.seq = last_seq + 1
        entry.prev_hash = last_hash
        entry.entry_hash = entry_hash(last_hash, entry, key)
        entry._chain_append = True  # type: ignore[attr-defined]
        try:
            entry.save(force_insert=True, using=using)
        finally:
            entry._chain_append = False  # type: ignore[attr-defined]
    return entry


def append_many(entries: list[AuditEntry], *, using: str = DEFAULT_DB_ALIAS) -> list[AuditEntry]:
    """Number, chain and insert several entries in one statement, in order, in the current transaction.

    The same chain as :func:`append` called once per entry (one lock, one read of the head), for pages that
    audit many records at once (each person of a review queue page is a read of its own). The manager refuses
    ``bulk_create`` to everyone else: entries inserted without this numbering would break the chain.
    """
    if not entries:
        return entries
    connection = connections[using]
    key = chain_key()
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(connection)
        seq, last_hash = head(using)
        for entry in entries:
            seq += 1
            entry.seq = seq
            entry.prev_hash = last_hash
            entry.entry_hash = last_hash = entry_hash(last_hash, entry, key)
        models.QuerySet(model=AuditEntry, using=using).bulk_create(entries)
    return entries


def ensure_chain_key(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create the chain's HMAC key, committed on its own, if the database has none yet (run after migrate).

    The keyring creates a key on first use, in whatever transaction is open; if the first audit entry were
    written in a transaction that then rolled back, the key row would vanish while the process kept using the
    cached key, and every entry made with it would be unverifiable after a restart. Creating the key when the
    database is set up (``haven setup`` runs migrate, and so do test databases) avoids that.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        return  # a key created inside someone's transaction could vanish with it (a flush inside a test, say)
    if "crypto_datakey" not in connection.introspection.table_names():
        return
    from haven.crypto import keyring
    from haven.crypto.models import DataKey

    if not DataKey.objects.using(using).filter(purpose=KEY_PURPOSE, active=True).exists():
        keyring.clear_cache()  # a cached key that is not in this database must not be used
        keyring.active_kid(KEY_PURPOSE)


def chain_key_exists(using: str = DEFAULT_DB_ALIAS) -> bool:
    from haven.crypto.models import DataKey

    return DataKey.objects.using(using).filter(purpose=KEY_PURPOSE).exists()
