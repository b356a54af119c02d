"""Normalise free-text North Korean place names to administrative units.

Testimonies and case files name a place of origin in many ways: "North Hamgyong", "Hamgyŏng-pukto",
"Hamgyeongbuk-do", "함북", "Hoeryong, North Hamgyong", "함경북도 회령시", "Musan-gun", "hoeryeong city",
"朝鲜会宁". :func:`normalize_place` maps such text to a province-level unit and, where one is named, the
city, county or district below it, using the gazetteer in ``data/nk_places.yaml``.

Matching works on keys. Text is NFKC-normalised and case-folded, apostrophes are dropped, and spans of
words (Latin script) or syllables (Hangul, hanja) are looked up at three tiers, strictest first:

1. the text as written (diacritics kept, so "Ŭnsan" and "Unsan" can differ);
2. without diacritics ("Hoeryŏng" -> "hoeryong");
3. phonetically folded, so that McCune-Reischauer, Revised Romanization and DPRK spellings meet: eo/o,
   eu/u, k/g, ch/j, p/b, t/d, l/r, aspirates written ph/th/kh, sh/s, doubled letters.

At each tier an administrative suffix (도/시/군/구역, -do/-si/-gun/-guyok, province/city/county/district, ...)
may be stripped. The longest matching span wins. Hangul names must start a word (or follow another place
name) and end a word or be followed by a particle (에서, 의, 출신, ...), so that "무산됐다" (fell through) is
not Musan. Names shared with common words or with places outside North Korea ("화성", "Pohang", "会宁") are
*weak*: they count only when the text also names an enclosing or enclosed unit, or North Korea itself.

This module is Django-free; the Django app loads the same YAML into its gazetteer.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "AMBIGUOUS",
    "CONFLICT",
    "EXACT",
    "FUZZY",
    "NK_PLACES_PATH",
    "AdminUnit",
    "PlaceMatch",
    "nk_admin_unit",
    "nk_admin_units",
    "normalize_place",
    "place_key",
]

NK_PLACES_PATH: Final = Path(__file__).with_name("data") / "nk_places.yaml"

#: Confidence of a :class:`PlaceMatch`: every name in the text matched as written or without diacritics.
EXACT: Final = "exact"
#: At least one name matched only after phonetic folding ("Gimchaek" for Kimch'aek).
FUZZY: Final = "fuzzy"
#: The names fit more than one unit equally well ("Unsan": a county in each Pyongan province).
AMBIGUOUS: Final = "ambiguous"
#: The names cannot all be one place ("Hoeryong, Ryanggang", or two different counties).
CONFLICT: Final = "conflict"

KINDS: Final = frozenset({"province", "special_city", "city", "county", "district"})

_COUNTRY: Final = "KP"  # sentinel code for names of North Korea itself
_MAX_LATIN_TOKENS: Final = 8
_MAX_CJK_CHARS: Final = 12
_MIN_LATIN_KEY: Final = 3
_MIN_CJK_KEY: Final = 2

_APOSTROPHES: Final = dict.fromkeys(map(ord, "'’‘ʼʻ`´′‛"), None)
# Punctuation that separates distinct names; spans never cross it. Spaces, hyphens and dots do not.
_STRONG_BREAKS: Final = frozenset(
    ",;:/\\()[]{}<>|!?\n\r\u3001\u3002\uff0c\uff1b\uff1a\u3010\u3011\u300a\u300b"
)

# Administrative suffixes, written as they appear after apostrophes are dropped and text is case-folded.
_BASE_SUFFIXES: Final = tuple(
    """
    directlygovernedcity metropolitancity specialcity capitalcity province prefecture district county city ward
    tŭkpyŏlsi teukbyeolsi tŭkkŭpsi teukgeupsi chikhalsi jikhalsi guyeok kuyŏk guyŏk kuyok guyok
    shi gun kun si do to
    특별시 직할시 특급시 구역 지구 시 군 도 구 읍
    特别市 特別市 直辖市 直轄市 区域 區域 地区 地區 市 郡 道 区 區 邑
    """.split()
)

# What may follow a Hangul place name inside the same word: particles, and nouns that commonly compound
# with a place ("회령역", "무산광산"). Longest first.
_HANGUL_FOLLOWERS: Final = tuple(
    sorted(
        """
        에서부터 으로부터 로부터 에서 에게 으로 까지 부터 이며 이고 이다 이었 출신 사람 태생 지역 근처 인근 일대
        시내 지방 쪽 에 의 로 은 는 이 가 을 를 과 와 도 만 서 며 였 엔 시 군 읍 동 리 역 항 공항 시장 광산
        관리소 교화소 집결소 단련대 구류장 보위부 보안서 보안부 안전부 안전국 세관 다리
        """.split(),
        key=len,
        reverse=True,
    )
)

_DOUBLE_LETTER: Final = re.compile(r"([a-z])\1+")
# A romanized suffix written as a separate word: "Musan-gun", "Hoeryong City", "Hamgyeongbuk-do".
_LATIN_SUFFIX_WORD: Final = re.compile(
    r"[-\s]+(si|shi|gun|kun|do|to|guyok|guyŏk|kuyŏk|kuyok|guyeok|county|city|province|district)\s*$",
    re.IGNORECASE,
)
_ROMANIZED_SUFFIXES: Final = frozenset("si shi gun kun do to guyok guyŏk kuyŏk kuyok guyeok".split())


@dataclass(frozen=True)
class AdminUnit:
    """A North Korean administrative unit.

    Attributes:
        code: Stable code: the ISO 3166-2:KP code for first-level units ("KP-09"), else the province code and
            an ASCII name ("KP-09-HOERYONG"; districts add the city: "KP-09-CHONGJIN-SUNAM").
        parent_code: Code of the enclosing unit; None for first-level units.
        kind: One of province, special_city, city, county, district. City districts (구역) and the special
            zones (Kaesong Industrial Region, Mount Kumgang, Sinuiju) are districts.
        name_ko: Name in North Korean Hangul spelling (량강도, 회령시).
        name_en: Conventional English name ("North Hamgyong", "Hoeryong").
        names: Every spelling the normaliser recognises, the primary names first.
        lat: Latitude (WGS84) of the seat or a representative point.
        lon: Longitude (WGS84).
        weak_names: The subset of ``names`` that count only with context (see the module docstring).
        approximate: True when the coordinates are an estimate.
        note: History or caveats, in English.
    """

    code: str
    parent_code: str | None
    kind: str
    name_ko: str
    name_en: str
    names: tuple[str, ...]
    lat: float
    lon: float
    weak_names: tuple[str, ...] = ()
    approximate: bool = False
    note: str = ""


@dataclass(frozen=True)
class PlaceMatch:
    """The result of :func:`normalize_place`.

    Attributes:
        province: The first-level unit (province or special city), or None when the text fits several.
        county: The most specific unit below it that the text names (city, county or district), or None
            when only a province was named or the county is ambiguous.
        confidence: :data:`EXACT`, :data:`FUZZY`, :data:`AMBIGUOUS` or :data:`CONFLICT`.
        candidates: For ambiguous and conflicting text, the units it could mean; empty otherwise.
    """

    province: AdminUnit | None
    county: AdminUnit | None
    confidence: str
    candidates: tuple[AdminUnit, ...] = ()


@dataclass(frozen=True)
class _Entry:
    code: str
    weak: bool


@dataclass(frozen=True)
class _Token:
    text: str
    cjk: bool
    run_start: bool


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    entries: frozenset[_Entry]
    tier: int


@dataclass(frozen=True)
class _Gazetteer:
    units: tuple[AdminUnit, ...]
    by_code: Mapping[str, AdminUnit]
    index: tuple[Mapping[str, frozenset[_Entry]], ...]


# ---------------------------------------------------------------------------------------------- text keys


def _base(text: str) -> str:
    """Return ``text`` NFKC-normalised, case-folded and without apostrophes (diacritics kept)."""
    # NFKC again after case-folding, which can decompose ("ǰ" -> "ǰ"), so "X".upper() and "x" agree.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.translate(_APOSTROPHES).replace("ı", "i")  # dotless i: "KIMCHAEK" == "kımchaek"


def _strip_marks(text: str) -> str:
    """Return ``text`` without combining marks (ŏ -> o, ŭ -> u); Hangul is recomposed unchanged."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _fold(text: str) -> str:
    """Return ``text`` (lower-case, no diacritics) with romanization differences folded away."""
    text = text.replace("sh", "s").replace("ph", "p").replace("th", "t").replace("kh", "k")
    text = text.replace("eo", "o").replace("eu", "u").replace("ai", "ae").replace("ch", "j")
    text = text.translate(str.maketrans("gbdl", "kptr"))
    return _DOUBLE_LETTER.sub(r"\1", text)


