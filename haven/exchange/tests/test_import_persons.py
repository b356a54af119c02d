"""The issue's acceptance tests for importing persons: bad rows, all-or-nothing, --skip-invalid, re-runs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.exchange.importing import ImportRefused, import_file
from haven.exchange.models import ImportRun, ImportStatus
from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, user_with, write_csv
from haven.records.models import Person, PersonIndex, PersonName
from haven.records.services import persons_find_by_name

pytestmark = pytest.mark.django_db


def _run(path: Path, user: str, **options: object) -> None:
    call_command(
        "import", str(path), kind="persons", source="ngo", compartment="ngo-main", user=user, **options
    )


def _acceptance(tmp_path: Path, capsys: pytest.CaptureFixture[str], n: int) -> None:
    org, comp, user = setup_world()
    rows, bad = person_rows(n, bad_every=100)  # 1% bad rows
    assert len(bad) == n // 100
    path = write_csv(tmp_path / "persons.csv", PERSON_HEADERS, rows)

    # The dry run lists every bad row, with its reason, and stores nothing.
    _run(path, user.username, dry_run=True)
    out = capsys.readouterr()
    listed = {int(line.split(":")[1]) for line in out.err.splitlines() if line.startswith("persons.csv:")}
    assert listed == set(bad)
    assert f"would create {n - len(bad)}" in out.out
    assert Person.objects.count() == 0

    # The default import is all or nothing: it stores nothing.
    with pytest.raises(CommandError, match="Nothing imported"):
        _run(path, user.username)
    assert Person.objects.count() == PersonName.objects.count() == PersonIndex.objects.count() == 0

    # --skip-invalid stores exactly the good rows and writes the bad ones, with reasons, to the rejected file.
    rejected = tmp_path / "rejected.csv"
    _run(path, user.username, skip_invalid=True, rejected=str(rejected))
    good_ids = {r[0] for i, r in enumerate(rows) if i + 2 not in bad}
    assert set(Person.objects.values_list("external_id", flat=True)) == good_ids
    with rejected.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert {int(line[0]) for line in lines[1:]} == set(bad)
    assert all(line[1] for line in lines[1:])
    state = sorted(Person.objects.values_list("pk", "version", "updated_at"))
    indexes = PersonIndex.objects.count()

    # Running it again changes nothing.
    capsys.readouterr()
    _run(path, user.username, skip_invalid=True, rejected=str(rejected))
    assert f"0 created, 0 updated, {n - len(bad)} unchanged" in capsys.readouterr().out
    assert sorted(Person.objects.values_list("pk", "version", "updated_at")) == state
    assert PersonIndex.objects.count() == indexes


def test_it_imports_a_2000_row_file_with_1_percent_bad_rows(tmp_path, capsys):
    _acceptance(tmp_path, capsys, 2000)


@pytest.mark.slow
def test_it_imports_a_100000_row_file_with_1_percent_bad_rows(tmp_path, capsys):
    _acceptance(tmp_path, capsys, 100_000)


def test_it_records_provenance_the_run_and_the_audit_entry(tmp_path):
    org, comp, user = setup_world()
    rows, _ = person_rows(30)
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, rows)
    report = import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp)
    person = Person.objects.get(external_id="P000004")
    assert person.provenance["file"] == "p.csv"
    assert person.provenance["row"] == 6
    assert person.provenance["by"] == user.username
    assert person.provenance["import_id"] == report.run.pk
    assert len(person.provenance["sha256"]) == 64 and person.provenance["at"]
    assert person.created_by == user and person.compartment == comp and person.organisation == org
    run = ImportRun.objects.get()
    assert (run.status, run.rows, run.created, run.user) == (ImportStatus.SUCCEEDED, 30, 30, user)
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORTED).get()
    assert entry.actor == user
    assert entry.details["created"] == 30 and entry.details["sha256"] == run.file_sha256
    assert rows[4][1] not in str(entry.details)  # no contents in the log


def test_blind_indexes_are_right_after_a_bulk_import(tmp_path):
    org, comp, user = setup_world()
    rows = [["X1", "리설주", "Ri Sol-ju", "F", "1989", "함경북도 회령시", "2010"]]
    import_file(
        actor=user,
        path=write_csv(tmp_path / "p.csv", PERSON_HEADERS, rows),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    person = Person.objects.get(external_id="X1")
    assert persons_find_by_name("이설주") == [person.pk]
    assert persons_find_by_name("Lee Seol-ju") == [person.pk]
    assert person.origin_province.code == "KP-09"
    assert person.origin_detail == "함경북도 회령시"  # the county is kept, encrypted
    assert person.birth_date == "1989"
    names = {(n.kind, n.full_name, n.is_primary) for n in person.names.all()}
    assert names == {("hangul", "리설주", True), ("romanized", "Ri Sol-ju", False)}


def test_a_changed_row_is_updated_and_counted(tmp_path):
    org, comp, user = setup_world()
    rows, _ = person_rows(10)
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, rows)
    import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp)
    rows[3][6] = "2001"
    rows[5][1] = "한서윤"
    write_csv(path, PERSON_HEADERS, rows)
    report = import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 8)
    assert Person.objects.get(external_id=rows[3][0]).exit_year == 2001
    changed = Person.objects.get(external_id=rows[5][0])
    assert changed.version == 2
    assert "한서윤" in {n.full_name for n in changed.names.all()}
    assert persons_find_by_name("한서윤") == [changed.pk]
    assert Person.objects.count() == 10


def test_duplicated_ids_in_the_file_are_refused(tmp_path, capsys):
    org, comp, user = setup_world()
    rows, _ = person_rows(5)
    rows[4][0] = rows[1][0]
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, rows)
    with pytest.raises(CommandError):
        _run(path, user.username)
    assert f"p.csv:6:id: The id {rows[1][0]} is also in row 3." in capsys.readouterr().err
    assert Person.objects.count() == 0


# A case worker holds IMPORT_DATA (for case spreadsheets) but not EDIT_RECORDS: refused for persons too.
@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER, Role.CASE_WORKER])
def test_roles_without_import_data_are_refused_and_audited(tmp_path, role):
    org, comp, _ = setup_world()
    user = user_with(role, [comp], f"{role}-x")
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, person_rows(3)[0])
    with pytest.raises(ImportRefused):
        import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp)
    assert Person.objects.count() == 0 and ImportRun.objects.count() == 0
    assert AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).exists()


def test_a_documenter_without_the_compartment_is_refused(tmp_path):
    org, comp, _ = setup_world()
    _, other, _ = setup_world("other")
    outsider = user_with(Role.DOCUMENTER, [other], "outsider")
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, person_rows(3)[0])
    with pytest.raises(CommandError, match="may not import"):
        _run(path, outsider.username)
    assert Person.objects.count() == 0


def test_records_the_user_may_not_change_are_not_overwritten(tmp_path, capsys):
    org, comp, user = setup_world()
    rows, _ = person_rows(3)
    path = write_csv(tmp_path / "p.csv", PERSON_HEADERS, rows)
    import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp)
    _, other, _ = setup_world("other")
    Person.objects.filter(external_id=rows[0][0]).update(compartment=other)
    rows[0][6] = "2002"
    write_csv(path, PERSON_HEADERS, rows)
    with pytest.raises(CommandError):
        _run(path, user.username)
    assert "belongs to a record you may not change" in capsys.readouterr().err
    assert Person.objects.get(external_id=rows[0][0]).exit_year != 2002


def test_a_level_above_the_users_clearance_is_refused(tmp_path, capsys):
    org, comp, _ = setup_world()
    analyst_like = user_with(Role.DOCUMENTER, [comp], "doc2")
    headers = [*PERSON_HEADERS, "confidentiality"]
    rows = [[*r, "secret"] for r in person_rows(2)[0]]
    report = import_file(
        actor=analyst_like,
        path=write_csv(tmp_path / "p.csv", headers, rows),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    assert report.status == ImportStatus.SUCCEEDED  # documenters are cleared for secret
    rows = [[*r[:-1], "top secret"] for r in rows]
    report = import_file(
        actor=analyst_like,
        path=write_csv(tmp_path / "q.csv", headers, rows),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    assert report.status == ImportStatus.FAILED
    assert "is not a confidentiality level" in report.problems[0].reason
