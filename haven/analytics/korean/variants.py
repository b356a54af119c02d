"""Realistic spelling variants of one person's name, for synthetic demo data.

Different organisations write the same refugee differently: a South Korean registry in southern Hangul
(이설주), a DPRK document in northern Hangul (리설주) or its official romanization (Ri Sol Ju), a UN or NGO
form in passport style (Lee Seol-ju, LEE SUL JOO), a library catalogue in McCune–Reischauer (Yi Sŏl-chu),
a Western database in western order (Seol-ju Lee), often with a typing error. :func:`name_variants`
produces such a set, deterministically for a given ``random.Random``.
"""

from __future__ import annotations

import random

from .hangul import is_hangul_syllable, split_syllable
from .orthography import to_north_orthography, to_south_orthography
from .romanize import GivenStyle, System, romanize_name, romanize_surname, romanize_syllable
from .surname_data import SURNAMES_BY_ID

__all__ = ["name_variants"]

_STYLES: tuple[GivenStyle, ...] = ("hyphen", "space", "joined")
_NK_STYLES: tuple[GivenStyle, ...] = ("space", "space", "hyphen")  # DPRK rule: syllables written apart
_MR_STYLES: tuple[GivenStyle, ...] = ("hyphen", "hyphen", "space")
_SEPARATED: tuple[GivenStyle, ...] = ("hyphen", "space")
_SYSTEMS: tuple[System, ...] = ("rr", "mr", "mr_plain", "nk", "nk_plain", "passport")
_WESTERN_SYSTEMS: tuple[System, ...] = ("passport", "rr", "mr_plain")
_UPPER_SYSTEMS: tuple[System, ...] = ("passport", "nk_plain")
_FREE_SYSTEMS: tuple[System, ...] = ("passport", "rr", "nk_plain")
_VOWEL_SLIPS = {"a": "e", "e": "a", "o": "u", "u": "o", "i": "e", "y": "i"}


def _hangul(text: str) -> str:
    return "".join(c for c in text if is_hangul_syllable(c))


def _free_spelling(surname: str, given: str, rng: random.Random, style: GivenStyle) -> str:
    """Spell the name the way an individual might: any listed surname spelling, mixed syllable styles."""
    entry = SURNAMES_BY_ID.get(to_south_orthography(surname))
    if entry is not None:
        surname_latin = rng.choice((entry.passport, *entry.variants))
    else:
        surname_latin = romanize_surname(surname, "passport")
    parts = []
    prev: str | None = None
    for syllable in given:
        options = sorted({romanize_syllable(syllable, system, prev) for system in _FREE_SYSTEMS})
        parts.append(rng.choice(options))
        prev = split_syllable(syllable)[2]
    if style == "space":
        given_latin = " ".join(p.capitalize() for p in parts)
    elif style == "joined":
        given_latin = "".join(parts).capitalize()
    else:
        given_latin = "-".join(parts).capitalize()
    return f"{surname_latin} {given_latin}"


def _typo(name: str, rng: random.Random) -> str:
    """Introduce one plausible typing error in the given-name part of an eastern-order Latin name."""
    head, _, given = name.partition(" ")
    positions = [i for i, c in enumerate(given) if c.isalpha()]
    if len(positions) < 2:
        return name
    for _ in range(10):
        i = rng.choice(positions)
        kind = rng.randrange(4)
        if kind == 0 and i + 1 < len(given) and given[i + 1].isalpha():  # transposition
            new = given[:i] + given[i + 1] + given[i] + given[i + 2 :]
        elif kind == 1:  # deletion
            new = given[:i] + given[i + 1 :]
        elif kind == 2:  # doubled letter
            new = given[:i] + given[i] + given[i:]
        else:  # vowel slip
            slip = _VOWEL_SLIPS.get(given[i].lower())
            if slip is None:
                continue
            new = given[:i] + (slip.upper() if given[i].isupper() else slip) + given[i + 1 :]
        if new != given:
            return f"{head} {new}"
    return name


def name_variants(
    surname_hangul: str, given_hangul: str, rng: random.Random, *, typo: bool = True
) -> list[str]:
    """Return realistic variant spellings of one person's name, as different organisations write it.

    The list contains: the southern and northern Hangul spellings (joined and with a space), RR, MR
    (with and without diacritics), DPRK official (with and without breves), passport style, a free
    individual spelling (Lee/Yi/Rhee, Jung/Jeong/Chong ...), a western-order form, an upper-case form and,
    if ``typo``, one form with a typing error. Given-name style (hyphen, space, joined) is drawn at random.

    Args:
        surname_hangul: Surname in Hangul, either orthography ("이" or "리").
        given_hangul: Given name in Hangul, either orthography ("설주", "룡해").
        rng: Source of randomness; the result is deterministic for a given generator state.
        typo: Include one variant with a typing error (the last item).

    Returns:
        Distinct strings, the southern Hangul spelling first. Every variant except the typo shares a
        full key (:func:`~haven.analytics.korean.names.name_keys`) with the Hangul name.
    """
    surname = _hangul(surname_hangul)
    given = _hangul(given_hangul)
    south_surname = to_south_orthography(surname)
    south_given = to_south_orthography(given)
    north_surname = to_north_orthography(south_surname) if len(south_surname) == 1 else south_surname
    north_given = given  # the northern form of a southern given name cannot be recovered (see orthography)

    out: dict[str, None] = {}

    def add(text: str) -> None:
        if text.strip():
            out.setdefault(text, None)

    add(south_surname + south_given)
    add(north_surname + north_given)
    add(f"{rng.choice((south_surname, north_surname))} {rng.choice((south_given, north_given))}")
    latin: list[str] = []
    for system in _SYSTEMS:
        if system in ("nk", "nk_plain"):
            style = rng.choice(_NK_STYLES)
            spelled_given = north_given
        else:
            style = rng.choice(_MR_STYLES if system == "mr" else _STYLES)
            spelled_given = rng.choice((south_given, given))
        text = romanize_name(surname, spelled_given, system, given_style=style)
        latin.append(text)
        add(text)
    free = _free_spelling(surname, south_given, rng, rng.choice(_STYLES))
    latin.append(free)
    add(free)
    add(romanize_name(surname, south_given, rng.choice(_WESTERN_SYSTEMS), "western", rng.choice(_SEPARATED)))
    upper_source = romanize_name(surname, south_given, rng.choice(_UPPER_SYSTEMS), given_style="space")
    if rng.random() < 0.5:
        add(upper_source.upper())
    else:
        head, _, tail = upper_source.partition(" ")
        add(f"{head.upper()} {tail}")
    if typo:
        add(_typo(rng.choice(latin), rng))
    return list(out)