def _tier_key(text: str, tier: int) -> str:
    if tier == 0:
        return text
    plain = _strip_marks(text)
    return plain if tier == 1 else _fold(plain)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0xAC00 <= o <= 0xD7A3  # Hangul syllables
        or 0x1100 <= o <= 0x11FF  # Hangul jamo
        or 0x3130 <= o <= 0x318F  # compatibility jamo
        or 0x3400 <= o <= 0x4DBF  # CJK extension A
        or 0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= o <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= o <= 0x2FA1F  # CJK extensions B+
    )


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.combining(ch) != 0


def _squash(text: str) -> str:
    """Return the base form of ``text`` with everything but letters, digits and marks removed."""
    return "".join(ch for ch in _base(text) if _is_cjk(ch) or _is_word_char(ch))


@functools.cache
def _suffixes(tier: int) -> tuple[str, ...]:
    return tuple(sorted({_tier_key(s, tier) for s in _BASE_SUFFIXES}, key=len, reverse=True))


def _strip_suffix(key: str, tier: int) -> str:
    """Return ``key`` without one trailing administrative suffix, or ``key`` unchanged."""
    for suffix in _suffixes(tier):
        if key.endswith(suffix) and len(key) > len(suffix):
            rest = key[: -len(suffix)]
            if len(rest) >= (_MIN_CJK_KEY if _is_cjk(rest[-1]) else _MIN_LATIN_KEY):
                return rest
    return key


