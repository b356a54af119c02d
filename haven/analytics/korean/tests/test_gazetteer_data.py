"""Checks on the gazetteer data file that the Django app loads (haven/places/data/gazetteer.yaml).

The file is plain YAML, so these tests need no database: they catch a bad row before ``load_gazetteer`` does.
North Korea's administrative units are not in the file; rows may name them as parents (KP-09-HOERYONG).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from haven.analytics.korean.places import nk_admin_units

HAVEN = Path(__file__).resolve().parents[3]
GAZETTEER = HAVEN / "places" / "data" / "gazetteer.yaml"
FACILITY_TYPES = HAVEN / "vocab" / "data" / "facility-types.yaml"

KINDS = {
    "country", "province", "special_city", "prefecture", "county", "city", "district", "site", "border_crossing",
    "detention_facility", "embassy", "consulate", "unhcr_office", "shelter", "transit_point", "river",
}  # fmt: skip
# The facility codes the brief names; the vocabulary file, when present, is the authority.
BRIEF_FACILITY_TYPES = {
    "kwanliso", "kyohwaso", "jipkyulso", "rodong_danryeondae", "kuryujang", "waiting_room", "detention_centre",
    "cn_detention_centre", "cn_border_detention",
}  # fmt: skip


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with GAZETTEER.open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["locations"])


def _codes(terms: list[dict[str, Any]]) -> Iterator[str]:
    for term in terms:
        yield str(term["code"])
        yield from _codes(term.get("children") or [])


@pytest.fixture(scope="module")
def facility_types() -> set[str]:
    if not FACILITY_TYPES.exists():
        return BRIEF_FACILITY_TYPES
    with FACILITY_TYPES.open(encoding="utf-8") as fh:
        return set(_codes(yaml.safe_load(fh)["terms"]))


def test_it_has_a_header(document: dict[str, Any]) -> None:
    assert document["version"] == 1
    assert isinstance(document["source"], str) and document["source"].strip()


def test_it_has_unique_codes_that_do_not_clash_with_north_korean_units(rows: list[dict[str, Any]]) -> None:
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    assert not set(codes) & {u.code for u in nk_admin_units()}
    assert all(code.isascii() and code == code.upper() and " " not in code for code in codes)


def test_it_lists_parents_before_children(rows: list[dict[str, Any]]) -> None:
    north_korean = {u.code for u in nk_admin_units()}  # hung under KP by the loader
    seen: set[str] = set()
    for row in rows:
        parent = row["parent"]
        if row["kind"] in {"country", "river"}:
            assert parent is None, row["code"]
        else:
            assert parent in seen or parent in north_korean, f"{row['code']}: parent {parent!r}"
        seen.add(row["code"])


def test_it_uses_known_kinds_and_has_names(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert row["kind"] in KINDS, row["code"]
        assert isinstance(row["name_en"], str) and row["name_en"].strip(), row["code"]
        assert isinstance(row.get("name_ko") or "", str)
        assert isinstance(row.get("variants") or [], list)
        assert all(isinstance(v, str) and v.strip() for v in row.get("variants") or []), row["code"]
        assert set(row) <= {"code", "parent", "kind", "name_en", "name_ko", "name_zh", "variants", "lat", "lon",
                            "facility_type", "approximate", "note"}, row["code"]  # fmt: skip


def test_it_keeps_coordinates_in_range(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        lat, lon = row["lat"], row["lon"]
        assert isinstance(lat, (int, float)) and isinstance(lon, (int, float)), row["code"]
        assert -90 <= lat <= 90 and -180 <= lon <= 180, row["code"]
        assert round(lat, 3) == lat and round(lon, 3) == lon, f"{row['code']}: 2-3 decimals"


def test_it_places_north_korean_sites_inside_north_korea(rows: list[dict[str, Any]]) -> None:
    north_korean = {u.code for u in nk_admin_units()}
    for row in rows:
        if row["parent"] in north_korean or str(row["parent"]).startswith("KP-"):
            assert 37.6 < row["lat"] < 43.1 and 124.1 < row["lon"] < 130.8, row["code"]


def test_it_gives_every_detention_facility_a_known_facility_type(
    rows: list[dict[str, Any]], facility_types: set[str]
) -> None:
    facilities = [row for row in rows if row["kind"] == "detention_facility"]
    assert len(facilities) >= 10
    for row in facilities:
        assert row.get("facility_type") in facility_types, row["code"]
        assert row.get("approximate") is True, (
            f"{row['code']}: facility points are approximate public locations"
        )
    for row in rows:
        if row["kind"] != "detention_facility":
            assert row.get("facility_type") is None, row["code"]


def test_it_has_the_places_the_work_needs(rows: list[dict[str, Any]]) -> None:
    by_code = {row["code"]: row for row in rows}
    for country in ["KP", "KR", "CN", "LA", "TH", "VN", "KH", "MN", "RU", "US", "JP", "GB", "DE", "CA"]:
        assert by_code[country]["kind"] == "country"
    yanbian = {row["name_en"] for row in rows if row["parent"] == "CN-JL-YANBIAN"}
    assert yanbian == {"Yanji", "Tumen", "Longjing", "Helong", "Hunchun", "Antu", "Wangqing", "Dunhua"}
    names = {row["name_en"] for row in rows}
    for needed in ["Changbai Korean Autonomous County", "Dandong", "Shenyang", "Dalian", "Vientiane", "Boten",
                   "Bangkok", "Chiang Saen", "Mae Sai", "Hanoi", "Phnom Penh", "Ulaanbaatar", "Seoul",
                   "Hanawon", "Tumen River", "Yalu River"]:  # fmt: skip
        assert needed in names, needed
    assert sum(row["kind"] == "embassy" for row in rows) >= 6
    assert sum(row["kind"] == "unhcr_office" for row in rows) >= 2
    kwanliso = {row["parent"] for row in rows if row.get("facility_type") == "kwanliso"}
    assert {"KP-02-KAECHON", "KP-08-YODOK", "KP-09-MYONGGAN", "KP-09-HOERYONG"} <= kwanliso


def test_it_names_each_place_once_in_english(rows: list[dict[str, Any]]) -> None:
    """The Django app looks places up by English name in places; two rows with one name would be ambiguous."""
    north_korean = {u.name_en for u in nk_admin_units()}
    names = [row["name_en"] for row in rows]
    assert len(names) == len(set(names))
    assert not set(names) & north_korean
