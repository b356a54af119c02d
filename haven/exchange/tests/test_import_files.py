"""Files as they come: encodings, XLSX, JSON, Korean headers, saved mappings, and broken or huge files."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from haven.exchange.importing import import_file
from haven.exchange.mapping import MappingError
from haven.exchange.models import ColumnMapping, ImportRun, ImportStatus
from haven.exchange.readers import ImportFileError
from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world, write_csv
from haven.records.models import Person

pytestmark = pytest.mark.django_db

KOREAN_HEADERS = ["번호", "성명", "영문 이름", "성별", "출생연도", "고향", "탈북연도"]
ROWS = [
    ["K1", "김은정", "Kim Eun-jung", "여", "1981", "함경북도 무산군", "2008"],
    ["K2", "박철민", "Pak Chol-min", "남", "1975", "량강도", "2011"],
]


def _import(path: Path, **options: object):  # type: ignore[no-untyped-def]
    org, comp, user = setup_world()
    return import_file(actor=user, path=path, kind="persons", organisation=org, compartment=comp, **options)


def _stored() -> set[tuple[str, str, int | None]]:
    return {
        (p.external_id, p.sex, p.exit_year)
        for p in Person.objects.all()  # few rows
    }


EXPECTED = {("K1", "F", 2008), ("K2", "M", 2011)}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_each_encoding_is_detected(tmp_path, encoding):
    path = write_csv(tmp_path / "k.csv", KOREAN_HEADERS, ROWS, encoding=encoding)
    report = _import(path)
    assert report.status == ImportStatus.SUCCEEDED, report.problems
    assert _stored() == EXPECTED
    assert "김은정" in {n.full_name for n in Person.objects.get(external_id="K1").names.all()}


def test_a_named_encoding_is_used(tmp_path):
    path = write_csv(tmp_path / "k.csv", KOREAN_HEADERS, ROWS, encoding="cp949")
    assert _import(path, encoding="EUC-KR").status == ImportStatus.SUCCEEDED
    assert _stored() == EXPECTED


def test_a_wrongly_named_encoding_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "k.csv", KOREAN_HEADERS, ROWS, encoding="cp949")
    with pytest.raises(ImportFileError, match="not valid utf-8 text"):
        _import(path, encoding="utf-8")
    with pytest.raises(ImportFileError, match="Unknown encoding"):
        _import(path, encoding="klingon")
    assert Person.objects.count() == 0


def test_an_unknown_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,name\r\n1,\x80\xff\x80\xff\r\n")
    with pytest.raises(ImportFileError, match="encoding could not be recognised"):
        _import(path)
    assert ImportRun.objects.count() == 0


def test_korean_messages(tmp_path):
    rows = [[*ROWS[0][:3], "아마도", *ROWS[0][4:]]]
    path = write_csv(tmp_path / "k.csv", KOREAN_HEADERS, rows)
    with translation.override("ko"):
        report = _import(path)
    assert report.status == ImportStatus.FAILED
    assert report.problems[0].column == "성별"
    assert report.problems[0].reason == "아마도은(는) 성별 값(F, M, X, U 또는 여, 남)이 아닙니다."


def test_xlsx(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(KOREAN_HEADERS)
    for row in ROWS:
        sheet.append([*row[:4], int(row[4]), row[5], float(row[6])])  # numbers as spreadsheets store them
    path = tmp_path / "k.xlsx"
    book.save(path)
    assert _import(path).status == ImportStatus.SUCCEEDED
    assert _stored() == EXPECTED


def test_json(tmp_path):
    path = tmp_path / "k.json"
    path.write_text(
        json.dumps([dict(zip(PERSON_HEADERS, r, strict=True)) | {"exit_year": int(r[6])} for r in ROWS]),
        encoding="utf-8",
    )
    assert _import(path).status == ImportStatus.SUCCEEDED
    assert _stored() == EXPECTED


def test_a_saved_mapping_with_value_maps(tmp_path):
    org, comp, user = setup_world()
    ColumnMapping.objects.create(
        organisation=org,
        name="sheet-2024",
        kind="persons",
        mapping={"No.": "id", "Hangul": "name_hangul", "Gender (code)": "sex", "Left": "exit_year"},
        value_maps={"sex": {"1": "F", "2": "M"}},
    )
    path = write_csv(
        tmp_path / "m.csv",
        ["No.", "Hangul", "Gender (code)", "Left"],
        [["K1", "김은정", "1", "2008"], ["K2", "박철민", "2", "2011"]],
    )
    call_command(
        "import",
        str(path),
        kind="persons",
        source="ngo",
        compartment="ngo-main",
        user=user.username,
        mapping="sheet-2024",
    )
    assert _stored() == EXPECTED
    assert ImportRun.objects.get().mapping_name == "sheet-2024"


def test_a_missing_id_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["name", "sex"], [["김은정", "F"]])
    with pytest.raises(MappingError, match="Required columns are missing: id"):
        _import(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.xlsx", b"PK\x03\x04 this is not a workbook", "not a readable XLSX"),
        ("bad.json", b'[{"id": "1", "name": "\xea\xb9\x80"', "JSON is malformed at line 1"),
        ("bad2.json", b'{"id": "1"}', "must be a list of objects"),
        ("empty.csv", b"", "empty"),
        ("nul.csv", b'id,name\r\n1,"unterminated\r\n', "malformed"),
        ("x.pdf", b"%PDF-1.4", "Unsupported file type"),
        ("long.json", b'[{"id": ' + b"9" * 5000 + b"}]", "number too long"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        ("nulhead.csv", b"id,na\x00me\r\n1,x\r\n", "column name holds a NUL"),
        ("surrogate.json", b'[{"id": "1", "na\\ud800me": "x"}]', "column name holds a NUL"),
    ],
)
def test_malformed_files_are_clear_errors_and_store_nothing(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises((ImportFileError, MappingError), match=message):
        _import(path)
    assert Person.objects.count() == 0


def test_a_truncated_xlsx_is_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(PERSON_HEADERS)
    for row in person_rows(200)[0]:
        book.active.append(row)
    path = tmp_path / "t.xlsx"
    book.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError, match="XLSX"):
        _import(path)


def test_a_workbook_with_damaged_compressed_data_is_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(PERSON_HEADERS)
    book.active.append(ROWS[0])
    path = tmp_path / "d.xlsx"
    book.save(path)
    data = bytearray(path.read_bytes())
    # The first bytes of a deflated member's data: zlib, not zipfile, is the one to find them broken.
    member = zipfile.ZipFile(path).getinfo("[Content_Types].xml")
    name_length, extra_length = struct.unpack(
        "<HH", data[member.header_offset + 26 : member.header_offset + 30]
    )
    start = member.header_offset + 30 + name_length + extra_length
    data[start : start + 3] = b"\xff\xff\xff"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        _import(path)
    assert ImportRun.objects.count() == 0


def test_a_nul_or_a_lone_surrogate_in_a_value_is_reported_by_row_and_column(tmp_path):
    # PostgreSQL refuses NUL in any text; a lone surrogate (a JSON escape) has no UTF-8 form at all.
    path = write_csv(
        tmp_path / "n.csv", ["id", "name", "notes"], [["A\x00", "김은정", ""], ["A2", "박철민", ""]]
    )
    report = _import(path, skip_invalid=True)
    assert [(p.row, p.column) for p in report.problems] == [(2, "id")]
    assert "NUL character" in report.problems[0].reason
    path = tmp_path / "s.json"
    path.write_bytes(b'[{"id": "A3", "name": "\xec\xb5\x9c\xec\x98\x88\xeb\xa6\xb0", "notes": "x\\udc00y"}]')
    report = _import(path)
    assert [(p.row, p.column) for p in report.problems] == [(1, "notes")]
    assert [p.external_id for p in Person.objects.all()] == ["A2"]


def test_ragged_rows_are_reported_per_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,sex\nA1,김은정,F\nA2,박철민,M,extra,cells\nA3,최예린\n", encoding="utf-8")
    report = _import(path)
    assert report.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in report.problems] == [(3, "")]
    assert "5 cells but the header has 3 columns" in report.problems[0].reason
    assert Person.objects.count() == 0


def test_a_row_too_long_is_reported(tmp_path):
    rows = [["A1", "김은정", "x" * 70_000], ["A2", "박철민", ""]]
    report = _import(write_csv(tmp_path / "l.csv", ["id", "name", "notes"], rows), skip_invalid=True)
    assert [(p.row, p.reason) for p in report.problems] == [(2, "The row is longer than 65536 characters.")]
    assert report.rejected_file.stat().st_mode & 0o777 == 0o600
    assert [p.external_id for p in Person.objects.all()] == ["A2"]


def test_a_field_beyond_the_csv_limit_stops_the_file(tmp_path):
    path = write_csv(tmp_path / "l.csv", ["id", "name", "notes"], [["A1", "김은정", "x" * 200_000]])
    with pytest.raises(ImportFileError, match="malformed near line"):
        _import(path)
    assert Person.objects.count() == 0


@override_settings(HAVEN_IMPORT_MAX_BYTES=1000)
def test_a_file_over_the_size_limit_is_refused(tmp_path, capsys):
    org, comp, user = setup_world()
    path = write_csv(tmp_path / "big.csv", PERSON_HEADERS, person_rows(100)[0])
    with pytest.raises(
        CommandError, match=r"big.csv: The file is \d+ bytes; imports of this type are limited to 1000"
    ):
        call_command(
            "import", str(path), kind="persons", source="ngo", compartment="ngo-main", user=user.username
        )
    assert Person.objects.count() == 0 and ImportRun.objects.count() == 0


def test_names_in_the_wrong_script_column_are_reported(tmp_path):
    rows = [["A1", "Kim Eun-jung", "김은정", "F", "", "", ""]]
    report = _import(write_csv(tmp_path / "s.csv", PERSON_HEADERS, rows))
    assert {p.column for p in report.problems} == {"name_hangul", "name_romanized"}


def test_imprecise_dates_are_parsed_and_bad_ones_reported(tmp_path):
    headers = ["id", "name", "date of birth"]
    rows = [["A1", "김은정", "1981년 3월"], ["A2", "박철민", "c. 1975"], ["A3", "최예린", "1981-13-01"]]
    report = _import(write_csv(tmp_path / "d.csv", headers, rows), skip_invalid=True)
    assert [(p.row, p.column) for p in report.problems] == [(4, "date of birth")]
    assert "not between 1 and 12" in report.problems[0].reason
    assert {p.external_id: p.birth_date for p in Person.objects.all()} == {"A1": "1981-03", "A2": "c. 1975"}


def test_a_mapping_is_saved_with_the_command_and_used(tmp_path):
    org, comp, user = setup_world()
    spec = tmp_path / "mapping.json"
    spec.write_text(
        json.dumps(
            {"mapping": {"No.": "id", "Hangul": "name_hangul", "G": "sex"}, "value_maps": {"sex": {"1": "F"}}}
        ),
        encoding="utf-8",
    )
    call_command("import_mapping", str(spec), source="ngo", name="v1", kind="persons", user=user.username)
    path = write_csv(tmp_path / "m.csv", ["No.", "Hangul", "G"], [["K1", "김은정", "1"]])
    call_command(
        "import",
        str(path),
        kind="persons",
        source="ngo",
        compartment="ngo-main",
        user=user.username,
        mapping="v1",
    )
    assert [(p.external_id, p.sex) for p in Person.objects.all()] == [("K1", "F")]
    spec.write_text(json.dumps({"mapping": {"No.": "shoe_size"}}), encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown Haven fields: shoe_size"):
        call_command("import_mapping", str(spec), source="ngo", name="v1", kind="persons", user=user.username)
