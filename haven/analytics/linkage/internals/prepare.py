"""Derive comparison columns from raw records (names, sex, years, place of origin).

The linkage engine never sees a name as written: :func:`prepare_records` turns each record into keys
(surname ids, phonetic given-name keys, full keys, a jamo string, place codes) and, only when the
generic baseline asks for it, a normalised copy of the raw text. Everything stays in memory.

Name keys come from :func:`haven.analytics.korean.name_keys`, which costs about 130 µs per call, so
distinct texts are keyed once (lists repeat the same spellings often) and, for large inputs, in
worker processes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

from haven.analytics.korean import (
    contains_hangul,
    decompose,
    given_name_vowels,
    name_keys,
    normalize_place,
    one_slip_keys,
    parse_name,
    surname_frequency,
    to_south_orthography,
)

__all__ = [
    "FIELDS",
    "InputError",
    "ProgressCallback",
    "parse_sex",
    "parse_year",
    "prepare_records",
]

#: Raw fields of a record, in CSV order. Only ``source`` and ``record_id`` are required.
FIELDS: Final = ("source", "record_id", "name", "name_hangul", "sex", "birth_year", "origin", "exit_year")

#: progress(stage, done, total): called with a short stage name and counts (total 0 when unknown).
ProgressCallback = Callable[[str, int, int], None]

_FEMALE: Final = frozenset({"f", "female", "w", "woman", "women", "여", "여성", "여자", "녀", "녀성", "녀자"})
_MALE: Final = frozenset({"m", "male", "man", "men", "남", "남성", "남자"})
_UNKNOWN_SEX: Final = frozenset({"", "u", "unknown", "x", "?", "-", "na", "n/a", "미상", "모름"})
_MIN_YEAR: Final = 1850
_MAX_YEAR: Final = 2100
# Below this many distinct names, worker processes cost more (start-up, 0.8 s warm-up) than they save.
_PARALLEL_MIN_NAMES: Final = 20_000
#: A name key held by at most this many records of the input is "rare" (see ``rare_keys``).
RARE_KEY_MAX: Final = 20
_NAME_COLUMNS: Final = (
    "surname_id", "surname_ids", "given_key", "given_keys", "full_key", "full_keys", "given_jamo",
)  # fmt: skip
#: Characters at each end of a given-name key kept for blocking (see ``given_ends``).
_END: Final = 3
_PUNCT: Final = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES: Final = re.compile(r"\s+")


class InputError(ValueError):
    """A record has an invalid value.

    Attributes:
        row: 0-based index of the record in the input.
        column: Name of the offending field.
    """

    def __init__(self, message: str, *, row: int, column: str) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


def parse_year(value: object, *, row: int, column: str) -> int | None:
    """Return a year as an int, None when empty.

    Args:
        value: An int, a string of digits, None or "".
        row: Record index, for the error.
        column: Field name, for the error.

    Returns:
        The year, or None.

    Raises:
        InputError: If the value is not an integer between 1850 and 2100.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"{column} must be an integer year, got {value!r}", row=row, column=column)
    if isinstance(value, int):
        year = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise InputError(f"{column} must be an integer year, got {text!r}", row=row, column=column)
        year = int(text)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise InputError(f"{column} {year} is outside {_MIN_YEAR}-{_MAX_YEAR}", row=row, column=column)
    return year


def parse_sex(value: object, *, row: int) -> str | None:
    """Return "f", "m" or None for a sex value (F/M, female/male, 여/남, 여성/남성 ...).

    Raises:
        InputError: If the value is not recognised.
    """
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    if text in _FEMALE:
        return "f"
    if text in _MALE:
        return "m"
    if text in _UNKNOWN_SEX:
        return None
    raise InputError(
        f"sex must be F/M, female/male, 여/남 or empty, got {str(value)!r}", row=row, column="sex"
    )


@dataclass(frozen=True, slots=True)
class _NameInfo:
    surname_ids: tuple[str, ...]
    given_keys: tuple[str, ...]
    full_keys: tuple[str, ...]
    given_jamo: str | None
    given_vowels: tuple[str, ...]