def _long_enough(key: str) -> bool:
    return bool(key) and len(key) >= (_MIN_CJK_KEY if _is_cjk(key[0]) else _MIN_LATIN_KEY)


def place_key(text: str) -> str:
    """Return the folded matching key of a single place name.

    Spellings of the same name in McCune-Reischauer, Revised Romanization and DPRK usage share a key, with
    or without an administrative suffix: ``place_key("Hoeryŏng-si") == place_key("hoeryeong city")``.
    Hangul and hanja keep their script. Useful as a derived column for record linkage.

    Args:
        text: One place name.

    Returns:
        The key; the empty string if ``text`` has no letters.
    """
    key = _tier_key(_squash(text), 2)
    return _strip_suffix(key, 2)


# ---------------------------------------------------------------------------------------------- loading


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def _derived_names(name: str) -> list[str]:
    """Return the forms of ``name`` without diacritics and without its administrative suffix."""
    out: list[str] = []
    plain = _strip_marks(name.translate(_APOSTROPHES))
    for form in (name, plain):
        if form != name:
            out.append(form)
        stripped = _without_suffix_word(form)
        if stripped and stripped != form:
            out.append(stripped)
    return out


def _without_suffix_word(name: str) -> str | None:
    match = _LATIN_SUFFIX_WORD.search(name)
    # "Musan-gun" -> "Musan", "Hoeryong City" -> "Hoeryong"; but not "Kaesong Special City" -> "Kaesong Special".
    if (
        match
        and match.start() > 0
        and (match.group(1).casefold() in _ROMANIZED_SUFFIXES or " " not in name[: match.start()])
    ):
        return name[: match.start()]
    if name and _is_cjk(name[-1]):
        key = _strip_suffix(name, 0)
        return key if key != name else None
    return None


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


_PROVINCE_SUFFIXES: Final = ("도", "道", "省", "do", "to", "province")


