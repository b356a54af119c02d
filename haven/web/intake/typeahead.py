"""Type-ahead for the intake's pickers: small HTML fragments (listbox options) for htmx.

- Persons by name in Hangul or any romanization ("Ri" and "Lee" find 리 and 이): the blind indexes give the
  candidates (exact writings, script-independent full-name keys, surnames) without decrypting anything;
  only when a given name is still being typed are the names of at most :data:`MAX_SCANNED` visible
  candidates with that surname decrypted to compare the beginning of the given name. Only users who may
  see identifying data may look people up by name (a hit would otherwise confirm a name); others can find
  a person by record number only, and see the mask. Every lookup is audited as a search, without its text.
- Places in the gazetteer by any of their names and spellings ("Hoeryong" finds 회령 and Hoeryŏng):
  compared through :func:`haven.analytics.korean.places.place_key`, which folds romanization systems.
- Vocabulary terms by their Korean or English label, aliases or code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from haven.accounts import policy
from haven.analytics.korean import name_keys
from haven.analytics.korean.places import place_key
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.crypto.keyring import audit_fingerprint, blind_index
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location, LocationKind
from haven.records.models import NameKind, Person, PersonIndex, PersonName
from haven.records.services import persons_find_by_name
from haven.vocab.models import Term

MAX_RESULTS = 10
MAX_SCANNED = 400  # candidates with the surname whose names are decrypted to match a partly typed given name
_CHUNK = 100
MAX_QUERY = 100
_LIST_ID = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,80}\Z")
_RECORD_NUMBER = re.compile(r"\A#?\s*(\d{1,12})\Z")

# The vocabularies the intake offers; the type-ahead answers for these only.
VOCABULARIES = (
    "act-types",
    "methods",
    "involvement-degrees",
    "perpetrator-types",
    "source-connections",
    "source-types",
    "languages",
    "reliability",
)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    detail: str = ""


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# --- persons ---------------------------------------------------------------------------------------------


def person_label(user: Any, person: Person) -> str:
    """Return "name / other names" for users who may see them, otherwise the mask (names prefetched)."""
    if not policy.shows_identifying(user, person):
        return policy.MASK
    names = sorted(person.names.all(), key=lambda n: (not n.is_primary, n.pk))
    return " / ".join(dict.fromkeys(n.full_name for n in names)) or _("(no name)")


def person_detail(user: Any, person: Person) -> str:
    """Return what tells two namesakes apart: record number, sex, and (if allowed) year of birth."""
    parts = [_("no. %(id)s") % {"id": person.pk}, str(person.get_sex_display())]
    if policy.shows_identifying(user, person) and person.birth_date:
        try:
            year = ImpreciseDate.parse(person.birth_date).year
        except ValueError:
            year = None
        if year:
            parts.append(_("born %(year)s") % {"year": year})
    return ", ".join(parts)


# A given name typed half-way may end in a bare initial consonant ("Kim J", "김ㅈ"): read it as the onset class
# of the syllable keys (haven.analytics.korean.keys), so that "Kim J" begins "cong-on" (김정은).
_LATIN_ONSETS = {
    "g": "k", "k": "k", "kk": "k", "gh": "k", "kh": "k", "d": "t", "t": "t", "tt": "t", "th": "t",
    "b": "p", "p": "p", "pp": "p", "ph": "p", "j": "c", "ch": "c", "jj": "c", "tch": "c", "s": "s",
    "ss": "s", "sh": "s", "r": "n", "l": "n", "n": "n", "m": "m", "h": "h",
}  # fmt: skip
_JAMO_ONSETS = {
    "ㄱ": "k", "ㄲ": "k", "ㄴ": "n", "ㄷ": "t", "ㄸ": "t", "ㄹ": "n", "ㅁ": "m", "ㅂ": "p", "ㅃ": "p",
    "ㅅ": "s", "ㅆ": "s", "ㅇ": "", "ㅈ": "c", "ㅉ": "c", "ㅊ": "c", "ㅋ": "k", "ㅌ": "t", "ㅍ": "p", "ㅎ": "h",
}  # fmt: skip
_VOWEL_LETTERS = frozenset("aeiouwy")


def typed_given_keys(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Return the surname ids of a name being typed and the beginnings its given-name key may have."""
    text = text.strip()
    jamo = None
    if text and text[-1] in _JAMO_ONSETS:
        jamo, text = _JAMO_ONSETS[text[-1]], text[:-1].rstrip()
    keys = name_keys(text)
    typed = []
    for key in keys.given_keys or ("",):
        parts = key.split("-") if key else []
        if parts and not (_VOWEL_LETTERS & set(parts[-1])):
            parts[-1] = _LATIN_ONSETS.get(parts[-1], parts[-1])  # a bare consonant begins a syllable
        if jamo is not None:
            parts.append(jamo)
        typed.append("-".join(parts))
    return keys.surname_ids, tuple(dict.fromkeys(typed))


