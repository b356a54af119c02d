"""Load, update, export and compare reference datasets.

- :func:`reference_load_shipped` loads the files in ``haven/reference/data/`` (idempotent; ``haven setup`` and
  ``haven demo`` call it). A changed shipped file becomes a new version.
- :func:`reference_update` loads a newer file as its publisher published it (CSV, XLSX or UNHCR API JSON) as
  a new, current version; earlier versions are kept. A file with any problem changes nothing.
- :func:`reference_export` prints a version as CSV under a ``# `` header block that cites the source.
- :func:`reference_diff` lists the cells that differ between two versions (publishers' revisions).

Every new version is recorded in the audit log (``IMPORTED``) in the transaction that creates it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.timezone import localdate, now

from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.reference.files import (
    DatasetSpec,
    ParsedFile,
    ReferenceDataError,
    ReferenceFileError,
    read_dataset_file,
    sha256_file,
    write_csv,
)
from haven.reference.models import ReferenceDataset, ReferenceRow, ReferenceVersion
from haven.reference.selectors import (
    UnknownReference,
    dataset_spec,
    reference_dataset,
    reference_version,
    version_rows,
)

__all__ = [
    "DATA_DIR",
    "CellChange",
    "LoadReport",
    "ReferenceDiff",
    "ReferenceDataError",
    "ReferenceFileError",
    "UnknownReference",
    "reference_diff",
    "reference_export",
    "reference_load_shipped",
    "reference_update",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

METADATA_KEYS = {
    "name",
    "title",
    "publisher",
    "source_url",
    "sources",
    "licence",
    "published_on",
    "retrieved_on",
    "version_note",
    "caveats",
    "key",
    "checks",
    "filter",
    "formats",
    "json",
    "columns",
}


@dataclass
class LoadReport:
    datasets: int = 0
    versions_created: list[str] = field(default_factory=list)
    metadata_updated: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CellChange:
    key: dict[str, str]
    column: str
    old: str
    new: str


@dataclass
class ReferenceDiff:
    dataset: str
    old: int
    new: int
    changed: list[CellChange] = field(default_factory=list)
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.added or self.removed)


# ---------------------------------------------------------------------------------------------------------
# Shipped data


def read_metadata(path: Path) -> dict[str, Any]:
    """Return the metadata of one shipped dataset, checked; raise ReferenceFileError naming what is wrong."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict):
        raise ReferenceFileError(path.name, ["the metadata file must be a mapping"])
    problems = [f"unknown key {k!r}" for k in sorted(set(doc) - METADATA_KEYS)]
    for key in ("name", "title", "publisher", "source_url", "caveats", "key", "columns"):
        if not doc.get(key):
            problems.append(f"{key!r} is required")
    if doc.get("name") and doc["name"] != path.stem:
        problems.append(f"name {doc['name']!r} differs from the file name {path.stem!r}")
    title = doc.get("title") or {}
    if not (isinstance(title, dict) and title.get("en") and title.get("ko")):
        problems.append("title needs 'en' and 'ko'")
    for key in ("published_on", "retrieved_on"):
        if doc.get(key) is not None and not isinstance(doc[key], dt.date):
            problems.append(f"{key!r} must be a date written YYYY-MM-DD, or null")
    if problems:
        raise ReferenceFileError(path.name, problems)
    try:
        DatasetSpec.from_dict(doc["name"], doc["columns"], _spec_part(doc))
    except (ValueError, KeyError) as exc:
        raise ReferenceFileError(path.name, [str(exc)]) from None
    return doc


def _spec_part(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("key", "checks", "filter", "formats", "json") if k in doc}


def _dataset_fields(doc: dict[str, Any]) -> dict[str, Any]:
    spec = DatasetSpec.from_dict(doc["name"], doc["columns"], _spec_part(doc))
    return {
        "title_en": doc["title"]["en"],
        "title_ko": doc["title"]["ko"],
        "publisher": doc["publisher"],
        "source_url": doc["source_url"],
        "sources": list(doc.get("sources") or []),
        "licence": doc.get("licence") or "",
        "caveats": [str(c) for c in doc["caveats"]],
        "columns": [c.as_dict() for c in spec.columns],
        "spec": spec.spec_dict(),
    }


