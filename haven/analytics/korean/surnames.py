"""Resolve any spelling of a Korean surname to canonical surname ids (one-to-many).

The id of a surname is its southern Hangul spelling (see :mod:`.surname_data`). A spelling can belong
to several surnames: "Chin" is 신 or 진, "Chun"/"Chon" is 전 or 천, "Sung" is 성 or 송, "So" is 서 or 소,
and mr_plain "Song" is 송 or 성 (Sŏng). Hangul or hanja, when present, is unambiguous and should be
preferred by callers.

Lookup order for a Latin token: (1) the exact spelling (case, diacritics, apostrophes, hyphens and spaces
ignored) among the table's spellings plus every spelling our romanizers produce for each surname in
every system; (2) if nothing matched, the surnames that share its phonetic key (so "Jeoung" still finds
정). Hangul is normalised to the southern orthography first (리 -> 이, 류 -> 유, 림 -> 임); a single Hangul
syllable that is not in the table is returned as its own id, because Korea has thousands of rare
surnames.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Literal

from .hangul import is_hangul, is_hangul_syllable
from .hanja import is_han_char
from .keys import given_name_key, normalize_latin
from .orthography import south_syllable
from .romanize import SYSTEMS, romanize, romanize_surname
from .surname_data import SURNAMES, SURNAMES_BY_ID, Surname

__all__ = [
    "COMPOUND_SURNAMES",
    "SURNAMES",
    "Surname",
    "resolve_surname",
    "surname_candidates",
    "surname_frequency",
    "surname_info",
    "surname_spellings",
]

Resolution = Literal["table", "key", "syllable", "none"]

#: Ids of the two-syllable surnames (남궁, 황보, 제갈, 선우, 독고, 사공, 서문).
COMPOUND_SURNAMES: frozenset[str] = frozenset(s.id for s in SURNAMES if len(s.id) == 2)

_HANJA_INDEX: dict[str, str] = {h: s.id for s in SURNAMES for h in s.hanja}
_SEPARATORS = re.compile(r"[\s\-\u00b7.]+")


def _letters(text: str) -> str:
    return re.sub("[^a-z]", "", normalize_latin(text))


@cache
def surname_spellings(surname_id: str) -> frozenset[str]:
    """Return every Latin spelling known for a surname id (table spellings and romanizer outputs).

    Args:
        surname_id: A surname id such as "이".

    Returns:
        Spellings as written (with capitals and diacritics), e.g. {"Lee", "Yi", "Ri", "I", "Rhee", ...};
        empty for ids that are not in the table.
    """
    entry = SURNAMES_BY_ID.get(surname_id)
    if entry is None:
        return frozenset()
    spellings = set(entry.spellings)
    for form in {entry.id, entry.north}:
        for system in SYSTEMS:
            spellings.add(romanize_surname(form, system))
            spellings.add(romanize(form, system, sound_changes=False).capitalize())
    return frozenset(spellings)


@lru_cache(maxsize=1)
def _latin_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for entry in SURNAMES:
        for spelling in surname_spellings(entry.id):
            index.setdefault(_letters(spelling), set()).add(entry.id)
    return {k: frozenset(v) for k, v in index.items() if k}


@lru_cache(maxsize=1)
def _key_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for entry in SURNAMES:
        for spelling in (*surname_spellings(entry.id), entry.id, entry.north):
            key = given_name_key(spelling)
            if key:
                index.setdefault(key, set()).add(entry.id)
    return {k: frozenset(v) for k, v in index.items()}


def surnames_with_key(key: str) -> frozenset[str]:
    """Return the ids of table surnames having a spelling with phonetic key ``key`` (see :mod:`.keys`)."""
    return _key_index().get(key, frozenset())


def resolve_surname(token: str) -> tuple[frozenset[str], Resolution]:
    """Resolve a surname token and say how it was resolved.

    Args:
        token: A surname in Hangul (either orthography), hanja or any romanization.

    Returns:
        (ids, how): ``how`` is "table" for an exact match in the surname table, "key" for a phonetic-key
        match of a Latin spelling, "syllable" for a single Hangul syllable not in the table (returned as
        its own id), "none" if nothing matched (ids is then empty).
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", token))
    if not text:
        return frozenset(), "none"
    if is_hangul(text):
        if text in SURNAMES_BY_ID:
            return frozenset({text}), "table"
        if len(text) == 1 and is_hangul_syllable(text):
            south = south_syllable(text)
            return frozenset({south}), "table" if south in SURNAMES_BY_ID else "syllable"
        return frozenset(), "none"
    if all(is_han_char(c) for c in text):
        sid = _HANJA_INDEX.get(text)
        return (frozenset({sid}), "table") if sid else (frozenset(), "none")
    letters = _letters(text)
    if not letters:
        return frozenset(), "none"
    ids = _latin_index().get(letters)
    if ids:
        return ids, "table"
    ids = surnames_with_key(given_name_key(text))
    return (ids, "key") if ids else (frozenset(), "none")


def surname_candidates(token: str) -> frozenset[str]:
    """Return the ids of every surname that ``token`` may spell (one-to-many).

    Args:
        token: A surname in Hangul (either orthography), hanja or any romanization; case, diacritics,
            apostrophes, hyphens and spaces are ignored.

    Returns:
        Surname ids (southern Hangul), e.g. "Lee", "Yi", "Ri", "Rhee", "리", "李" -> {"이"};
        "Chin" -> {"신", "진"}; "Ryu", "Yoo", "류", "柳", "劉", "兪" -> {"유"}; "Namkoong" -> {"남궁"}.
        Empty if the token does not look like a Korean surname.
    """
    return resolve_surname(token)[0]


def surname_info(surname_id: str) -> Surname | None:
    """Return the table row of a surname id, or None if the surname is not in the table."""
    return SURNAMES_BY_ID.get(surname_id)


def surname_frequency(surname_id: str) -> float:
    """Return the approximate share of South Koreans with this surname, as a proportion (0-1).

    Args:
        surname_id: A surname id (southern Hangul), e.g. "김".

    Returns:
        E.g. 0.215 for 김 (2015 census); 0.0 for surnames not in the table (all of them are rare).
    """
    entry = SURNAMES_BY_ID.get(surname_id)
    return entry.frequency / 100.0 if entry else 0.0