def _name_info(text: str) -> _NameInfo:
    keys = name_keys(text)
    jamo = None
    given = parse_name(text).given
    if given and contains_hangul(given):
        # The jamo string of the southern spelling: 룡남 and 용남 agree, and a one-jamo slip stays close.
        jamo = decompose(to_south_orthography(given.replace(" ", "")))
    return _NameInfo(
        surname_ids=tuple(sorted(keys.surname_ids)),
        given_keys=keys.given_keys,
        full_keys=tuple(sorted(keys.full_keys)),
        given_jamo=jamo,
        given_vowels=given_name_vowels(given) if given else (),
    )


def _name_infos(texts: Sequence[str], workers: int) -> list[_NameInfo]:
    if workers > 1 and len(texts) >= _PARALLEL_MIN_NAMES:
        chunk = max(1, len(texts) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_name_info, texts, chunksize=chunk))
    return [_name_info(t) for t in texts]


@dataclass(frozen=True, slots=True)
class _Place:
    province: str | None
    county: str | None


def _place(text: str) -> _Place:
    # The field is a place of origin in North Korea, which is the context the gazetteer asks for before
    # it accepts a "weak" name (연사, 화대, 경성: also common words or places in the South). Strong names
    # are read as written first, so the added context never overrides what the text says.
    match = normalize_place(text) or normalize_place(f"{text} (North Korea)")
    if match is None or match.province is None:
        return _Place(None, None)
    county = match.county
    if county is not None and county.parent_code != match.province.code and county.parent_code:
        # A city district (청진 수남구역): compare at city/county level, like a record naming only the city.
        return _Place(match.province.code, county.parent_code)
    return _Place(match.province.code, county.code if county is not None else None)


def _canonical_surname(ids: Sequence[str]) -> str | None:
    """Return the most frequent of several candidate surname ids (Chin -> 진 or 신), for TF tables."""
    if not ids:
        return None
    return max(ids, key=lambda s: (surname_frequency(s), s))


