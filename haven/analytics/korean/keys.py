"""Phonetic keys for Korean given names that are comparable across scripts and romanization systems.

A **syllable key** reduces one romanized syllable to three classes, onset + vowel + coda, that absorb
the differences between RR, MR (with or without breves and apostrophes), the DPRK system and passport
spellings:

========  =====================================================================================
onset     k = g/k/kk/kh/gh, t = d/t/tt/th, p = b/p/pp/ph, c = j/ch/jj/tch, s = s/ss/sh,
          n = r/l/n/rh (r/l/n at syllable start), m, h, or empty
vowel     o = eo/ŏ/o/u/oo/eu/ŭ/ou (ㅓㅗㅜㅡ merge: mr_plain writes ㅓ as o and ㅡ as u, passports write ㅓ
          as u), yo = yeo/yŏ/yo/yu/yoo/you (ㅕㅛㅠ), e = e/ae/ai (ㅔㅐ), ye = ye/yae, i = i/ee/yi/ui/eui
          (ㅣㅢ: 희 is "Hee"), we = oe/oi/we/wae (ㅚㅙㅞ: Choi), wo = wo/weo/wŏ, wa, wi, a, ya
coda      k = k/g/ck, t = t/d/s, p = p/b, n = n/nn, l = l/r/ll, m, ng, or empty
========  =====================================================================================

A trailing "h" after the vowel is ignored (Ahn, Oh, Kahng), "wh" is read as "hw" (Whang) and "woo" as
ㅜ (Woo). The **given-name key** joins the syllable keys with "-" ("정은", "Jong-un", "Jung Eun",
"Chŏng-ŭn" -> "cong-on"); the first syllable also gets the initial-sound law (an r/l/n onset before i or a
y-vowel is dropped), so 룡해 / 용해 / Ryong-hae / Yong-hae all give "yong-he".

Hangul is keyed through its RR spelling, hanja through :mod:`.hanja` readings. Latin tokens written
without separators ("Jongun") are segmented into syllables by dynamic programming over the set of every
syllable spelling that the romanizers produce for all 11,172 Hangul syllables in all systems (plus, at a
higher cost, any string that parses as a syllable); segmentations with fewer syllables and with
syllables common in given names win. Joined names are ambiguous ("Jongun" = 정은 or 전근, "Mina" = 미나 or
민아), so :func:`given_name_keys` returns the few best readings.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache, lru_cache

from .given_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES
from .hangul import (
    FINALS,
    INITIALS,
    VOWELS,
    is_hangul_char,
    is_hangul_syllable,
    join_syllable,
    split_syllable,
)
from .hanja import hanja_to_hangul, is_han_char
from .romanize import SYSTEMS, romanize_syllable

__all__ = [
    "char_script",
    "given_name_key",
    "given_name_keys",
    "given_name_vowels",
    "normalize_latin",
    "one_slip_keys",
    "segment_romanized",
    "segmentation_cost",
    "split_name_tokens",
    "syllable_key",
]

SyllableKey = tuple[str, str, str]

_ONSETS: dict[str, str] = {
    "tch": "c", "kk": "k", "gg": "k", "kh": "k", "gh": "k", "tt": "t", "dd": "t", "th": "t", "pp": "p",
    "bb": "p", "ph": "p", "ss": "s", "sh": "s", "jj": "c", "ch": "c", "rh": "n", "k": "k", "g": "k",
    "t": "t", "d": "t", "p": "p", "b": "p", "j": "c", "s": "s", "r": "n", "l": "n", "n": "n", "m": "m",
    "h": "h",
}  # fmt: skip
_NUCLEI: dict[str, str] = {
    "yeo": "yo", "yeu": "yo", "you": "yo", "yoo": "yo", "yae": "ye", "wae": "we", "weo": "wo",
    "woo": "o", "eui": "i", "ya": "ya", "ye": "ye", "yo": "yo", "yu": "yo", "yi": "i", "wa": "wa",
    "we": "we", "wo": "wo", "wi": "wi", "wu": "o", "oe": "we", "oi": "we", "oy": "we", "eo": "o",
    "eu": "o", "ou": "o", "oo": "o", "ui": "i", "ee": "i", "ae": "e", "ai": "e", "a": "a", "e": "e",
    "i": "i", "o": "o", "u": "o",
}  # fmt: skip
_CODAS: dict[str, str] = {
    "ng": "ng", "nn": "n", "ck": "k", "ll": "l", "k": "k", "g": "k", "n": "n", "l": "l", "r": "l",
    "m": "m", "p": "p", "b": "p", "t": "t", "d": "t", "s": "t",
}  # fmt: skip


def _alternation(options: dict[str, str]) -> str:
    return "|".join(sorted(options, key=lambda s: (-len(s), s)))


_SYLLABLE_RE = re.compile(
    f"({_alternation(_ONSETS)})?({_alternation(_NUCLEI)})h?({_alternation(_CODAS)})?",
)
_APOSTROPHES = "'’‘`´ʼʻ"
_APOSTROPHE_RE = re.compile(f"[{_APOSTROPHES}]")
_N_APOSTROPHE_G = re.compile(f"([nN])[{_APOSTROPHES}]([gG])")
_Y_VOWELS = frozenset({"i", "ya", "ye", "yo"})

# Segmentation costs: every syllable costs about 1, so fewer syllables win; spellings that no romanizer
# produces cost more, and syllables rare in given names a little more.
_COST_VOCAB = 1.0
_COST_GENERIC = 1.6
_COST_RARE = 0.3
_MARGIN = 0.75


def normalize_latin(text: str) -> str:
    """Return romanized text lower-cased, without diacritics and apostrophes.

    MR's "n'g" (a syllable boundary, as in Han'gang) becomes "n-g"; other apostrophes (aspiration marks)
    are dropped, breves and other accents removed: "Ch'oe Chŏng-ŭn" -> "choe chong-un".

    Args:
        text: Any string.

    Returns:
        The normalised string (non-Latin characters are kept).
    """
    text = _N_APOSTROPHE_G.sub(r"\1-\2", text)
    text = _APOSTROPHE_RE.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def _parse_syllable(spelling: str) -> SyllableKey | None:
    """Key one lower-case ASCII syllable spelling, or return None if it is not a Korean syllable."""
    if spelling.startswith("wh"):
        spelling = "hw" + spelling[2:]
    match = _SYLLABLE_RE.fullmatch(spelling)
    if match is None:
        return None
    onset, nucleus, coda = match.group(1), match.group(2), match.group(3)
    return (_ONSETS[onset] if onset else "", _NUCLEI[nucleus], _CODAS[coda] if coda else "")


def _initial_law(key: SyllableKey) -> SyllableKey:
    """Drop an r/l/n onset before i or a y-vowel (두음법칙), for the first syllable of a word."""
    if key[0] == "n" and key[1] in _Y_VOWELS:
        return ("", key[1], key[2])
    return key


@cache
def _hangul_key(syllable: str) -> SyllableKey:
    key = _parse_syllable(normalize_latin(romanize_syllable(syllable, "rr")))
    if key is None:  # pragma: no cover - every RR syllable parses (checked by the tests)
        raise AssertionError(f"cannot key {syllable!r}")
    return key


def syllable_key(syllable: str) -> str | None:
    """Return the key of one syllable, Hangul or romanized, or None if it is not a Korean syllable.

    Args:
        syllable: A Hangul syllable ("정") or one romanized syllable ("Jeong", "chŏng", "Jung").

    Returns:
        The key ("cong" for all four examples). No initial-sound law is applied here.
    """
    if len(syllable) == 1 and is_hangul_syllable(syllable):
        return "".join(_hangul_key(syllable))
    key = _parse_syllable(re.sub("[^a-z]", "", normalize_latin(syllable)))
    return None if key is None else "".join(key)


# Contexts in which a syllable can be romanized inside a given name: start of the name, after an open
# syllable (MR/DPRK voicing), after a voiceless final, after ㄹ (ㄹㄹ -> ll).
_CONTEXTS: tuple[str | None, ...] = (None, "", "ㄱ", "ㄹ")


@lru_cache(maxsize=1)
def _spelling_tables() -> tuple[dict[str, SyllableKey], dict[str, frozenset[str]]]:
    """Map every syllable spelling produced by any system, in any context, to its key and its vowels.

    The vowels are the Hangul vowels of every syllable that some system writes this way: "sun" is 순 in
    RR and MR, 슨 in MR without breves, 선 in passports, so its vowels are ㅜ, ㅡ and ㅓ.
    """
    vocab: dict[str, SyllableKey] = {}
    vowels: dict[str, set[str]] = {}
    for initial, vowel, final in itertools.product(INITIALS, VOWELS, FINALS):
        syllable = join_syllable(initial, vowel, final)
        for system in SYSTEMS:
            for prev in _CONTEXTS:
                spelling = normalize_latin(romanize_syllable(syllable, system, prev))
                key = vocab.get(spelling) or _parse_syllable(spelling)
                if key is not None:
                    vocab[spelling] = key
                    vowels.setdefault(spelling, set()).add(vowel)
    return vocab, {spelling: frozenset(v) for spelling, v in vowels.items()}


def _vocabulary() -> dict[str, SyllableKey]:
    """Map every syllable spelling produced by any system, in any context, to its key."""
    return _spelling_tables()[0]


@lru_cache(maxsize=1)
def _common_keys() -> dict[SyllableKey, float]:
    """Return the segmentation penalty of syllable keys that occur in the given-name lists.

    A key used in six or more listed names costs nothing extra; rarer keys cost up to ``_COST_RARE``.
    """
    counts: dict[SyllableKey, int] = {}
    for name in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES:
        for syllable in name:
            key = _hangul_key(syllable)
            counts[key] = counts.get(key, 0) + 1
    return {key: _COST_RARE * (1.0 - min(count, 6) / 6) for key, count in counts.items()}


@lru_cache(maxsize=1)
def _max_piece() -> int:
    return max(len(s) for s in _vocabulary()) + 1


def _piece_cost(piece: str) -> float | None:
    vocab = _vocabulary()
    key = vocab.get(piece)
    cost = _COST_VOCAB
    if key is None:
        key = _parse_syllable(piece)
        if key is None:
            return None
        cost = _COST_GENERIC
    return cost + _common_keys().get(key, _COST_RARE)


@lru_cache(maxsize=4096)
def _segment(letters: str, max_results: int) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """K-best segmentation of a lower-case a-z string into syllable spellings, with costs."""
    n = len(letters)
    beam = max_results * 2
    best: list[list[tuple[float, tuple[str, ...]]]] = [[] for _ in range(n + 1)]
    best[0] = [(0.0, ())]
    longest = _max_piece()
    for end in range(1, n + 1):
        candidates: list[tuple[float, tuple[str, ...]]] = []
        for start in range(max(0, end - longest), end):
            if not best[start]:
                continue
            piece = letters[start:end]
            cost = _piece_cost(piece)
            if cost is None:
                continue
            candidates.extend((c + cost, path + (piece,)) for c, path in best[start])
        candidates.sort()
        best[end] = candidates[:beam]
    if not best[n]:
        return ()
    floor = best[n][0][0]
    return tuple((c, p) for c, p in best[n] if c <= floor + _MARGIN)[:max_results]


def segment_romanized(text: str, max_results: int = 4) -> tuple[tuple[str, ...], ...]:
    """Split a romanized token written without separators into plausible Korean syllables.

    Args:
        text: One token such as "Jongun" or "Seolju" (non-letters, case and diacritics are ignored).
        max_results: Maximum number of segmentations to return.

    Returns:
        The best segmentations, best first, e.g. (("jong", "un"), ("jon", "gun")); () if the token cannot
        be segmented into Korean syllables.
    """
    letters = re.sub("[^a-z]", "", normalize_latin(text))
    if not letters:
        return ()
    return tuple(p for _, p in _segment(letters, max_results))


def segmentation_cost(text: str) -> float | None:
    """Return the cost of the best segmentation of a joined romanized token (None if impossible).

    The cost is about 1 per syllable, plus small penalties for spellings no romanizer produces and for
    syllables rare in given names; lower is more plausible.
    """
    letters = re.sub("[^a-z]", "", normalize_latin(text))
    if not letters:
        return None
    if letters in _vocabulary():
        return _COST_VOCAB
    best = _segment(letters, 1)
    return best[0][0] if best else None


def char_script(char: str) -> str:
    """Return "hangul", "han", "latin", "other" (another alphabet) or "sep" (not a letter) for a character."""
    if is_hangul_char(char):
        return "hangul"
    if is_han_char(char):
        return "han"
    if char.isalpha():
        cp = ord(char)
        return "latin" if cp < 0x0250 or 0x1E00 <= cp <= 0x1EFF else "other"
    return "sep"


def split_name_tokens(text: str) -> list[tuple[str, str]]:
    """Split a name (or a part of one) into tokens, each with its script.

    Tokens are separated by anything that is not a letter (spaces, hyphens, dots, commas ...), by a
    change of script and by a lower-to-upper case change inside Latin text ("JongUn"). MR apostrophes are
    kept inside tokens (Ch'oe) except "n'g", which separates syllables.

    Args:
        text: Any string.

    Returns:
        A list of (token, script) pairs; script is "hangul", "han", "latin" or "other".
    """
    text = unicodedata.normalize("NFKC", text)
    text = _N_APOSTROPHE_G.sub(r"\1-\2", text)
    tokens: list[tuple[str, str]] = []
    current = ""
    current_script = ""
    for char in text:
        if char in _APOSTROPHES and current_script == "latin":
            current += char
            continue
        if unicodedata.combining(char) and current:
            current += char
            continue
        script = char_script(char)
        boundary = (
            script == "sep"
            or script != current_script
            or (script == "latin" and current[-1:].islower() and char.isupper())
        )
        if boundary and current:
            tokens.append((current, current_script))
            current = ""
        if script == "sep":
            current_script = ""
            continue
        current += char
        current_script = script
    if current:
        tokens.append((current, current_script))
    return tokens


_Option = tuple[float, tuple[SyllableKey, ...]]


def _latin_options(token: str, max_results: int) -> list[_Option]:
    letters = re.sub("[^a-z]", "", normalize_latin(token))
    if not letters:
        return []
    vocab = _vocabulary()
    if letters in vocab:  # a single syllable as written: take it as is
        return [(0.0, (vocab[letters],))]
    options: list[_Option] = []
    for cost, pieces in _segment(letters, max_results):
        keys = tuple(vocab.get(p) or _parse_syllable(p) for p in pieces)
        options.append((cost, tuple(k for k in keys if k is not None)))
    if not options:  # not Korean-looking: keep the letters so that identical spellings still match
        options.append((9.0, ((letters, "", ""),)))
    return options


def _token_options(token: str, script: str, max_results: int) -> list[_Option]:
    if script == "hangul":
        keys = tuple(_hangul_key(c) for c in token if is_hangul_syllable(c))
        return [(0.0, keys)] if keys else []
    if script == "han":
        reading = hanja_to_hangul(token)
        if reading:
            return [(0.0, tuple(_hangul_key(c) for c in reading))]
        return [(9.0, ((token, "", ""),))]
    if script == "latin":
        return _latin_options(token, max_results)
    return [(9.0, ((token.casefold(), "", ""),))]


def _render(keys: tuple[SyllableKey, ...]) -> str:
    if not keys:
        return ""
    first = _initial_law(keys[0])
    return "-".join("".join(k) for k in (first, *keys[1:]))


def given_name_keys(text: str, max_results: int = 4) -> tuple[str, ...]:
    """Return the phonetic keys of a given name, most plausible first.

    Works for Hangul (either orthography), hanja and any romanization; tokens may be separated by spaces
    or hyphens or joined ("Jongun"). Only joined romanized tokens are ambiguous and give several keys.

    Args:
        text: A given name, e.g. "정은", "Jong-un", "JUNG EUN", "Chŏng-ŭn", "正恩", "Jongun".
        max_results: Maximum number of keys.

    Returns:
        Distinct keys such as ("cong-on",), or () if the text contains no letters.
    """
    per_token = [
        opts for tok, script in split_name_tokens(text) if (opts := _token_options(tok, script, max_results))
    ]
    if not per_token:
        return ()
    # Combine the tokens' options left to right, keeping a small beam (long inputs stay linear).
    combos: list[_Option] = [(0.0, ())]
    for options in per_token:
        combos = sorted(
            ((cost + c, keys + ks) for cost, keys in combos for c, ks in options), key=lambda item: item[0]
        )[: max_results * 2]
    out: dict[str, None] = {}
    for _, keys in combos:
        rendered = _render(keys)
        if rendered:
            out.setdefault(rendered, None)
        if len(out) >= max_results:
            break
    return tuple(out)


def given_name_key(text: str) -> str:
    """Return the most plausible phonetic key of a given name ("" if it has no letters).

    Args:
        text: A given name in any script or romanization, e.g. "정은", "Jung-eun", "Chŏng-ŭn".

    Returns:
        The key, e.g. "cong-on". See :func:`given_name_keys` for the alternatives of ambiguous spellings.
    """
    keys = given_name_keys(text, max_results=1)
    return keys[0] if keys else ""


@cache
def _key_letters() -> str:
    """Return the letters keys are made of (the onset, vowel and coda classes)."""
    return "".join(sorted(set("".join((*_ONSETS.values(), *_NUCLEI.values(), *_CODAS.values())))))


def one_slip_keys(key: str) -> tuple[str, ...]:
    """Return a given-name key's letters and every string one typing slip away from them.

    A typing slip in a romanized name (a letter doubled, dropped, replaced or two letters swapped:
    "Okk-hui", "Jng", "Hyyng") usually changes one letter of its key ("okk-hi", "cng", "hyyng"), so the key
    of the name as it should have been written is among these strings: the key with one letter deleted,
    one key letter inserted or substituted, or two adjacent letters swapped. Syllable separators are
    dropped first, because a slip also moves them ("Ha uEn" keys as "ha-o-en", 하은 as "ha-on").

    Args:
        key: A given-name key as returned by :func:`given_name_key`, e.g. "cng-min".

    Returns:
        Distinct strings, the key's own letters first ("cngmin", "ngmin", ...); () for an empty key.
        Inserted and substituted letters are the letters keys are made of, so a key of n letters gives
        about 30 n strings.
    """
    letters = key.replace("-", "")
    if not letters:
        return ()
    alphabet = _key_letters()
    out = dict.fromkeys([letters])
    for i in range(len(letters) + 1):
        for c in alphabet:
            out.setdefault(letters[:i] + c + letters[i:], None)  # a letter left out
        if i == len(letters):
            break
        out.setdefault(letters[:i] + letters[i + 1 :], None)  # a letter typed in
        for c in alphabet:
            out.setdefault(letters[:i] + c + letters[i + 1 :], None)  # a letter replaced
        if i + 1 < len(letters):
            out.setdefault(letters[:i] + letters[i + 1] + letters[i] + letters[i + 2 :], None)  # swapped
    return tuple(out)


def _token_vowels(token: str, script: str) -> tuple[str, ...] | None:
    """Return the vowel strings one token can stand for; None when the token says nothing about them."""
    if script == "han":
        token, script = hanja_to_hangul(token) or "", "hangul"
    if script == "hangul":
        vowels = "".join(split_syllable(c)[1] for c in token if is_hangul_syllable(c))
        return (vowels,) if vowels else None
    if script != "latin":
        return None
    letters = re.sub("[^a-z]", "", normalize_latin(token))
    vocab, table = _spelling_tables()
    if letters in vocab:
        pieces: tuple[str, ...] = (letters,)
    else:
        # The segmentation the key is built from (given_name_keys takes the best of the same k-best list).
        best = _segment(letters, 4) if letters else ()
        if not best:
            return None
        pieces = best[0][1]
    sets = [table.get(piece) for piece in pieces]
    if any(s is None for s in sets):  # a spelling no system produces (often a typing slip): unknown
        return None
    return tuple("".join(combo) for combo in itertools.product(*(sorted(s) for s in sets if s)))


def given_name_vowels(text: str, max_results: int = 64) -> tuple[str, ...]:
    """Return the sequences of Hangul vowels a given name can be written with.

    The phonetic key merges vowels that every system keeps apart in some spelling (ㅓ, ㅗ, ㅜ and ㅡ are all
    "o": 선희, 순희 and 손희 share "son-hi"), so a romanized name that shares a key with a Hangul name may
    still be unable to spell it: "Seon-hui" and "Sŏn-hŭi" can only be 선희, while "Sun-hee" can be 선희
    (passport), 순희 or 슨희. Comparing the Hangul name's vowels with the vowels the romanization allows
    separates such namesakes without trusting any one system.

    Args:
        text: A given name in Hangul, hanja or any romanization ("선희", "Sun-hee", "Sŏnhŭi").
        max_results: Above this many possible sequences the spelling is taken to say nothing.

    Returns:
        For Hangul and hanja, the one sequence of vowels ("ㅓㅢ"); for a romanization, every sequence its
        syllables can stand for, in the segmentation its key is built from; () when the text has a
        syllable no system spells that way (a typing slip, a foreign name) or nothing to go by.
    """
    combos: list[str] = [""]
    for token, script in split_name_tokens(text):
        options = _token_vowels(token, script)
        if options is None:
            return ()
        combos = [done + more for done in combos for more in options]
        if len(combos) > max_results:
            return ()
    return tuple(dict.fromkeys(c for c in combos if c))
