"""The obligations each violation pattern engages, read from ``data/obligations.yaml``.

A pattern is a set of act types (codes of the act-types vocabulary; a code covers its narrower terms) and the
provisions it engages. Reports call :func:`patterns_for_path` with an act type's vocabulary path to find the
patterns it falls in, and :func:`parties` to say which states are bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data" / "obligations.yaml"


class ObligationsFileError(ValueError):
    """The obligations file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Instrument:
    code: str
    short: dict[str, str]
    title: dict[str, str]
    summary: dict[str, str]
    quote_en: str

    def text(self, field: str, lang: str) -> str:
        values: dict[str, str] = getattr(self, field)
        return values.get(lang) or values["en"]


@dataclass(frozen=True)
class Pattern:
    code: str
    title: dict[str, str]
    act_types: tuple[str, ...]
    instruments: tuple[Instrument, ...]

    def covers(self, term_path: str) -> bool:
        """Return whether an act type (its vocabulary path, e.g. ``/92/9201/``) falls in this pattern."""
        return any(f"/{code}/" in term_path for code in self.act_types)

    def label(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


@dataclass(frozen=True)
class Obligations:
    instruments: dict[str, Instrument]
    patterns: tuple[Pattern, ...]
    parties: dict[str, dict[str, int]]
    parties_verified: bool
    parties_note: dict[str, str]

    def patterns_for_path(self, term_path: str) -> list[Pattern]:
        return [p for p in self.patterns if p.covers(term_path)]

    def party_year(self, iso2: str, instrument: str) -> int | None:
        return self.parties.get(iso2, {}).get(instrument)


def _bilingual(entry: dict[str, Any], key: str, where: str) -> dict[str, str]:
    value = entry.get(key)
    if not isinstance(value, dict) or not value.get("en") or not value.get("ko"):
        raise ObligationsFileError(f"{where}: {key!r} needs English and Korean text (en, ko)")
    return {"en": str(value["en"]).strip(), "ko": str(value["ko"]).strip()}


def parse(doc: dict[str, Any]) -> Obligations:
    """Return the obligations in ``doc`` (the YAML document), checked.

    Raises:
        ObligationsFileError: An entry lacks a field, a translation, or names an unknown instrument.
    """
    instruments: dict[str, Instrument] = {}
    for i, raw in enumerate(doc.get("instruments") or []):
        code = raw.get("code")
        where = f"instrument {code or i + 1}"
        if not code or code in instruments:
            raise ObligationsFileError(f"{where}: missing or repeated code")
        instruments[code] = Instrument(
            code=code,
            short=_bilingual(raw, "short", where),
            title=_bilingual(raw, "title", where),
            summary=_bilingual(raw, "summary", where),
            quote_en=str(raw.get("quote_en") or "").strip(),
        )
    patterns = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("patterns") or []):
        code = raw.get("code")
        where = f"pattern {code or i + 1}"
        if not code or code in seen:
            raise ObligationsFileError(f"{where}: missing or repeated code")
        seen.add(code)
        acts = [str(a) for a in raw.get("act_types") or []]
        if not acts:
            raise ObligationsFileError(f"{where}: no act_types")
        unknown = [c for c in raw.get("instruments") or [] if c not in instruments]
        if unknown or not raw.get("instruments"):
            raise ObligationsFileError(f"{where}: unknown or missing instruments {unknown}")
        patterns.append(
            Pattern(
                code=code,
                title=_bilingual(raw, "title", where),
                act_types=tuple(acts),
                instruments=tuple(instruments[c] for c in raw["instruments"]),
            )
        )
    parties_doc = doc.get("parties") or {}
    states: dict[str, dict[str, int]] = {}
    for iso2, entries in (parties_doc.get("states") or {}).items():
        unknown = [c for c in entries if c not in instruments]
        if unknown:
            raise ObligationsFileError(f"parties of {iso2}: unknown instruments {unknown}")
        states[str(iso2)] = {c: int(y) for c, y in entries.items()}
    return Obligations(
        instruments=instruments,
        patterns=tuple(patterns),
        parties=states,
        parties_verified=bool(parties_doc.get("verified")),
        parties_note=_bilingual(parties_doc, "note", "parties"),
    )


@cache
def obligations() -> Obligations:
    """Return the shipped obligations (read once)."""
    with DATA.open(encoding="utf-8") as fh:
        return parse(yaml.safe_load(fh))