def _merge(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _plain(text: str) -> str | None:
    """Normalise raw text the way a generic (non-Korean) linkage would: NFKC, case-fold, no punctuation."""
    folded = _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    out = _SPACES.sub(" ", folded).strip()
    return out or None


def _text(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def prepare_records(
    rows: Iterable[Mapping[str, Any]],
    *,
    keep_raw: bool = False,
    workers: int | None = 1,
    progress: ProgressCallback | None = None,
) -> pa.Table:
    """Return the comparison columns of raw records, one row per record, in input order.

    Args:
        rows: Mappings with the keys of :data:`FIELDS` (missing keys count as empty). ``birth_year`` and
            ``exit_year`` may be ints or digit strings; ``sex`` F/M, female/male, 여/남 or empty.
        keep_raw: Also keep normalised raw text (``name_text``, ``hangul_text``, ``origin_text``), which
            only the generic baseline settings use. Off by default so that names as written never leave
            this function.
        workers: Processes for name keying; None = all cores. Used only for large inputs.
        progress: Optional progress callback.

    Returns:
        A pyarrow table with columns ``unique_id`` (row index), ``source``, ``record_id``,
        ``surname_id`` (most frequent candidate), ``surname_ids``, ``given_key``, ``given_keys``,
        ``full_key``, ``full_keys``, ``given_jamo``, ``birth_year``, ``sex`` ("f"/"m"), ``province`` and
        ``county`` (gazetteer codes), ``exit_year``, blocking helpers ``birth_bin_a``/``birth_bin_b``,
        ``rare_keys`` (the record's ``full_keys`` held by at most :data:`RARE_KEY_MAX` records of this
        input, for blocking on a rare name alone), ``given_ends`` (the first and last three letters of
        ``given_key``, for blocking on names one slip apart), ``given_key_unique`` (no other record of this
        input holds the record's ``given_key``), ``given_slips`` (for such a record every string one typing
        slip from its key, :func:`haven.analytics.korean.one_slip_keys`; for the others their key's letters
        alone), ``given_vowels`` (the Hangul vowels of a Hangul given name) and ``given_vowel_options``
        (for a record with only a romanized given name, the vowel sequences it can spell,
        :func:`haven.analytics.korean.given_name_vowels`; null when unknown), and the raw-text columns if
        ``keep_raw``. Missing values are null, empty arrays when unknown.

    Raises:
        InputError: On a missing source or record id, a duplicate (source, record_id), a year that is
            not an integer, or an unrecognised sex.
    """
    report = progress or (lambda stage, done, total: None)
    records = list(rows)
    n = len(records)
    report("reading", 0, n)
    seen: set[tuple[str, str]] = set()
    sources: list[str] = []
    record_ids: list[str] = []
    names: list[tuple[str, str]] = []
    origins: list[str] = []
    sexes: list[str | None] = []
    births: list[int | None] = []
    exits: list[int | None] = []
    for i, row in enumerate(records):
        source, record_id = _text(row, "source"), _text(row, "record_id")
        if not source:
            raise InputError("source is empty", row=i, column="source")
        if not record_id:
            raise InputError("record_id is empty", row=i, column="record_id")
        if (source, record_id) in seen:
            raise InputError(f"duplicate record ({source!r}, {record_id!r})", row=i, column="record_id")
        seen.add((source, record_id))
        sources.append(source)
        record_ids.append(record_id)
        names.append((_text(row, "name"), _text(row, "name_hangul")))
        origins.append(_text(row, "origin"))
        sexes.append(parse_sex(row.get("sex"), row=i))
        births.append(parse_year(row.get("birth_year"), row=i, column="birth_year"))
        exits.append(parse_year(row.get("exit_year"), row=i, column="exit_year"))

    distinct = sorted({t for pair in names for t in pair if t})
    report("name keys", 0, len(distinct))
    cpu = os.cpu_count() or 1
    infos = dict(zip(distinct, _name_infos(distinct, cpu if workers is None else workers), strict=True))
    report("name keys", len(distinct), len(distinct))
    places = {t: _place(t) for t in set(origins) if t}
    report("places", len(places), len(places))

    cols: dict[str, list[Any]] = {
        k: [] for k in (*_NAME_COLUMNS, "given_vowels", "given_vowel_options", "province", "county")
    }
    for name, hangul in names:
        a = infos.get(hangul) if hangul else None
        b = infos.get(name) if name else None
        # Hangul (or hanja) is the more faithful spelling, so it decides surname and given key first.
        primary, other = (a, b) if a is not None and a.surname_ids and a.given_keys else (b, a)
        if primary is None:
            primary, other = other, None
        if primary is None:
            for key in _NAME_COLUMNS:
                cols[key].append([] if key.endswith("s") else None)
            cols["given_vowels"].append(None)
            cols["given_vowel_options"].append(None)
            continue
        surname_ids = list(primary.surname_ids) or list(other.surname_ids if other else ())
        given_keys = _merge(primary.given_keys, other.given_keys if other else ())
        full_keys = _merge(primary.full_keys, other.full_keys if other else ())
        surname_id = _canonical_surname(surname_ids)
        given_key = given_keys[0] if given_keys else None
        cols["surname_id"].append(surname_id)
        cols["surname_ids"].append(surname_ids)
        cols["given_key"].append(given_key)
        cols["given_keys"].append(given_keys)
        cols["full_key"].append(f"{surname_id}|{given_key}" if surname_id and given_key else None)
        cols["full_keys"].append(full_keys)
        hangul_info = primary if primary.given_jamo else other if other and other.given_jamo else None
        cols["given_jamo"].append(hangul_info.given_jamo if hangul_info else None)
        # The Hangul given name's vowels, or else the vowels the romanization can stand for.
        vowels = hangul_info.given_vowels if hangul_info else ()
        cols["given_vowels"].append(vowels[0] if vowels else None)
        latin_vowels = None if hangul_info else list(primary.given_vowels) or None
        cols["given_vowel_options"].append(latin_vowels)
    for origin in origins:
        place = places.get(origin) if origin else None
        cols["province"].append(place.province if place else None)
        cols["county"].append(place.county if place else None)

    # A rare name is evidence enough to look at a pair even when birth year, origin and exit year are all
    # missing; a common one is not (two "Kim Mi-yong" with nothing else are most likely two people), and
    # blocking on it alone would cost quadratically. The cap is a count, not a share: how likely two
    # records sharing a name are one person depends on how many records share it, whatever the list size.
    key_counts: dict[str, int] = {}
    for keys in cols["full_keys"]:
        for key in keys:
            key_counts[key] = key_counts.get(key, 0) + 1
    rare = [[k for k in keys if key_counts[k] <= RARE_KEY_MAX] for keys in cols["full_keys"]]

    # The two ends of the given-name key ("<hwa", "kom>"): a typing slip changes one end of a name at
    # most, so blocking on either end with the surname and two more fields finds names one slip apart.
    ends = [
        [] if key is None or len(key) < _END else [f"<{key[:_END]}", f"{key[-_END:]}>"]
        for key in cols["given_key"]
    ]

    # A typing slip makes a spelling no other record uses: a given-name key held by one record only is
    # likely a slip of a key one edit away (a real name is spelled alike by others). Such a record gets
    # every string one slip from its key, every other record its key alone, so that blocking on them pairs
    # a singular spelling with the names one slip away without pairing every two common names that are.
    given_counts: dict[str, int] = {}
    for key in cols["given_key"]:
        if key is not None:
            given_counts[key] = given_counts.get(key, 0) + 1
    unique = [None if key is None else given_counts[key] == 1 for key in cols["given_key"]]
    slips = [
        [] if key is None else list(one_slip_keys(key)) if alone else [key.replace("-", "")]
        for key, alone in zip(cols["given_key"], unique, strict=True)
    ]

    strings = pa.list_(pa.string())
    arrays: dict[str, pa.Array] = {
        "unique_id": pa.array(range(n), pa.int64()),
        "source": pa.array(sources, pa.string()),
        "record_id": pa.array(record_ids, pa.string()),
        "surname_id": pa.array(cols["surname_id"], pa.string()),
        "surname_ids": pa.array(cols["surname_ids"], strings),
        "given_key": pa.array(cols["given_key"], pa.string()),
        "given_keys": pa.array(cols["given_keys"], strings),
        "full_key": pa.array(cols["full_key"], pa.string()),
        "full_keys": pa.array(cols["full_keys"], strings),
        "rare_keys": pa.array(rare, strings),
        "given_ends": pa.array(ends, strings),
        "given_slips": pa.array(slips, strings),
        "given_key_unique": pa.array(unique, pa.bool_()),
        "given_jamo": pa.array(cols["given_jamo"], pa.string()),
        "given_vowels": pa.array(cols["given_vowels"], pa.string()),
        "given_vowel_options": pa.array(cols["given_vowel_options"], strings),
        "birth_year": pa.array(births, pa.int32()),
        "sex": pa.array(sexes, pa.string()),
        "province": pa.array(cols["province"], pa.string()),
        "county": pa.array(cols["county"], pa.string()),
        "exit_year": pa.array(exits, pa.int32()),
        # Two 4-year binnings offset by 2: any two years at most 2 apart share a bin in one of them,
        # so blocking on (key, bin_a) OR (key, bin_b) tolerates birth years guessed from an age.
        "birth_bin_a": pa.array([None if y is None else y // 4 for y in births], pa.int32()),
        "birth_bin_b": pa.array([None if y is None else (y + 2) // 4 for y in births], pa.int32()),
    }
    if keep_raw:
        arrays["name_text"] = pa.array([_plain(name) for name, _ in names], pa.string())
        hangul = [_plain(h) for _, h in names]
        arrays["hangul_text"] = pa.array([h.replace(" ", "") if h else None for h in hangul], pa.string())
        arrays["origin_text"] = pa.array([_plain(o) for o in origins], pa.string())
    report("prepared", n, n)
    return pa.table(arrays)