@dataclass(frozen=True)
class _Weakness:
    """Decides which keys of one unit are weak.

    A key is weak if it is the key of a listed weak variant; or that key plus a province suffix ("Gangwon-do"
    is still South Korea's Gangwon), while a county, city or district suffix makes it strong ("경성군" is
    Kyongsong county, not colonial Seoul; "개천시" is not a stream); or, for a unit that requires context,
    if it has no suffix at all.
    """

    weak_keys: tuple[frozenset[str], ...]
    context_required: bool

    def __call__(self, key: str, tier: int) -> bool:
        bare = _strip_suffix(key, tier)
        if key in self.weak_keys[tier]:
            return True
        if bare != key and bare in self.weak_keys[tier] and key[len(bare) :] in _province_suffixes(tier):
            return True
        return self.context_required and bare == key


@functools.cache
def _province_suffixes(tier: int) -> frozenset[str]:
    return frozenset(_tier_key(s, tier) for s in _PROVINCE_SUFFIXES)


def _unit_from_record(
    record: Mapping[str, Any], known: Mapping[str, AdminUnit]
) -> tuple[AdminUnit, _Weakness]:
    code = record["code"]
    parent = record.get("parent")
    kind = record["kind"]
    if kind not in KINDS:
        raise ValueError(f"{code}: unknown kind {kind!r}")
    if code in known:
        raise ValueError(f"{code}: duplicate code")
    if parent is not None and parent not in known:
        raise ValueError(f"{code}: parent {parent!r} must be listed before it")
    if (parent is None) != (kind in {"province", "special_city"}):
        raise ValueError(f"{code}: only provinces and special cities are first-level units")
    lat, lon = float(record["lat"]), float(record["lon"])
    if not (37.0 <= lat <= 43.5 and 124.0 <= lon <= 131.0):
        raise ValueError(f"{code}: coordinates {lat}, {lon} are outside North Korea")
    fields = ("name_en", "name_ko", "name_ko_south", "hanja", "name_zh", "mr", "rr", "nk")
    listed = [record[f] for f in fields if isinstance(record.get(f), str)] + _as_list(record.get("variants"))
    weak_listed = _as_list(record.get("weak_variants"))
    derived = [d for n in listed + weak_listed for d in _derived_names(n)]
    names = _dedupe(listed + weak_listed + derived)
    weakness = _Weakness(
        weak_keys=tuple(frozenset(_tier_key(_squash(w), t) for w in weak_listed) for t in range(3)),
        context_required=bool(record.get("context_required", False)),
    )
    unit = AdminUnit(
        code=code,
        parent_code=parent,
        kind=kind,
        name_ko=record["name_ko"],
        name_en=record["name_en"],
        names=names,
        lat=lat,
        lon=lon,
        weak_names=tuple(n for n in names if weakness(_tier_key(_squash(n), 1), 1)),
        approximate=bool(record.get("approximate", False)),
        note=str(record.get("note") or "").strip(),
    )
    return unit, weakness


def _add(index: dict[str, set[_Entry]], key: str, entry: _Entry) -> None:
    if _long_enough(key):
        index.setdefault(key, set()).add(entry)


def _index_name(
    index: list[dict[str, set[_Entry]]], name: str, code: str, weakness: _Weakness | None = None
) -> None:
    squashed = _squash(name)
    for tier in range(3):
        key = _tier_key(squashed, tier)
        for candidate in {key, _strip_suffix(key, tier)}:
            weak = weakness is not None and weakness(candidate, tier)
            _add(index[tier], candidate, _Entry(code, weak))


def _build(document: Mapping[str, Any]) -> _Gazetteer:
    by_code: dict[str, AdminUnit] = {}
    index: list[dict[str, set[_Entry]]] = [{}, {}, {}]
    for record in document["units"]:
        unit, weakness = _unit_from_record(record, by_code)
        by_code[unit.code] = unit
        for name in unit.names:
            _index_name(index, name, unit.code, weakness)
    for group in document.get("groups") or ():
        codes = _as_list(group["codes"])
        for code in codes:
            if code not in by_code:
                raise ValueError(f"group names unknown unit {code!r}")
        for name in _as_list(group["names"]):
            for code in codes:
                _index_name(index, name, code)
    for name in _as_list(document.get("country_names")):
        _index_name(index, name, _COUNTRY)
    frozen = tuple({k: frozenset(v) for k, v in tier.items()} for tier in index)
    return _Gazetteer(units=tuple(by_code.values()), by_code=by_code, index=frozen)


