"""Check the shipped data files for internal consistency, against the totals their sources publish.

These read the CSV files directly: a failure here is a transcription error in ``haven/reference/data``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from haven.reference.services import DATA_DIR, read_metadata

NAMES = [
    "mou-arrivals-annual",
    "mou-arrivals-subannual",
    "mou-arrivals-early",
    "mou-settlement-indicators",
    "unhcr-dprk-origin",
    "unhcr-dprk-origin-totals",
    "unhcr-dprk-asylum-flows",
    "tip-tiers",
]


def rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_dataset_has_its_metadata_and_data_file():
    assert sorted(p.stem for p in DATA_DIR.glob("*.yaml")) == sorted(NAMES)
    assert sorted(p.stem for p in DATA_DIR.glob("*.csv")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_complete_and_columns_match_the_file(name: str):
    doc = read_metadata(DATA_DIR / f"{name}.yaml")
    assert doc["publisher"] and doc["source_url"] and doc["caveats"] and doc["licence"]
    assert doc["title"]["en"] and doc["title"]["ko"]
    header = next(csv.reader((DATA_DIR / f"{name}.csv").open(encoding="utf-8")))
    assert header == [c["name"] for c in doc["columns"]]
    raw = (DATA_DIR / f"{name}.csv").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n"), "shipped files use \\n line ends"


# -- MOU annual --------------------------------------------------------------------------------------------


def test_mou_annual_covers_the_earliest_published_rows_to_2025():
    periods = [r["period"] for r in rows("mou-arrivals-annual")]
    assert periods == ["~1998", "1999-2001", *(str(y) for y in range(2002, 2026))]


def test_mou_annual_male_plus_female_is_the_total_in_every_row():
    for r in rows("mou-arrivals-annual"):
        assert int(r["male"]) + int(r["female"]) == int(r["total"]), r["period"]


# Cumulative totals published by MOU (reference-data.md, 1a "Confidence"): total, and male/female where given.
PUBLISHED_CUMULATIVE = {
    "2016": (30212, None, None),
    "2017": (31339, None, None),
    "2022": (33882, 9510, 24372),
    "2023": (34078, 9542, 24536),
    "2024": (34314, 9568, 24746),
    "2025": (34537, 9593, 24944),
}


def test_mou_annual_cumulative_sums_reproduce_the_published_cumulative_totals():
    total = male = female = 0
    seen = set()
    for r in rows("mou-arrivals-annual"):
        total += int(r["total"])
        male += int(r["male"])
        female += int(r["female"])
        if r["period"] in PUBLISHED_CUMULATIVE:
            want_total, want_male, want_female = PUBLISHED_CUMULATIVE[r["period"]]
            assert total == want_total, r["period"]
            assert want_male is None or male == want_male, r["period"]
            assert want_female is None or female == want_female, r["period"]
            seen.add(r["period"])
    assert seen == set(PUBLISHED_CUMULATIVE)


def test_mou_annual_2024_is_the_full_year_and_2025_the_corrected_figure():
    by = {r["period"]: r for r in rows("mou-arrivals-annual")}
    assert (by["2024"]["male"], by["2024"]["female"], by["2024"]["total"]) == ("26", "210", "236")
    assert (by["2025"]["male"], by["2025"]["female"], by["2025"]["total"]) == ("25", "198", "223")
    assert by["2025"]["status"] == "corrected" and "224" in by["2025"]["note"]


# -- MOU sub-annual and early ------------------------------------------------------------------------------


def test_mou_subannual_quarters_add_up_to_the_final_annual_figures():
    annual = {r["period"]: r for r in rows("mou-arrivals-annual")}
    quarters: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows("mou-arrivals-subannual"):
        if " Q" in r["period"]:
            quarters[r["period"][:4]].append(r)
    for year in ("2019", "2020", "2021"):
        assert len(quarters[year]) == 4, year
        assert sum(int(q["arrivals"]) for q in quarters[year]) == int(annual[year]["total"]), year
    assert sum(int(q["male"]) for q in quarters["2021"]) == int(annual["2021"]["male"])
    assert sum(int(q["female"]) for q in quarters["2021"]) == int(annual["2021"]["female"])


def test_mou_subannual_parts_add_up_where_the_source_gives_both():
    by = {(r["period"], r["status"]): r for r in rows("mou-arrivals-subannual")}
    months = sum(int(by[(m, "")]["arrivals"]) for m in ("2012 Jan", "2012 Feb", "2012 Mar"))
    assert months == int(by[("2012 Q1", "")]["arrivals"]) == 366
    assert int(by[("2024 Q1", "")]["arrivals"]) + int(by[("2024 Q2", "")]["arrivals"]) == 105
    assert by[("2024 H1", "")]["arrivals"] == "105"
    for r in by.values():
        if r["male"] and r["female"]:
            assert int(r["male"]) + int(r["female"]) == int(r["arrivals"]), r["period"]
        assert r["period_from"] <= r["period_to"], r["period"]


def test_mou_subannual_marks_derived_provisional_and_revised_figures():
    by = {(r["period"], r["status"]): r["arrivals"] for r in rows("mou-arrivals-subannual")}
    assert by[("2011 H1", "derived")] == "1295"
    assert by[("2012 H1", "provisional")] == "751"
    assert by[("2012 H1", "revised")] == "710"
    assert by[("2012 Feb", "")] == "90" and by[("2012 Feb", "revised")] == "84"


def test_mou_early_derived_rows_are_the_arithmetic_of_the_published_ones():
    by = {(r["period"], r["status"]): r for r in rows("mou-arrivals-early") if r["total"]}
    assert int(by[("to 1989", "")]["total"]) + int(by[("1990-1998", "derived")]["total"]) == int(
        by[("to 1998", "")]["total"]
    )
    singles = sum(int(by[(p, s)]["total"]) for p, s in [("1999", "derived"), ("2000", ""), ("2001", "")])
    assert singles == int(by[("1999-2001", "")]["total"]) == 1043
    annual = {r["period"]: r["total"] for r in rows("mou-arrivals-annual")}
    assert annual["~1998"] == by[("to 1998", "")]["total"]
    assert annual["1999-2001"] == by[("1999-2001", "")]["total"]


# -- UNHCR -------------------------------------------------------------------------------------------------


def test_unhcr_per_country_rows_sum_to_the_yearly_totals():
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows("unhcr-dprk-origin"):
        s = sums[r["year"]]
        s[0] += int(r["refugees"])
        s[1] += int(r["asylum_seekers"])
        s[2] += 1
        assert int(r["refugees"]) + int(r["asylum_seekers"]) > 0, r
        assert r["coa_iso"] != "KOR", "the Republic of Korea is never a country of asylum"
    totals = {
        r["year"]: [int(r["refugees"]), int(r["asylum_seekers"]), int(r["countries"])]
        for r in rows("unhcr-dprk-origin-totals")
    }
    assert dict(sums) == totals
    assert len(rows("unhcr-dprk-origin")) == 324  # the PRK rows of UNHCR's extract
    assert "1997" not in totals and min(totals) == "1996" and max(totals) == "2025"


# reference-data.md 2c: refugees and asylum-seekers by country for 2011, 2024 and 2025 ("-" = no row).
TABLE_2C = {
    "GBR": ((603, 59), (15, 30), (14, 16)),
    "DEU": ((193, 10), (93, 0), (86, 0)),
    "CAN": ((64, 393), (88, 5), (90, 0)),
    "NLD": ((36, 5), (24, 0), (20, 0)),
    "BEL": ((31, 32), (16, 0), (15, 5)),
    "AUS": ((29, 6), (0, 14), (0, 12)),
    "USA": ((25, 0), (7, 45), (7, 6)),
    "RUS": ((18, 35), None, None),
    "DNK": ((14, 0), (8, 0), None),
    "NOR": ((14, 5), None, None),
    "SWE": ((9, 5), (10, 0), (6, 0)),
    "IRL": ((5, 0), (9, 6), (13, 0)),
    "CHE": ((5, 0), (0, 5), None),
    "ISR": (None, (5, 0), (5, 0)),
    "LUX": (None, (8, 0), (7, 0)),
    "BRA": (None, None, (0, 6)),
}


def test_unhcr_per_country_rows_match_the_2011_2024_and_2025_table():
    have = {
        (r["year"], r["coa_iso"]): (int(r["refugees"]), int(r["asylum_seekers"]))
        for r in rows("unhcr-dprk-origin")
    }
    for country, cells in TABLE_2C.items():
        for year, cell in zip(("2011", "2024", "2025"), cells, strict=True):
            assert have.get((year, country)) == cell, (year, country)
    for year in ("2011", "2024", "2025"):
        listed = {c for c, cells in TABLE_2C.items() if cells[("2011", "2024", "2025").index(year)]}
        assert {c for (y, c) in have if y == year} == listed, year


def test_unhcr_asylum_decisions_add_up():
    for r in rows("unhcr-dprk-asylum-flows"):
        parts = sum(int(r[c]) for c in ("dec_recognized", "dec_other", "dec_rejected", "dec_closed"))
        assert parts == int(r["dec_total"]), r["year"]
    assert [r["applied"] for r in rows("unhcr-dprk-asylum-flows") if r["year"] == "2024"] == [""]


# -- TIP ---------------------------------------------------------------------------------------------------


def test_tip_has_both_countries_for_every_report_year_2001_to_2025():
    table = {(r["report_year"], r["country_iso"]): r for r in rows("tip-tiers")}
    assert set(table) == {(str(y), c) for y in range(2001, 2026) for c in ("PRK", "CHN")}
    nk = [table[(str(y), "PRK")]["tier"] for y in range(2001, 2026)]
    assert nk[:2] == ["not in report"] * 2 and nk[2:] == ["Tier 3"] * 23
    china = {y: table[(str(y), "CHN")]["tier"] for y in range(2001, 2026)}
    assert {y for y, t in china.items() if t == "Tier 2"} == {2001, 2002, 2003, 2004}
    assert {y for y, t in china.items() if t == "Tier 2 Watch List"} == {*range(2005, 2013), 2014, 2015, 2016}
    assert {y for y, t in china.items() if t == "Tier 3"} == {2013, *range(2017, 2026)}
    assert table[("2004", "CHN")]["status"] == "conflicting-sources"
    assert table[("2022", "CHN")]["status"] == "not-read-directly"
    assert {y for (y, c), r in table.items() if c == "PRK" and r["status"] == "implied"} == {"2016", "2019"}
    assert all(r["sources"] for r in table.values())


def test_no_row_is_marked_as_unverified_memory():
    for name in NAMES:
        text = (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8").lower()
        assert "from memory" not in text, name


def test_data_dir_is_inside_the_package():
    assert Path(DATA_DIR).is_dir() and DATA_DIR.parent.name == "reference"
