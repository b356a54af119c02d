from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from haven.audit.models import AuditAction, AuditEntry
from haven.reference.files import ReferenceFileError
from haven.reference.models import ReferenceRow, ReferenceVersion
from haven.reference.selectors import reference_rows, reference_version
from haven.reference.services import (
    DATA_DIR,
    ReferenceDataError,
    reference_diff,
    reference_export,
    reference_load_shipped,
    reference_update,
)

pytestmark = pytest.mark.usefixtures("shipped")


def shipped_text(name: str) -> str:
    return (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")


def revised_mou(tmp_path: Path, old: str = "2025,25,198,223", new: str = "2025,27,200,227") -> Path:
    text = shipped_text("mou-arrivals-annual")
    assert old in text
    path = tmp_path / "mou-2026.csv"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def state() -> tuple[int, int, int, list[int]]:
    return (
        ReferenceVersion.objects.count(),
        ReferenceRow.objects.count(),
        AuditEntry.objects.count(),
        list(ReferenceVersion.objects.filter(is_current=True).values_list("pk", flat=True).order_by("pk")),
    )


def row(name: str, version: int | None = None, **match: str) -> dict[str, str]:
    found = [r for r in reference_rows(name, version) if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_a_revised_file_becomes_current_and_the_old_version_is_kept(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("analyst", password="x")
    version = reference_update(
        "mou-arrivals-annual",
        revised_mou(tmp_path),
        actor=user,
        published_on=dt.date(2026, 7, 1),
        note="MOU table of July 2026",
    )
    assert (version.number, version.is_current, version.loaded_by, version.origin) == (2, True, user, "file")
    assert version.published_on == dt.date(2026, 7, 1) and version.retrieved_on is not None
    assert not reference_version("mou-arrivals-annual", 1).is_current
    assert row("mou-arrivals-annual", period="2025")["total"] == "227"
    assert row("mou-arrivals-annual", 1, period="2025")["total"] == "223"
    old_export = reference_export("mou-arrivals-annual", version=1)
    assert "\n2025,25,198,223,corrected," in old_export and "(superseded)" in old_export
    new_export = reference_export("mou-arrivals-annual")
    assert "\n2025,27,200,227,corrected," in new_export
    assert "# Dataset: mou-arrivals-annual, version 2 of 2 (current)\n" in new_export
    assert "# Published: 2026-07-01\n" in new_export and "MOU table of July 2026" in new_export
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORTED).order_by("-seq").first()
    assert entry.actor == user and entry.details["dataset"] == "mou-arrivals-annual"
    assert entry.details["version"] == 2 and entry.details["rows"] == 26
    assert entry.target_id == str(version.pk)


def test_the_diff_lists_the_revised_cells(tmp_path):
    reference_update("mou-arrivals-annual", revised_mou(tmp_path))
    diff = reference_diff("mou-arrivals-annual", 1, 2)
    changed = {(c.key["period"], c.column, c.old, c.new) for c in diff.changed}
    assert changed == {
        ("2025", "male", "25", "27"),
        ("2025", "female", "198", "200"),
        ("2025", "total", "223", "227"),
    }
    assert diff.added == [] and diff.removed == []
    assert reference_diff("mou-arrivals-annual", 2, 2).is_empty


def test_the_diff_lists_added_and_removed_rows(tmp_path):
    text = shipped_text("mou-arrivals-annual").replace("2024,26,210,236,,", "2024,26,210,236,revised,")
    path = tmp_path / "mou.csv"
    path.write_text(text + "2026,10,20,30,provisional,,\n", encoding="utf-8")
    reference_update("mou-arrivals-annual", path)
    diff = reference_diff("mou-arrivals-annual", 1, 2)
    assert [r["period"] for r in diff.added] == ["2024", "2026"]
    assert [r["period"] for r in diff.removed] == ["2024"]


def test_a_publishers_csv_with_korean_headers_title_rows_and_commas_loads(tmp_path):
    lines = ["북한이탈주민 입국인원 현황", "(단위: 명)", "연도,남,여,합계"]
    lines += ["~'98,831,116,947", "'99~'01,565,478,\"1,043\"", '2002,510,632,"1,142"']
    path = tmp_path / "mou.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    version = reference_update("mou-arrivals-annual", path)
    assert reference_rows("mou-arrivals-annual") == [
        {
            "period": "~1998",
            "male": "831",
            "female": "116",
            "total": "947",
            "status": "",
            "source": "",
            "note": "",
        },
        {
            "period": "1999-2001",
            "male": "565",
            "female": "478",
            "total": "1043",
            "status": "",
            "source": "",
            "note": "",
        },
        {
            "period": "2002",
            "male": "510",
            "female": "632",
            "total": "1142",
            "status": "",
            "source": "",
            "note": "",
        },
    ]
    assert "UTF-8" in version.note


def test_a_cp949_csv_loads(tmp_path):
    path = tmp_path / "mou-cp949.csv"
    path.write_bytes(
        "연도,남자,여자,합계,비고\n2024,26,210,236,통일부 발표\n2025,25,198,223,정정\n".encode("cp949")
    )
    version = reference_update("mou-arrivals-annual", path)
    assert version.row_count == 2 and "CP949" in version.note and "비고" in version.note
    assert row("mou-arrivals-annual", period="2025")["female"] == "198"


def test_a_utf8_bom_csv_loads(tmp_path):
    path = tmp_path / "mou-bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"period,male,female,total\n2025,25,198,223\n")
    assert reference_update("mou-arrivals-annual", path).row_count == 1


def test_an_export_loads_back_as_the_same_rows(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(reference_export("unhcr-dprk-origin"), encoding="utf-8")
    reference_update("unhcr-dprk-origin", path)
    assert reference_diff("unhcr-dprk-origin", 1, 2).is_empty


def test_an_xlsx_file_loads(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Settlement indicators (MOU)"])
    sheet.append([])
    sheet.append(
        [
            "year",
            "economic_activity_rate",
            "employment_rate",
            "unemployment_rate",
            "livelihood_benefit_rate",
            "school_dropout_rate",
        ]
    )
    sheet.append([2023, 63.4, 60.5, 4.5, 22.7, 1.9])
    sheet.append([2024, 64.0, 61.3, 5.4, 22.1, 1.5])
    path = tmp_path / "indicators.xlsx"
    book.save(path)
    version = reference_update("mou-settlement-indicators", path, published_on=dt.date(2025, 6, 1))
    assert version.source_format == "xlsx" and version.number == 2
    assert reference_rows("mou-settlement-indicators") == [
        {
            "year": "2023",
            "economic_activity_rate": "63.4",
            "employment_rate": "60.5",
            "unemployment_rate": "4.5",
            "livelihood_benefit_rate": "22.7",
            "school_dropout_rate": "1.9",
        },
        {
            "year": "2024",
            "economic_activity_rate": "64",
            "employment_rate": "61.3",
            "unemployment_rate": "5.4",
            "livelihood_benefit_rate": "22.1",
            "school_dropout_rate": "1.5",
        },
    ]


def test_an_xlsx_with_month_dates_loads_into_the_subannual_figures(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "period_from", "period_to", "arrivals", "male", "female"])
    sheet.append(["2025 Q1", dt.datetime(2025, 1, 1), dt.datetime(2025, 3, 1), 38, 3, 35])
    path = tmp_path / "quarters.xlsx"
    book.save(path)
    reference_update("mou-arrivals-subannual", path)
    assert row("mou-arrivals-subannual", period="2025 Q1")["period_to"] == "2025-03"


def unhcr_answer(items: list[dict], **page) -> dict:
    return {"page": 1, "maxPages": 1, "total": {}, "items": items, **page}


def item(year: int, coa: str, name: str, refugees, asylum, coo: str = "PRK") -> dict:
    return {
        "year": year,
        "coo_name": "Dem. People's Rep. of Korea" if coo == "PRK" else "Other",
        "coo": coo,
        "coo_iso": coo,
        "coa_name": name,
        "coa": coa,
        "coa_iso": coa,
        "refugees": refugees,
        "asylum_seekers": asylum,
        "returned_refugees": 0,
    }


def test_a_unhcr_api_answer_loads_keeping_only_dprk_origin(tmp_path):
    items = [
        item(2025, "CAN", "Canada", 90, 0),
        item(2025, "DEU", "Germany", "86", "-"),
        item(2025, "GBR", "United Kingdom of Great Britain and Northern Ireland", 14, "16"),
        item(2025, "DEU", "Germany", 12000, 300, coo="SYR"),
        item(2026, "CAN", "Canada", 95, 5),
    ]
    path = tmp_path / "population.json"
    path.write_text(json.dumps(unhcr_answer(items)), encoding="utf-8")
    version = reference_update("unhcr-dprk-origin", path, published_on=dt.date(2026, 6, 12))
    assert version.source_format == "unhcr-json" and version.row_count == 4
    assert "1 rows of other origins skipped" in version.note
    germany = row("unhcr-dprk-origin", year="2025", coa_iso="DEU")
    assert (germany["refugees"], germany["asylum_seekers"]) == ("86", "")  # "-" is not a zero
    assert row("unhcr-dprk-origin", 1, year="2025", coa_iso="DEU")["asylum_seekers"] == "0"
    diff = reference_diff("unhcr-dprk-origin", 1, 2)
    assert [(r["year"], r["coa_iso"]) for r in diff.added] == [("2026", "CAN")]
    assert len(diff.removed) == 324 - 3


def test_a_unhcr_api_answer_loads_into_the_totals_summed_by_year(tmp_path):
    items = [
        item(2025, "CAN", "Canada", 90, 0),
        item(2025, "DEU", "Germany", 86, 0),
        item(2025, "AUS", "Australia", 0, 12),
        item(2025, "NOR", "Norway", 0, 0),
        item(2024, "CAN", "Canada", 88, 5),
    ]
    path = tmp_path / "population.json"
    path.write_text(json.dumps([unhcr_answer(items)]), encoding="utf-8")
    reference_update("unhcr-dprk-origin-totals", path)
    assert reference_rows("unhcr-dprk-origin-totals") == [
        {"year": "2024", "refugees": "88", "asylum_seekers": "5", "countries": "1"},
        {"year": "2025", "refugees": "176", "asylum_seekers": "12", "countries": "3"},
    ]


def test_one_page_of_several_is_refused(tmp_path):
    path = tmp_path / "page1.json"
    path.write_text(
        json.dumps(unhcr_answer([item(2025, "CAN", "Canada", 90, 0)], maxPages=3)), encoding="utf-8"
    )
    with pytest.raises(ReferenceFileError, match="page 1 of 3"):
        reference_update("unhcr-dprk-origin", path)


def test_json_is_refused_for_a_dataset_not_published_as_json(tmp_path):
    path = tmp_path / "tip.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(
        ReferenceFileError, match="tip.json: tip-tiers is loaded from csv, xlsx files, not unhcr-json"
    ):
        reference_update("tip-tiers", path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "mou-arrivals-annual",
            "period,male,total\n2025,25,223\n",
            ["bad.csv: row 1: missing column 'female'"],
        ),
        (
            "mou-arrivals-annual",
            "period,male,female,total\n2024,26,210,236\n2025,25,many,223\n2026,x,1,1\n",
            [
                "bad.csv: row 3, column 'female': not a whole number: 'many'",
                "bad.csv: row 4, column 'male': not a whole number: 'x'",
            ],
        ),
        (
            "mou-arrivals-annual",
            "period,male,female,total\n2024,26,216,236\n",
            ["bad.csv: row 2, column 'total': male + female = 242, but total is 236"],
        ),
        (
            "mou-arrivals-annual",
            "period,male,female,total\n2024,26,210,236\n2024,26,210,236\n",
            ["bad.csv: row 3: the same row (period='2024', status='') as row 2"],
        ),
        (
            "mou-arrivals-annual",
            "period,male,female,total\nsometime,1,1,2\n",
            [
                "bad.csv: row 2, column 'period': not a year, '~YYYY' (cumulative) or 'YYYY-YYYY' (combined years): 'sometime'"
            ],
        ),
        (
            "tip-tiers",
            "report_year,country_iso,tier\n2026,PRK,Tier 4\n",
            ["bad.csv: row 2, column 'tier': 'Tier 4' is not one of"],
        ),
        (
            "mou-arrivals-annual",
            "period,male,female,total\n",
            ["bad.csv: no data rows"],
        ),
    ],
)
def test_a_bad_file_is_refused_naming_file_row_and_column_and_changes_nothing(
    tmp_path, name, content, expected
):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = state()
    with pytest.raises(ReferenceFileError) as info:
        reference_update(name, path)
    for text in expected:
        assert text in str(info.value)
    assert state() == before


