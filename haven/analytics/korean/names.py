"""Parse Korean personal names and derive keys that match across scripts and romanizations.

Parsing heuristics (:func:`parse_name`), in order:

1. Text in parentheses or brackets is ignored when something remains outside them
   ("김정은 (Kim Jong-un)" is parsed as 김정은).
2. **Hangul.** Without a space, a known two-syllable surname is taken first when the name has three or
   more syllables (남궁민 = 남궁 + 민), otherwise the first syllable (김정은 = 김 + 정은). With spaces, the
   first word is the surname if it is one syllable or a two-syllable surname; otherwise the last word if it
   is a known surname (western order); otherwise the first syllable.
3. **Hanja.** The same, with the hanja surname table (金正恩 = 金 + 正恩; 南宮珉 = 南宮 + 珉).
4. **Romanized or mixed.** A comma marks "Surname, Given" ("Lee, Min-ji"). Otherwise the surname is the
   first or the last token. Strong evidence decides: a token in capitals among mixed-case tokens is the
   surname ("Jong Un KIM"), a hyphenated token is the given name ("Jong-un Kim"), and a token that is not a
   known surname spelling cannot be the surname ("Jongun Kim"). When both ends could be surnames the
   eastern order is preferred, unless the last token is at least three times as frequent a surname as the
   first ("Jong Un Kim": Kim 21.5 % vs Jong/정 4.8 %, so western). A single token is split after the
   surname spelling that leaves the most plausible given name ("Kimjongun").

``order`` reports where the surname stands in the text: "eastern" = surname first (also for
"Lee, Min-ji"), "western" = surname last, "unknown" when there is no given name or no surname was found.

:func:`name_keys` derives comparison and blind-index keys. When the order was decided on weak evidence
(frequency or the eastern default) both readings contribute keys, and joined given names contribute their
few best segmentations, so ``full_keys`` holds a handful of strings; for Hangul and for unambiguous
romanizations it usually holds one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from .hanja import hanja_to_hangul
from .keys import (
    char_script,
    given_name_key,
    given_name_keys,
    normalize_latin,
    segmentation_cost,
    syllable_key,
)
from .surname_data import SURNAMES
from .surnames import (
    COMPOUND_SURNAMES,
    resolve_surname,
    surname_candidates,
    surname_frequency,
    surnames_with_key,
)

__all__ = ["NameKeys", "ParsedName", "name_keys", "parse_name"]

Script = Literal["hangul", "latin", "han", "mixed"]
Order = Literal["eastern", "western", "unknown"]

_COMPOUND_HANJA: frozenset[str] = frozenset(h for s in SURNAMES for h in s.hanja if len(h) == 2)
_WESTERN_FREQUENCY_RATIO = 3.0
_MAX_FULL_KEYS = 16


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name split into surname and given name.

    Attributes:
        surname: The surname as written ("Kim", "리", "金"); "" if none was found.
        given: The given name as written ("Jong-un", "설주"); "" if none.
        script: "hangul", "latin", "han" or "mixed" (several scripts, or no letters at all).
        order: "eastern" (surname first), "western" (surname last) or "unknown".
        surname_ids: Canonical surname ids (southern Hangul) the surname may stand for.
    """

    surname: str
    given: str
    script: Script
    order: Order
    surname_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Keys of a name for blocking, comparison and blind indexes.

    Attributes:
        surname_ids: Surname ids of the preferred reading. Besides canonical ids ("김") this may hold a
            phonetic id starting with "~" ("~pwek") for surnames outside the surname table.
        given_key: The most plausible given-name key ("cong-on"), "" if there is no given name.
        given_keys: All plausible given-name keys, best first (several only for joined romanizations).
        full_keys: Strings "<surname id>|<given key>" over all plausible readings; empty when the name
            lacks a surname or a given name. Two spellings of one person share at least one full key.
    """

    surname_ids: frozenset[str]
    given_key: str
    given_keys: tuple[str, ...]
    full_keys: frozenset[str]


# --- tokenisation ---------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|（[^）]*）")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fb\u00b7]")
_APOSTROPHES = "'’‘`´ʼʻ"


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    outside = _BRACKETS.sub(" ", text)
    if any(c.isalpha() for c in outside):
        text = outside
    return _DASHES.sub("-", text)


def _words(part: str) -> list[tuple[str, str]]:
    """Split text into whitespace-separated words, further split where the script changes.

    Hyphens and apostrophes stay inside words ("Jong-un", "Ch'oe"); other punctuation separates.
    """
    out: list[tuple[str, str]] = []
    for chunk in part.split():
        current, script = "", ""
        for char in chunk:
            if char == "-" or char in _APOSTROPHES:
                if current:
                    current += char
                continue
            if unicodedata.combining(char):
                current += char
                continue
            kind = char_script(char)
            if kind == "sep":
                if current:
                    out.append((current.strip("-"), script))
                current, script = "", ""
                continue
            if current and kind != script:
                out.append((current.strip("-"), script))
                current = ""
            current += char
            script = kind
        if current.strip("-" + _APOSTROPHES):
            out.append((current.strip("-"), script))
    return [(w, s) for w, s in out if w]


def _overall_script(words: list[tuple[str, str]]) -> Script:
    scripts = {s for _, s in words}
    if scripts == {"hangul"}:
        return "hangul"
    if scripts == {"han"}:
        return "han"
    if scripts == {"latin"}:
        return "latin"
    return "mixed"


# --- readings -------------------------------------------------------------------------------------


def _reading(surname: str, given: str, script: Script, order: Order) -> ParsedName:
    if not surname or not given:
        order = "unknown"
    return ParsedName(surname, given, script, order, surname_candidates(surname) if surname else frozenset())


def _frequency(ids: frozenset[str]) -> float:
    return max((surname_frequency(i) for i in ids), default=0.0) or 1e-6


def _parse_hangul(words: list[str]) -> tuple[list[ParsedName], bool]:
    script: Script = "hangul"
    if len(words) == 1:
        word = words[0]
        if len(word) <= 2 and (len(word) == 1 or word in COMPOUND_SURNAMES):
            return [_reading(word, "", script, "unknown")], True
        if len(word) >= 3 and word[:2] in COMPOUND_SURNAMES:
            primary = _reading(word[:2], word[2:], script, "eastern")
            alternative = _reading(word[0], word[1:], script, "eastern")
            return [primary, alternative], False
        return [_reading(word[0], word[1:], script, "eastern")], True
    first, last = words[0], words[-1]
    if len(first) == 1 or first in COMPOUND_SURNAMES:
        return [_reading(first, "".join(words[1:]), script, "eastern")], True
    if resolve_surname(last)[1] == "table":
        return [_reading(last, "".join(words[:-1]), script, "western")], True
    return [_reading(first[0], first[1:] + "".join(words[1:]), script, "eastern")], True


def _parse_han(words: list[str]) -> tuple[list[ParsedName], bool]:
    script: Script = "han"
    text = "".join(words)
    if len(words) > 1 and resolve_surname(words[0])[1] == "table":
        return [_reading(words[0], "".join(words[1:]), script, "eastern")], True
    if len(words) > 1 and resolve_surname(words[-1])[1] == "table":
        return [_reading(words[-1], "".join(words[:-1]), script, "western")], True
    size = 2 if text[:2] in _COMPOUND_HANJA else 1
    return [_reading(text[:size], text[size:], script, "eastern")], True


def _split_joined(token: str, script: Script) -> tuple[list[ParsedName], bool]:
    """Parse a single romanized token: a bare surname, or surname + given name written together."""
    if resolve_surname(token)[1] == "table":
        return [_reading(token, "", script, "unknown")], True
    plain = normalize_latin(token)
    letters = re.sub("[^a-z]", "", plain)
    # Slice the original when normalisation kept one letter per character, else the normalised form.
    source = token if len(token) == len(letters) else letters
    candidates: list[tuple[float, ParsedName]] = []
    for cut in range(1, min(len(letters) - 1, 10)):
        surname_ids, how = resolve_surname(letters[:cut])
        if how != "table":
            continue
        cost = segmentation_cost(letters[cut:])
        if cost is None:
            continue
        score = cost - 0.25 * math.log10(_frequency(surname_ids) * 100)
        candidates.append((score, _reading(source[:cut], source[cut:], script, "eastern")))
    if not candidates:
        return [_reading("", token, script, "unknown")], True
    candidates.sort(key=lambda c: c[0])
    return [c[1] for c in candidates[:3]], False


def _is_one_syllable(word: str) -> bool:
    if all(char_script(c) != "latin" for c in word):
        return len(word) == 1
    return syllable_key(word) is not None


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _parse_tokens(
    words: list[tuple[str, str]], script: Script, comma: tuple[list[str], list[str]] | None
) -> tuple[list[ParsedName], bool]:
    if comma is not None:
        left, right = " ".join(comma[0]), " ".join(comma[1])
        if resolve_surname(left)[0] or not resolve_surname(right)[0]:
            return [_reading(left, right, script, "eastern")], True
        return [_reading(right, left, script, "western")], True
    texts = [w for w, _ in words]
    if len(texts) == 1:
        return _split_joined(texts[0], script)
    first, last = texts[0], texts[-1]
    eastern = _reading(first, " ".join(texts[1:]), script, "eastern")
    western = _reading(last, " ".join(texts[:-1]), script, "western")
    caps = [_is_caps(t) for t in texts]
    has_lower = any(c.islower() for t in texts for c in t)
    if sum(caps) == 1 and has_lower:  # "KIM Jong Un": capitals mark the surname
        if caps[0]:
            return [eastern, western], True
        if caps[-1]:
            return [western, eastern], True
    if "-" in last and "-" not in first:
        return [eastern, western], True
    if "-" in first and "-" not in last:
        return [western, eastern], True
    first_ids, first_how = resolve_surname(first)
    last_ids, last_how = resolve_surname(last)
    first_ok = first_how in ("table", "syllable")
    last_ok = last_how in ("table", "syllable")
    # A token that is not a known surname excludes its reading, unless it is a single syllable: then it
    # may be a rare surname missing from the table, so the other reading is kept as an alternative.
    if first_ok and not last_ok:
        return [eastern, western], not _is_one_syllable(last)
    if last_ok and not first_ok:
        return [western, eastern], not _is_one_syllable(first)
    if not first_ok and not last_ok and (first_ids or last_ids):  # phonetic-key matches only
        first_ok, last_ok = bool(first_ids), bool(last_ids)
        if first_ok != last_ok:
            return ([eastern, western] if first_ok else [western, eastern]), False
    if not first_ok and not last_ok:
        unknown = ParsedName(first, " ".join(texts[1:]), script, "unknown", frozenset())
        return [unknown, western], False
    if _frequency(last_ids) >= _WESTERN_FREQUENCY_RATIO * _frequency(first_ids):
        return [western, eastern], False
    return [eastern, western], False


def _parse(text: str) -> tuple[list[ParsedName], bool]:
    """Return the readings of ``text``, preferred first, and whether the first one is certain."""
    prepared = _prepare(text)
    comma: tuple[list[str], list[str]] | None = None
    if "," in prepared:
        left_text, right_text = prepared.split(",", 1)
        left, right = _words(left_text), _words(right_text.replace(",", " "))
        words = left + right
        if left and right:
            comma = ([w for w, _ in left], [w for w, _ in right])
    else:
        words = _words(prepared)
    if not words:
        return [ParsedName("", "", "mixed", "unknown", frozenset())], True
    script = _overall_script(words)
    texts = [w.replace("-", "") if script in ("hangul", "han") else w for w, _ in words]
    if comma is None and script == "hangul":
        return _parse_hangul(texts)
    if comma is None and script == "han":
        return _parse_han(texts)
    return _parse_tokens(words, script, comma)


def parse_name(text: str) -> ParsedName:
    """Split a Korean personal name into surname and given name.

    Handles Hangul with or without a space (김정은, 김 정은, 남궁민), hanja (金正恩), romanizations in
    either order and any system ("Kim Jong-un", "Jong-un Kim", "KIM JONG UN", "Kim Jongun", "Pak Tong Gu",
    "Ri Sol-ju", "Lee, Min-ji") and mixed scripts. See the module docstring for the heuristics. Never
    raises: text without letters gives an empty result with script "mixed" and order "unknown".

    Args:
        text: The name as written.

    Returns:
        The preferred reading.
    """
    return _parse(text)[0][0]


# --- keys -----------------------------------------------------------------------------------------


def _key_surname_ids(surname: str) -> frozenset[str]:
    """Surname ids used in keys: canonical ids plus phonetic ids for surnames outside the table.

    For a surname outside the table, the Hangul side also adds the table surnames that share its phonetic
    key, because a romanization of it may coincide with a table spelling (존 "Jon" = 전's "Jon").
    """
    text = surname
    if text and all(char_script(c) == "han" for c in text):
        ids, how = resolve_surname(text)
        if how != "none":
            return ids
        reading = hanja_to_hangul(text)
        if not reading:
            return frozenset()
        text = reading
    ids, how = resolve_surname(text)
    if how in ("table", "key"):
        return ids
    key = given_name_key(text)
    if not key:
        return ids
    if how == "syllable":
        return ids | surnames_with_key(key) | {"~" + key}
    return frozenset({"~" + key})


def name_keys(text: str, *, max_given_keys: int = 4) -> NameKeys:
    """Return comparison and blind-index keys for a name in any script or romanization.

    The keys of a Hangul name and of each of its romanizations (every system, either order, any given
    name style) share at least one full key: 리설주, 이설주, "Ri Sol Ju", "Lee Seol-ju" and "Yi Sŏl-chu"
    all contain "이|sol-co"; 김정은, "Kim Jong-un", "Kim Jung-un" and "Jong Un Kim" contain "김|cong-on".

    Args:
        text: The name as written.
        max_given_keys: Maximum number of given-name keys per reading (for joined romanizations).

    Returns:
        The keys; see :class:`NameKeys`.
    """
    readings, certain = _parse(text)
    if certain:
        readings = readings[:1]
    primary = readings[0]
    primary_ids = _key_surname_ids(primary.surname) if primary.surname else frozenset()
    primary_given = given_name_keys(primary.given, max_given_keys) if primary.given else ()
    full: dict[str, None] = {}
    for reading in readings:
        if not reading.surname or not reading.given:
            continue
        ids = _key_surname_ids(reading.surname)
        for given in given_name_keys(reading.given, max_given_keys):
            for sid in sorted(ids):
                full.setdefault(f"{sid}|{given}", None)
    keys = list(full)[:_MAX_FULL_KEYS]
    return NameKeys(
        surname_ids=primary_ids,
        given_key=primary_given[0] if primary_given else "",
        given_keys=primary_given,
        full_keys=frozenset(keys),
    )
