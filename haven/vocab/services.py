"""Load vocabularies from their versioned data files (haven/vocab/data/*.yaml) into the database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from haven.lib.models import save_if_changed
from haven.vocab.models import Term, Vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"


class VocabularyFileError(ValueError):
    """A vocabulary file is malformed; the message names the file and the term."""


@dataclass
class LoadReport:
    vocabularies: int = 0
    created: int = 0
    updated: int = 0
    retired: int = 0
    skipped: list[str] = field(default_factory=list)


def _walk(
    terms: list[dict[str, Any]], parent: dict[str, Any] | None, path: str, file: Path
) -> Iterator[dict[str, Any]]:
    for raw in terms:
        code = str(raw.get("code", "")).strip()
        if not code or not raw.get("en") or not raw.get("ko"):
            raise VocabularyFileError(f"{file.name}: term {raw.get('code')!r} needs code, en and ko")
        item = {**raw, "code": code, "_parent": parent["code"] if parent else None, "_path": f"{path}{code}/"}
        item["_depth"] = item["_path"].count("/") - 1
        yield item
        yield from _walk(raw.get("children") or [], item, item["_path"], file)


@transaction.atomic
def vocabularies_load(directory: Path = DATA_DIR) -> LoadReport:
    """Create or update every vocabulary found in ``directory``. Idempotent; never deletes a term.

    A term that disappeared from its file is marked retired (records may still use it); a file whose version
    is older than the loaded one is skipped, so an old release cannot undo a newer vocabulary.
    """
    report = LoadReport()
    for file in sorted(directory.glob("*.yaml")):
        with file.open(encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        if not isinstance(doc, dict) or "code" not in doc or "terms" not in doc:
            raise VocabularyFileError(f"{file.name}: expected keys code, name, version, source, terms")
        version = int(doc.get("version", 1))
        vocab, created = Vocabulary.objects.get_or_create(
            code=doc["code"],
            defaults={
                "name_en": doc["name"]["en"],
                "name_ko": doc["name"]["ko"],
                "version": version,
                "source": doc.get("source", ""),
            },
        )
        if not created and vocab.version > version:
            report.skipped.append(f"{file.name}: version {version} is older than the loaded {vocab.version}")
            continue
        vocab.name_en, vocab.name_ko, vocab.version = doc["name"]["en"], doc["name"]["ko"], version
        vocab.source = doc.get("source", "")
        vocab.save()
        report.vocabularies += 1
        existing = {t.code: t for t in Term.objects.filter(vocabulary=vocab)}
        seen: set[str] = set()
        for order, item in enumerate(_walk(doc["terms"], None, "/", file)):
            code = item["code"]
            if code in seen:
                raise VocabularyFileError(f"{file.name}: code {code!r} appears twice")
            seen.add(code)
            values = {
                "parent": existing[item["_parent"]] if item["_parent"] else None,
                "path": item["_path"],
                "depth": item["_depth"],
                "label_en": item["en"],
                "label_ko": item["ko"],
                "origin": item.get("origin", "huridocs"),
                "notes": item.get("notes") or "",
                "aliases": item.get("aliases") or [],
                "inverse_code": str(item.get("inverse") or ""),
                "retired": bool(item.get("retired", False)),
                "sort_order": order,
            }
            term = existing.get(code)
            if term is None:
                term = Term.objects.create(vocabulary=vocab, code=code, **values)
                existing[code] = term
                report.created += 1
            elif save_if_changed(term, values):
                report.updated += 1
        gone = [t.pk for code, t in existing.items() if code not in seen and not t.retired]
        report.retired += Term.objects.filter(pk__in=gone).update(retired=True)
    return report


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)
