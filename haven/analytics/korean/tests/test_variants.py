from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from haven.analytics.korean import (
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    SURNAMES,
    hanja_to_hangul,
    is_hangul,
    name_keys,
    name_variants,
    sample_given_name,
)
from haven.analytics.korean.given_names import COMMON_GIVEN_SYLLABLES
from haven.analytics.korean.hanja import _READINGS

SURNAME_IDS = [s.id for s in SURNAMES]
GIVEN = sorted(set(MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES))


def test_name_variants_is_deterministic_for_a_seed() -> None:
    first = name_variants("이", "설주", random.Random(7))
    second = name_variants("이", "설주", random.Random(7))
    assert first == second
    assert len(first) == len(set(first))


def test_name_variants_cover_orthographies_systems_and_forms() -> None:
    seen: set[str] = set()
    for seed in range(20):
        seen.update(name_variants("이", "설주", random.Random(seed)))
    assert {"이설주", "리설주"} <= seen
    assert any(v.startswith("Ri ") for v in seen)  # DPRK
    assert any(v.startswith("Yi ") for v in seen)  # MR
    assert any(v.startswith("Lee ") for v in seen)  # passport
    assert any("ŏ" in v for v in seen)  # breves
    assert any(v.endswith(" Lee") or v.endswith(" Yi") or v.endswith(" I") for v in seen)  # western order
    assert any(v.split()[0].isupper() and len(v.split()[0]) > 1 for v in seen)  # upper case


def test_name_variants_first_item_is_the_southern_hangul() -> None:
    assert name_variants("최", "룡해", random.Random(1))[0] == "최용해"
    assert "최룡해" in name_variants("최", "룡해", random.Random(1))


def test_typo_is_added_last() -> None:
    with_typo = name_variants("김", "정은", random.Random(3))
    without = name_variants("김", "정은", random.Random(3), typo=False)
    assert with_typo[: len(without)] == without
    assert len(with_typo) in (len(without), len(without) + 1)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SURNAME_IDS), st.sampled_from(GIVEN), st.integers(0, 2**32 - 1))
def test_every_variant_except_the_typo_shares_a_full_key(surname: str, given_name: str, seed: int) -> None:
    base = name_keys(surname + given_name).full_keys
    for variant in name_variants(surname, given_name, random.Random(seed), typo=False):
        assert name_keys(variant).full_keys & base, variant


def test_given_name_lists_are_hangul() -> None:
    assert len(MALE_GIVEN_NAMES) >= 50
    assert len(FEMALE_GIVEN_NAMES) >= 50
    assert all(is_hangul(n) for n in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES)
    assert "정" in COMMON_GIVEN_SYLLABLES


def test_sample_given_name() -> None:
    rng = random.Random(5)
    names = [sample_given_name(rng, sex) for sex in ("male", "female") for _ in range(50)]
    assert all(is_hangul(n) for n in names)
    again = random.Random(5)
    assert names == [sample_given_name(again, sex) for sex in ("male", "female") for _ in range(50)]
    assert len(set(names)) > 20


def test_hanja_readings() -> None:
    assert hanja_to_hangul("正恩") == "정은"
    assert hanja_to_hangul("龍海") == "룡해"
    assert hanja_to_hangul("正 恩") == "정은"
    assert hanja_to_hangul("正X") is None
    chars = [c for group in _READINGS.values() for c in group]
    assert len(chars) == len(set(chars)), "a hanja is listed under two readings"
