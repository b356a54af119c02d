"""Checking the audit chain: ``haven audit verify``.

Entries are read in ``seq`` order in batches (memory stays flat however long the log is), and each is checked
in this order; the first failure ends the check and is reported with the entry's number:

1. its number follows the previous one (a gap is a deleted entry, a repeat an inserted one);
2. its ``prev_hash`` is the previous entry's ``entry_hash`` (a mismatch is an inserted, deleted or reordered
   entry);
3. its ``entry_hash`` is the HMAC of ``prev_hash`` and its fields (a mismatch is an edited entry, or an entry
   made up by someone without the key).

Then each ``anchor`` (an ``entry_hash`` written down earlier, e.g. from a previous ``verify``) must still be
in the chain. Without anchors the loss of the newest entries cannot be seen: a shortened chain is valid.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from haven.audit import chain
from haven.audit.models import AuditEntry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int  # entries found intact (all of them when ok)
    head: str  # entry_hash of the last intact entry (GENESIS_HASH for an empty log)
    broken_seq: int | None = None  # number of the first broken entry
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries, head {self.head}"
        return f"audit chain BROKEN at entry #{self.broken_seq}: {self.reason}"


def _entries(batch_size: int, using: str) -> Iterator[AuditEntry]:
    # Keyset pagination on (seq, id): duplicates of a seq (only possible if someone dropped the unique
    # constraint) are still all seen, and no batch is re-read.
    last: tuple[int, int] | None = None
    while True:
        qs = AuditEntry.objects.using(using).order_by("seq", "id")
        if last is not None:
            qs = qs.filter(Q(seq__gt=last[0]) | Q(seq=last[0], id__gt=last[1]))
        batch = list(qs[:batch_size])
        if not batch:
            return
        yield from batch
        last = (batch[-1].seq, batch[-1].pk)


def verify_chain(
    batch_size: int = 5000, *, anchors: Iterable[str] = (), using: str = DEFAULT_DB_ALIAS
) -> VerifyResult:
    """Check every entry of the audit log; return the result, naming the first broken entry if any."""
    wanted = {a.strip().lower() for a in anchors if a.strip()}
    expected_seq, prev_hash, count = 1, chain.GENESIS_HASH, 0
    key: bytes | None = None
    for entry in _entries(batch_size, using):
        if key is None:
            if not chain.chain_key_exists(using):
                return VerifyResult(
                    False,
                    0,
                    chain.GENESIS_HASH,
                    entry.seq,
                    "the audit-chain key is missing from the database (deleted?); nothing can be verified",
                )
            key = chain.chain_key()
        if entry.seq < expected_seq:
            return VerifyResult(
                False,
                count,
                prev_hash,
                entry.seq,
                f"entry #{entry.seq} appears more than once (inserted entry)",
            )
        if entry.seq > expected_seq:
            missing = (
                f"#{expected_seq}" if entry.seq == expected_seq + 1 else f"#{expected_seq}–#{entry.seq - 1}"
            )
            return VerifyResult(
                False,
                count,
                prev_hash,
                expected_seq,
                f"entry {missing} is missing (deleted entry); the next one present is #{entry.seq}",
            )
        if not hmac.compare_digest(entry.prev_hash, prev_hash):
            return VerifyResult(
                False,
                count,
                prev_hash,
                entry.seq,
                "its prev_hash is not the hash of the entry before it (inserted, deleted or reordered entry)",
            )
        if not hmac.compare_digest(chain.entry_hash(entry.prev_hash, entry, key), entry.entry_hash):
            return VerifyResult(
                False,
                count,
                prev_hash,
                entry.seq,
                "its contents do not match its hash (edited entry, or one written without the key)",
            )
        wanted.discard(entry.entry_hash)
        prev_hash, expected_seq, count = entry.entry_hash, expected_seq + 1, count + 1
    if wanted:
        return VerifyResult(
            False,
            count,
            prev_hash,
            expected_seq,
            f"anchor(s) not in the chain: {', '.join(sorted(wanted))} (entries removed from the end, or the log replaced)",
        )
    return VerifyResult(True, count, prev_hash)
