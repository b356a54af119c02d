"""``haven audit verify`` and ``haven audit tail``: output and exit codes."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from haven.audit.models import AuditAction
from haven.audit.services import audit_record, diff_for_audit
from haven.audit.tests.helpers import TABLE, make_entries, sql, triggers_off
from haven.cli import main as haven

pytestmark = pytest.mark.django_db


def test_verify_reports_an_intact_chain_and_exits_0(capsys):
    entries = make_entries(5)
    haven(["audit", "--skip-checks", "verify"])  # returns: exit status 0
    assert capsys.readouterr().out == f"audit chain intact: 5 entries, head {entries[-1].entry_hash}\n"


def test_verify_names_the_first_broken_entry_and_exits_1(capsys):
    make_entries(5)
    with triggers_off():
        sql(f"UPDATE {TABLE} SET details = %s WHERE seq = 2", [json.dumps({"i": 1, "via": "forged"})])  # noqa: S608
    with pytest.raises(SystemExit) as exit_:
        haven(["audit", "--skip-checks", "verify"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.startswith(
        "audit chain BROKEN at entry #2: its contents do not match its hash"
    )


def test_verify_checks_anchors(capsys):
    entries = make_entries(3)
    call_command("audit", "verify", "--anchor", entries[1].entry_hash, "--batch-size", "2")
    assert "intact: 3 entries" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", "--anchor", "ab" * 32)
    assert exit_.value.code == 1 and "anchor" in capsys.readouterr().err


def test_tail_prints_the_newest_entries_without_sensitive_values(capsys):
    make_entries(30)
    audit_record(
        actor=None,
        action=AuditAction.RECORD_CHANGED,
        target=("records.personname", "7"),
        details={"changes": diff_for_audit({"full_name": "김철수"}, {"full_name": "김철호"})},
    )
    call_command("audit", "tail", "-n", "3")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["#29", "#30", "#31"]
    assert "211 record_changed" in lines[-1] and "records.personname:7" in lines[-1]
    assert "김철" not in lines[-1] and "old_hmac" in lines[-1]
