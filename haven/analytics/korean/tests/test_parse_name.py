from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.analytics.korean import ParsedName, parse_name


@pytest.mark.parametrize(
    ("text", "surname", "given_name", "script", "order", "ids"),
    [
        ("김정은", "김", "정은", "hangul", "eastern", {"김"}),
        ("김 정은", "김", "정은", "hangul", "eastern", {"김"}),
        ("남궁민", "남궁", "민", "hangul", "eastern", {"남궁"}),
        ("리설주", "리", "설주", "hangul", "eastern", {"이"}),
        ("정은 김", "김", "정은", "hangul", "western", {"김"}),
        ("김", "김", "", "hangul", "unknown", {"김"}),
        ("金正恩", "金", "正恩", "han", "eastern", {"김"}),
        ("南宮珉", "南宮", "珉", "han", "eastern", {"남궁"}),
        ("Kim Jong-un", "Kim", "Jong-un", "latin", "eastern", {"김"}),
        ("Jong-un Kim", "Kim", "Jong-un", "latin", "western", {"김"}),
        ("KIM JONG UN", "KIM", "JONG UN", "latin", "eastern", {"김"}),
        ("Jong Un KIM", "KIM", "Jong Un", "latin", "western", {"김"}),
        ("Kim Jongun", "Kim", "Jongun", "latin", "eastern", {"김"}),
        ("Jongun Kim", "Kim", "Jongun", "latin", "western", {"김"}),
        ("Jong Un Kim", "Kim", "Jong Un", "latin", "western", {"김"}),  # Kim is far more frequent than Jong
        ("Pak Tong Gu", "Pak", "Tong Gu", "latin", "eastern", {"박"}),
        ("Ri Sol-ju", "Ri", "Sol-ju", "latin", "eastern", {"이"}),
        ("Ri Sol Ju", "Ri", "Sol Ju", "latin", "eastern", {"이"}),
        ("Lee, Min-ji", "Lee", "Min-ji", "latin", "eastern", {"이"}),
        ("Min-ji, Lee", "Lee", "Min-ji", "latin", "western", {"이"}),
        ("Kang Min", "Kang", "Min", "latin", "eastern", {"강"}),  # both could be surnames: eastern
        ("Ch'oe Ryong-hae", "Ch'oe", "Ryong-hae", "latin", "eastern", {"최"}),
        ("Kim Chŏng-ŭn", "Kim", "Chŏng-ŭn", "latin", "eastern", {"김"}),
        ("Chin Yong-su", "Chin", "Yong-su", "latin", "eastern", {"신", "진"}),
        ("Kimjongun", "Kim", "jongun", "latin", "eastern", {"김"}),
        ("김 Jong-un", "김", "Jong-un", "mixed", "eastern", {"김"}),
        ("김정은 (Kim Jong-un)", "김", "정은", "hangul", "eastern", {"김"}),
        ("Kim", "Kim", "", "latin", "unknown", {"김"}),
        ("", "", "", "mixed", "unknown", set()),
        ("1234 !!", "", "", "mixed", "unknown", set()),
    ],
)
def test_parse_name(text: str, surname: str, given_name: str, script: str, order: str, ids: set[str]) -> None:
    parsed = parse_name(text)
    assert (parsed.surname, parsed.given, parsed.script, parsed.order) == (surname, given_name, script, order)
    assert parsed.surname_ids == ids
    assert isinstance(parsed, ParsedName)


@given(st.text(max_size=40))
def test_parse_name_never_raises(text: str) -> None:
    parsed = parse_name(text)
    assert parsed.script in ("hangul", "latin", "han", "mixed")
    assert parsed.order in ("eastern", "western", "unknown")


@given(
    st.lists(
        st.sampled_from(["Kim", "Lee", "Jong", "un", "Min-ji", "김", "정은", "金", ",", "ŏ", "'", "-"]),
        max_size=6,
    )
)
def test_parse_name_never_raises_on_name_like_soup(parts: list[str]) -> None:
    parse_name(" ".join(parts))
    parse_name("".join(parts))
