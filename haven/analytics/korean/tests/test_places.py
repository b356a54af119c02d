"""Tests for the North Korean place normaliser and its gazetteer (haven.analytics.korean.places)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.analytics.korean.places import (
    AMBIGUOUS,
    CONFLICT,
    EXACT,
    FUZZY,
    KINDS,
    AdminUnit,
    PlaceMatch,
    nk_admin_unit,
    nk_admin_units,
    normalize_place,
    place_key,
)

UNITS = nk_admin_units()


def codes(match: PlaceMatch | None) -> tuple[str | None, str | None] | None:
    """Return (province code, county code) of a match, or None."""
    if match is None:
        return None
    return (
        match.province.code if match.province else None,
        match.county.code if match.county else None,
    )


# ---------------------------------------------------------------------------------------------- the data


def test_it_has_every_first_level_unit_with_its_iso_code() -> None:
    first_level = {u.code: u.name_en for u in UNITS if u.parent_code is None}
    assert first_level == {
        "KP-01": "Pyongyang",
        "KP-02": "South Pyongan",
        "KP-03": "North Pyongan",
        "KP-04": "Chagang",
        "KP-05": "South Hwanghae",
        "KP-06": "North Hwanghae",
        "KP-07": "Kangwon",
        "KP-08": "South Hamgyong",
        "KP-09": "North Hamgyong",
        "KP-10": "Ryanggang",
        "KP-13": "Rason",
        "KP-14": "Nampo",
        "KP-15": "Kaesong",
    }
    special = {u.code for u in UNITS if u.kind == "special_city"}
    assert special == {"KP-01", "KP-13", "KP-14", "KP-15"}


def test_it_has_every_city_and_county_of_north_hamgyong() -> None:
    children = {u.code.removeprefix("KP-09-") for u in UNITS if u.parent_code == "KP-09"}
    assert children == {
        # 3 cities
        "CHONGJIN", "KIMCHAEK", "HOERYONG",
        # 12 counties
        "MUSAN", "ONSONG", "KYONGSONG", "KYONGWON", "KYONGHUNG", "PURYONG", "YONSA", "MYONGCHON",
        "MYONGGAN", "KILJU", "ORANG", "HWADAE",
    }  # fmt: skip
    kinds = [nk_admin_unit(f"KP-09-{c}").kind for c in children]
    assert (kinds.count("city"), kinds.count("county")) == (3, 12)


def test_it_has_every_city_and_county_of_ryanggang() -> None:
    children = {u.code.removeprefix("KP-10-") for u in UNITS if u.parent_code == "KP-10"}
    assert children == {
        "HYESAN", "SAMJIYON",
        "POCHON", "KIMJONGSUK", "KIMHYONGJIK", "KIMHYONGGWON", "PUNGSO", "KAPSAN", "PAEGAM", "TAEHONGDAN",
        "SAMSU", "UNHUNG",
    }  # fmt: skip
    kinds = [nk_admin_unit(f"KP-10-{c}").kind for c in children]
    assert (kinds.count("city"), kinds.count("county")) == (2, 10)


def test_it_has_the_seven_districts_of_chongjin() -> None:
    districts = {u.name_en for u in UNITS if u.parent_code == "KP-09-CHONGJIN"}
    assert districts == {"Pohang", "Sinam", "Sunam", "Songpyong", "Chongam", "Ranam", "Puyun"}


def test_it_has_the_main_city_of_every_province() -> None:
    for code in ("KP-02-PYONGSONG", "KP-03-SINUIJU", "KP-04-KANGGYE", "KP-05-HAEJU", "KP-06-SARIWON",
                 "KP-07-WONSAN", "KP-08-HAMHUNG", "KP-09-CHONGJIN", "KP-10-HYESAN", "KP-04-MANPO"):  # fmt: skip
        assert nk_admin_unit(code).kind == "city"


def test_it_keeps_the_data_well_formed() -> None:
    seen: dict[str, AdminUnit] = {}
    for unit in UNITS:
        assert unit.code not in seen
        assert unit.kind in KINDS
        assert unit.parent_code is None or unit.parent_code in seen, "parents come first"
        if unit.parent_code is not None:
            assert unit.code.startswith(unit.parent_code + "-")
            assert unit.code.isascii() and unit.code == unit.code.upper()
        assert 37.5 < unit.lat < 43.1 and 124.1 < unit.lon < 130.8
        assert unit.name_en in unit.names and unit.name_ko in unit.names
        assert set(unit.weak_names) <= set(unit.names)
        seen[unit.code] = unit


def test_it_spells_ryanggang_the_northern_way_and_knows_the_southern_one() -> None:
    ryanggang = nk_admin_unit("KP-10")
    assert ryanggang.name_ko == "량강도"
    assert {"양강도", "Yanggang-do", "Ryanggang-do", "량강", "양강"} <= set(ryanggang.names)


def test_it_loads_the_data_once() -> None:
    assert nk_admin_units() is nk_admin_units()


def test_it_shares_a_folded_key_between_units_only_for_unsan() -> None:
    """A new collision would make a name ambiguous: add it here only after checking both places exist."""
    owners: dict[str, set[str]] = defaultdict(set)
    for unit in UNITS:
        for name in unit.names:
            owners[place_key(name)].add(unit.code)
    shared = {key: units for key, units in owners.items() if len(units) > 1}
    assert shared == {"unsan": {"KP-02-UNSAN", "KP-03-UNSAN"}}


# ---------------------------------------------------------------------------------------------- matching

LITERAL_CASES = [
    ("North Hamgyong", ("KP-09", None)),
    ("Hamgyŏng-pukto", ("KP-09", None)),
    ("Hamgyeongbuk-do", ("KP-09", None)),
    ("North Hamgyong Province", ("KP-09", None)),
    ("Hamgyong-bukto", ("KP-09", None)),
    ("함북", ("KP-09", None)),
    ("함경북도", ("KP-09", None)),
    ("Hoeryong, North Hamgyong", ("KP-09", "KP-09-HOERYONG")),
    ("North Hamgyong, Hoeryong", ("KP-09", "KP-09-HOERYONG")),
    ("회령", ("KP-09", "KP-09-HOERYONG")),
    ("함경북도 회령시", ("KP-09", "KP-09-HOERYONG")),
    ("함경북도회령시", ("KP-09", "KP-09-HOERYONG")),
    ("회령시에서 왔다", ("KP-09", "KP-09-HOERYONG")),
    ("Musan-gun", ("KP-09", "KP-09-MUSAN")),
    ("hoeryeong city", ("KP-09", "KP-09-HOERYONG")),
    ("HOERYONG CITY", ("KP-09", "KP-09-HOERYONG")),
    ("Onsŏng", ("KP-09", "KP-09-ONSONG")),
    ("Kilchu", ("KP-09", "KP-09-KILJU")),
    ("Kimch'aek-si", ("KP-09", "KP-09-KIMCHAEK")),
    ("Kyongwon (Saeppyol)", ("KP-09", "KP-09-KYONGWON")),
    ("Undok", ("KP-09", "KP-09-KYONGHUNG")),
    ("Hwasong County", ("KP-09", "KP-09-MYONGGAN")),
    ("Chongjin, Sunam District", ("KP-09", "KP-09-CHONGJIN-SUNAM")),
    ("청진시 수남구역", ("KP-09", "KP-09-CHONGJIN-SUNAM")),
    ("Ryanggang", ("KP-10", None)),
    ("양강도", ("KP-10", None)),
    ("양강도 혜산시", ("KP-10", "KP-10-HYESAN")),
    ("Hyesan-si, Ryanggang-do", ("KP-10", "KP-10-HYESAN")),
    ("Kim Jong Suk County", ("KP-10", "KP-10-KIMJONGSUK")),
    ("Sinpa", ("KP-10", "KP-10-KIMJONGSUK")),
    ("Huchang", ("KP-10", "KP-10-KIMHYONGJIK")),
    ("Samjiyon County", ("KP-10", "KP-10-SAMJIYON")),
    ("Rason", ("KP-13", None)),
    ("나선시", ("KP-13", None)),
    ("Rajin-Sonbong", ("KP-13", None)),
    ("Nampho", ("KP-14", None)),
    ("Kaesong", ("KP-15", None)),
    ("Kaesong Industrial Complex", ("KP-15", "KP-15-KIR")),
    ("Pyongyang", ("KP-01", None)),
    ("평양직할시", ("KP-01", None)),
    ("Sinuiju", ("KP-03", "KP-03-SINUIJU")),
    ("Shinuiju", ("KP-03", "KP-03-SINUIJU")),
    ("Jagang", ("KP-04", None)),
    ("Manpho", ("KP-04", "KP-04-MANPO")),
    ("朝鲜咸镜北道会宁市", ("KP-09", "KP-09-HOERYONG")),
    ("조선 함경북도 회령시", ("KP-09", "KP-09-HOERYONG")),
    ("Unsan, North Pyongan", ("KP-03", "KP-03-UNSAN")),
    ("Ŭnsan", ("KP-02", "KP-02-UNSAN")),
    ("운산군", ("KP-03", "KP-03-UNSAN")),
]


@pytest.mark.parametrize(("text", "expected"), LITERAL_CASES)
def test_it_resolves_the_usual_spellings(text: str, expected: tuple[str, str | None]) -> None:
    match = normalize_place(text)
    assert codes(match) == expected
    assert match is not None and match.confidence == EXACT and match.candidates == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hamkyong-pukto", ("KP-09", None)),
        ("Ryangang-do", ("KP-10", None)),
        ("Kimchaeg", ("KP-09", "KP-09-KIMCHAEK")),
        ("Chongjinn", ("KP-09", "KP-09-CHONGJIN")),
    ],
)
def test_it_folds_romanizations_that_are_not_listed(text: str, expected: tuple[str, str | None]) -> None:
    match = normalize_place(text)
    assert codes(match) == expected
    assert match is not None and match.confidence == FUZZY


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Seoul", "Shenyang, Liaoning", "12345", "North Korea", "조선", "Pohang", "화성", "경성", "会宁",
     "Gangwon-do", "화성시", "김정숙", "Pungsan dog", "계획이 무산됐다", "개천에서 용 난다"],
)  # fmt: skip
def test_it_returns_none_for_text_naming_no_north_korean_unit(text: str) -> None:
    assert normalize_place(text) is None


def test_it_accepts_weak_names_in_context() -> None:
    """Names shared with common words or other countries count once an enclosing unit or North Korea is named."""
    assert codes(normalize_place("Pohang, Chongjin")) == ("KP-09", "KP-09-CHONGJIN-POHANG")
    assert codes(normalize_place("포항구역")) == ("KP-09", "KP-09-CHONGJIN-POHANG")
    assert codes(normalize_place("화성, 함경북도")) == ("KP-09", "KP-09-MYONGGAN")
    assert codes(normalize_place("경성군")) == ("KP-09", "KP-09-KYONGSONG")
    assert codes(normalize_place("朝鲜会宁")) == ("KP-09", "KP-09-HOERYONG")
    assert codes(normalize_place("Gangwon-do, Wonsan")) == ("KP-07", "KP-07-WONSAN")
    assert codes(normalize_place("무산에서 왔다")) == ("KP-09", "KP-09-MUSAN")
    assert codes(normalize_place("김정숙군")) == ("KP-10", "KP-10-KIMJONGSUK")
    assert codes(normalize_place("Ryanggang, Kimjongsuk")) == ("KP-10", "KP-10-KIMJONGSUK")
    assert codes(normalize_place("개천시")) == ("KP-02", "KP-02-KAECHON")


def test_it_reports_a_county_name_shared_by_two_provinces_as_ambiguous() -> None:
    match = normalize_place("Unsan")
    assert match is not None
    assert match.confidence == AMBIGUOUS
    assert match.province is None and match.county is None
    assert [u.code for u in match.candidates] == ["KP-02-UNSAN", "KP-03-UNSAN"]


def test_it_reports_a_name_shared_by_two_provinces_as_ambiguous() -> None:
    match = normalize_place("Hamgyong")
    assert match is not None and match.confidence == AMBIGUOUS and match.province is None
    assert [u.code for u in match.candidates] == ["KP-08", "KP-09"]
    assert codes(normalize_place("Hoeryong, Hamgyong")) == ("KP-09", "KP-09-HOERYONG")


def test_it_reports_names_that_cannot_be_one_place_as_a_conflict() -> None:
    match = normalize_place("Hoeryong, Ryanggang")
    assert match is not None and match.confidence == CONFLICT
    assert match.province is None and match.county is None
    assert [u.code for u in match.candidates] == ["KP-09-HOERYONG", "KP-10"]

    same_province = normalize_place("born in Hoeryong, later lived in Musan")
    assert same_province is not None and same_province.confidence == CONFLICT
    assert same_province.province == nk_admin_unit("KP-09") and same_province.county is None
    assert [u.code for u in same_province.candidates] == ["KP-09-HOERYONG", "KP-09-MUSAN"]


def test_it_refuses_a_non_string() -> None:
    with pytest.raises(TypeError):
        normalize_place(None)  # type: ignore[arg-type]


def test_it_gives_romanizations_of_one_name_one_key() -> None:
    assert place_key("Hoeryŏng-si") == place_key("hoeryeong city") == place_key("HOERYONG")
    assert place_key("Hamgyŏng-pukto") == place_key("Hamgyeongbuk-do") == place_key("Hamkyongpukto")
    assert place_key("Kimhyŏnggwŏn") == place_key("Kim Hyong Gwon County")
    assert place_key("회령시") == place_key("회령") == "회령"
    assert place_key("Hoeryong") != place_key("Onsong")


# Written the same for 운산군 (North Pyongan) and 은산군 (South Pyongan); "Ŭnsan" and "Eunsan" are not.
SHARED_NAMES = frozenset({"Unsan", "Unsan County", "Unsan-gun"})
EVERY_NAME = [(unit.code, name) for unit in UNITS for name in unit.names]


@pytest.mark.parametrize(("code", "name"), EVERY_NAME, ids=[f"{c}:{n}" for c, n in EVERY_NAME])
def test_it_resolves_every_listed_name_to_its_unit(code: str, name: str) -> None:
    unit = nk_admin_unit(code)
    text = f"{name}, North Korea" if name in unit.weak_names else name
    match = normalize_place(text)
    assert match is not None
    if name in SHARED_NAMES:
        assert match.confidence == AMBIGUOUS and unit in match.candidates
        return
    assert (match.county or match.province) == unit
    assert match.confidence == EXACT


# ---------------------------------------------------------------------------------------------- properties

_MIXED = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aeiouhkgnrlmsjcbptdwy -,.'’()/\u0306\u0301ŏŭ0123456789\n")),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from(list("回会宁咸镜北道朝鲜市郡")),
    ),
    max_size=40,
)
_ANY_TEXT = st.one_of(st.text(max_size=60), _MIXED)


@settings(deadline=None, max_examples=300)
@given(_ANY_TEXT)
def test_it_never_raises_on_arbitrary_text(text: str) -> None:
    match = normalize_place(text)
    assert match is None or match.confidence in {EXACT, FUZZY, AMBIGUOUS, CONFLICT}


@settings(deadline=None, max_examples=300)
@given(_ANY_TEXT, st.sampled_from(["", " ", "  \t", "\n", " \n "]), st.sampled_from(["", " ", "\t", "\n\n"]))
def test_it_ignores_case_and_surrounding_whitespace(text: str, before: str, after: str) -> None:
    expected = normalize_place(text)
    assert normalize_place(text.upper()) == expected
    assert normalize_place(text.lower()) == expected
    assert normalize_place(before + text + after) == expected


_STRONG_NAMES = st.sampled_from([(u.code, n) for u in UNITS for n in u.names if n not in u.weak_names])


@settings(deadline=None, max_examples=200)
@given(_STRONG_NAMES, st.from_regex(r"[0-9 ]{0,6}", fullmatch=True), st.sampled_from([", ", " ", "; ", " ("]))
def test_it_finds_a_name_among_noise(entry: tuple[str, str], noise: str, separator: str) -> None:
    code, name = entry
    assert normalize_place(f"{noise}{separator}{name}{separator}{noise}") == normalize_place(name)
