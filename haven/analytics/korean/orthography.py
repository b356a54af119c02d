"""South and North Korean spelling of word-initial ㄹ/ㄴ (the initial-sound law, 두음법칙).

The South writes a word-initial ㄹ as ㅇ before ㅣ and the y-vowels (리 -> 이, 류 -> 유, 량 -> 양, 력 -> 역) and
as ㄴ before other vowels (로 -> 노, 라 -> 나); a word-initial ㄴ before ㅣ/y-vowels becomes ㅇ (녀 -> 여).
The North keeps the original ㄹ/ㄴ. The same person therefore appears as 리설주 / 이설주 or 최룡해 / 최용해.

Going South -> North is ambiguous (이 may be 李 = 리 or 伊/異 = 이; 용 may be 龍 = 룡 or 容 = 용), so
:func:`to_north_orthography` only rewrites surnames, using the most frequent hanja of each surname.
"""

from __future__ import annotations

import re

from .hangul import is_hangul_syllable, join_syllable, split_syllable
from .surname_data import SURNAMES

__all__ = ["NORTH_SURNAME_FORMS", "south_syllable", "to_north_orthography", "to_south_orthography"]

# Vowels before which ㄹ/ㄴ drop to ㅇ: ㅣ and the y-diphthongs.
_Y_VOWELS = frozenset("ㅑㅒㅕㅖㅛㅠㅣ")

#: Southern surname spelling -> northern spelling, for surnames whose main hanja starts with ㄹ/ㄴ.
NORTH_SURNAME_FORMS: dict[str, str] = {s.id: s.north for s in SURNAMES if s.north != s.id}

# A Hangul syllable that does not follow another syllable = the start of a Hangul word.
_WORD_INITIAL = re.compile(r"(?<![\uac00-\ud7a3])[\uac00-\ud7a3]")


def south_syllable(syllable: str) -> str:
    """Return the southern (word-initial) spelling of one syllable, e.g. "룡" -> "용", "로" -> "노".

    Args:
        syllable: One Hangul syllable; anything else is returned unchanged.

    Returns:
        The syllable with the initial-sound law applied.
    """
    if not is_hangul_syllable(syllable):
        return syllable
    initial, vowel, final = split_syllable(syllable)
    if initial == "ㄹ":
        initial = "ㅇ" if vowel in _Y_VOWELS else "ㄴ"
    elif initial == "ㄴ" and vowel in _Y_VOWELS:
        initial = "ㅇ"
    else:
        return syllable
    return join_syllable(initial, vowel, final)


def to_south_orthography(hangul: str) -> str:
    """Return ``hangul`` with the initial-sound law applied to the first syllable of each word.

    A "word" is a run of Hangul syllables; spaces, punctuation and other scripts separate words. For a
    full name written without a space (최룡해) only the surname is word-initial, so pass the surname and
    the given name separately to normalise both (최 + 룡해 -> 최 + 용해).

    Args:
        hangul: Hangul text in either orthography.

    Returns:
        The southern spelling, e.g. "리 설주" -> "이 설주", "로동" -> "노동", "력사" -> "역사".
    """
    return _WORD_INITIAL.sub(lambda m: south_syllable(m.group(0)), hangul)


def to_north_orthography(hangul: str) -> str:
    """Return the northern spelling of a surname, or of a name that starts with its surname (best effort).

    Only the first syllable of the text is rewritten, and only when it is a surname whose main hanja
    keeps ㄹ in the North (이 -> 리 for 李, 임 -> 림, 유 -> 류, 양 -> 량, 노 -> 로, 나 -> 라, 여 -> 려, 염 -> 렴,
    용 -> 룡, 육 -> 륙). This is **ambiguous**: 이 is also 伊/異 (이 in the North too), 유 is also 兪, 양 is
    also 楊, 용 is also 容. Given names cannot be converted at all without their hanja (용 in a given name
    may be 龍 = 룡 or 勇 = 용), so they are left as written.

    Args:
        hangul: A surname (이) or surname-first name (이설주, "이 설주").

    Returns:
        The northern spelling (리, 리설주, "리 설주").
    """
    stripped = hangul.lstrip()
    if not stripped or not is_hangul_syllable(stripped[0]):
        return hangul
    # Leave two-syllable surnames (남궁 ...) alone: none of them changes, and 남 is not 남궁.
    north = NORTH_SURNAME_FORMS.get(stripped[0])
    if north is None:
        return hangul
    prefix = hangul[: len(hangul) - len(stripped)]
    return prefix + north + stripped[1:]
