"""audit_refusal: a refusal is recorded even though the operation it refuses rolls back.

Outside a transaction it is written at once. Inside one it waits, and is written in a transaction of its own
as soon as that transaction ends, committed or rolled back (haven.audit.deferred). The tests run both under
the test case's transaction (the application's transaction is then a savepoint) and, marked transaction=True,
against real COMMIT and ROLLBACK, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from haven.audit import deferred
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record, audit_refusal, flush_refusals
from haven.audit.verify import verify_chain

REFUSED = AuditAction.ACCESS_REFUSED
CHANGED = AuditAction.RECORD_CHANGED


def _refused_change() -> None:
    """A service that changes something, then finds it may not go on: its transaction rolls back."""
    refusals = AuditEntry.objects.filter(action=REFUSED).count()
    with transaction.atomic():
        audit_record(actor=None, action=CHANGED, target=("records.person", "1"))
        assert (
            audit_refusal(actor=None, target=("records.person", "2"), details={"reason": "not permitted"})
            is None
        )
        assert (
            AuditEntry.objects.filter(action=REFUSED).count() == refusals
        )  # not inside the doomed transaction
        raise PermissionDenied


def _actions() -> list[int]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


@pytest.mark.django_db
class TestUnderTheTestCaseTransaction:
    def test_it_writes_a_refusal_at_once_outside_a_transaction(self):
        entry = audit_refusal(actor=None, target=("records.person", "2"))
        assert entry is not None and entry.seq == 1 and entry.action == REFUSED
        assert deferred.pending() == 0

    def test_a_refusal_survives_the_rollback_of_the_refused_operation(self):
        with pytest.raises(PermissionDenied):
            _refused_change()
        assert _actions() == [REFUSED]  # the change's entry rolled back with it; the refusal did not
        assert deferred.pending() == 0 and verify_chain().ok

    def test_a_refusal_in_a_nested_block_waits_for_the_outermost_one(self):
        with transaction.atomic():
            audit_record(actor=None, action=CHANGED, target=("records.person", "1"))
            with pytest.raises(PermissionDenied), transaction.atomic():
                audit_refusal(actor=None, target=("records.person", "2"))
                raise PermissionDenied
            assert deferred.pending() == 1 and _actions() == [CHANGED]
            audit_record(actor=None, action=CHANGED, target=("records.person", "3"))
        assert _actions() == [CHANGED, CHANGED, REFUSED]
        assert verify_chain().ok

    def test_bad_details_are_refused_at_once_even_when_the_write_waits(self):
        with pytest.raises(ValueError), transaction.atomic():
            audit_refusal(actor=None, details={"full_name": "김철수"})
        assert deferred.pending() == 0

    def test_flush_refusals_does_nothing_inside_a_transaction(self):
        with transaction.atomic():
            audit_refusal(actor=None)
            assert flush_refusals() == 0 and deferred.pending() == 1
        assert deferred.pending() == 0 and _actions() == [REFUSED]

    def test_a_refusal_left_waiting_when_its_test_is_rolled_back_is_dropped(self):
        # Imitate a test case's own transaction around an application block that never releases a savepoint.
        test_block = transaction.atomic()
        test_block._from_testcase = True
        test_block.__enter__()
        try:
            with pytest.raises(PermissionDenied), transaction.atomic(savepoint=False):
                audit_refusal(actor=None)
                raise PermissionDenied
            assert deferred.pending() == 1
            transaction.set_rollback(True)
        finally:
            test_block.__exit__(None, None, None)
        assert deferred.pending() == 0 and not AuditEntry.objects.exists()

    def test_the_queue_belongs_to_the_thread(self):
        seen = []
        with transaction.atomic():
            audit_refusal(actor=None)
            thread = threading.Thread(target=lambda: seen.append(deferred.pending()))
            thread.start()
            thread.join()
        assert seen == [0]


@pytest.mark.django_db(transaction=True, available_apps=["haven.audit"])
class TestAgainstRealTransactions:
    """COMMIT and ROLLBACK by the database, as in production (only the audit table is flushed afterwards)."""

    def test_a_refusal_survives_a_real_rollback(self):
        with pytest.raises(PermissionDenied):
            _refused_change()
        assert _actions() == [REFUSED]
        assert deferred.pending() == 0 and verify_chain().ok

    def test_a_refusal_in_a_transaction_that_commits_follows_its_entries(self):
        with transaction.atomic():
            audit_record(actor=None, action=CHANGED, target=("records.person", "1"))
            try:
                with transaction.atomic():
                    audit_refusal(actor=None, target=("records.person", "2"))
                    raise PermissionDenied
            except PermissionDenied:
                pass  # the caller carries on without the refused part
            audit_record(actor=None, action=CHANGED, target=("records.person", "3"))
        assert _actions() == [CHANGED, CHANGED, REFUSED]
        assert verify_chain().ok

    def test_it_writes_at_once_in_autocommit_mode(self):
        assert connection.get_autocommit()
        entry = audit_refusal(actor=None, action=AuditAction.LOGIN_FAILED, details={"username": "nobody"})
        assert entry is not None and _actions() == [AuditAction.LOGIN_FAILED]
        assert connection.get_autocommit()

    def test_an_audit_record_outside_a_transaction_opens_its_own(self):
        entry = audit_record(actor=None, action=CHANGED)
        assert AuditEntry.objects.get().pk == entry.pk and connection.get_autocommit()

    def test_a_refused_operation_that_held_the_chain_lock_does_not_block_its_refusal(self):
        # On PostgreSQL the doomed transaction holds the advisory lock (it appended an entry): a second
        # connection would wait for it forever. Queued refusals are written after it, on the same connection.
        for _ in range(3):
            with pytest.raises(PermissionDenied):
                _refused_change()
        assert _actions() == [REFUSED] * 3 and verify_chain().ok
