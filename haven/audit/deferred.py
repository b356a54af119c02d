"""Entries that must outlive the transaction they happen in: refusals (and authentication events).

A refusal is normally followed by an exception that rolls back the transaction it happened in. An entry
written in that transaction would vanish with it. An entry written on a second database connection cannot be
written while that transaction runs either: SQLite has one writer at a time (and Haven's transactions take
the write lock when they begin), and on PostgreSQL the transaction may already hold the chain lock, which the
second connection would wait for forever.

So a refusal made *inside an application transaction* is queued on the connection (connections are per
thread) and appended, in a transaction of its own, the moment that transaction is over, whether it committed
or rolled back. Outside a transaction, refusals are written at once (:func:`haven.audit.services.audit_refusal`).
A queued entry keeps the time of the refusal as its ``created_at``, so it may be a little earlier than the time
of the entry before it in the chain; the chain's order is ``seq``.

Django offers ``on_commit`` hooks but nothing on rollback, so this module wraps two methods of each connection
that has queued an entry:

- ``set_autocommit``: Django calls ``set_autocommit(True)`` when the outermost atomic block exits, after its
  COMMIT or ROLLBACK (it is where ``on_commit`` callbacks run). The queue is written right after.
- ``savepoint_commit``: releases a savepoint when a nested atomic block exits (after rolling back to it if the
  block failed). Under Django's ``TestCase`` the test's own transaction is the outermost block, so the
  application's outermost block is a savepoint; the queue is written when it exits, into the test's
  transaction, exactly as it would be in production after the real transaction ends.

"Application transaction" means an atomic block that is not one of the blocks Django's test cases open around
each test (marked ``_from_testcase``, the flag Django's own ``durable`` check reads). A queued entry made
during a test and still queued when that test's transaction is rolled back by the test framework is dropped:
it belonged to a database state that no longer exists. Tests pin this behaviour for the Django version in use
(``tests/test_refusals.py``); it relies on ``atomic_blocks`` and ``_from_testcase`` (Django ≥ 4.2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.transaction import Atomic
from django.dispatch import receiver

from haven.audit import chain
from haven.audit.models import AuditEntry

logger = logging.getLogger(__name__)

_QUEUE = "_haven_audit_queue"
_HOOKED = "_haven_audit_hooked"
_LIVE = "_haven_audit_live_connection"
_FLUSHING = "_haven_audit_flushing"


@dataclass
class _Queued:
    entry: AuditEntry
    # The test case's transaction the entry was made in (None outside tests): if the test framework has rolled
    # it back before the entry could be written, the entry is dropped with it.
    test_block: Atomic | None


def _is_test_block(block: Atomic) -> bool:
    return bool(getattr(block, "_from_testcase", False))


def in_application_transaction(connection: BaseDatabaseWrapper) -> bool:
    """Return True if ``connection`` is inside a transaction opened by Haven's code (not by a test case)."""
    if connection.in_atomic_block:
        return not all(_is_test_block(block) for block in connection.atomic_blocks)
    return not connection.get_autocommit()


def _queue(connection: BaseDatabaseWrapper) -> list[_Queued]:
    queue: list[_Queued] | None = getattr(connection, _QUEUE, None)
    if queue is None:
        queue = []
        setattr(connection, _QUEUE, queue)
    return queue


def defer(entry: AuditEntry, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Queue ``entry`` to be appended as soon as the current application transaction is over."""
    connection = connections[using]
    _install_hooks(connection)
    test_block = next((b for b in reversed(connection.atomic_blocks) if _is_test_block(b)), None)
    _queue(connection).append(_Queued(entry, test_block))


def pending(using: str = DEFAULT_DB_ALIAS) -> int:
    """Return how many entries are queued on this thread's connection."""
    return len(getattr(connections[using], _QUEUE, None) or ())


def flush(using: str = DEFAULT_DB_ALIAS) -> int:
    """Append the queued entries now, if no application transaction is open; return how many were written.

    The hooks call this by themselves; long-running workers and tests may call it too. An entry whose append
    fails stays queued, and the error propagates.
    """
    return _flush(connections[using])


def _flush(connection: BaseDatabaseWrapper) -> int:
    queue: list[_Queued] | None = getattr(connection, _QUEUE, None)
    if not queue or getattr(connection, _FLUSHING, False) or in_application_transaction(connection):
        return 0
    setattr(connection, _FLUSHING, True)
    written = 0
    try:
        while queue:
            item = queue[0]
            if item.test_block is not None and not any(
                b is item.test_block for b in connection.atomic_blocks
            ):
                logger.debug("dropping a queued audit entry of a test whose transaction was rolled back")
                queue.pop(0)
                continue
            chain.append(item.entry, using=connection.alias)
            queue.pop(0)
            written += 1
    finally:
        setattr(connection, _FLUSHING, False)
    return written


def _install_hooks(connection: BaseDatabaseWrapper) -> None:
    if getattr(connection, _HOOKED, False):
        return
    set_autocommit = connection.set_autocommit
    savepoint_commit = connection.savepoint_commit

    def set_autocommit_then_flush(autocommit: bool, *args: Any, **kwargs: Any) -> None:
        set_autocommit(autocommit, *args, **kwargs)
        # connect() also calls set_autocommit, before the connection is fully set up: wait for a later end.
        if autocommit and getattr(connection, _LIVE, None) is connection.connection:
            _flush(connection)

    def savepoint_commit_then_flush(sid: str) -> None:
        savepoint_commit(sid)
        _flush(connection)

    connection.set_autocommit = set_autocommit_then_flush  # type: ignore[method-assign]
    connection.savepoint_commit = savepoint_commit_then_flush  # type: ignore[method-assign]
    setattr(connection, _LIVE, connection.connection)
    setattr(connection, _HOOKED, True)


@receiver(connection_created, dispatch_uid="haven.audit.deferred.connection_created")
def _connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if getattr(connection, _HOOKED, False):
        setattr(connection, _LIVE, connection.connection)
