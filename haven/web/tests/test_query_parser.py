"""The search query parser: quoted phrases, AND of terms, a minus for exclusion; never crashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.web.textsearch import MAX_TERM_LENGTH, MAX_TERMS, ParsedQuery, normalize_text, parse_query


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ParsedQuery()),
        ("체포", ParsedQuery(("체포",))),
        ("Arrest  YANJI", ParsedQuery(("arrest", "yanji"))),
        ('"forcibly   returned" 2010', ParsedQuery(("forcibly returned", "2010"))),
        ("arrest -yanji", ParsedQuery(("arrest",), ("yanji",))),
        ('-"held in" 집결소', ParsedQuery(("집결소",), ("held in",))),
        ('"unclosed phrase', ParsedQuery(("unclosed phrase",))),
        ("- lone minus", ParsedQuery(("lone", "minus"))),
        ("Kim Jung-un", ParsedQuery(("kim", "jung-un"))),
        ("ＡＢＣ", ParsedQuery(("abc",))),
        ("a a A", ParsedQuery(("a",))),
        ('""', ParsedQuery()),
        ("-", ParsedQuery()),
        ("--x", ParsedQuery((), ("-x",))),
    ],
)
def test_it_parses_examples(raw: str, expected: ParsedQuery) -> None:
    assert parse_query(raw) == expected


def test_it_treats_non_text_as_empty() -> None:
    assert parse_query(None) == ParsedQuery()
    assert parse_query(b"bytes") == ParsedQuery()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=600))
def test_it_never_crashes_and_keeps_terms_normalized_and_bounded(raw: str) -> None:
    parsed = parse_query(raw)
    terms = parsed.include + parsed.exclude
    assert len(terms) <= MAX_TERMS
    for term in terms:
        assert term and len(term) <= MAX_TERM_LENGTH
        assert term == normalize_text(term) or normalize_text(term).startswith(term.strip())
        assert "\n" not in term


@given(st.lists(st.text(alphabet="가나다체포abcXYZ遣返", min_size=1, max_size=6), min_size=1, max_size=5))
def test_it_reads_back_plain_words_in_order(words: list[str]) -> None:
    parsed = parse_query(" ".join(words))
    assert parsed.include == tuple(dict.fromkeys(normalize_text(w) for w in words))
