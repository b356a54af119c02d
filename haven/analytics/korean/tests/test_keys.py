from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.analytics.korean import (
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    SURNAMES,
    SYSTEMS,
    given_name_key,
    given_name_keys,
    given_name_vowels,
    name_keys,
    one_slip_keys,
    romanize_given,
    romanize_name,
    segment_romanized,
    syllable_key,
)
from haven.analytics.korean.hangul import FINALS, INITIALS, VOWELS, join_syllable
from haven.analytics.korean.keys import normalize_latin, split_name_tokens
from haven.analytics.korean.romanize import GivenStyle, NameOrder, System, romanize_syllable, strip_marks

SURNAME_FORMS = sorted({s.id for s in SURNAMES} | {s.north for s in SURNAMES})
hangul_syllables = st.integers(0xAC00, 0xD7A3).map(chr)
given_hangul = st.text(hangul_syllables, min_size=1, max_size=3)
systems = st.sampled_from(SYSTEMS)
STYLES: tuple[GivenStyle, ...] = ("hyphen", "space", "joined")
ORDERS: tuple[NameOrder, ...] = ("eastern", "western")


# --- syllable keys -------------------------------------------------------------------------------


def test_every_syllable_has_one_key_in_every_system_and_context() -> None:
    """The core invariant: each system's spelling of a syllable reduces to the Hangul syllable's key."""
    for initial, vowel, final in itertools.product(INITIALS, VOWELS, FINALS):
        syllable = join_syllable(initial, vowel, final)
        expected = syllable_key(syllable)
        assert expected
        for system in SYSTEMS:
            for prev in (None, "", "ㄱ", "ㄹ"):
                spelling = romanize_syllable(syllable, system, prev)
                assert syllable_key(spelling) == expected, (syllable, system, prev, spelling)


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["정", "Jeong", "Jung", "Chŏng", "Chong", "Jŏng", "Joung", "CHUNG"], "cong"),
        (["은", "eun", "ŭn", "un"], "on"),
        (["영", "Yeong", "Young", "Yŏng", "yong"], "yong"),
        (["희", "hui", "hŭi", "Hee"], "hi"),
        (["수", "su", "Soo"], "so"),
        (["최", "Choe", "Ch'oe", "Choi", "Chwe"], "cwe"),
        (["철", "cheol", "ch'ŏl", "chol", "Chul"], "col"),
        (["택", "taek", "t'aek", "thaek"], "tek"),
        (["안", "An", "Ahn"], "an"),
        (["황", "Hwang", "Whang"], "hwang"),
        (["우", "U", "Woo"], "o"),
    ],
)
def test_syllable_key_absorbs_system_differences(spellings: list[str], key: str) -> None:
    assert {syllable_key(s) for s in spellings} == {key}


def test_syllable_key_rejects_non_syllables() -> None:
    assert syllable_key("xyz") is None
    assert syllable_key("") is None


def test_normalize_latin() -> None:
    assert normalize_latin("Ch'oe Chŏng-ŭn") == "choe chong-un"
    assert normalize_latin("Han'gang") == "han-gang"


def test_split_name_tokens() -> None:
    assert split_name_tokens("Jong-un") == [("Jong", "latin"), ("un", "latin")]
    assert split_name_tokens("JongUn") == [("Jong", "latin"), ("Un", "latin")]
    assert split_name_tokens("김Jong") == [("김", "hangul"), ("Jong", "latin")]
    assert split_name_tokens("Ch'ŏn'gil") == [("Ch'ŏn", "latin"), ("gil", "latin")]


# --- given-name keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        [
            "정은",
            "Jong-un",
            "Jung-un",
            "Jeong-eun",
            "Jung Eun",
            "Chŏng-ŭn",
            "Chong-un",
            "JONG UN",
            "正恩",
            "JongUn",
        ],
        ["설주", "Sol Ju", "Seol-ju", "Sŏl-chu", "Sul-joo", "Sol-ju"],
        ["룡해", "용해", "Ryong-hae", "Yong-hae", "Ryong Hae", "Lyong-hae"],  # initial-sound law
        ["영희", "Young-hee", "Yeong-hui", "Yŏng-hŭi", "Yong Hui"],
        ["동구", "Tong Gu", "Dong-gu", "Tong-ku", "Dong-koo"],
    ],
)
def test_given_name_key_matches_across_scripts_and_systems(variants: list[str]) -> None:
    keys = {given_name_key(v) for v in variants}
    assert len(keys) == 1, keys


