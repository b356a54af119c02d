"""diff_for_audit keeps plain changes and seals sensitive ones: no clear text of a sensitive value, ever."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.audit.chain import canonical_json
from haven.audit.models import AuditAction
from haven.audit.redaction import SENSITIVE_FIELDS
from haven.audit.services import audit_record, diff_for_audit
from haven.lib.testing.leaks import shows

pytestmark = pytest.mark.django_db


def test_it_keeps_old_and_new_values_of_plain_fields_and_leaves_out_unchanged_ones():
    diff = diff_for_audit(
        {"sex": "U", "exit_year": 2010, "confidentiality": "internal"},
        {"sex": "F", "exit_year": 2011, "confidentiality": "internal", "external_id": "A-7"},
        sensitive=set(),
    )
    assert diff == {
        "sex": {"old": "U", "new": "F"},
        "exit_year": {"old": 2010, "new": 2011},
        "external_id": {"old": None, "new": "A-7"},
    }


def test_it_seals_sensitive_fields_with_hmacs_that_show_only_equality():
    first = diff_for_audit({"full_name": "김철수"}, {"full_name": "김철호"}, sensitive=set())
    back = diff_for_audit({"full_name": "김철호"}, {"full_name": "김철수"}, sensitive=set())
    sealed = first["full_name"]
    assert sealed["changed"] is True and set(sealed) == {"changed", "old_hmac", "new_hmac"}
    assert back["full_name"]["new_hmac"] == sealed["old_hmac"]  # changed back to the earlier value
    assert sealed["old_hmac"] != sealed["new_hmac"]
    assert "김철" not in canonical_json(first)


def test_it_seals_fields_the_caller_names_and_the_known_ones_even_if_the_caller_forgets():
    diff = diff_for_audit(
        {"phone": "+82 10 1234 5678", "birth_date": "1984"},
        {"phone": None, "birth_date": "1985"},
        sensitive={"phone"},
    )
    assert diff["phone"] == {"changed": True, "old_hmac": diff["phone"]["old_hmac"], "new_hmac": None}
    assert not shows("1234", canonical_json(diff)) and not shows("1984", canonical_json(diff))
    assert set(diff["birth_date"]) == {"changed", "old_hmac", "new_hmac"}


def test_the_same_value_in_two_fields_gives_unrelated_hmacs():
    diff = diff_for_audit(
        {"family_name": None, "given_name": None}, {"family_name": "Kim", "given_name": "Kim"}
    )
    assert diff["family_name"]["new_hmac"] != diff["given_name"]["new_hmac"]


def test_it_makes_plain_values_storable():
    diff = diff_for_audit(
        {"date_start": dt.date(2011, 3, 2), "score": 0.5}, {"date_start": dt.date(2011, 3, 3), "score": 0.75}
    )
    assert diff == {
        "date_start": {"old": "2011-03-02", "new": "2011-03-03"},
        "score": {"old": "0.5", "new": "0.75"},
    }


def test_an_entry_accepts_its_output():
    diff = diff_for_audit({"full_name": "김철수", "sex": "U"}, {"full_name": "김철호", "sex": "M"})
    entry = audit_record(
        actor=None,
        action=AuditAction.RECORD_CHANGED,
        target=("records.personname", "1"),
        details={"changes": diff},
    )
    assert entry.details["changes"]["sex"] == {"old": "U", "new": "M"}


_OUTPUT_ALPHABET = set('abcdefghijklmnopqrstuvwxyz0123456789{}":,_')


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    field=st.sampled_from(sorted(SENSITIVE_FIELDS)),
    old=st.one_of(st.none(), st.text(max_size=40)),
    new=st.one_of(st.none(), st.text(max_size=40)),
)
def test_it_never_yields_clear_text_of_a_sensitive_value(field, old, new):
    diff = diff_for_audit({field: old}, {field: new})
    if old == new:
        assert diff == {}
        return
    # The only leaves are a flag, and HMACs (32 hex digits) or None: no value, whole or in part, can be there.
    sealed = diff[field]
    assert (
        set(diff) == {field}
        and sealed["changed"] is True
        and set(sealed) == {"changed", "old_hmac", "new_hmac"}
    )
    for key, value in (("old_hmac", old), ("new_hmac", new)):
        assert (sealed[key] is None) == (value is None)
        assert sealed[key] is None or (len(sealed[key]) == 32 and set(sealed[key]) <= set("0123456789abcdef"))
    text = canonical_json(diff)
    for value in (old, new):
        if value and not set(value) <= _OUTPUT_ALPHABET:
            assert value not in text
