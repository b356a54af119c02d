from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.analytics.korean import (
    compose,
    contains_hangul,
    decompose,
    is_hangul,
    join_syllable,
    split_syllable,
    to_north_orthography,
    to_south_orthography,
)
from haven.analytics.korean.hangul import FINALS, INITIALS, VOWELS
from haven.analytics.korean.orthography import NORTH_SURNAME_FORMS, south_syllable

hangul_syllables = st.integers(0xAC00, 0xD7A3).map(chr)
hangul_text = st.text(hangul_syllables, min_size=1, max_size=6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("김정은", True),
        ("김 정은", True),
        ("남궁-민", True),
        ("ㄱㅏ", True),
        ("Kim", False),
        ("김Kim", False),
        ("金正恩", False),
        ("", False),
        ("  ", False),
    ],
)
def test_is_hangul(text: str, expected: bool) -> None:
    assert is_hangul(text) is expected


def test_contains_hangul() -> None:
    assert contains_hangul("Kim 정은")
    assert not contains_hangul("Kim Jong-un")


def test_decompose_gives_conjoining_or_compatibility_jamo() -> None:
    assert decompose("김") == "\u1100\u1175\u11b7"
    assert decompose("김정은", compatibility=True) == "ㄱㅣㅁㅈㅓㅇㅇㅡㄴ"
    assert decompose("Kim") == "Kim"


@given(hangul_text)
def test_compose_inverts_decompose(text: str) -> None:
    assert compose(decompose(text)) == text


def test_split_and_join_round_trip_for_every_syllable() -> None:
    count = 0
    for initial, vowel, final in itertools.product(INITIALS, VOWELS, FINALS):
        syllable = join_syllable(initial, vowel, final)
        assert split_syllable(syllable) == (initial, vowel, final)
        count += 1
    assert count == 11172


def test_split_syllable_rejects_non_syllables() -> None:
    with pytest.raises(ValueError):
        split_syllable("ㄱ")
    with pytest.raises(ValueError):
        join_syllable("ㅏ", "ㄱ")


@pytest.mark.parametrize(
    ("north", "south"),
    [
        ("리", "이"),
        ("류", "유"),
        ("림", "임"),
        ("량", "양"),
        ("로", "노"),
        ("라", "나"),
        ("녀", "여"),
        ("룡", "용"),
        ("련", "연"),
        ("력", "역"),
        ("례", "예"),
        ("뢰", "뇌"),
        ("니", "이"),
        ("로동", "노동"),
        ("력사", "역사"),
        ("녀성", "여성"),
        ("료리", "요리"),
        ("룡해", "용해"),
        ("리 설주", "이 설주"),
        ("리설주(李雪主)", "이설주(李雪主)"),
    ],
)
def test_to_south_orthography_applies_the_initial_sound_law(north: str, south: str) -> None:
    assert to_south_orthography(north) == south


def test_to_south_orthography_only_changes_word_initial_syllables() -> None:
    assert to_south_orthography("최룡해") == "최룡해"  # pass surname and given name separately
    assert to_south_orthography("설리") == "설리"
    assert to_south_orthography("김") == "김"


@given(hangul_text)
def test_to_south_orthography_is_idempotent(text: str) -> None:
    once = to_south_orthography(text)
    assert to_south_orthography(once) == once


@pytest.mark.parametrize(
    ("south", "north"),
    [
        ("이", "리"),
        ("이설주", "리설주"),
        ("이 설주", "리 설주"),
        ("임", "림"),
        ("유", "류"),
        ("노", "로"),
        ("김", "김"),
    ],
)
def test_to_north_orthography_rewrites_known_surnames(south: str, north: str) -> None:
    assert to_north_orthography(south) == north


def test_to_north_orthography_leaves_other_text_alone() -> None:
    assert to_north_orthography("남궁민") == "남궁민"
    assert to_north_orthography("Kim") == "Kim"
    assert to_north_orthography("") == ""


def test_north_surname_forms_invert_the_initial_sound_law() -> None:
    assert NORTH_SURNAME_FORMS["이"] == "리"
    for south, north in NORTH_SURNAME_FORMS.items():
        assert south_syllable(north) == south