@functools.cache
def _gazetteer() -> _Gazetteer:
    with NK_PLACES_PATH.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    return _build(document)


def nk_admin_units() -> tuple[AdminUnit, ...]:
    """Return every unit in the gazetteer, parents before children (loaded once and cached).

    Returns:
        The units in file order: first-level units carry ``parent_code=None``.
    """
    return _gazetteer().units


def nk_admin_unit(code: str) -> AdminUnit:
    """Return the unit with ``code``.

    Args:
        code: A unit code such as "KP-09" or "KP-09-HOERYONG".

    Returns:
        The unit.

    Raises:
        KeyError: No unit has that code.
    """
    return _gazetteer().by_code[code]


# ---------------------------------------------------------------------------------------------- scanning


def _tokenise(text: str) -> list[list[_Token]]:
    """Split base-normalised ``text`` into segments of tokens: Latin words, and single CJK characters."""
    segments: list[list[_Token]] = []
    tokens: list[_Token] = []
    word: list[str] = []
    previous_cjk = False
    for ch in text:
        if _is_cjk(ch):
            if word:
                tokens.append(_Token("".join(word), cjk=False, run_start=True))
                word = []
            tokens.append(_Token(ch, cjk=True, run_start=not previous_cjk))
            previous_cjk = True
            continue
        previous_cjk = False
        if _is_word_char(ch):
            word.append(ch)
            continue
        if word:
            tokens.append(_Token("".join(word), cjk=False, run_start=True))
            word = []
        if ch in _STRONG_BREAKS:
            segments.append(tokens)
            tokens = []
    if word:
        tokens.append(_Token("".join(word), cjk=False, run_start=True))
    segments.append(tokens)
    return [s for s in segments if s]


def _lookup(raw: str, gazetteer: _Gazetteer) -> tuple[frozenset[_Entry], int] | None:
    for tier in range(3):
        key = _tier_key(raw, tier)
        for candidate in (key, _strip_suffix(key, tier)):
            entries = gazetteer.index[tier].get(candidate)
            if entries:
                return entries, tier
    return None


def _span_end(tokens: Sequence[_Token], start: int) -> int:
    cjk = tokens[start].cjk
    limit = _MAX_CJK_CHARS if cjk else _MAX_LATIN_TOKENS
    end = start
    while end < len(tokens) and tokens[end].cjk == cjk and end - start < limit:
        end += 1
    return end


def _longest(tokens: Sequence[_Token], start: int, gazetteer: _Gazetteer, *, check_end: bool) -> _Hit | None:
    for end in range(_span_end(tokens, start), start, -1):
        raw = "".join(t.text for t in tokens[start:end])
        if not _long_enough(raw):
            continue
        found = _lookup(raw, gazetteer)
        if found is None:
            continue
        if check_end and tokens[start].cjk and not _cjk_end_ok(tokens, end, gazetteer):
            continue
        return _Hit(start, end, found[0], found[1])
    return None


def _cjk_end_ok(tokens: Sequence[_Token], end: int, gazetteer: _Gazetteer) -> bool:
    """Return True if a CJK name ending at ``end`` ends its word, or a particle or another name follows."""
    if end >= len(tokens) or not tokens[end].cjk or tokens[end].run_start:
        return True
    rest: list[str] = []
    for token in tokens[end : end + 4]:
        if not token.cjk or (rest and token.run_start):
            break
        rest.append(token.text)
    following = "".join(rest)
    if any(following.startswith(p) for p in _HANGUL_FOLLOWERS):
        return True
    return _longest(tokens, end, gazetteer, check_end=False) is not None


def _scan(segment: Sequence[_Token], gazetteer: _Gazetteer) -> list[_Hit]:
    hits: list[_Hit] = []
    i, chained = 0, False
    while i < len(segment):
        token = segment[i]
        hit = None
        if not token.cjk or token.run_start or chained:
            hit = _longest(segment, i, gazetteer, check_end=True)
        if hit is None:
            i, chained = i + 1, False
        else:
            hits.append(hit)
            i, chained = hit.end, True
    return hits


