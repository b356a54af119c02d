"""Romanization of Korean (Hangul) in the systems found in refugee documentation.

Systems (``system`` argument):

``"rr"``
    Revised Romanization (South Korea, 2000). ㄱㄷㅂㅈ -> g d b j before a vowel, k t p t as finals; ㅓ eo,
    ㅡ eu; no diacritics; ㄹ -> r before a vowel, l otherwise, ㄹㄹ -> ll.
``"mr"``
    McCune–Reischauer: aspirates with apostrophes (k' t' p' ch'), ŏ and ŭ with breves; the plain stops
    ㄱㄷㅂㅈ are voiced (g d b j) between voiced sounds (대구 Taegu, 대중 Tae-jung); ``n'g`` for ㄴ+ㄱ.
``"mr_plain"``
    MR without breves and apostrophes, as typed on ordinary keyboards (Ch'oe -> Choe, Chŏng -> Chong).
``"nk"``
    DPRK official system (1992/2002, MR based): ㅋㅌㅍ -> kh th ph, ㅈ -> j, ㅊ -> ch, ŏ ŭ; ㄹ -> r; plain stops
    voiced between voiced sounds. Names are written with each syllable separate: 박동구 -> "Pak Tong Gu".
``"nk_plain"``
    The DPRK system without breves, as printed by DPRK media (Kim Jong Un, Ri Sol Ju).
``"passport"``
    Conventional spellings people actually carry (Kim, Lee, Park, Choi, Jung, Young, Soo, Eun, Hee ...).
    This is a name convention, not a transcription, so it never applies sound changes.

**Sound changes.** :func:`romanize` applies, inside a word, the sound changes that RR, MR and the DPRK
system all transcribe: liaison of a final consonant before a vowel (ㅎ is silent), palatalisation
(같이 gachi), aspiration after ㅎ (좋고 joko), nasalisation (ㄱ+ㄴ/ㅁ -> ng, ㄷ -> n, ㅂ -> m), ㄹ -> ㄴ after
consonants other than ㄴ/ㄹ (종로 Jongno, 독립 Dongnip = ngn, 협력 hyeomnyeok = mn) and ㄴ+ㄹ / ㄹ+ㄴ -> ll
(신림동 Sillimdong, 설날 Seollal). Tensification is not written by any of the systems and is ignored;
following RR, ㅎ after ㄱ/ㄷ/ㅂ is written h (북한 Bukhan, 묵호 Mukho). Lexical exceptions are not
modelled: ㄴ+ㄹ read as ㄴㄴ in some compounds (신문로 is Sinmunno, we give "sinmullo"), ㄴ-insertion (알약
allyak, we give "aryak") and word boundaries inside unspaced compounds.

**Names.** :func:`romanize_name` romanizes the surname and the given name separately (no liaison or
assimilation across the boundary: 박영철 -> Bak Yeong-cheol, never "Bagyeongcheol") and, following the
RR rule that "phonological changes are not reflected in given names" (한복남 Han Bok-nam, 홍빛나 Hong
Bit-na), it transcribes the given name syllable by syllable in every system. The only contextual rules
kept in names are the MR/DPRK voicing of plain stops *inside* the given name (김대중 Kim Tae-jung,
박동구 Pak Tong Gu; the first given syllable is never voiced: 오극렬 O Kuk Ryol) and ㄹㄹ -> ll.
Surnames use the conventional forms of the surname table in MR (Yi for 李), NK (Ri) and passport (Lee).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from .hangul import is_hangul_syllable, split_syllable
from .orthography import south_syllable
from .surname_data import SURNAMES_BY_ID, Surname

__all__ = [
    "SYSTEMS",
    "GivenStyle",
    "NameOrder",
    "System",
    "romanize",
    "romanize_given",
    "romanize_name",
    "romanize_surname",
    "strip_marks",
]

System = Literal["rr", "mr", "mr_plain", "nk", "nk_plain", "passport"]
GivenStyle = Literal["hyphen", "space", "joined"]
NameOrder = Literal["eastern", "western"]

#: Every supported romanization system.
SYSTEMS: tuple[System, ...] = ("rr", "mr", "mr_plain", "nk", "nk_plain", "passport")

_DEFAULT_GIVEN_STYLE: dict[str, GivenStyle] = {
    "rr": "hyphen",
    "mr": "hyphen",
    "mr_plain": "hyphen",
    "nk": "space",
    "nk_plain": "space",
    "passport": "hyphen",
}

# --- jamo sound tables ---------------------------------------------------------------------------

# Representative sound of each final (받침) at the end of a syllable.
_FINAL_SOUND: dict[str, str] = {
    "": "",
    "ㄱ": "k", "ㄲ": "k", "ㅋ": "k", "ㄳ": "k", "ㄺ": "k",
    "ㄴ": "n", "ㄵ": "n", "ㄶ": "n",
    "ㄷ": "t", "ㅅ": "t", "ㅆ": "t", "ㅈ": "t", "ㅊ": "t", "ㅌ": "t", "ㅎ": "t",
    "ㄹ": "l", "ㄼ": "l", "ㄽ": "l", "ㄾ": "l", "ㅀ": "l",
    "ㅁ": "m", "ㄻ": "m",
    "ㅂ": "p", "ㅍ": "p", "ㅄ": "p", "ㄿ": "p",
    "ㅇ": "ng",
}  # fmt: skip
# The same, as a jamo (used by the assimilation rules).
_NEUTRAL_FINAL: dict[str, str] = {
    "": "", "k": "ㄱ", "n": "ㄴ", "t": "ㄷ", "l": "ㄹ", "m": "ㅁ", "p": "ㅂ", "ng": "ㅇ",
}  # fmt: skip
_VOICED_FINALS = frozenset({"", "n", "l", "m", "ng"})

_RR_ONSET: dict[str, str] = {
    "ㄱ": "g", "ㄲ": "kk", "ㄴ": "n", "ㄷ": "d", "ㄸ": "tt", "ㄹ": "r", "ㅁ": "m", "ㅂ": "b", "ㅃ": "pp",
    "ㅅ": "s", "ㅆ": "ss", "ㅇ": "", "ㅈ": "j", "ㅉ": "jj", "ㅊ": "ch", "ㅋ": "k", "ㅌ": "t", "ㅍ": "p",
    "ㅎ": "h",
}  # fmt: skip
_MR_ONSET: dict[str, str] = {
    **_RR_ONSET,
    "ㄱ": "k", "ㄷ": "t", "ㅂ": "p", "ㅈ": "ch", "ㅉ": "tch", "ㅊ": "ch'", "ㅋ": "k'", "ㅌ": "t'", "ㅍ": "p'",
}  # fmt: skip
_NK_ONSET: dict[str, str] = {
    **_RR_ONSET,
    "ㄱ": "k", "ㄷ": "t", "ㅂ": "p", "ㅈ": "j", "ㅉ": "jj", "ㅊ": "ch", "ㅋ": "kh", "ㅌ": "th", "ㅍ": "ph",
}  # fmt: skip
_VOICED_ONSET: dict[str, str] = {"ㄱ": "g", "ㄷ": "d", "ㅂ": "b", "ㅈ": "j"}
_PASSPORT_ONSET: dict[str, str] = {**_RR_ONSET, "ㄱ": "k"}

_RR_VOWEL: dict[str, str] = {
    "ㅏ": "a", "ㅐ": "ae", "ㅑ": "ya", "ㅒ": "yae", "ㅓ": "eo", "ㅔ": "e", "ㅕ": "yeo", "ㅖ": "ye",
    "ㅗ": "o", "ㅘ": "wa", "ㅙ": "wae", "ㅚ": "oe", "ㅛ": "yo", "ㅜ": "u", "ㅝ": "wo", "ㅞ": "we",
    "ㅟ": "wi", "ㅠ": "yu", "ㅡ": "eu", "ㅢ": "ui", "ㅣ": "i",
}  # fmt: skip
_MR_VOWEL: dict[str, str] = {**_RR_VOWEL, "ㅓ": "ŏ", "ㅕ": "yŏ", "ㅝ": "wŏ", "ㅡ": "ŭ", "ㅢ": "ŭi"}

# Liaison of compound finals before a vowel: final -> (what stays, what moves to the next onset).
_LIAISON_SPLIT: dict[str, tuple[str, str]] = {
    "ㄳ": ("ㄱ", "ㅆ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("", "ㄴ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"),
    "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅆ"), "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("", "ㄹ"),
    "ㅄ": ("ㅂ", "ㅆ"),
}  # fmt: skip
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅈ": "ㅊ"}
_H_FINALS = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}

_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_BREVES = str.maketrans({"ŏ": "o", "ŭ": "u", "Ŏ": "O", "Ŭ": "U", "'": "", "’": ""})


def strip_marks(text: str) -> str:
    """Return ``text`` without MR/DPRK breves and apostrophes (Ch'oe Chŏng-ŭn -> Choe Chong-un)."""
    return text.translate(_BREVES)


# --- sound changes -------------------------------------------------------------------------------


def _apply_sound_changes(sylls: list[list[str]]) -> None:
    """Rewrite onsets/finals of a word in place for liaison and assimilation (see module docstring)."""
    for i in range(len(sylls) - 1):
        cur, nxt = sylls[i], sylls[i + 1]
        final, onset = cur[2], nxt[0]
        if not final:
            continue
        if onset == "ㅇ":  # liaison (연음)
            if final == "ㅇ":
                continue
            if final == "ㅎ":
                cur[2] = ""
                continue
            keep, move = _LIAISON_SPLIT.get(final, ("", final))
            if move in ("ㄷ", "ㅌ") and nxt[1] == "ㅣ":  # palatalisation: 굳이 guji, 같이 gachi
                move = "ㅈ" if move == "ㄷ" else "ㅊ"
            cur[2], nxt[0] = keep, move
            continue
        if final in _H_FINALS and onset in _ASPIRATE:  # 좋고 joko
            cur[2], nxt[0] = _H_FINALS[final], _ASPIRATE[onset]
            continue
        if final in _H_FINALS and onset == "ㅅ":  # 좋소: ㅎ is not pronounced
            cur[2] = _H_FINALS[final]
            continue
        if final == "ㄷ" and onset == "ㅎ" and nxt[1] == "ㅣ":  # 굳히다 -> 구치다
            cur[2], nxt[0] = "", "ㅊ"
            continue
        neutral = _NEUTRAL_FINAL[_FINAL_SOUND[final]]
        if onset == "ㄹ" and neutral in ("ㅁ", "ㅇ", "ㄱ", "ㄷ", "ㅂ"):  # 종로 jongno, 독립 -> 독닙
            onset = "ㄴ"
        if onset in ("ㄴ", "ㅁ"):  # nasalisation: 독닙 -> 동닙, 백마 baengma, 협력 hyeomnyeok
            neutral = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}.get(neutral, neutral)
        if neutral == "ㄴ" and onset == "ㄹ":  # 신라 silla, 신림 sillim
            neutral = "ㄹ"
        elif neutral == "ㄹ" and onset == "ㄴ":  # 설날 seollal
            onset = "ㄹ"
        if neutral != _NEUTRAL_FINAL[_FINAL_SOUND[final]]:
            cur[2] = neutral
        nxt[0] = onset


