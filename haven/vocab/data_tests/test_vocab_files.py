"""Check the vocabulary data files (haven/vocab/data/*.yaml) without Django.

Run: ``.venv/bin/python -m pytest -p no:django haven/vocab/data_tests -q``. Each check collects every problem in
a file and fails once, so one run lists everything to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
FILES = sorted(DATA_DIR.glob("*.yaml"))

TOP_REQUIRED = {"code", "name", "version", "code_style", "source", "terms"}
TERM_REQUIRED = {"code", "en", "ko", "origin"}
TERM_OPTIONAL = {"notes", "children", "inverse", "broader", "aliases", "huri_code", "retired"}
ORIGINS = {"huridocs", "haven", "gbvims", "palermo", "ilo"}
CODE_STYLES = {"huri", "slug", "iso"}
MAX_CODE_LENGTH = 48  # haven.vocab.models.Term.code

HANGUL = re.compile(r"[\uac00-\ud7a3]")
VOCAB_CODE = re.compile(r"^[a-z][a-z0-9-]*$")
CODE_PATTERNS = {
    "huri": re.compile(r"^(?:\d\d)+$"),
    "slug": re.compile(r"^[a-z][a-z0-9_]*$"),
    "iso": re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"),
}
HAVEN_SEGMENTS = {f"{n}" for n in range(91, 98)}  # two-digit segments reserved for Haven additions


@dataclass(frozen=True)
class Node:
    term: dict[str, Any]
    parent: Node | None

    @property
    def code(self) -> str:
        return str(self.term.get("code"))

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict):
        pytest.fail(f"{path.name}: the file must be a mapping")
    return doc


def walk(terms: Any, parent: Node | None = None) -> Iterator[Node]:
    for term in terms if isinstance(terms, list) else []:
        if not isinstance(term, dict):
            continue
        node = Node(term, parent)
        yield node
        yield from walk(term.get("children") or [], node)


def segments(code: str) -> list[str]:
    return [code[i : i + 2] for i in range(0, len(code), 2)]


def fail_if(errors: list[str], path: Path) -> None:
    if errors:
        pytest.fail(f"{path.name}:\n  " + "\n  ".join(errors), pytrace=False)


def test_data_directory_has_vocabularies() -> None:
    if len(FILES) < 20:
        pytest.fail(f"expected the vocabulary files in {DATA_DIR}, found {len(FILES)}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_top_level_schema(path: Path) -> None:
    doc = load(path)
    errors = [f"missing key {key!r}" for key in sorted(TOP_REQUIRED - doc.keys())]
    errors += [f"unknown key {key!r}" for key in sorted(doc.keys() - TOP_REQUIRED)]
    if doc.get("code") != path.stem:
        errors.append(f"code {doc.get('code')!r} must equal the file name {path.stem!r}")
    if not VOCAB_CODE.match(str(doc.get("code", ""))):
        errors.append("code must be lower-case letters, digits and hyphens")
    name = doc.get("name")
    if not isinstance(name, dict) or set(name) != {"en", "ko"}:
        errors.append("name must have exactly en and ko")
    else:
        if not isinstance(name["en"], str) or not name["en"].strip():
            errors.append("name.en is empty")
        if not isinstance(name["ko"], str) or not HANGUL.search(name["ko"]):
            errors.append("name.ko must be Korean")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append("version must be a positive integer")
    if doc.get("code_style") not in CODE_STYLES:
        errors.append(f"code_style must be one of {sorted(CODE_STYLES)}")
    if not isinstance(doc.get("source"), str) or not doc["source"].strip():
        errors.append("source must say where the terms come from")
    if not isinstance(doc.get("terms"), list) or not doc["terms"]:
        errors.append("terms must be a non-empty list")
    fail_if(errors, path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_terms_schema(path: Path) -> None:
    errors: list[str] = []
    for node in walk(load(path).get("terms")):
        term, code = node.term, node.code
        errors += [f"{code}: missing {key!r}" for key in sorted(TERM_REQUIRED - term.keys())]
        errors += [
            f"{code}: unknown key {key!r}" for key in sorted(term.keys() - TERM_REQUIRED - TERM_OPTIONAL)
        ]
        if not isinstance(term.get("code"), str):
            errors.append(f"{code}: code must be a (quoted) string, not {type(term.get('code')).__name__}")
        elif len(code) > MAX_CODE_LENGTH:
            errors.append(f"{code}: code longer than {MAX_CODE_LENGTH}")
        if not isinstance(term.get("en"), str) or not term["en"].strip():
            errors.append(f"{code}: empty en label")
        if not isinstance(term.get("ko"), str) or not HANGUL.search(term["ko"]):
            errors.append(f"{code}: ko label must be Korean")
        if term.get("origin") not in ORIGINS:
            errors.append(f"{code}: origin {term.get('origin')!r} not in {sorted(ORIGINS)}")
        if "notes" in term and (not isinstance(term["notes"], str) or not term["notes"].strip()):
            errors.append(f"{code}: notes must be non-empty text")
        if "retired" in term and not isinstance(term["retired"], bool):
            errors.append(f"{code}: retired must be true or false")
        if "children" in term and not (isinstance(term["children"], list) and term["children"]):
            errors.append(f"{code}: children must be a non-empty list")
        aliases = term.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            errors.append(f"{code}: aliases must be a list of non-empty strings")
        for key in ("inverse", "broader"):
            if key in term and not isinstance(term[key], str):
                errors.append(f"{code}: {key} must be a (quoted) code string")
        if "huri_code" in term and not re.fullmatch(r"\d{12}", str(term["huri_code"])):
            errors.append(f"{code}: huri_code must be a 12-digit HURIDOCS code")
    fail_if(errors, path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_codes_are_unique_and_well_formed(path: Path) -> None:
    doc = load(path)
    style = doc.get("code_style")
    pattern = CODE_PATTERNS.get(str(style))
    errors: list[str] = []
    seen: set[str] = set()
    for node in walk(doc.get("terms")):
        code = node.code
        if code in seen:
            errors.append(f"{code}: code used twice")
        seen.add(code)
        if pattern and not pattern.match(code):
            errors.append(f"{code}: not a valid {style} code")
        parent = node.parent.code if node.parent else None
        if style == "huri" and parent and not (code.startswith(parent) and len(code) == len(parent) + 2):
            errors.append(f"{code}: must extend its parent's code {parent} by two digits")
        if style == "iso" and parent and not code.startswith(parent + "-"):
            errors.append(f"{code}: must extend its parent's code {parent} with a subtag")
    fail_if(errors, path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_haven_additions_use_reserved_segments(path: Path) -> None:
    """In HURIDOCS-coded files, additions live in segments 91-97, so they can never clash with HURIDOCS codes."""
    doc = load(path)
    if doc.get("code_style") != "huri":
        pytest.skip("slug and ISO vocabularies have no HURIDOCS code space")
    errors = []
    for node in walk(doc.get("terms")):
        reserved = bool(HAVEN_SEGMENTS & set(segments(node.code)))
        if node.term.get("origin") == "huridocs" and reserved:
            errors.append(f"{node.code}: a HURIDOCS term cannot use a Haven segment (91-97)")
        if node.term.get("origin") != "huridocs" and not reserved:
            errors.append(f"{node.code}: a non-HURIDOCS term must sit under a segment 91-97")
    fail_if(errors, path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_cross_references_resolve(path: Path) -> None:
    nodes = {node.code: node for node in walk(load(path).get("terms"))}
    errors = []
    for code, node in nodes.items():
        inverse = node.term.get("inverse")
        if inverse is not None:
            other = nodes.get(str(inverse))
            if other is None:
                errors.append(f"{code}: inverse {inverse!r} does not exist")
            else:
                # The inverse of the inverse is the term itself, or a broader term (Lawyer -> Client -> Provider).
                back = str(other.term.get("inverse"))
                if back != code and back not in {a.code for a in node.ancestors()}:
                    errors.append(
                        f"{code}: inverse {inverse} points back to {back!r}, not to {code} or a parent"
                    )
        broader = node.term.get("broader")
        if broader is not None:
            target = nodes.get(str(broader))
            if target is None:
                errors.append(f"{code}: broader {broader!r} does not exist")
            elif target.term.get("origin") != "huridocs" or broader == code:
                errors.append(f"{code}: broader must name a HURIDOCS term other than itself")
    fail_if(errors, path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_labels_and_aliases_are_unambiguous(path: Path) -> None:
    nodes = list(walk(load(path).get("terms")))
    errors = []
    siblings: dict[tuple[str | None, str, str], str] = {}
    for node in nodes:
        parent = node.parent.code if node.parent else None
        for lang in ("en", "ko"):
            key = (parent, lang, str(node.term.get(lang, "")).casefold())
            if key in siblings:
                errors.append(f"{node.code}: {lang} label also used by sibling {siblings[key]}")
            siblings[key] = node.code
    codes = {node.code.casefold() for node in nodes}
    owners: dict[str, str] = {}
    for node in nodes:
        for alias in node.term.get("aliases") or []:
            key = str(alias).casefold()
            if key in owners:
                errors.append(f"{node.code}: alias {alias!r} also belongs to {owners[key]}")
            if key in codes and key != node.code.casefold():
                errors.append(f"{node.code}: alias {alias!r} is another term's code")
            owners[key] = node.code
    fail_if(errors, path)


# Real HURIDOCS MT4 codes and labels (OpenEvSys schema/mysql-dbpopulate-mt.sql) that Haven's records rely on.
MT4_TERMS = {
    "380101": "Refoulement",
    "02011111": "Torture",
    "02011101": "Rape",
    "02011103": "Sexual assault/molestation",
    "030101": "Arrest",
    "030102": "Detention, imprisonment",
    "030103": "Disappearance",
    "030104": "Abduction; kidnapping",
    "030106": "Slavery",
    "070102": "Forced marriage",
    "080103": "Enforced abortion",
    "30010201": "Involuntary or forced labour",
    "330101": "Expulsion; deportation",
    "330103": "Denial of asylum",
    "01010101": "Summary execution",
    "01010103": "Capital punishment (legal execution)",
    "01010201": "Infanticide",
    "01010601": "Death in detention or police custody",
    "01010602": "Death in extermination, concentration or labour camps",
    "050101": "Internal exile",
    "050106": "Restriction on travel",
    "02010303": "Surveillance",
    "020121": "Collective punishments other than mass roundup or curfew",
    "36010203": "Denial of the right to adequate food",
}
OTHER_TERMS = {
    ("methods", "0205"): "Held in a labour, concentration or extermination camp",
    ("methods", "0207"): "Held in a private place, such as in the case of slavery, prostitution",
    ("methods", "0308"): "Application of electric shock",
    ("methods", "0311"): "Forced postures",
    ("methods", "031501"): "Deprived of food and/or water",
    ("involvement-degrees", "0101"): "Directly carried out the act",
    ("perpetrator-types", "010105"): "Prison officials",
    ("perpetrator-types", "010106"): "Intelligence agency; secret service",
    ("victim-status", "020204"): "Arrested and currently held arbitrarily",
    ("victim-status", "030402"): "Resettled in another country",
    ("source-types", "091420051801"): "Interview",
    ("chain-types", "01"): "Event which precedes another related event",
}


def labels(vocabulary: str) -> dict[str, str]:
    return {
        node.code: str(node.term.get("en")) for node in walk(load(DATA_DIR / f"{vocabulary}.yaml")["terms"])
    }


def test_key_huridocs_terms_keep_their_real_codes_and_labels() -> None:
    errors = [
        f"act-types {code}: expected {label!r}, found {labels('act-types').get(code)!r}"
        for code, label in MT4_TERMS.items()
        if labels("act-types").get(code) != label
    ]
    errors += [
        f"{vocabulary} {code}: expected {label!r}, found {labels(vocabulary).get(code)!r}"
        for (vocabulary, code), label in OTHER_TERMS.items()
        if labels(vocabulary).get(code) != label
    ]
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


def test_inverse_pairs_in_chain_types() -> None:
    nodes = {node.code: node.term for node in walk(load(DATA_DIR / "chain-types.yaml")["terms"])}
    missing = [code for code, term in nodes.items() if "inverse" not in term]
    if missing:
        pytest.fail(f"chain-types: every chain type needs an inverse; missing for {missing}", pytrace=False)