# ---------------------------------------------------------------------------------------------- resolution


def _chain(unit: AdminUnit, by_code: Mapping[str, AdminUnit]) -> tuple[AdminUnit, ...]:
    out = [unit]
    while out[-1].parent_code is not None:
        out.append(by_code[out[-1].parent_code])
    return tuple(out)


def _related(a: AdminUnit, b: AdminUnit, by_code: Mapping[str, AdminUnit]) -> bool:
    return a in _chain(b, by_code) or b in _chain(a, by_code)


def _resolve(hits: Sequence[_Hit], gazetteer: _Gazetteer) -> PlaceMatch | None:
    by_code = gazetteer.by_code
    country_named = any(e.code == _COUNTRY for h in hits for e in h.entries)
    spans: list[tuple[dict[AdminUnit, bool], int]] = []
    for hit in hits:
        candidates: dict[AdminUnit, bool] = {}
        for entry in hit.entries:
            if entry.code != _COUNTRY:
                unit = by_code[entry.code]
                candidates[unit] = candidates.get(unit, True) and entry.weak
        if candidates:
            spans.append((candidates, hit.tier))

    # A weak candidate stays only if North Korea is named or a strong candidate elsewhere encloses it or
    # lies within it.
    kept: list[tuple[frozenset[AdminUnit], int]] = []
    for n, (candidates, tier) in enumerate(spans):
        strong_elsewhere = [
            u for m, (c, _) in enumerate(spans) if m != n for u, weak in c.items() if not weak
        ]
        units = frozenset(
            u
            for u, weak in candidates.items()
            if not weak or country_named or any(_related(u, s, by_code) for s in strong_elsewhere)
        )
        if units:
            kept.append((units, tier))
    if not kept:
        return None

    everything = frozenset(u for units, _ in kept for u in units)
    chains = {u: _chain(u, by_code) for u in everything}
    valid = [u for u in everything if all(units.intersection(chains[u]) for units, _ in kept)]
    deepest = _most_specific(valid, chains)
    if len(deepest) == 1:
        unit = deepest[0]
        top = chains[unit][-1]
        confidence = EXACT if max(tier for _, tier in kept) <= 1 else FUZZY
        return PlaceMatch(province=top, county=None if unit is top else unit, confidence=confidence)
    candidates = deepest if deepest else _most_specific(list(everything), chains)
    tops = {chains[u][-1] for u in candidates}
    return PlaceMatch(
        province=next(iter(tops)) if len(tops) == 1 else None,
        county=None,
        confidence=AMBIGUOUS if deepest else CONFLICT,
        candidates=tuple(sorted(candidates, key=lambda u: u.code)),
    )


def _most_specific(
    units: Sequence[AdminUnit], chains: Mapping[AdminUnit, tuple[AdminUnit, ...]]
) -> list[AdminUnit]:
    """Return ``units`` without those that enclose another of them, sorted by code."""
    enclosing = {a for u in units for a in chains[u][1:]}
    return sorted((u for u in units if u not in enclosing), key=lambda u: u.code)


def normalize_place(text: str) -> PlaceMatch | None:
    """Return the North Korean province and county named in free text.

    The text may name a province, a county (city, district), or both, in any order, script or
    romanization: "Hoeryong, North Hamgyong", "함경북도 회령시", "Musan-gun", "hoeryeong city", "Onsŏng",
    "함북". A county alone implies its province. Text is read as one place: if it names places that cannot
    all be the same unit the result is a conflict.

    Args:
        text: Free text, for example a place-of-origin field.

    Returns:
        The match, or None if the text names no known North Korean unit. A name that fits several units
        gives confidence :data:`AMBIGUOUS`, with ``province`` set only if they share one and the
        alternatives in ``candidates``; names that contradict each other give :data:`CONFLICT`.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_place() needs a str, not {type(text).__name__}")
    gazetteer = _gazetteer()
    hits = [hit for segment in _tokenise(_base(text)) for hit in _scan(segment, gazetteer)]
    if not hits:
        return None
    return _resolve(hits, gazetteer)