# --- rendering -----------------------------------------------------------------------------------


def _passport_vowel(onset: str, vowel: str, final: str) -> str:
    """Return the conventional (passport-style) spelling of a vowel in its syllable."""
    bare = onset == "ㅇ"
    if vowel == "ㅓ":
        return "u" if final and not bare else "eo"  # 정 Jung, 석 Suk, 서 Seo, 언 Eon
    if vowel == "ㅕ":
        if bare:
            return "you" if final == "ㅇ" else "yeo"  # 영 Young, 연 Yeon
        return "yu" if final else "yeo"  # 현 Hyun, 경 Kyung, 려 Ryeo
    if vowel == "ㅜ":
        if bare:
            return "woo"  # 우 Woo, 운 Woon, 욱 Wook
        if final == "ㅇ" or (final == "ㄴ" and onset in ("ㅈ", "ㅊ")):
            return "u"  # 중 Jung, 준 Jun, 춘 Chun
        return "oo"  # 수 Soo, 주 Joo, 숙 Sook, 훈 Hoon
    if vowel == "ㅠ":
        if bare:
            return "yu" if final == "ㄹ" else "yoo"  # 율 Yul, 유 Yoo, 윤 Yoon
        return "yu"  # 규 Kyu
    if vowel == "ㅢ":
        return "eui" if bare else "ee"  # 의 Eui, 희 Hee
    if bare and not final:
        special = {"ㅏ": "ah", "ㅗ": "oh", "ㅣ": "yi"}.get(vowel)  # 아 Ah, 오 Oh, 이 Yi
        if special:
            return special
    if vowel == "ㅚ":
        return "oe"
    return _RR_VOWEL[vowel]


