"""Korean personal names: Hangul, romanization, surnames, parsing and cross-script matching keys.

Django-free. Used by the demo-data generator (:func:`name_variants`), by search and blind indexes
(:func:`name_keys`, :func:`given_name_key`) and by record linkage (derived comparison columns: surname
ids, given-name keys, jamo strings). Place names live in :mod:`.places`.

Import rule: import from this package (``from haven.analytics.korean import name_keys``); the submodules
are implementation detail and may be reorganised.
"""

from __future__ import annotations

from .given_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, sample_given_name
from .hangul import compose, contains_hangul, decompose, is_hangul, join_syllable, split_syllable
from .hanja import hanja_to_hangul
from .keys import (
    given_name_key,
    given_name_keys,
    given_name_vowels,
    one_slip_keys,
    segment_romanized,
    syllable_key,
)
from .names import NameKeys, ParsedName, name_keys, parse_name
from .orthography import to_north_orthography, to_south_orthography
from .places import AdminUnit, PlaceMatch, nk_admin_units, normalize_place
from .romanize import SYSTEMS, romanize, romanize_given, romanize_name, romanize_surname
from .surnames import (
    COMPOUND_SURNAMES,
    SURNAMES,
    Surname,
    surname_candidates,
    surname_frequency,
    surname_info,
)
from .variants import name_variants

__all__ = [
    "COMPOUND_SURNAMES",
    "FEMALE_GIVEN_NAMES",
    "MALE_GIVEN_NAMES",
    "SURNAMES",
    "SYSTEMS",
    "AdminUnit",
    "NameKeys",
    "ParsedName",
    "PlaceMatch",
    "Surname",
    "compose",
    "contains_hangul",
    "decompose",
    "given_name_key",
    "given_name_keys",
    "given_name_vowels",
    "hanja_to_hangul",
    "is_hangul",
    "join_syllable",
    "name_keys",
    "name_variants",
    "nk_admin_units",
    "normalize_place",
    "one_slip_keys",
    "parse_name",
    "romanize",
    "romanize_given",
    "romanize_name",
    "romanize_surname",
    "sample_given_name",
    "segment_romanized",
    "split_syllable",
    "surname_candidates",
    "surname_frequency",
    "surname_info",
    "syllable_key",
    "to_north_orthography",
    "to_south_orthography",
]