def _candidates_matching(ids: list[int], typed: tuple[str, ...], limit: int) -> list[int]:
    """Return up to ``limit`` of ``ids`` (in order) whose name begins with one of the ``typed`` keys.

    One name per person is decrypted and keyed: the Hangul one where recorded (keys do not depend on the
    script, and Hangul is the cheapest to key), else the primary one. Work stops once ``limit`` are found.
    """
    if "" in typed:  # only the surname so far: every candidate matches
        return ids[:limit]
    out: list[int] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        chosen: dict[int, tuple[int, int]] = {}
        for name_pk, pid, kind, primary in PersonName.objects.filter(person_id__in=chunk).values_list(
            "pk", "person_id", "kind", "is_primary"
        ):
            rank = 0 if kind == NameKind.HANGUL else 1 if primary else 2
            if pid not in chosen or rank < chosen[pid][0]:
                chosen[pid] = (rank, name_pk)
        texts = dict(
            PersonName.objects.filter(pk__in=[n for _r, n in chosen.values()]).values_list(
                "person_id", "full_name"
            )
        )
        for pid in chunk:
            if pid in texts and any(k.startswith(t) for k in name_keys(texts[pid]).given_keys for t in typed):
                out.append(pid)
                if len(out) >= limit:
                    return out
    return out