def _render(onset: str, vowel: str, final: str, system: str, prev_final: str | None) -> str:
    """Romanize one syllable (lower case) given the final of the previous syllable in the same word.

    ``prev_final`` is None at the start of a word (or of a given name), which blocks voicing.
    """
    prev_sound = None if prev_final is None else _FINAL_SOUND[prev_final]
    base = "mr" if system == "mr_plain" else "nk" if system == "nk_plain" else system
    if onset == "ㄹ" and prev_sound == "l" and base != "passport":
        first = "l"  # ㄹㄹ -> ll
    elif base == "rr":
        first = _RR_ONSET[onset]
    elif base in ("mr", "nk"):
        if onset in _VOICED_ONSET and prev_sound in _VOICED_FINALS:
            first = _VOICED_ONSET[onset]
        else:
            first = (_MR_ONSET if base == "mr" else _NK_ONSET)[onset]
    else:  # passport
        first = "sh" if onset == "ㅅ" and vowel == "ㅣ" else _PASSPORT_ONSET[onset]
    if base == "passport":
        middle = _passport_vowel(onset, vowel, final)
        last = _FINAL_SOUND[final]
        if last == "p":
            last = "b"  # 섭 Sub, 협 Hyub
    else:
        middle = (_RR_VOWEL if base == "rr" else _MR_VOWEL)[vowel]
        last = _FINAL_SOUND[final]
    text = first + middle + last
    if system in ("mr_plain", "nk_plain"):
        text = strip_marks(text)
    return text