def reference_load_shipped(*, directory: Path = DATA_DIR) -> LoadReport:
    """Create or refresh every dataset shipped in ``directory``; idempotent.

    A dataset's metadata (titles, caveats, column rules) follows its file. A data file not loaded before (by
    its SHA-256) becomes a new version; it becomes current unless a file loaded by a user is current and was
    published later than the shipped one.
    """
    report = LoadReport()
    for meta_path in sorted(directory.glob("*.yaml")):
        doc = read_metadata(meta_path)
        csv_path = meta_path.with_suffix(".csv")
        if not csv_path.exists():
            raise ReferenceFileError(meta_path.name, [f"its data file {csv_path.name} is missing"])
        with transaction.atomic():
            dataset, changed = _upsert_dataset(doc)
            report.datasets += 1
            if changed:
                report.metadata_updated.append(dataset.name)
            sha = sha256_file(csv_path)
            if dataset.versions.filter(sha256=sha).exists():
                continue
            parsed = read_dataset_file(csv_path, dataset_spec(dataset))
            current = dataset.versions.filter(is_current=True).first()
            published = doc.get("published_on")
            make_current = (
                current is None
                or current.origin == ReferenceVersion.Origin.SHIPPED
                or (
                    published is not None
                    and current.published_on is not None
                    and published > current.published_on
                )
            )
            version = _save_version(
                dataset,
                parsed,
                sha=sha,
                origin=ReferenceVersion.Origin.SHIPPED,
                actor=None,
                published_on=published,
                retrieved_on=doc.get("retrieved_on"),
                note=str(doc.get("version_note") or "").strip(),
                make_current=make_current,
            )
            report.versions_created.append(str(version))
    return report


def _upsert_dataset(doc: dict[str, Any]) -> tuple[ReferenceDataset, bool]:
    values = _dataset_fields(doc)
    dataset = ReferenceDataset.objects.select_for_update().filter(name=doc["name"]).first()
    if dataset is None:
        return ReferenceDataset.objects.create(name=doc["name"], **values), False
    changed = [k for k, v in values.items() if getattr(dataset, k) != v]
    if not changed:
        return dataset, False
    for k in changed:
        setattr(dataset, k, values[k])
    dataset.updated_at = now()
    dataset.save(update_fields=[*changed, "updated_at"])
    return dataset, True


# ---------------------------------------------------------------------------------------------------------
# Updates


def reference_update(
    name: str,
    file_path: Path | str,
    *,
    actor: Any = None,
    published_on: dt.date | None = None,
    retrieved_on: dt.date | None = None,
    note: str = "",
) -> ReferenceVersion:
    """Load ``file_path`` as a new, current version of dataset ``name`` and return it; keep earlier versions.

    The file is read as its publisher publishes it: CSV (UTF-8, UTF-8 with BOM or CP949), XLSX (first sheet),
    or for UNHCR datasets the JSON answer of ``https://api.unhcr.org/population/v1/population/``. Headers may
    be the dataset's column names or the publisher's (see the ``aliases`` of each column); title rows above
    the header and ``# `` comment lines (as in Haven's exports) are skipped; other columns are ignored.

    Raises:
        ReferenceDataError: no such dataset, or this very file is already a version of it.
        ReferenceFileError: the file has problems; each names the file, the row and the column. Nothing is
            changed.
    """
    path = Path(file_path)
    dataset = reference_dataset(name)
    if not path.is_file():
        raise ReferenceDataError(f"{path}: no such file")
    parsed = read_dataset_file(path, dataset_spec(dataset))
    sha = sha256_file(path)
    details = parsed.describe()
    with transaction.atomic():
        dataset = ReferenceDataset.objects.select_for_update().get(pk=dataset.pk)
        earlier = dataset.versions.filter(sha256=sha).first()
        if earlier is not None:
            raise ReferenceDataError(f"{path.name} is already version {earlier.number} of {dataset.name}")
        return _save_version(
            dataset,
            parsed,
            sha=sha,
            origin=ReferenceVersion.Origin.FILE,
            actor=actor,
            published_on=published_on,
            retrieved_on=retrieved_on or localdate(),
            note="\n".join(p for p in (note.strip(), f"Read: {details}.") if p),
            make_current=True,
        )