def persons_matching(user: Any, text: str, *, limit: int = MAX_RESULTS) -> list[Person]:
    """Return visible persons whose name matches ``text`` in any script (see the module docstring)."""
    text = text.strip()[:MAX_QUERY]
    if not text or not policy.has(user, policy.C.VIEW_RECORDS):
        return []
    visible = policy.visible(user, Person.objects.all())
    number = _RECORD_NUMBER.match(text)
    if number:
        return list(visible.filter(pk=int(number[1])).prefetch_related("names"))
    if not policy.has(user, policy.C.VIEW_IDENTIFYING):
        return []
    exact = list(
        visible.filter(pk__in=persons_find_by_name(text)).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    ids = list(exact)
    surname_ids, typed = typed_given_keys(text)
    if len(ids) < limit and surname_ids:
        # The surname is known and the given name partly typed (or not yet): scan that surname's persons.
        indexes = [blind_index(s, "name.surname") for s in sorted(surname_ids)]
        with_surname = PersonIndex.objects.filter(kind=PersonIndex.Kind.SURNAME, index__in=indexes).values(
            "person_id"
        )
        scanned = list(
            visible.filter(pk__in=with_surname)
            .exclude(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)[:MAX_SCANNED]
        )
        ids += _candidates_matching(scanned, typed, limit - len(ids))
    persons = visible.filter(pk__in=ids).prefetch_related("names").in_bulk()
    return [persons[pk] for pk in ids if pk in persons]


def person_options(user: Any, persons: list[Person]) -> list[Option]:
    return [Option(str(p.pk), person_label(user, p), person_detail(user, p)) for p in persons]


def audit_person_lookup(user: Any, request: HttpRequest | None, text: str, found: int, *, via: str) -> None:
    audit_record(
        actor=user,
        action=AuditAction.RECORD_SEARCHED,
        request=request,
        details={
            "via": via,
            "query": audit_fingerprint(text, "audit.search") if text else None,
            "persons": found,
        },
    )


# --- places ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    pk: int
    keys: tuple[str, ...]
    path: str
    kind: str


@lru_cache(maxsize=4)
def _gazetteer(signature: tuple[int, int | None]) -> tuple[_Place, ...]:
    # The gazetteer changes only when it is reloaded: the signature (count, highest id) is cheap to read.
    out = []
    for loc in Location.objects.order_by("path"):
        names = [loc.name_en, loc.name_ko, loc.name_zh, *(loc.variants or [])]
        keys = tuple(dict.fromkeys(k for k in (place_key(n) for n in names if n) if k))
        out.append(_Place(loc.pk, keys, loc.path, loc.kind))
    return tuple(out)


def _signature() -> tuple[int, int | None]:
    agg = Location.objects.aggregate(n=Max("pk"))
    return Location.objects.count(), agg["n"]


def places_matching(text: str, *, kinds: set[str] | None = None, limit: int = MAX_RESULTS) -> list[Location]:
    """Return gazetteer places whose name, in any script or romanization, begins with or contains ``text``.

    Exact names first, then names that begin with the text, then names that contain it; within each, larger
    places (fewer levels deep) first.
    """
    wanted = place_key(text[:MAX_QUERY])
    if not wanted:
        return []
    ranked = []
    for place in _gazetteer(_signature()):
        if kinds and place.kind not in kinds:
            continue
        score = min(
            (
                0 if k == wanted else 1 if k.startswith(wanted) else 2 if wanted in k else 9
                for k in place.keys
            ),
            default=9,
        )
        if score < 9:
            ranked.append((score, place.path.count("/"), place.path, place.pk))
    ranked.sort()
    pks = [pk for *_, pk in ranked[:limit]]
    by_pk = Location.objects.select_related("parent__parent").in_bulk(pks)
    return [by_pk[pk] for pk in pks if pk in by_pk]


def place_detail(place: Location) -> str:
    """Return where a place lies ("North Hamgyong, North Korea") and, for a site, what it is."""
    parents = []
    p = place.parent
    while p is not None and len(parents) < 2:
        parents.append(p.name)
        p = p.parent
    detail = ", ".join(parents)
    if place.kind == LocationKind.DETENTION_FACILITY:
        detail = _("detention facility") + (f" — {detail}" if detail else "")
    return detail


def place_options(places: list[Location]) -> list[Option]:
    return [Option(str(p.pk), p.name, place_detail(p)) for p in places]


FACILITY_KINDS = {LocationKind.DETENTION_FACILITY.value}


# --- vocabulary terms ------------------------------------------------------------------------------------


def terms_matching(vocabulary: str, text: str, *, limit: int = MAX_RESULTS * 2) -> list[Term]:
    """Return current terms of ``vocabulary`` whose Korean or English label, alias or code matches ``text``."""
    wanted = _fold(text[:MAX_QUERY])
    terms = Term.objects.filter(vocabulary__code=vocabulary, retired=False).select_related("parent")
    ranked = []
    for term in terms.order_by("path"):
        texts = [_fold(t) for t in (term.label_en, term.label_ko, *(term.aliases or []))]
        if not wanted:
            score = 0
        elif wanted == term.code.casefold() or wanted in texts:
            score = 0
        elif any(t.startswith(wanted) for t in texts):
            score = 1
        elif any(w.startswith(wanted) for t in texts for w in t.split()):
            score = 2
        elif any(wanted in t for t in texts):
            score = 3
        else:
            continue
        ranked.append((score, term.path, term))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [t for *_, t in ranked[:limit]]


def term_options(terms: list[Term]) -> list[Option]:
    return [Option(str(t.pk), t.label, t.parent.label if t.parent else "") for t in terms]


# --- views -----------------------------------------------------------------------------------------------


def _list_id(request: HttpRequest) -> str:
    raw = request.GET.get("list", "")
    return raw if _LIST_ID.match(raw) else "typeahead"


def _respond(request: HttpRequest, options: list[Option], *, empty: str, note: str = "") -> HttpResponse:
    return render(
        request,
        "web/_typeahead_options.html",
        {"options": options, "list_id": _list_id(request), "empty": empty, "note": note},
    )


def _require_records(request: HttpRequest) -> None:
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")


@require_GET
def persons_view(request: HttpRequest) -> HttpResponse:
    _require_records(request)
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    persons = persons_matching(request.user, text) if text else []
    if text:
        audit_person_lookup(request.user, request, text, len(persons), via="typeahead")
    note = ""
    if not policy.has(request.user, policy.C.VIEW_IDENTIFYING):
        note = _("Your role does not allow looking people up by name; type a record number.")
    return _respond(
        request, person_options(request.user, persons), empty=_("No recorded person matches."), note=note
    )


@require_GET
def places_view(request: HttpRequest) -> HttpResponse:
    _require_records(request)
    kinds = FACILITY_KINDS if request.GET.get("kind") == "facility" else None
    places = places_matching(request.GET.get("q", ""), kinds=kinds)
    return _respond(request, place_options(places), empty=_("No place matches."))


@require_GET
def terms_view(request: HttpRequest) -> HttpResponse:
    _require_records(request)
    vocabulary = request.GET.get("vocab", "")
    if vocabulary not in VOCABULARIES:
        raise Http404("No such vocabulary.")
    terms = terms_matching(vocabulary, request.GET.get("q", ""))
    return _respond(request, term_options(terms), empty=_("No term matches."))