def _check_system(system: str) -> None:
    if system not in SYSTEMS:
        raise ValueError(f"unknown romanization system {system!r}; expected one of {SYSTEMS}")


def _syllables(word: str) -> list[list[str]]:
    return [list(split_syllable(c)) for c in word]


def _join(parts: list[str], system: str) -> str:
    """Join syllables of one word; MR separates ㄴ+ㄱ with an apostrophe (Han'gang)."""
    out = ""
    for part in parts:
        if system == "mr" and out.endswith("n") and part.startswith("g"):
            out += "'"
        out += part
    return out


def _romanize_word(word: str, system: str, sound_changes: bool) -> list[str]:
    """Romanize a run of Hangul syllables; return one string per syllable."""
    sylls = _syllables(word)
    if sound_changes and system != "passport":
        _apply_sound_changes(sylls)
    parts = []
    prev: str | None = None
    for onset, vowel, final in sylls:
        parts.append(_render(onset, vowel, final, system, prev))
        prev = final
    return parts


def romanize_syllable(syllable: str, system: str, prev_final: str | None = None) -> str:
    """Return one syllable romanized in ``system`` (lower case) as it would appear inside a name.

    Args:
        syllable: A Hangul syllable.
        system: One of :data:`SYSTEMS`.
        prev_final: The final jamo of the preceding syllable of the same given name ("" after an open
            syllable), or None at the start of the name. It only matters for MR/DPRK voicing and ㄹㄹ.

    Returns:
        The romanized syllable, e.g. ("정", "mr") -> "chŏng", ("정", "mr", "ㅁ") -> "jŏng".
    """
    _check_system(system)
    onset, vowel, final = split_syllable(syllable)
    return _render(onset, vowel, final, system, prev_final)


def romanize(hangul: str, system: System = "rr", *, sound_changes: bool = True) -> str:
    """Return ``hangul`` romanized in ``system``, in lower case.

    Runs of Hangul syllables are treated as words; everything else (spaces, hyphens, digits, Latin) is
    copied unchanged and stops sound changes. Use :func:`romanize_name` for personal names.

    Args:
        hangul: Text containing Hangul.
        system: One of :data:`SYSTEMS`.
        sound_changes: Apply liaison and assimilation inside words (default). Pass False to transcribe
            syllable by syllable, as RR requires for given names. Ignored for "passport".

    Returns:
        The romanization, e.g. romanize("신림동") -> "sillimdong", romanize("독립문", "mr") -> "tongnimmun".

    Raises:
        ValueError: If ``system`` is unknown.
    """
    _check_system(system)
    text = unicodedata.normalize("NFC", hangul)
    return _HANGUL_RUN.sub(lambda m: _join(_romanize_word(m.group(0), system, sound_changes), system), text)


def _capitalize(part: str) -> str:
    return part[:1].upper() + part[1:]