def test_a_file_of_another_dataset_is_refused(tmp_path):
    path = tmp_path / "tip.csv"
    path.write_text(shipped_text("tip-tiers"), encoding="utf-8")
    before = state()
    with pytest.raises(ReferenceFileError) as info:
        reference_update("mou-arrivals-annual", path)
    message = str(info.value)
    assert "tip.csv: row 1: missing column 'period'" in message
    assert "needs the columns period, male, female, total" in message and "'report_year'" in message
    assert state() == before


def test_a_broken_xlsx_and_an_undecodable_csv_are_refused(tmp_path):
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(b"not a zip")
    with pytest.raises(ReferenceFileError, match="broken.xlsx: not a readable XLSX workbook"):
        reference_update("mou-arrivals-annual", xlsx)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"period,male,female,total\n\xff\xfe\xff,1,1,2\n")
    with pytest.raises(ReferenceFileError, match="latin.csv: the file is neither UTF-8 nor CP949"):
        reference_update("mou-arrivals-annual", latin)


def test_the_same_file_twice_is_refused(tmp_path):
    path = revised_mou(tmp_path)
    reference_update("mou-arrivals-annual", path)
    with pytest.raises(ReferenceDataError, match="already version 2"):
        reference_update("mou-arrivals-annual", path)
    with pytest.raises(ReferenceDataError, match="already version 1"):
        reference_update("mou-arrivals-annual", DATA_DIR / "mou-arrivals-annual.csv")


