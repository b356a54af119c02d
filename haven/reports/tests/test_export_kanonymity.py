"""The pseudonymised export checks k-anonymity before release (haven.analytics.disclosure hooked into
haven.exchange.exporting): a planted unique combination is found and named, and nothing is written by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.audit.models import AuditAction, AuditEntry
from haven.exchange.exporting import ExportError, export_data
from haven.places.models import Location
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():  # type: ignore[no-untyped-def]
    org, comp = f.organisation("kx")
    hamgyong = Location.objects.get(code="KP-09")
    for i in range(12):  # a crowd: women born 1984, from North Hamgyong, who left in 2006-2008
        p = f.person("kx", hangul="가나다", roman="Ga Na-da")
        p.origin_province, p.exit_year = hamgyong, 2006 + i % 2 * 2  # six left in 2006, six in 2008
        p.save()
    planted = f.person("kx", hangul="라마바", roman="Ra Ma-ba", sex="M")
    planted.birth_date, planted.origin_province, planted.exit_year = (
        "1951",
        Location.objects.get(code="KP-05"),
        2019,
    )
    planted.save()
    user = make_user(Role.ANALYST, [comp])[0]
    return user, planted


def test_a_planted_unique_combination_stops_the_export_and_is_named(analyst, tmp_path: Path) -> None:
    user, _planted = analyst
    out = tmp_path / "p.json"
    with pytest.raises(ExportError) as refused:
        export_data(actor=user, level="pseudonymised", out=out, fmt="json", recipient="uni")
    message = str(refused.value)
    assert "Nothing was written" in message
    assert "sex=M, birth_year=1951, origin_province=KP-05, exit_year=2019: P" in message
    assert not out.exists() and not AuditEntry.objects.filter(action=AuditAction.EXPORTED).exists()

    # Released on purpose, the same pseudonym is the one named, and it is the planted person's row.
    result = export_data(actor=user, level="pseudonymised", out=out, fmt="json", recipient="uni",
                         disclosure="release")  # fmt: skip
    rows = json.loads(out.read_text(encoding="utf-8"))["persons"]
    planted_row = next(r for r in rows if r["birth_year"] == 1951)
    assert result.disclosure is not None and result.disclosure.failing_rows == (planted_row["pseudonym"],)
    assert planted_row["pseudonym"] in message
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORTED).get()
    assert entry.details["k_anonymity"] == {
        "k": 5,
        "coarsened": [],
        "mode": "release",
        "persons_in_small_groups": 1,
    }


def test_coarsening_is_suggested_and_applied(analyst, tmp_path: Path) -> None:
    user, planted = analyst
    planted.delete()
    # The crowd splits into two groups of six by exit year: each passes on its own.
    out = tmp_path / "p.json"
    result = export_data(actor=user, level="pseudonymised", out=out, fmt="json")
    assert result.disclosure is not None and result.disclosure.ok
    # One more person, alone in 2009: refused, named; exit years in periods (2006-2009) put them in the crowd.
    lone = f.person("kx", hangul="사아자", roman="Sa A-ja")
    lone.origin_province, lone.exit_year = Location.objects.get(code="KP-09"), 2009
    lone.save()
    with pytest.raises(ExportError, match="exit_year=2009") as refused:
        export_data(actor=user, level="pseudonymised", out=out, fmt="json")
    assert "--coarsen exit_year) would leave 0 persons failing" in str(refused.value)
    with pytest.raises(ExportError, match="--coarsen"):
        export_data(actor=user, level="pseudonymised", out=out, fmt="json", coarsen=["county"])
    result = export_data(
        actor=user, level="pseudonymised", out=out, fmt="json", coarsen=["exit_year", "birth_year"]
    )
    assert result.disclosure is not None and result.disclosure.ok
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {r["exit_year"] for r in data["persons"]} == {"2006-2009"}
    assert {r["birth_year"] for r in data["persons"]} == {"1980-1984"}
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORTED).latest("seq")
    assert entry.details["k_anonymity"]["coarsened"] == ["exit_year", "birth_year"]


def test_the_export_command_names_the_rows(analyst, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    user, _planted = analyst
    out = tmp_path / "p.csv"
    with pytest.raises(CommandError, match="birth_year=1951"):
        call_command("export", "--level", "pseudonymised", "--user", user.username, "--out", str(out))
    assert not out.exists()
    call_command("export", "--level", "pseudonymised", "--user", user.username, "--out", str(out),
                 "--disclosure", "release")  # fmt: skip
    printed = capsys.readouterr().out
    assert "1 of 13 persons" in printed and "birth_year=1951" in printed
