"""audit_record: what an entry holds, how it is chained, and what it refuses."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from haven.accounts.models import User
from haven.audit import chain
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record
from haven.audit.tests.helpers import make_entries
from haven.audit.verify import verify_chain
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_chains_entries_from_the_genesis_hash():
    a, b, c = make_entries(3)
    assert (a.seq, b.seq, c.seq) == (1, 2, 3)
    assert a.prev_hash == chain.GENESIS_HASH == "0" * 64
    assert b.prev_hash == a.entry_hash and c.prev_hash == b.entry_hash
    assert len({a.entry_hash, b.entry_hash, c.entry_hash}) == 3


def test_it_stores_exactly_what_it_hashed():
    user = User.objects.create_user("auditee")
    entry = audit_record(
        actor=user,
        action=AuditAction.ROLE_CHANGED,
        target=user,
        details={"old": "viewer", "new": "analyst", "nested": {"list": [1, "два", None, True]}},
        request=RequestFactory().get("/", REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001"),
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert chain.payload(stored) == chain.payload(entry)
    assert chain.entry_hash(stored.prev_hash, stored) == stored.entry_hash
    assert stored.actor_label == "auditee" and stored.actor_id == user.pk
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(user.pk))
    assert stored.ip == "2001:db8::1"
    assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("remote", "stored"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),
        ("FE80::1", "fe80::1"),
        ("bogus", None),
        ("", None),
    ],
)
def test_it_records_the_client_address_as_the_database_returns_it(remote, stored):
    entry = audit_record(
        actor=None, action=AuditAction.LOGIN_FAILED, request=RequestFactory().get("/", REMOTE_ADDR=remote)
    )
    assert entry.ip == stored
    assert AuditEntry.objects.get(pk=entry.pk).ip == stored
    assert verify_chain().ok


def test_it_takes_the_compartment_from_the_target():
    person = f.person()
    entry = audit_record(actor=None, action=AuditAction.RECORD_VIEWED, target=person)
    assert entry.compartment_id == person.compartment_id
    assert (entry.target_type, entry.target_id) == ("records.person", str(person.pk))
    other = audit_record(actor=None, action=AuditAction.RECORD_VIEWED, target=person, compartment_id=999)
    assert other.compartment_id == 999


def test_it_treats_an_anonymous_actor_as_nobody():
    from django.contrib.auth.models import AnonymousUser

    entry = audit_record(actor=AnonymousUser(), action=AuditAction.LOGIN_FAILED)
    assert entry.actor_id is None and entry.actor_label == ""


def test_it_keeps_only_an_hmac_of_a_target_id_that_is_not_a_plain_id():
    entry = audit_record(actor=None, action=AuditAction.ACCESS_REFUSED, target=("records.person", "김철수"))
    assert "김철수" not in entry.target_id and entry.target_id.startswith("~")
    again = audit_record(actor=None, action=AuditAction.ACCESS_REFUSED, target=("records.person", "김철수"))
    assert again.target_id == entry.target_id  # the same typed value is recognisable, not readable
    assert audit_record(
        actor=None, action=AuditAction.ACCESS_REFUSED, target=("records.person", "x" * 65)
    ).target_id.startswith("~")


@pytest.mark.parametrize(
    "details",
    [
        {"full_name": "김철수"},
        {"changes": {"birth_date": {"old": "1980", "new": "1981"}}},
        {"list": [{"sensitive_notes": "crossed at Hyesan"}]},
        {"full_name": {"changed": True, "old_hmac": "김철수", "new_hmac": None}},  # a forged sealed value
        {"score": 0.93},
        {1: "non-string key"},
        {"when": object()},
    ],
)
def test_it_refuses_details_it_cannot_store_safely_or_exactly(details):
    with pytest.raises(ValueError):
        audit_record(actor=None, action=AuditAction.RECORD_CHANGED, details=details)
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_unknown_action():
    with pytest.raises(ValueError):
        audit_record(actor=None, action=12345)


def test_it_commits_or_rolls_back_with_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action=AuditAction.RECORD_CREATED, target=("records.person", "1"))
        raise RuntimeError("the change failed")
    assert not AuditEntry.objects.exists()
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.RECORD_CREATED, target=("records.person", "1"))
    assert AuditEntry.objects.get().seq == 1


def test_the_action_codes_are_grouped_by_hundreds_and_unique():
    values = AuditAction.values
    assert len(values) == len(set(values))
    assert AuditAction.LOGIN.area == 100 and AuditAction.RECORD_MERGED.area == 200
    assert AuditAction.EXPORTED.area == 400 and AuditAction.KEY_ROTATED.area == 500
    assert all(a.is_refusal == (a.area == 900) for a in AuditAction)
