from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.analytics.korean import (
    COMPOUND_SURNAMES,
    SURNAMES,
    SYSTEMS,
    Surname,
    romanize_surname,
    surname_candidates,
    surname_frequency,
    surname_info,
)
from haven.analytics.korean.surnames import resolve_surname, surname_spellings


def test_table_has_at_least_sixty_single_syllable_surnames_and_the_compounds() -> None:
    singles = [s for s in SURNAMES if len(s.id) == 1]
    assert len(singles) >= 60
    assert {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문"} <= COMPOUND_SURNAMES
    assert len({s.id for s in SURNAMES}) == len(SURNAMES)


def test_frequencies_are_plausible() -> None:
    assert surname_frequency("김") == pytest.approx(0.215)
    assert surname_frequency("이") == pytest.approx(0.147)
    assert max(SURNAMES, key=lambda s: s.frequency).id == "김"
    assert 0.9 < sum(s.frequency for s in SURNAMES) / 100 < 1.0
    assert all(s.frequency > 0 for s in SURNAMES)
    assert surname_frequency("뷁") == 0.0


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("Lee", {"이"}),
        ("LEE", {"이"}),
        ("Yi", {"이"}),
        ("Ri", {"이"}),
        ("Rhee", {"이"}),
        ("I", {"이"}),
        ("리", {"이"}),
        ("이", {"이"}),
        ("李", {"이"}),
        ("Park", {"박"}),
        ("pak", {"박"}),
        ("Ch'oe", {"최"}),
        ("CHOI", {"최"}),
        ("Jung", {"정"}),
        ("Chŏng", {"정"}),
        ("Chin", {"신", "진"}),
        ("Chun", {"전", "천"}),
        ("Chon", {"전", "천"}),
        ("Sung", {"성", "송", "승"}),
        ("Yu", {"유"}),
        ("Yoo", {"유"}),
        ("Ryu", {"유"}),
        ("류", {"유"}),
        ("柳", {"유"}),
        ("劉", {"유"}),
        ("兪", {"유"}),
        ("Lim", {"임"}),
        ("Rim", {"임"}),
        ("림", {"임"}),
        ("Roh", {"노"}),
        ("로", {"노"}),
        ("Ryang", {"양"}),
        ("Ra", {"나"}),
        ("Namkoong", {"남궁"}),
        ("Nam-gung", {"남궁"}),
        ("남궁", {"남궁"}),
        ("南宮", {"남궁"}),
        ("Sunwoo", {"선우"}),
        ("金", {"김"}),
        ("뷁", {"뷁"}),  # a single syllable outside the table is its own id
    ],
)
def test_surname_candidates(token: str, expected: set[str]) -> None:
    assert surname_candidates(token) == expected


def test_so_and_song_are_ambiguous() -> None:
    assert {"서", "소"} <= surname_candidates("So")
    assert {"송", "성"} <= surname_candidates("Sŏng")


def test_unknown_spellings_fall_back_to_phonetic_keys() -> None:
    assert resolve_surname("Jeung") == (frozenset({"정"}), "key")
    assert resolve_surname("Ghang") == (frozenset({"강"}), "key")
    assert resolve_surname("Kimm") == (frozenset(), "none")


@pytest.mark.parametrize("token", ["", "  ", "123", "Smithson", "정은이다", "Ивaнов"])
def test_non_surnames_resolve_to_nothing(token: str) -> None:
    assert surname_candidates(token) == frozenset()


@pytest.mark.parametrize("entry", SURNAMES, ids=lambda s: s.id)
def test_every_listed_spelling_resolves_back_to_its_surname(entry: Surname) -> None:
    for spelling in (*entry.spellings, entry.id, entry.north, *entry.hanja):
        assert entry.id in surname_candidates(spelling), spelling
    for system in SYSTEMS:
        for form in (entry.id, entry.north):
            assert entry.id in surname_candidates(romanize_surname(form, system))
    assert surname_spellings(entry.id) >= set(entry.spellings)


def test_surname_info() -> None:
    info = surname_info("이")
    assert info is not None
    assert info.north == "리"
    assert "李" in info.hanja
    assert info.passport == "Lee"
    assert surname_info("뷁") is None


@given(st.text(max_size=20))
def test_surname_candidates_never_raise(text: str) -> None:
    result = surname_candidates(text)
    assert isinstance(result, frozenset)