def _save_version(
    dataset: ReferenceDataset,
    parsed: ParsedFile,
    *,
    sha: str,
    origin: str,
    actor: Any,
    published_on: dt.date | None,
    retrieved_on: dt.date | None,
    note: str,
    make_current: bool,
) -> ReferenceVersion:
    """Create the version and its rows, make it current if asked, and audit it. Call inside a transaction."""
    last = dataset.versions.order_by("-number").values_list("number", flat=True).first() or 0
    if make_current:
        dataset.versions.filter(is_current=True).update(is_current=False)
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    version = ReferenceVersion.objects.create(
        dataset=dataset,
        number=last + 1,
        origin=origin,
        published_on=published_on,
        retrieved_on=retrieved_on,
        source_file_name=parsed.file_name[:255],
        source_format=parsed.format,
        sha256=sha,
        columns=[c["name"] for c in dataset.columns],
        row_count=len(parsed.rows),
        loaded_by=user,
        note=note,
        is_current=make_current,
    )
    ReferenceRow.objects.bulk_create(
        [ReferenceRow(version=version, index=i, values=row) for i, row in enumerate(parsed.rows, start=1)],
        batch_size=500,
    )
    audit_record(
        actor=actor,
        action=AuditAction.IMPORTED,
        target=version,
        details={
            "dataset": dataset.name,
            "version": version.number,
            "origin": origin,
            "file": version.source_file_name,
            "format": parsed.format,
            "sha256": sha,
            "rows": version.row_count,
            "published_on": published_on.isoformat() if published_on else None,
            "current": make_current,
        },
    )
    return version


# ---------------------------------------------------------------------------------------------------------
# Export and comparison


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def export_header(version: ReferenceVersion) -> list[str]:
    """Return the ``# `` lines that cite a version: title, publisher, source, dates, file, caveats, columns."""
    dataset = version.dataset
    total = dataset.versions.count()
    published = version.published_on.isoformat() if version.published_on else "not stated"
    lines = [
        dataset.title_en,
        dataset.title_ko,
        f"Dataset: {dataset.name}, version {version.number} of {total}"
        + (" (current)" if version.is_current else " (superseded)"),
        f"Publisher: {dataset.publisher}",
        f"Source: {dataset.source_url}",
        *(f"Also: {s}" for s in dataset.sources),
        f"Published: {published}",
    ]
    if version.retrieved_on:
        lines.append(f"Retrieved: {version.retrieved_on.isoformat()}")
    origin = "shipped with Haven" if version.origin == ReferenceVersion.Origin.SHIPPED else "loaded by a user"
    lines.append(f"File: {version.source_file_name} ({origin}), SHA-256 {version.sha256}")
    if dataset.licence:
        lines.append(f"Licence: {dataset.licence}")
    if version.note:
        lines.append(f"Version note: {version.note}")
    lines += [f"Caveat: {c}" for c in dataset.caveats]
    units = [f"{c['name']} ({c['unit']})" for c in dataset.columns if c.get("unit")]
    if units:
        lines.append("Units: " + "; ".join(units))
    cite = f'{dataset.publisher}, "{dataset.title_en}", {dataset.source_url}'
    if version.published_on:
        cite += f", published {published}"
    lines.append(f"Cite as: {cite}; Haven reference dataset {dataset.name} v{version.number}")
    return ["# " + _one_line(line) for line in lines]


def reference_export(name: str, version: int | None = None) -> str:
    """Return a version (the current one by default) as CSV text under a ``# `` header block citing its source.

    The CSV part (everything after the ``# `` lines) has exactly the rows and values loaded, in the shipped
    files' form, so exporting the shipped version reproduces the shipped file.
    """
    chosen = reference_version(name, version)
    header = "\n".join(export_header(chosen)) + "\n"
    return header + write_csv(chosen.columns, version_rows(chosen))


def reference_diff(name: str, v1: int, v2: int) -> ReferenceDiff:
    """Return the cells that differ between versions ``v1`` and ``v2``, rows matched by the dataset's key."""
    old, new = reference_version(name, v1), reference_version(name, v2)
    key = list(old.dataset.spec.get("key") or [])
    diff = ReferenceDiff(dataset=old.dataset.name, old=old.number, new=new.number)

    def index(rows: list[dict[str, str]]) -> dict[tuple[str, ...], dict[str, str]]:
        return {tuple(r.get(k, "") for k in key): r for r in rows}

    before, after = index(version_rows(old)), index(version_rows(new))
    columns = list(dict.fromkeys([*old.columns, *new.columns]))
    for k, row in after.items():
        if k not in before:
            diff.added.append(row)
            continue
        for column in columns:
            was, now_ = before[k].get(column, ""), row.get(column, "")
            if was != now_:
                diff.changed.append(CellChange(dict(zip(key, k, strict=True)), column, was, now_))
    diff.removed = [row for k, row in before.items() if k not in after]
    return diff