def _surname_entry(surname: str) -> Surname | None:
    entry = SURNAMES_BY_ID.get(surname)
    if entry is None and len(surname) == 1:
        entry = SURNAMES_BY_ID.get(south_syllable(surname))
    return entry


def romanize_surname(surname_hangul: str, system: System = "rr") -> str:
    """Return a surname romanized in ``system``, capitalised.

    "rr" transcribes the Hangul as written (이 -> I, 리 -> Ri); "mr", "nk" and "passport" use the surname
    table's conventional forms when the surname is known (이/리 -> Yi, Ri, Lee), otherwise the generic
    rules. "nk" always gives the northern form (이 -> Ri), because that is how DPRK documents write it.

    Args:
        surname_hangul: The surname in Hangul (one or two syllables).
        system: One of :data:`SYSTEMS`.

    Returns:
        The romanized surname, e.g. "Ch'oe" (mr), "Choe" (mr_plain), "Choi" (passport).
    """
    _check_system(system)
    surname = "".join(c for c in unicodedata.normalize("NFC", surname_hangul) if is_hangul_syllable(c))
    if not surname:
        return ""
    entry = _surname_entry(surname)
    if entry is not None and system != "rr":
        value = {
            "mr": entry.mr,
            "mr_plain": strip_marks(entry.mr),
            "nk": entry.nk,
            "nk_plain": strip_marks(entry.nk),
            "passport": entry.passport,
        }[system]
        return value
    return _capitalize(_join(_romanize_word(surname, system, sound_changes=False), system))


def romanize_given(given_hangul: str, system: System = "rr") -> list[str]:
    """Return the syllables of a given name romanized in ``system`` (lower case, one per syllable).

    No sound changes are applied (RR rule for names); MR/DPRK voicing inside the name is (대중 ->
    ["tae", "jung"]).

    Args:
        given_hangul: The given name in Hangul; spaces and non-Hangul characters are ignored.
        system: One of :data:`SYSTEMS`.

    Returns:
        A list such as ["jeong", "eun"].
    """
    _check_system(system)
    given = "".join(c for c in unicodedata.normalize("NFC", given_hangul) if is_hangul_syllable(c))
    return _romanize_word(given, system, sound_changes=False) if given else []


def _style_given(parts: list[str], style: str, system: str) -> str:
    if not parts:
        return ""
    if style == "hyphen":
        return _capitalize("-".join(parts))
    if style == "space":
        return " ".join(_capitalize(p) for p in parts)
    if style == "joined":
        return _capitalize(_join(parts, system))
    raise ValueError(f"unknown given_style {style!r}; expected 'hyphen', 'space' or 'joined'")


def romanize_name(
    surname_hangul: str,
    given_hangul: str,
    system: System = "rr",
    order: NameOrder = "eastern",
    given_style: GivenStyle | None = None,
) -> str:
    """Return a display form of a Korean name romanized in ``system``.

    The surname and given name are romanized separately (see the module docstring for the rules).

    Args:
        surname_hangul: Surname in Hangul (either orthography), e.g. "김" or "리".
        given_hangul: Given name in Hangul, e.g. "정은".
        system: One of :data:`SYSTEMS`.
        order: "eastern" (surname first, "Kim Jong-un") or "western" ("Jong-un Kim").
        given_style: "hyphen" (Jong-un), "space" (Jong Un) or "joined" (Jongun). Defaults to "space" for
            the DPRK systems (their rule writes each syllable separately) and "hyphen" otherwise.

    Returns:
        For example ``romanize_name("김", "정은", "passport")`` -> "Kim Jung-eun",
        ``romanize_name("김", "정은", "nk", given_style="hyphen")`` -> "Kim Jŏng-ŭn",
        ``romanize_name("리", "설주", "nk_plain")`` -> "Ri Sol Ju".

    Raises:
        ValueError: If ``system``, ``order`` or ``given_style`` is unknown.
    """
    _check_system(system)
    if order not in ("eastern", "western"):
        raise ValueError(f"unknown order {order!r}; expected 'eastern' or 'western'")
    style = given_style or _DEFAULT_GIVEN_STYLE[system]
    surname = romanize_surname(surname_hangul, system)
    given = _style_given(romanize_given(given_hangul, system), style, system)
    parts = [surname, given] if order == "eastern" else [given, surname]
    return " ".join(p for p in parts if p)
