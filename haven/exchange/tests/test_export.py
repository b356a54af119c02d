"""Exports: the four levels, their policy refusals, the audit entry, formula escaping, the multilist round trip."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from haven.accounts.models import CompartmentGrant, Role
from haven.analytics.estimation import read_lists_csv
from haven.audit.models import AuditAction, AuditEntry
from haven.backup.archive import KdfParams
from haven.exchange.exporting import ExportError, ExportRefused, export_data, read_full_export
from haven.exchange.importing import import_file
from haven.exchange.spreadsheet import escape_cell
from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, user_with, write_csv

pytestmark = pytest.mark.django_db

FAST_KDF = KdfParams(log2n=14)
PASSPHRASE = "correct horse battery staple 말"
EVENT_HEADERS = ["id", "event_id", "title", "date", "place", "act_type", "victim_id"]


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    """Two fictional organisations; ngo documents 30 persons, other 20 of them again plus 10 more."""
    org, comp, doc = setup_world("ngo")
    org2, comp2, doc2 = setup_world("other")
    rows, _ = person_rows(40, seed=3)
    import_file(
        actor=doc, path=write_csv(tmp_path / "a.csv", PERSON_HEADERS, rows[:30]), kind="persons",
        organisation=org, compartment=comp,
    )  # fmt: skip
    import_file(
        actor=doc2, path=write_csv(tmp_path / "b.csv", PERSON_HEADERS, rows[10:40]), kind="persons",
        organisation=org2, compartment=comp2,
    )  # fmt: skip
    events = [
        ["A1", "E1", '=HYPERLINK("http://example.invalid")', "2008", "Hoeryong", "030101", rows[0][0]],
        ["A2", "E1", '=HYPERLINK("http://example.invalid")', "2008", "Hoeryong", "030101", rows[1][0]],
        ["A3", "E2", "Detention", "2009", "", "030102", rows[0][0]],
    ]
    report = import_file(
        actor=doc, path=write_csv(tmp_path / "e.csv", EVENT_HEADERS, events), kind="events",
        organisation=org, compartment=comp,
    )  # fmt: skip
    assert report.created == 3, report.problems
    CompartmentGrant.objects.create(user=doc, compartment=comp2)
    doc = type(doc).objects.get(pk=doc.pk)  # the policy caches a user's compartments on the object
    analyst = user_with(Role.ANALYST, [comp, comp2], "analyst")
    viewer = user_with(Role.VIEWER, [comp, comp2], "viewer")
    auditor = user_with(Role.AUDITOR, [comp, comp2], "auditor")
    return {"doc": doc, "analyst": analyst, "viewer": viewer, "auditor": auditor, "rows": rows, "comp": comp}


def _export(user, level, out, **kwargs):  # type: ignore[no-untyped-def]
    if level == "pseudonymised":
        # These synthetic persons are each unique in sex/birth year/origin/exit year, which the default
        # disclosure check refuses to release (tested in haven/reports); these tests are about the rest.
        kwargs.setdefault("disclosure", "release")
    return export_data(actor=user, level=level, out=out, kdf=FAST_KDF, **kwargs)


def test_full_export_is_encrypted_complete_and_audited(world, tmp_path):
    out = tmp_path / "full.hvb"
    result = _export(world["doc"], "full", out, fmt="json", passphrase=PASSPHRASE)
    raw = out.read_bytes()
    hangul = world["rows"][0][1]
    assert hangul.encode() not in raw and b"persons" not in raw
    data = json.loads(read_full_export(out, PASSPHRASE))
    assert len(data["persons"]) == 60 and len(data["acts"]) == 3
    assert hangul in {n["full_name"] for n in data["names"]}
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORTED).get()
    assert entry.actor == world["doc"]
    assert entry.details["level"] == "full" and entry.details["rows"]["persons"] == 60
    assert entry.details["sha256"] == hashlib.sha256(raw).hexdigest() == result.sha256
    assert entry.details["compartments"] == ["ngo-main", "other-main"]
    assert hangul not in json.dumps(entry.details, ensure_ascii=False)


def test_full_export_needs_a_passphrase(world, tmp_path, monkeypatch):
    monkeypatch.delenv("HAVEN_EXPORT_PASSPHRASE", raising=False)
    with pytest.raises(ExportError, match="encrypted"):
        _export(world["doc"], "full", tmp_path / "x.hvb")
    with pytest.raises(ExportError, match="at least 12"):
        _export(world["doc"], "full", tmp_path / "x.hvb", passphrase="short")
    assert not (tmp_path / "x.hvb").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORTED).exists()


@pytest.mark.parametrize(
    ("role", "level"),
    [
        ("analyst", "full"),
        ("viewer", "full"),
        ("viewer", "pseudonymised"),
        ("viewer", "multilist"),
        ("auditor", "aggregate"),
        ("auditor", "pseudonymised"),
    ],
)
def test_levels_beyond_the_users_capabilities_are_refused_and_audited(world, tmp_path, role, level):
    out = tmp_path / "x.csv"
    with pytest.raises(ExportRefused):
        _export(world[role], level, out, passphrase=PASSPHRASE)
    assert not out.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORTED).exists()
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=world[role]).get()
    assert refusal.details["level"] == level


def test_a_compartment_not_granted_is_refused_like_one_that_does_not_exist(world, tmp_path):
    _, secret, _ = setup_world("hidden")
    for code in (secret.code, "no-such-compartment"):
        with pytest.raises(ExportRefused):
            _export(world["analyst"], "aggregate", tmp_path / "x.csv", compartments=[code])


def test_only_visible_records_are_exported(world, tmp_path):
    analyst = user_with(Role.ANALYST, [world["comp"]], "analyst-ngo-only")
    out = tmp_path / "p.json"
    _export(analyst, "pseudonymised", out, fmt="json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {p["organisation"] for p in data["persons"]} == {"ngo"}
    assert len(data["persons"]) == 30


def test_pseudonymised_export(world, tmp_path):
    out = tmp_path / "p.json"
    _export(world["analyst"], "pseudonymised", out, fmt="json", recipient="university-x")
    text = out.read_text(encoding="utf-8")
    for row in world["rows"][:5]:
        assert row[1] not in text and row[0] not in text  # no names, no ids
    data = json.loads(text)
    person = data["persons"][0]
    assert set(person) == {
        "pseudonym", "organisation", "sex", "birth_year", "origin_province", "exit_year", "needs_review"
    }  # fmt: skip
    assert person["origin_province"].startswith("KP-")
    acts = {a["act"]: a for a in data["acts"]}
    assert all(a["needs_review"] == 1 for a in acts.values())
    assert "HYPERLINK" not in text  # free text left out unless asked for

    # The same recipient gets the same pseudonyms; another recipient, or no recipient, gets others.
    again = tmp_path / "again.json"
    _export(world["analyst"], "pseudonymised", again, fmt="json", recipient="university-x")
    other = tmp_path / "other.json"
    _export(world["analyst"], "pseudonymised", other, fmt="json", recipient="ngo-y")
    anon = tmp_path / "anon.json"
    _export(world["analyst"], "pseudonymised", anon, fmt="json")

    def pseudonyms(path: Path) -> set[str]:
        return {p["pseudonym"] for p in json.loads(path.read_text(encoding="utf-8"))["persons"]}

    assert pseudonyms(again) == pseudonyms(out)
    assert not pseudonyms(other) & pseudonyms(out)
    assert not pseudonyms(anon) & pseudonyms(out)
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORTED).first()
    assert entry.details["pseudonym_key"] == "recipient:university-x"


def test_formula_cells_are_escaped_in_csv_and_xlsx(world, tmp_path):
    out = tmp_path / "p.csv"
    _export(world["analyst"], "pseudonymised", out, fmt="csv", include_free_text=True)
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("acts.csv").decode("utf-8"))))
    titles = {r["title"] for r in rows}
    assert '\'=HYPERLINK("http://example.invalid")' in titles
    assert not any(t.startswith("=") for t in titles)

    out = tmp_path / "p.xlsx"
    _export(world["analyst"], "pseudonymised", out, fmt="xlsx", include_free_text=True)
    sheet = openpyxl.load_workbook(out)["acts"]
    cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://example.invalid")' in cells
    assert not any(v.startswith(("=", "+", "-", "@")) for v in cells)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_escape_cell(text):
    assert escape_cell(text) == "'" + text
    assert escape_cell("1-1") == "1-1" and escape_cell(-1) == -1


def test_the_rejected_file_is_escaped(tmp_path):
    org, comp, user = setup_world()
    rows = [["=cmd|' /C calc'!A0", "김은정", "", "F", "", "", ""], ["B1", "박철민", "", "Z", "", "", ""]]
    rows[0][0] = "A" * 101
    rows[1][3] = "=evil()"
    report = import_file(
        actor=user, path=write_csv(tmp_path / "r.csv", PERSON_HEADERS, rows), kind="persons",
        organisation=org, compartment=comp, skip_invalid=True,
    )  # fmt: skip
    text = report.rejected_file.read_text(encoding="utf-8-sig")
    assert "'=evil()" in text and ",=evil()" not in text


def test_aggregate_export_hides_small_cells(world, tmp_path):
    out = tmp_path / "agg.json"
    _export(world["analyst"], "aggregate", out, fmt="json")
    data = json.loads(out.read_text(encoding="utf-8"))
    acts = data["acts"]
    assert {(a["act_type"], a["year"], a["province"], a["count"]) for a in acts} == {
        ("030101", 2008, "KP-09", "<5"),
        ("030102", 2009, "", "<5"),
    }
    assert all(p["count"] == "<5" or int(p["count"]) >= 5 for p in data["persons"])
    assert sum(int(p["count"]) for p in data["persons"] if p["count"] != "<5") < 60
    # A viewer is cleared for public and internal records only: the confidential ones are not counted.
    _export(world["viewer"], "aggregate", out, fmt="json")
    assert json.loads(out.read_text(encoding="utf-8")) == {"acts": [], "persons": []}


def test_multilist_round_trip_through_haven_estimate(world, tmp_path):
    out = tmp_path / "lists.csv"
    _export(world["analyst"], "multilist", out, strata=["sex"])
    histories = read_lists_csv(out, strata="sex")
    assert histories.lists == ("ngo", "other")
    assert int(histories.counts.sum()) == 60 and set(histories.strata) <= {"F", "M", "unknown"}
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60  # without clusters, every record is its own unit
    assert {r["sex"] for r in rows} <= {"F", "M", "unknown"}

    # With the linkage clusters, the 20 people documented by both organisations are one row each.
    clusters = tmp_path / "clusters.csv"
    people = world["rows"]
    write_csv(
        clusters,
        ["source", "record_id", "cluster_id"],
        [[org, r[0], f"C{i}"] for i, r in enumerate(people[10:30]) for org in ("ngo", "other")],
    )
    out2 = tmp_path / "lists2.csv"
    _export(world["analyst"], "multilist", out2, clusters=clusters, strata=["sex", "exit_year"])
    with out2.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    patterns = sorted((r["ngo"], r["other"]) for r in rows)
    assert (
        patterns.count(("1", "1")) == 20
        and patterns.count(("1", "0")) == 10
        and patterns.count(("0", "1")) == 10
    )
    histories = read_lists_csv(out2, strata=["sex", "exit_year"])
    assert histories.lists == ("ngo", "other") and int(histories.counts.sum()) == 40


def test_the_export_command(world, tmp_path, capsys):
    out = tmp_path / "full.hvb"
    phrase = tmp_path / "phrase.txt"
    phrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    call_command(
        "export",
        level="full",
        user=world["doc"].username,
        out=str(out),
        passphrase_file=str(phrase),
        format="csv",
    )
    assert "persons 60" in capsys.readouterr().out
    with zipfile.ZipFile(io.BytesIO(read_full_export(out, PASSPHRASE))) as archive:
        assert set(archive.namelist()) == {"persons.csv", "names.csv", "events.csv", "acts.csv"}
    with pytest.raises(CommandError, match="may not make this export"):
        call_command(
            "export",
            level="full",
            user=world["analyst"].username,
            out=str(tmp_path / "y"),
            passphrase_file=str(phrase),
        )
    with pytest.raises(CommandError, match="No active user"):
        call_command("export", level="aggregate", user="nobody", out=str(tmp_path / "z"))
