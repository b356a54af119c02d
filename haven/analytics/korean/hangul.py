"""Hangul basics: script tests and syllable <-> jamo conversion.

Decomposition and composition go through the Unicode normalisation forms (NFD/NFC) of the standard
library: a precomposed syllable such as 김 decomposes canonically into conjoining jamo (U+1100 block),
and NFC composes a well-formed jamo sequence back into the syllable. The helpers here also name jamo
with *compatibility* jamo (ㄱ, ㅏ, ...), which are easier to read in rule tables.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "FINALS",
    "INITIALS",
    "VOWELS",
    "compose",
    "contains_hangul",
    "decompose",
    "is_hangul",
    "is_hangul_char",
    "is_hangul_syllable",
    "join_syllable",
    "split_syllable",
]

#: Leading consonants in Unicode order (index = code point - U+1100).
INITIALS: tuple[str, ...] = tuple("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
#: Vowels in Unicode order (index = code point - U+1161).
VOWELS: tuple[str, ...] = tuple("ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ")
#: Trailing consonants in Unicode order (index = code point - U+11A7); index 0 is "no final".
FINALS: tuple[str, ...] = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_L_BASE = 0x1100
_V_BASE = 0x1161
_T_BASE = 0x11A7

_INITIAL_INDEX = {c: i for i, c in enumerate(INITIALS)}
_VOWEL_INDEX = {c: i for i, c in enumerate(VOWELS)}
_FINAL_INDEX = {c: i for i, c in enumerate(FINALS)}

# Conjoining jamo -> compatibility jamo, for ``decompose(..., compatibility=True)``.
_TO_COMPAT: dict[str, str] = {
    **{chr(_L_BASE + i): c for i, c in enumerate(INITIALS)},
    **{chr(_V_BASE + i): c for i, c in enumerate(VOWELS)},
    **{chr(_T_BASE + i): c for i, c in enumerate(FINALS) if i},
}

# Separators that may appear inside a Hangul name without making it "not Hangul".
_NEUTRAL = frozenset(" \t\n\r-\u00b7\u30fb\u2010\u2011\u2012\u2013\u2014")


def is_hangul_syllable(char: str) -> bool:
    """Return True if ``char`` is a single precomposed Hangul syllable (가 … 힣)."""
    return len(char) == 1 and _SYLLABLE_FIRST <= ord(char) <= _SYLLABLE_LAST


def is_hangul_char(char: str) -> bool:
    """Return True if ``char`` is a Hangul syllable or any kind of Hangul jamo."""
    if len(char) != 1:
        return False
    cp = ord(char)
    return (
        _SYLLABLE_FIRST <= cp <= _SYLLABLE_LAST
        or 0x1100 <= cp <= 0x11FF  # conjoining jamo
        or 0x3131 <= cp <= 0x318E  # compatibility jamo
        or 0xA960 <= cp <= 0xA97F  # jamo extended-A
        or 0xD7B0 <= cp <= 0xD7FF  # jamo extended-B
        or 0xFFA0 <= cp <= 0xFFDC  # halfwidth jamo
    )


def is_hangul(text: str) -> bool:
    """Return True if ``text`` is written in Hangul.

    Spaces, hyphens and middle dots are ignored; every other character must be a Hangul syllable or
    jamo, and there must be at least one.

    Args:
        text: Any string.

    Returns:
        Whether the text is (non-empty) Hangul.
    """
    seen = False
    for char in text:
        if char in _NEUTRAL:
            continue
        if not is_hangul_char(char):
            return False
        seen = True
    return seen


def contains_hangul(text: str) -> bool:
    """Return True if at least one character of ``text`` is Hangul."""
    return any(is_hangul_char(c) for c in text)


def decompose(text: str, *, compatibility: bool = False) -> str:
    """Return ``text`` with every Hangul syllable decomposed into jamo.

    Args:
        text: Any string; non-Hangul characters are kept (but NFD-normalised).
        compatibility: If True, return compatibility jamo (ㄱㅣㅁ) that display on their own, e.g. as a
            "jamo string" comparison column; otherwise return conjoining jamo (plain NFD), which
            :func:`compose` turns back into syllables.

    Returns:
        The decomposed string.
    """
    nfd = unicodedata.normalize("NFD", text)
    if not compatibility:
        return nfd
    return "".join(_TO_COMPAT.get(c, c) for c in nfd)


def compose(jamo: str) -> str:
    """Return ``jamo`` (conjoining jamo, e.g. from :func:`decompose`) composed into syllables (NFC)."""
    return unicodedata.normalize("NFC", jamo)


def split_syllable(syllable: str) -> tuple[str, str, str]:
    """Split one precomposed syllable into (initial, vowel, final) compatibility jamo.

    Args:
        syllable: A single Hangul syllable such as "김".

    Returns:
        A triple like ("ㄱ", "ㅣ", "ㅁ"); the final is "" for open syllables.

    Raises:
        ValueError: If ``syllable`` is not a single precomposed Hangul syllable.
    """
    if not is_hangul_syllable(syllable):
        raise ValueError(f"not a Hangul syllable: {syllable!r}")
    nfd = unicodedata.normalize("NFD", syllable)
    initial = INITIALS[ord(nfd[0]) - _L_BASE]
    vowel = VOWELS[ord(nfd[1]) - _V_BASE]
    final = FINALS[ord(nfd[2]) - _T_BASE] if len(nfd) == 3 else ""
    return initial, vowel, final


def join_syllable(initial: str, vowel: str, final: str = "") -> str:
    """Compose compatibility jamo into one syllable, e.g. ("ㄱ", "ㅣ", "ㅁ") -> "김".

    Args:
        initial: Leading consonant (ㅇ for a vowel-initial syllable).
        vowel: Vowel jamo.
        final: Trailing consonant or "".

    Returns:
        The precomposed syllable.

    Raises:
        ValueError: If a jamo is not valid in its position.
    """
    try:
        jamo = chr(_L_BASE + _INITIAL_INDEX[initial]) + chr(_V_BASE + _VOWEL_INDEX[vowel])
        if final:
            jamo += chr(_T_BASE + _FINAL_INDEX[final])
    except KeyError as exc:
        raise ValueError(f"invalid jamo: {initial!r} {vowel!r} {final!r}") from exc
    return unicodedata.normalize("NFC", jamo)
