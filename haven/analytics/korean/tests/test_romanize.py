from __future__ import annotations

from typing import Any

import pytest

from haven.analytics.korean import (
    SURNAMES,
    SYSTEMS,
    Surname,
    romanize,
    romanize_given,
    romanize_name,
    romanize_surname,
)
from haven.analytics.korean.romanize import System, strip_marks


@pytest.mark.parametrize(
    ("hangul", "expected"),
    [
        ("신림동", "sillimdong"),  # ㄴ+ㄹ -> ll
        ("한라산", "hallasan"),
        ("설날", "seollal"),  # ㄹ+ㄴ -> ll
        ("독립문", "dongnimmun"),  # ㄱ+ㄹ -> ngn
        ("협력", "hyeomnyeok"),  # ㅂ+ㄹ -> mn
        ("종로", "jongno"),  # ㅇ+ㄹ -> ngn
        ("왕십리", "wangsimni"),
        ("백마", "baengma"),  # ㄱ+ㅁ -> ngm
        ("난로", "nallo"),
        ("같이", "gachi"),  # palatalisation
        ("해돋이", "haedoji"),
        ("좋고", "joko"),  # aspiration
        ("좋아", "joa"),  # silent ㅎ
        ("북한", "bukhan"),  # RR keeps h in nouns
        ("한국어", "hangugeo"),  # liaison
        ("영어", "yeongeo"),
        ("부산", "busan"),
        ("울릉", "ulleung"),
        ("압구정", "apgujeong"),  # tensification is not written
        ("평양", "pyeongyang"),
        ("서울 2024", "seoul 2024"),
    ],
)
def test_rr_applies_sound_changes_inside_words(hangul: str, expected: str) -> None:
    assert romanize(hangul, "rr") == expected


def test_rr_without_sound_changes_transcribes_syllable_by_syllable() -> None:
    assert romanize("신림동", "rr", sound_changes=False) == "sinrimdong"
    assert romanize("박영철", "rr", sound_changes=False) == "bakyeongcheol"


@pytest.mark.parametrize(
    ("hangul", "system", "expected"),
    [
        ("부산", "mr", "pusan"),
        ("대구", "mr", "taegu"),  # voicing between vowels
        ("광주", "mr", "kwangju"),
        ("한강", "mr", "han'gang"),
        ("평양", "mr", "p'yŏngyang"),
        ("청진", "mr", "ch'ŏngjin"),
        ("독립문", "mr", "tongnimmun"),
        ("평양", "mr_plain", "pyongyang"),
        ("평양", "nk", "phyŏngyang"),
        ("평양", "nk_plain", "phyongyang"),
        ("청진", "nk", "chŏngjin"),
        ("신의주", "nk", "sinŭiju"),
    ],
)
def test_mr_and_nk_words(hangul: str, system: System, expected: str) -> None:
    assert romanize(hangul, system) == expected


@pytest.mark.parametrize(
    ("surname", "given", "system", "expected"),
    [
        ("김", "정은", "rr", "Gim Jeong-eun"),
        ("김", "정은", "mr", "Kim Chŏng-ŭn"),
        ("김", "정은", "mr_plain", "Kim Chong-un"),
        ("김", "정은", "nk", "Kim Jŏng Ŭn"),
        ("김", "정은", "nk_plain", "Kim Jong Un"),
        ("김", "정은", "passport", "Kim Jung-eun"),
        ("박", "동구", "nk", "Pak Tong Gu"),  # linkage-notes §4.1
        ("안", "복철", "nk_plain", "An Pok Chol"),  # linkage-notes §4.1
        ("리", "설주", "nk_plain", "Ri Sol Ju"),
        ("리", "설주", "rr", "Ri Seol-ju"),
        ("이", "설주", "rr", "I Seol-ju"),
        ("리", "설주", "mr", "Yi Sŏl-ju"),  # ALA-LC: 李 is always Yi
        ("이", "설주", "nk_plain", "Ri Sol Ju"),  # DPRK writes 李 as Ri
        ("이", "설주", "passport", "Lee Sul-joo"),
        ("최", "룡해", "nk_plain", "Choe Ryong Hae"),
        ("최", "룡해", "mr", "Ch'oe Ryong-hae"),
        ("최", "용해", "passport", "Choi Yong-hae"),
        ("박", "영철", "rr", "Bak Yeong-cheol"),  # no liaison across the surname boundary
        ("한", "복남", "rr", "Han Bok-nam"),  # RR: no assimilation in given names
        ("김", "대중", "mr", "Kim Tae-jung"),  # MR voicing inside the given name
        ("오", "극렬", "nk_plain", "O Kuk Ryol"),  # first given syllable is not voiced
        ("장", "성택", "nk_plain", "Jang Song Thaek"),
        ("남궁", "민", "rr", "Namgung Min"),
        ("남궁", "민", "passport", "Namgoong Min"),
        ("이", "영희", "passport", "Lee Young-hee"),
        ("유", "수진", "passport", "Yoo Soo-jin"),
    ],
)
def test_romanize_name(surname: str, given: str, system: System, expected: str) -> None:
    assert romanize_name(surname, given, system) == expected


def test_romanize_name_orders_and_styles() -> None:
    assert romanize_name("김", "정은", "nk", given_style="hyphen") == "Kim Jŏng-ŭn"
    assert romanize_name("김", "정은", "passport", order="western") == "Jung-eun Kim"
    assert romanize_name("김", "정은", "nk_plain", order="western") == "Jong Un Kim"
    assert romanize_name("김", "정은", "rr", given_style="joined") == "Gim Jeongeun"
    assert romanize_name("김", "정은", "passport", given_style="space") == "Kim Jung Eun"
    assert romanize_name("김", "", "passport") == "Kim"
    assert romanize_name("", "정은", "passport") == "Jung-eun"


def test_mr_marks_n_g_with_an_apostrophe_in_joined_names() -> None:
    assert romanize_name("김", "천길", "mr", given_style="joined") == "Kim Ch'ŏn'gil"


def test_romanize_given_returns_syllables() -> None:
    assert romanize_given("정은", "rr") == ["jeong", "eun"]
    assert romanize_given("동구", "nk") == ["tong", "gu"]
    assert romanize_given("", "rr") == []


@pytest.mark.parametrize("bad", [{"system": "wade"}, {"order": "middle"}, {"given_style": "dotted"}])
def test_romanize_name_rejects_unknown_options(bad: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"system": "rr", **bad}
    with pytest.raises(ValueError):
        romanize_name("김", "정은", **kwargs)


def test_romanize_rejects_unknown_system() -> None:
    bad: Any = "wade"
    with pytest.raises(ValueError):
        romanize("김", bad)


def test_strip_marks() -> None:
    assert strip_marks("Ch'oe Chŏng-ŭn") == "Choe Chong-un"


@pytest.mark.parametrize("entry", SURNAMES, ids=lambda s: s.id)
def test_surname_table_columns_agree_with_the_romanizer(entry: Surname) -> None:
    assert romanize_surname(entry.id, "rr") == entry.rr
    assert romanize_name(entry.north, "", "nk") == entry.nk
    generic_mr = romanize(entry.id, "mr", sound_changes=False)
    if entry.id != "이":  # ALA-LC writes 李 as Yi
        assert entry.mr.lower() == generic_mr
    generic_nk = romanize(entry.north, "nk", sound_changes=False)
    assert entry.nk.lower() == generic_nk


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_produces_ascii_or_marked_latin(system: System) -> None:
    text = romanize_name("황보", "뷁쏼", system)
    assert text
    assert all(c.isascii() or c in "ŏŭŎŬ" for c in text)
