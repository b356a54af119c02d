"""prepare_records: derived columns and input validation."""

from __future__ import annotations

import pytest

from haven.analytics.linkage import InputError, prepare_records

from .conftest import record


def test_it_gives_every_spelling_of_ri_sol_ju_a_shared_full_key() -> None:
    table = prepare_records(
        [
            record("a", "1", name_hangul="리설주"),
            record("b", "1", name="Ri Sol Ju"),
            record("c", "1", name="Lee Seol-ju", name_hangul="이설주"),
            record("d", "1", name="Seol-ju Lee"),
        ]
    )
    rows = table.to_pylist()
    assert {r["surname_id"] for r in rows} == {"이"}
    assert {r["given_key"] for r in rows} == {"sol-co"}
    assert all("이|sol-co" in r["full_keys"] for r in rows)


def test_it_derives_years_sex_and_place_codes() -> None:
    table = prepare_records(
        [
            record("a", "1", sex="여", birth_year="1975", exit_year=" 2004 ", origin="함경북도 회령시"),
            record("a", "2", sex="M", birth_year="", origin="Hamgyŏng-pukto"),
            record("a", "3", sex="", origin="Sunam District, Chongjin"),
            record("a", "4", origin="somewhere else"),
        ]
    )
    rows = table.to_pylist()
    assert (rows[0]["sex"], rows[0]["birth_year"], rows[0]["exit_year"]) == ("f", 1975, 2004)
    assert (rows[0]["province"], rows[0]["county"]) == ("KP-09", "KP-09-HOERYONG")
    assert (rows[1]["sex"], rows[1]["birth_year"], rows[1]["province"], rows[1]["county"]) == (
        "m",
        None,
        "KP-09",
        None,
    )
    # A city district is compared at city level.
    assert rows[2]["county"] == "KP-09-CHONGJIN"
    assert rows[3]["province"] is None
    assert rows[0]["birth_bin_a"] == 1975 // 4 and rows[0]["birth_bin_b"] == 1977 // 4


def test_it_reads_the_origin_as_a_place_in_north_korea() -> None:
    # 연사 and 화대 alone are "weak" names (also words or southern places) that the gazetteer accepts only
    # in a North Korean context, which a place-of-origin field is; Seoul stays unknown.
    rows = prepare_records(
        [record("a", "1", origin="연사"), record("a", "2", origin="화대"), record("a", "3", origin="Seoul")]
    ).to_pylist()
    assert [(r["province"], r["county"]) for r in rows] == [
        ("KP-09", "KP-09-YONSA"),
        ("KP-09", "KP-09-HWADAE"),
        (None, None),
    ]


def test_given_ends_hold_both_ends_of_the_given_name_key() -> None:
    rows = prepare_records(
        [record("a", "1", name="Park Minjung"), record("a", "2", name="Park Minujng"), record("a", "3")]
    ).to_pylist()
    assert rows[0]["given_key"] == "min-cong" and rows[0]["given_ends"] == ["<min", "ong>"]
    assert rows[1]["given_key"] != rows[0]["given_key"]
    assert set(rows[0]["given_ends"]) & set(rows[1]["given_ends"]) == {"<min"}  # one slip apart
    assert rows[2]["given_ends"] == []


def test_it_keeps_raw_text_only_when_asked() -> None:
    rows = [record("a", "1", name="Kim Jong-un", name_hangul="김정은", origin="Hoeryong")]
    assert "name_text" not in prepare_records(rows).column_names
    raw = prepare_records(rows, keep_raw=True).to_pylist()[0]
    assert (raw["name_text"], raw["hangul_text"], raw["origin_text"]) == ("kim jong un", "김정은", "hoeryong")


def test_it_handles_records_without_a_name() -> None:
    row = prepare_records([record("a", "1", birth_year="1980")]).to_pylist()[0]
    assert row["surname_id"] is None and row["full_keys"] == [] and row["given_key"] is None


@pytest.mark.parametrize(
    ("rows", "index", "column"),
    [
        ([record("a", "1", birth_year="19x5")], 0, "birth_year"),
        ([record("a", "1"), record("a", "2", exit_year="2004.0")], 1, "exit_year"),
        ([record("a", "1", birth_year="1492")], 0, "birth_year"),
        ([record("a", "1"), record("a", "1")], 1, "record_id"),
        ([record("", "1")], 0, "source"),
        ([record("a", "1", sex="yes")], 0, "sex"),
    ],
)
def test_it_rejects_bad_values_naming_row_and_column(
    rows: list[dict[str, str]], index: int, column: str
) -> None:
    with pytest.raises(InputError) as info:
        prepare_records(rows)
    assert (info.value.row, info.value.column) == (index, column)


def test_rare_keys_hold_only_names_few_records_share() -> None:
    from haven.analytics.linkage.internals.prepare import RARE_KEY_MAX

    common = [
        record("a", str(i), name="Kim Mi-yong", birth_year=str(1960 + i)) for i in range(RARE_KEY_MAX + 1)
    ]
    rare = [record("b", "1", name="Namgung Ha-neul"), record("c", "1", name_hangul="남궁하늘")]
    rows = prepare_records([*common, *rare]).to_pylist()
    # A name held by more than RARE_KEY_MAX records is not a blocking key on its own ...
    assert all(r["rare_keys"] == [] for r in rows[: len(common)])
    # ... a rare one is, in every script.
    assert set(rows[-1]["rare_keys"]) & set(rows[-2]["rare_keys"]) == {"남궁|ha-nol"}
    assert set(rows[-1]["rare_keys"]) == set(rows[-1]["full_keys"])


def test_only_a_singular_given_name_key_carries_the_keys_one_slip_away() -> None:
    rows = prepare_records(
        [
            record("a", "1", name="Choe Jong-min"),
            record("a", "2", name="Choe Jong-min", birth_year="1970"),
            record("b", "1", name="Choe Jong-mn"),  # a dropped vowel
        ]
    ).to_pylist()
    assert [r["given_key_unique"] for r in rows] == [False, False, True]
    # Records sharing a key hold its letters alone; the singular one reaches them in one slip.
    assert rows[0]["given_slips"] == ["congmin"]
    assert "congmin" in rows[2]["given_slips"] and rows[2]["given_slips"][0] == "congmn"


def test_given_vowels_come_from_hangul_and_options_from_a_romanization_alone() -> None:
    rows = prepare_records(
        [
            record("a", "1", name="Kim Sun-hee", name_hangul="김선희"),
            record("a", "2", name="Kim Soon-hee"),
            record("a", "3", name="Kim Seon-hui"),
            record("a", "4"),
        ]
    ).to_pylist()
    assert (rows[0]["given_vowels"], rows[0]["given_vowel_options"]) == ("ㅓㅢ", None)
    assert rows[1]["given_vowels"] is None and "ㅓㅢ" not in rows[1]["given_vowel_options"]
    assert rows[2]["given_vowel_options"] == ["ㅓㅢ"]
    assert (rows[3]["given_vowels"], rows[3]["given_vowel_options"]) == (None, None)