def test_given_name_keys_of_joined_names_include_the_right_segmentation() -> None:
    assert given_name_key("Jongun") == given_name_key("정은")
    assert given_name_key("정은") in given_name_keys("Jeongeun")
    assert {given_name_key("미나"), given_name_key("민아")} <= set(given_name_keys("Mina"))


def test_given_name_key_distinguishes_different_names() -> None:
    assert given_name_key("정은") != given_name_key("정일")
    assert given_name_key("민수") != given_name_key("민지")
    assert given_name_key("") == ""
    assert given_name_keys("!!") == ()


def test_segment_romanized() -> None:
    assert segment_romanized("Jongun")[0] == ("jong", "un")
    assert segment_romanized("Seolju")[0] == ("seol", "ju")
    assert segment_romanized("Kwangchol")[0] == ("kwang", "chol")
    assert segment_romanized("xqz") == ()


ALL_GIVEN_NAMES = sorted(set(MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES))


@pytest.mark.parametrize("system", SYSTEMS)
def test_joined_romanizations_of_listed_names_keep_their_key(system: System) -> None:
    for name in ALL_GIVEN_NAMES:
        joined = "".join(romanize_given(name, system))
        assert given_name_key(name) in given_name_keys(joined), (name, joined)


@given(given_hangul, systems)
def test_given_keys_are_invariant_to_case_separators_and_marks(given: str, system: System) -> None:
    parts = romanize_given(given, system)
    hyphen = "-".join(parts)
    expected = given_name_key(given)
    assert given_name_key(hyphen) == expected
    assert given_name_key(hyphen.upper()) == expected
    assert given_name_key(" ".join(parts).title()) == expected
    assert given_name_key(strip_marks(hyphen)) == expected
    assert given_name_key("_".join(parts)) == expected


# --- full-name keys -------------------------------------------------------------------------------


def _shared(names: list[str]) -> frozenset[str]:
    sets = [name_keys(n).full_keys for n in names]
    return frozenset.intersection(*sets)


def test_linkage_notes_examples_share_a_full_key() -> None:
    assert "이|sol-co" in _shared(["리설주", "이설주", "Ri Sol Ju", "Lee Seol-ju", "Yi Sŏl-chu", "Ri Sol-ju"])
    assert "김|cong-on" in _shared(
        ["Kim Jong-un", "Kim Jung-un", "김정은", "Jong Un Kim", "KIM JONG UN", "Kim Jongun", "金正恩"]
    )
    assert "최|yong-he" in _shared(["최룡해", "최용해", "Choe Ryong-hae", "Ch'oe Yong-hae", "CHOI Yong Hae"])
    assert _shared(["박동구", "Pak Tong Gu", "Park Dong-gu", "Bak Dong-gu"])


def test_different_people_do_not_share_keys() -> None:
    assert not _shared(["Kim Jong-un", "Kim Jong-il"])
    assert not _shared(["Kim Jong-un", "Park Jong-un"])
    assert not _shared(["이설주", "이설희"])


def test_name_keys_fields() -> None:
    keys = name_keys("Kim Jongun")
    assert keys.surname_ids == {"김"}
    assert keys.given_key == "cong-on"
    assert "cong-on" in keys.given_keys
    assert "김|cong-on" in keys.full_keys
    assert name_keys("Kim").full_keys == frozenset()
    assert name_keys("").given_key == ""


def test_surnames_outside_the_table_get_phonetic_ids() -> None:
    keys = name_keys("뷁정은")
    assert "~pwek|cong-on" in keys.full_keys
    assert "~pwek|cong-on" in name_keys("Bwek Jong-un").full_keys


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(SURNAME_FORMS), given_hangul)
def test_every_romanization_shares_a_full_key_with_the_hangul(surname: str, given: str) -> None:
    hangul_keys = name_keys(surname + given).full_keys
    assert hangul_keys
    # Joined three-syllable romanizations can exceed the few segmentations kept (e.g. 견견견 ->
    # "Gyongyongyon"); one- and two-syllable given names (nearly all real ones) are always found.
    styles = STYLES if len(given) <= 2 else STYLES[:2]
    for system in SYSTEMS:
        for order in ORDERS:
            for style in styles:
                latin = romanize_name(surname, given, system, order, style)
                assert name_keys(latin).full_keys & hangul_keys, (latin, hangul_keys)