def test_a_database_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    import haven.reference.services as services

    def fail(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "audit_record", fail)
    before = state()
    with pytest.raises(RuntimeError):
        reference_update("mou-arrivals-annual", revised_mou(tmp_path))
    assert state() == before
    assert reference_version("mou-arrivals-annual").number == 1


def test_reloading_the_shipped_data_keeps_a_users_newer_version_current(tmp_path):
    reference_update("mou-arrivals-annual", revised_mou(tmp_path), published_on=dt.date(2026, 7, 1))
    assert reference_load_shipped().versions_created == []
    assert reference_version("mou-arrivals-annual").number == 2


def test_a_changed_shipped_file_becomes_a_new_version(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir()
    for suffix in ("yaml", "csv"):
        (directory / f"tip-tiers.{suffix}").write_text(
            (DATA_DIR / f"tip-tiers.{suffix}").read_text(encoding="utf-8"), encoding="utf-8"
        )
    assert reference_load_shipped(directory=directory).versions_created == []
    csv_path = directory / "tip-tiers.csv"
    csv_path.write_text(
        csv_path.read_text(encoding="utf-8") + "2026,PRK,North Korea,Tier 3,,test,\n", encoding="utf-8"
    )
    report = reference_load_shipped(directory=directory)
    assert report.versions_created == ["tip-tiers v2"]
    assert reference_version("tip-tiers").number == 2
    assert len(reference_rows("tip-tiers", 1)) == 50 and len(reference_rows("tip-tiers")) == 51
