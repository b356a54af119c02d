"""audit_entries: the auditor's filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from haven.accounts.models import User
from haven.audit.models import AuditAction
from haven.audit.selectors import audit_entries
from haven.audit.services import audit_record, audit_refusal

pytestmark = pytest.mark.django_db


def test_it_filters_by_actor_action_target_and_time():
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    a1 = audit_record(actor=alice, action=AuditAction.RECORD_VIEWED, target=("records.person", "1"))
    b1 = audit_record(actor=bob, action=AuditAction.RECORD_VIEWED, target=("records.person", "2"))
    a2 = audit_refusal(actor=alice, target=("records.event", "1"))
    assert list(audit_entries(actor=alice)) == [a1, a2]
    assert list(audit_entries(action=AuditAction.ACCESS_REFUSED)) == [a2]
    assert list(audit_entries(action=[AuditAction.RECORD_VIEWED, AuditAction.ACCESS_REFUSED])) == [a1, b1, a2]
    assert list(audit_entries(target=("records.person", 2))) == [b1]
    assert list(audit_entries(target=bob)) == []
    assert list(audit_entries(target="records.person")) == [a1, b1]
    assert list(audit_entries(since=a1.created_at, until=a2.created_at)) == [a1, b1]
    assert list(audit_entries(since=timezone.now() + timedelta(seconds=1))) == []