@settings(max_examples=60, deadline=None)
@given(hangul_syllables, given_hangul, systems)
def test_rare_surnames_outside_the_table_still_match(surname: str, given: str, system: System) -> None:
    hangul_keys = name_keys(f"{surname} {given}").full_keys
    latin = romanize_name(surname, given, system, "eastern", "hyphen")
    assert name_keys(latin).full_keys & hangul_keys, (latin, hangul_keys)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(SURNAME_FORMS), given_hangul, systems, st.sampled_from(STYLES))
def test_full_keys_are_invariant_to_case_and_marks(
    surname: str, given: str, system: System, style: GivenStyle
) -> None:
    latin = romanize_name(surname, given, system, given_style=style)
    keys = name_keys(latin).full_keys
    assert name_keys(latin.upper()).full_keys == name_keys(latin.lower()).full_keys
    if style == "hyphen":  # in joined MR names the n'g apostrophe is a syllable boundary
        assert name_keys(strip_marks(latin)).full_keys == keys
    spaced = latin.replace("-", " ")
    assert name_keys(spaced).full_keys & keys


@given(st.text(max_size=40))
def test_name_keys_never_raise(text: str) -> None:
    keys = name_keys(text)
    assert all("|" in k for k in keys.full_keys)
    assert len(keys.full_keys) <= 16


# --- typing slips and vowels ----------------------------------------------------------------------

_SLIPS = ("delete", "insert", "replace", "swap")


def _slip(letters: str, kind: str, position: int, letter: str) -> str:
    i = position % len(letters)
    if kind == "delete":
        return letters[:i] + letters[i + 1 :]
    if kind == "insert":
        return letters[:i] + letter + letters[i:]
    if kind == "replace":
        return letters[:i] + letter + letters[i + 1 :]
    i = min(i, len(letters) - 2)
    return letters[:i] + letters[i + 1] + letters[i] + letters[i + 2 :] if i >= 0 else letters


@given(
    given_hangul, st.sampled_from(_SLIPS), st.integers(0, 20), st.sampled_from("abcdefghijklmnopqrstuvwxyz")
)
def test_a_mistyped_key_reaches_the_key_it_was_typed_from(
    given: str, kind: str, position: int, letter: str
) -> None:
    """The record whose key a slip made singular carries, among its strings, the key it should have had."""
    key = given_name_key(given)
    typed = _slip(key.replace("-", ""), kind, position, letter)
    assert key.replace("-", "") in one_slip_keys(typed) or not typed


def test_one_slip_keys() -> None:
    keys = one_slip_keys("cng-min")
    assert keys[0] == "cngmin"
    assert {"congmin", "ngmin", "cngmn", "cgnmin"} <= set(keys)  # inserted, deleted, deleted, swapped
    assert "cngmim" in keys  # replaced
    assert "congmun" not in keys  # two slips
    assert one_slip_keys("") == ()


def test_given_name_vowels_tell_apart_what_the_key_merges() -> None:
    assert given_name_key("선희") == given_name_key("순희") == given_name_key("Son-hui")
    assert given_name_vowels("선희") == ("ㅓㅢ",)
    assert given_name_vowels("Seon-hui") == ("ㅓㅢ",)  # RR: only 선
    assert "ㅓㅢ" not in given_name_vowels("Soon-hee")  # passport ㅜ
    assert {"ㅓㅢ", "ㅜㅢ"} <= set(given_name_vowels("Sun-hee"))  # passport writes both 선 and 순 "Sun"
    assert given_name_vowels("正恩") == given_name_vowels("정은")
    assert given_name_vowels("Hyyng-min") == ()  # a spelling no system produces says nothing
    assert given_name_vowels("") == ()


@settings(max_examples=150, deadline=None)
@given(given_hangul, systems, st.sampled_from(STYLES))
def test_every_romanization_can_spell_its_hangul_vowels(
    given: str, system: System, style: GivenStyle
) -> None:
    """No system's spelling of a name rules out the name itself (else a match would lose weight)."""
    latin = romanize_name("김", given, system, given_style=style).partition(" ")[2]
    vowels = set(given_name_vowels(latin))
    # A joined name may be segmented otherwise than written; then its key differs too and the vowels
    # are not compared (the linkage compares them only for records that share a key).
    if style != "joined" or given_name_key(latin) == given_name_key(given):
        assert given_name_vowels(given)[0] in vowels or not vowels, (latin, vowels)
