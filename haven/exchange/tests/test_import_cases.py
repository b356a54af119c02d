"""Importing assistance cases: bad rows listed, all-or-nothing, --skip-invalid, re-runs, encodings, permission.

Every person and case here is invented.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.cases.models import Case, JourneyStage, RiskLevel, Status
from haven.exchange.importing import ImportRefused, import_file
from haven.exchange.models import ColumnMapping, ImportKind, ImportRun, ImportStatus
from haven.exchange.tests.helpers import PERSON_HEADERS, setup_world, user_with, write_csv
from haven.records.models import Person, PersonName

pytestmark = pytest.mark.django_db

CASE_HEADERS = [
    "case id", "person id", "name_hangul", "sex", "status", "risk level", "risk reasons", "needs",
    "current location", "journey", "opened on", "closed on", "closure reason", "owner",
]  # fmt: skip
GOOD = [
    ["C-001", "P1", "", "", "assessment", "high", "trafficked; broker_debt", "shelter, medical",
     "Back room of a shop near Yanji market", "crossed_border:Hoeryong:2018-03; hiding_china::2018-04..2019",
     "2021-03-05", "", "", ""],
    ["C-002", "P2", "", "", "진행중", "낮음", "", "legal", "", "", "2020-11-20", "", "", ""],
    ["C-003", "", "김하늘", "여", "closed", "", "", "", "", "", "2019-01-02", "2020-06-30", "resettled", ""],
    ["C-004", "P3", "", "", "new", "not assessed", "", "", "", "in_dprk::unknown", "2022-07-01", "", "", ""],
]  # fmt: skip
# Each bad row, with the column that is wrong.
BAD = [
    (["C-005", "P4", "", "", "pending", "", "", "", "", "", "2021-01-01", "", "", ""], "status"),
    (["C-006", "P5", "", "", "new", "high", "", "", "", "", "2021-01-01", "", "", ""], "risk reasons"),
    (["C-007", "P6", "", "", "new", "", "", "flying lessons", "", "", "2021-01-01", "", "", ""], "needs"),
    (["C-008", "P7", "", "", "new", "", "", "", "", "teleported:Mars:2020", "2021-01-01", "", "", ""],
     "journey"),
    (["C-009", "P8", "", "", "new", "", "", "", "", "", "2021-02", "", "", ""], "opened on"),
    (["C-010", "P9", "", "", "closed", "", "", "", "", "", "2021-01-01", "", "", ""], "closed on"),
    (["C-011", "NOPE", "", "", "new", "", "", "", "", "", "2021-01-01", "", "", ""], "person id"),
    (["C-012", "P10", "", "", "new", "", "", "", "", "", "2021-01-01", "", "", "nobody"], "owner"),
    (["C-001", "P11", "", "", "new", "", "", "", "", "", "2021-01-01", "", "", ""], "case id"),
]  # fmt: skip


def _world(tmp_path: Path):
    org, comp, documenter = setup_world()
    worker = user_with(Role.CASE_WORKER, [comp], "ngo-worker")
    persons = [[f"P{i}", name, "", "F", "1990", "", ""] for i, name in enumerate(
        ["", "박서연", "이지은", "최민지", "정수빈", "강예린", "조은비", "윤하은", "장다인", "임소율", "한지아", "오나래"]
    ) if i]  # fmt: skip
    path = write_csv(tmp_path / "persons.csv", PERSON_HEADERS, persons)
    import_file(actor=documenter, path=path, kind="persons", organisation=org, compartment=comp)
    return org, comp, documenter, worker


def _run(path: Path, user: str, **options: object) -> None:
    call_command(
        "import", str(path), kind="cases", source="ngo", compartment="ngo-main", user=user, **options
    )


def _state() -> list[tuple[object, ...]]:
    return sorted(Case.objects.values_list("pk", "version", "updated_at", "status"))


def test_it_lists_bad_rows_stores_nothing_then_exactly_the_good_ones_and_nothing_twice(tmp_path, capsys):
    org, comp, documenter, worker = _world(tmp_path)
    rows = GOOD + [r for r, _ in BAD]
    path = write_csv(tmp_path / "cases.csv", CASE_HEADERS, rows)
    bad_rows = {len(GOOD) + 2 + i: column for i, (_, column) in enumerate(BAD)}
    persons_before = Person.objects.count()

    # Dry run: every bad row listed as file:row:column: reason; nothing stored.
    _run(path, worker.username, dry_run=True)
    out = capsys.readouterr()
    listed: dict[int, set[str]] = {}
    for line in out.err.splitlines():
        assert line.startswith("cases.csv:"), line
        _, row, column, reason = line.split(":", 3)
        assert reason.strip()
        listed.setdefault(int(row), set()).add(column)
    assert set(listed) == set(bad_rows)
    for row, column in bad_rows.items():
        assert column in listed[row], (row, listed[row])
    assert f"would create {len(GOOD)}" in out.out
    assert Case.objects.count() == 0

    # Default: all or nothing.
    with pytest.raises(CommandError, match="Nothing imported"):
        _run(path, worker.username)
    assert Case.objects.count() == 0 and Person.objects.count() == persons_before
    assert ImportRun.objects.filter(kind=ImportKind.CASES, status=ImportStatus.FAILED).count() == 1

    # --skip-invalid: exactly the good rows; the rejected file holds the others with reasons.
    rejected = tmp_path / "rejected.csv"
    _run(path, worker.username, skip_invalid=True, rejected=str(rejected))
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["C-001", "C-002", "C-003", "C-004"]
    with rejected.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert {int(line[0]) for line in lines[1:]} == set(bad_rows)
    assert all(line[1] for line in lines[1:])

    c1 = Case.objects.get(external_id="C-001")
    assert (
        c1.person.external_id == "P1" and c1.status == Status.ASSESSMENT and c1.risk_level == RiskLevel.HIGH
    )
    assert sorted(c1.risk_reasons.values_list("code", flat=True)) == ["broker_debt", "trafficked"]
    assert sorted(c1.needs.values_list("code", flat=True)) == ["medical", "shelter"]
    assert c1.current_whereabouts == "Back room of a shop near Yanji market"
    stages = list(c1.stages.order_by("pk"))
    assert [s.stage.code for s in stages] == ["crossed_border", "hiding_china"]
    assert stages[0].place is not None and str(stages[0].date) == "2018-03"
    assert c1.owner == worker and c1.organisation == org and c1.compartment == comp
    assert c1.provenance["row"] == 2 and c1.provenance["by"] == worker.username
    assert c1.reference.startswith("C-") and c1.reference != "C-001"
    c3 = Case.objects.get(external_id="C-003")
    assert (
        c3.status == Status.CLOSED and str(c3.closed_on) == "2020-06-30" and c3.closure_reason == "resettled"
    )
    assert [n.full_name for n in PersonName.objects.filter(person=c3.person)] == ["김하늘"]
    assert c3.person.provenance["via"] == "case"
    assert Case.objects.get(external_id="C-002").status == Status.IN_PROGRESS
    # One IMPORTED entry, with counts and no contents.
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORTED).latest("pk")
    assert entry.details["kind"] == "cases" and entry.details["created"] == 4
    assert "Yanji" not in json.dumps(entry.details)

    # Twice: nothing changes (no duplicate case, person, stage).
    state, persons, stages_n = _state(), Person.objects.count(), JourneyStage.objects.count()
    capsys.readouterr()
    _run(path, worker.username, skip_invalid=True, rejected=str(rejected))
    assert "0 created, 0 updated, 4 unchanged" in capsys.readouterr().out
    assert _state() == state
    assert Person.objects.count() == persons and JourneyStage.objects.count() == stages_n


def test_it_updates_a_changed_case_and_refuses_a_second_open_case(tmp_path, capsys):
    org, comp, _, worker = _world(tmp_path)
    path = write_csv(tmp_path / "cases.csv", CASE_HEADERS, GOOD)
    import_file(actor=worker, path=path, kind="cases", organisation=org, compartment=comp)
    changed = [list(r) for r in GOOD]
    changed[1][4], changed[1][5], changed[1][6] = "plan", "medium", "health"
    changed.append(["C-099", "P2", "", "", "new", "", "", "", "", "", "2021-01-01", "", "", ""])
    path = write_csv(tmp_path / "cases2.csv", CASE_HEADERS, changed)
    report = import_file(actor=worker, path=path, kind="cases", organisation=org, compartment=comp)
    assert report.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in report.problems] == [(6, "person id")]
    report = import_file(
        actor=worker, path=path, kind="cases", organisation=org, compartment=comp, skip_invalid=True,
        rejected_path=tmp_path / "r.csv",
    )  # fmt: skip
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    c2 = Case.objects.get(external_id="C-002")
    assert c2.status == Status.PLAN and c2.version == 2
    assert list(c2.risk_reasons.values_list("code", flat=True)) == ["health"]


def test_it_reads_a_cp949_csv_with_korean_headers_and_values(tmp_path, capsys):
    _org, _comp, _, worker = _world(tmp_path)
    headers = [
        "사례번호",
        "대상자번호",
        "상태",
        "위험도",
        "위험요인",
        "필요지원",
        "현재위치",
        "여정",
        "접수일",
        "담당자",
    ]
    rows = [
        ["K-1", "P1", "진행중", "높음", "인신매매 피해 또는 매매 위험", "쉼터·안전가옥", "연길 시장 근처", "국경 월경:회령:2018-03", "2021-03-05", "ngo-worker"],
        ["K-2", "P2", "신규", "", "", "", "", "", "2022.01.15", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "사례.csv", headers, rows, encoding="cp949")
    with translation.override("ko"):
        _run(path, worker.username)
    k1 = Case.objects.get(external_id="K-1")
    assert k1.status == Status.IN_PROGRESS and k1.current_whereabouts == "연길 시장 근처"
    assert k1.stages.get().stage.code == "crossed_border"
    assert str(Case.objects.get(external_id="K-2").opened_on) == "2022-01-15"


def test_it_reports_problems_in_korean_for_a_korean_user(tmp_path, capsys):
    _org, _comp, _, worker = _world(tmp_path)
    worker.preferred_language = "ko"
    worker.save(update_fields=["preferred_language"])
    path = write_csv(tmp_path / "c.csv", CASE_HEADERS, [BAD[1][0]])
    _run(path, worker.username, dry_run=True)
    assert "위험 수준이 중간 이상이면 사유를 하나 이상" in capsys.readouterr().err


def test_it_applies_a_saved_mapping_to_columns_and_list_items(tmp_path):
    org, comp, _, worker = _world(tmp_path)
    ColumnMapping.objects.create(
        organisation=org, name="intake", kind=ImportKind.CASES,
        mapping={"No.": "id", "Client": "person_id", "Since": "opened_on", "Route": "journey", "Help": "needs"},
        value_maps={"needs": {"의료지원": "medical"}, "journey": {"도강": "crossed_border"}},
    )  # fmt: skip
    path = write_csv(
        tmp_path / "m.csv",
        ["No.", "Client", "Since", "Route", "Help"],
        [["M-1", "P1", "2021-05-05", "도강:Musan", "의료지원; legal"]],
    )
    mapping = ColumnMapping.objects.get(name="intake")
    import_file(actor=worker, path=path, kind="cases", organisation=org, compartment=comp, mapping=mapping)
    case = Case.objects.get(external_id="M-1")
    assert sorted(case.needs.values_list("code", flat=True)) == ["legal", "medical"]
    assert case.stages.get().stage.code == "crossed_border"


def test_it_reads_json_and_xlsx(tmp_path):
    from openpyxl import Workbook

    org, comp, _, worker = _world(tmp_path)
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps([{"id": "J-1", "person_id": "P1", "opened_on": "2021-01-01", "needs": "shelter"}]),
        encoding="utf-8",
    )
    import_file(actor=worker, path=path, kind="cases", organisation=org, compartment=comp)
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "person_id", "opened_on", "status"])
    sheet.append(["X-1", "P2", "2021-02-02", "plan"])
    book.save(tmp_path / "c.xlsx")
    import_file(actor=worker, path=tmp_path / "c.xlsx", kind="cases", organisation=org, compartment=comp)
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["J-1", "X-1"]


def test_it_refuses_a_documenter_and_audits_the_refusal(tmp_path):
    org, comp, documenter, _ = _world(tmp_path)
    path = write_csv(tmp_path / "cases.csv", CASE_HEADERS, GOOD)
    with pytest.raises(ImportRefused):
        import_file(actor=documenter, path=path, kind="cases", organisation=org, compartment=comp)
    with pytest.raises(CommandError, match="may not import cases"):
        _run(path, documenter.username)
    assert Case.objects.count() == 0
    assert not ImportRun.objects.filter(kind=ImportKind.CASES).exists()
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=documenter).latest("pk")
    assert refusal.details["capability"] == "edit_cases"


def test_it_refuses_a_case_worker_outside_the_compartment(tmp_path):
    org, comp, _, _ = _world(tmp_path)
    from haven.accounts.models import Compartment

    other = Compartment.objects.create(code="ngo-other", name="other", organisation=org)
    outsider = user_with(Role.CASE_WORKER, [other], "outside-worker")
    path = write_csv(tmp_path / "cases.csv", CASE_HEADERS, GOOD)
    with pytest.raises(ImportRefused):
        import_file(actor=outsider, path=path, kind="cases", organisation=org, compartment=comp)
    assert Case.objects.count() == 0
