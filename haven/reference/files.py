"""Read a reference dataset's file (CSV, XLSX or UNHCR API JSON) into rows of exact strings, and validate them.

Django-free: :mod:`haven.reference.services` calls :func:`read_dataset_file` with the dataset's
:class:`DatasetSpec` and stores what it returns. Every problem found is collected and raised at once as a
:class:`ReferenceFileError` naming the file, the row (the line of a CSV file, the row of the sheet, the item
of a JSON file) and the column, so one run lists everything to fix.

Values are kept as published, with two normalisations so that the same figure always reads the same:
surrounding spaces are removed, and whole numbers lose their thousands separators ("1,137" becomes "1137";
an XLSX number cell 1137.0 becomes "1137"). MOU period labels are written one way ("~'98" becomes "~1998",
"'99~'01" becomes "1999-2001").
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "CSV_DIALECT",
    "ColumnSpec",
    "DatasetSpec",
    "ParsedFile",
    "ReferenceDataError",
    "ReferenceFileError",
    "read_dataset_file",
    "sha256_file",
    "write_csv",
]

FORMATS = ("csv", "xlsx", "unhcr-json")
TYPES = ("text", "integer", "decimal", "year", "month", "iso3", "choice", "mou-period")
MAX_PROBLEMS = 50
HEADER_SEARCH_ROWS = 30  # a publisher's sheet may carry a title and notes above the header


class ReferenceDataError(Exception):
    """A reference dataset operation cannot be done; the message says why."""


class ReferenceFileError(ReferenceDataError, ValueError):
    """A file cannot be loaded into a dataset. ``problems`` lists each one ("row 3, column 'male': ...")."""

    def __init__(self, file_name: str, problems: Sequence[str]) -> None:
        self.file_name = file_name
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        lines = [f"{file_name}: {p}" for p in shown]
        if more:
            lines.append(f"{file_name}: ... and {more} more problems")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a dataset: its type, whether a file must have it, and the headers publishers use for it."""

    name: str
    type: str = "text"
    required: bool = False
    blank: bool | None = None  # may a value be empty? default: only in columns that are not required
    unit: str = ""
    description: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    @property
    def blank_allowed(self) -> bool:
        return (not self.required) if self.blank is None else self.blank

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ColumnSpec:
        unknown = set(raw) - {
            "name",
            "type",
            "required",
            "blank",
            "unit",
            "description",
            "aliases",
            "choices",
        }
        if unknown:
            raise ValueError(f"column {raw.get('name')!r}: unknown keys {sorted(unknown)}")
        kind = str(raw.get("type", "text"))
        if kind not in TYPES:
            raise ValueError(f"column {raw.get('name')!r}: type {kind!r} is not one of {', '.join(TYPES)}")
        return cls(
            name=str(raw["name"]),
            type=kind,
            required=bool(raw.get("required", False)),
            blank=raw.get("blank"),
            unit=str(raw.get("unit", "")),
            description=str(raw.get("description", "")),
            aliases=tuple(str(a) for a in raw.get("aliases") or ()),
            choices=tuple(str(c) for c in raw.get("choices") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.blank is not None:
            out["blank"] = self.blank
        for key in ("unit", "description"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.aliases:
            out["aliases"] = list(self.aliases)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset's files must look like: columns, the key that identifies a row, arithmetic checks."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    checks: tuple[dict[str, Any], ...] = ()
    filter: dict[str, Any] | None = (
        None  # e.g. {"column": "coo_iso", "equals": "PRK"}: other rows are skipped
    )
    formats: tuple[str, ...] = ("csv", "xlsx")
    json_mode: str = "rows"  # "rows": one row per API item; "sum-by-year": items summed by year

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @classmethod
    def from_dict(cls, name: str, columns: list[dict[str, Any]], spec: dict[str, Any]) -> DatasetSpec:
        cols = tuple(ColumnSpec.from_dict(c) for c in columns)
        names = [c.name for c in cols]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: a column name appears twice")
        key = tuple(spec.get("key") or ())
        checks = tuple(spec.get("checks") or ())
        formats = tuple(spec.get("formats") or ("csv", "xlsx"))
        problems = [f"key column {k!r} is not a column" for k in key if k not in names]
        problems += [f"format {f!r} is not one of {', '.join(FORMATS)}" for f in formats if f not in FORMATS]
        for check in checks:
            for col in [*check.get("sum", []), check.get("total")]:
                if col not in names:
                    problems.append(f"check {check!r} names {col!r}, which is not a column")
        if not key:
            problems.append("a key (the columns that identify a row) is required")
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        return cls(
            name=name,
            columns=cols,
            key=key,
            checks=checks,
            filter=spec.get("filter"),
            formats=formats,
            json_mode=str(spec.get("json", "rows")),
        )

    def spec_dict(self) -> dict[str, Any]:
        """Return everything but the columns, as stored in ``ReferenceDataset.spec``."""
        out: dict[str, Any] = {"key": list(self.key), "formats": list(self.formats), "json": self.json_mode}
        if self.checks:
            out["checks"] = [dict(c) for c in self.checks]
        if self.filter:
            out["filter"] = dict(self.filter)
        return out


@dataclass
class ParsedFile:
    """A validated file: its rows as ``{column: exact string}`` in the order the file gives them."""

    file_name: str
    format: str
    encoding: str
    rows: list[dict[str, str]]
    ignored_columns: list[str] = field(default_factory=list)
    skipped_rows: int = 0  # rows left out by the dataset's filter (another country of origin, say)

    def describe(self) -> str:
        parts = [f"{len(self.rows)} rows from {self.format}"]
        if self.encoding:
            parts[0] += f" ({self.encoding})"
        if self.skipped_rows:
            parts.append(f"{self.skipped_rows} rows of other origins skipped")
        if self.ignored_columns:
            parts.append("columns ignored: " + ", ".join(self.ignored_columns))
        return "; ".join(parts)


# The CSV form Haven writes (shipped files and exports): comma, minimal quoting, "\n" line ends.
CSV_DIALECT: dict[str, Any] = {"lineterminator": "\n", "quoting": csv.QUOTE_MINIMAL}


def write_csv(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> str:
    """Return ``rows`` as CSV text with a header line, in the form the shipped files use."""
    out = io.StringIO()
    writer = csv.writer(out, **CSV_DIALECT)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Reading


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix == ".json":
        return "unhcr-json"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    raise ReferenceFileError(path.name, [f"unknown file type {suffix!r}: give a .csv, .xlsx or .json file"])


def read_dataset_file(path: Path, spec: DatasetSpec, *, file_name: str | None = None) -> ParsedFile:
    """Read and validate ``path`` for the dataset ``spec``; raise :class:`ReferenceFileError` on any problem."""
    name = file_name or path.name
    fmt = detect_format(path)
    if fmt not in spec.formats:
        allowed = ", ".join(spec.formats)
        raise ReferenceFileError(name, [f"{spec.name} is loaded from {allowed} files, not {fmt}"])
    if fmt == "unhcr-json":
        return _read_unhcr_json(path, spec, name)
    if fmt == "xlsx":
        grid, encoding = _xlsx_grid(path, name), ""
    else:
        grid, encoding = _csv_grid(path, name)
    return _from_grid(grid, spec, name, fmt, encoding)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8 with BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # Korean government files are often CP949 (an extension of EUC-KR).
        return data.decode("cp949"), "CP949"
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(
            name, [f"the file is neither UTF-8 nor CP949 (byte {exc.start}); save it as UTF-8 CSV"]
        ) from None


def _csv_grid(path: Path, name: str) -> tuple[list[tuple[int, list[str]]], str]:
    text, encoding = _decode(path.read_bytes(), name)
    lines = text.splitlines(keepends=True)
    # Leading "# " lines are a header block such as Haven's own exports carry: an export loads back as-is.
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    body = "".join(lines[skip:])
    first = body.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    grid: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for cells in reader:
            grid.append((skip + start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReferenceFileError(name, [f"line {skip + reader.line_num}: not valid CSV ({exc})"]) from None
    return grid, encoding


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_grid(path: Path, name: str) -> list[tuple[int, list[str]]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ReferenceFileError(name, [f"not a readable XLSX workbook ({exc})"]) from None
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_xlsx_cell(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.replace("\ufeff", "")).strip().casefold()


def _header_map(spec: DatasetSpec) -> dict[str, str]:
    names: dict[str, str] = {}
    for col in spec.columns:
        for label in (col.name, *col.aliases):
            names.setdefault(_norm_header(label), col.name)
    if spec.filter:
        for label in (spec.filter["column"], *spec.filter.get("aliases", ())):
            names.setdefault(_norm_header(label), "\0filter")
    return names


def _from_grid(
    grid: list[tuple[int, list[str]]], spec: DatasetSpec, name: str, fmt: str, encoding: str
) -> ParsedFile:
    headers = _header_map(spec)
    required = [c.name for c in spec.columns if c.required]
    best: tuple[int, int, list[str]] | None = None  # (matches, row number, cells) of the likeliest header
    header_at = None
    for position, (number, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {headers.get(_norm_header(c)) for c in cells if c.strip()}
        if not any(c.strip() for c in cells):
            continue
        matches = len(found & set(required))
        if best is None or matches > best[0]:
            best = (matches, number, cells)
        if all(r in found for r in required):
            header_at = position
            break
    if header_at is None:
        if best is None:
            raise ReferenceFileError(name, ["the file is empty"])
        found = {headers.get(_norm_header(c)) for c in best[2]}
        missing = [r for r in required if r not in found]
        seen = ", ".join(repr(c.strip()) for c in best[2] if c.strip())
        raise ReferenceFileError(
            name,
            [
                f"row {best[1]}: missing column {m!r} (a {spec.name} file needs the columns "
                f"{', '.join(required)}; this row has {seen})"
                for m in missing
            ],
        )
    number, cells = grid[header_at]
    problems: list[str] = []
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for i, cell in enumerate(cells):
        label = cell.strip()
        if not label:
            continue
        column = headers.get(_norm_header(label))
        if column is None:
            ignored.append(label)
        elif column in positions:
            problems.append(f"row {number}: column {column!r} appears twice (as {label!r})")
        else:
            positions[column] = i
    if problems:
        raise ReferenceFileError(name, problems)
    records: list[tuple[str, dict[str, str]]] = []
    skipped = 0
    filter_at = positions.pop("\0filter", None)
    for number, cells in grid[header_at + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        if filter_at is not None and spec.filter is not None:
            origin = cells[filter_at].strip() if filter_at < len(cells) else ""
            if origin != spec.filter["equals"]:
                skipped += 1
                continue
        raw = {col: (cells[i] if i < len(cells) else "") for col, i in positions.items()}
        records.append((f"row {number}", raw))
    if not records and skipped and spec.filter:
        raise ReferenceFileError(
            name,
            [f"no rows with {spec.filter['column']} = {spec.filter['equals']} ({skipped} rows of others)"],
        )
    parsed = ParsedFile(name, fmt, encoding, [], ignored_columns=ignored, skipped_rows=skipped)
    parsed.rows = _validate(records, spec, name)
    return parsed


def _read_unhcr_json(path: Path, spec: DatasetSpec, name: str) -> ParsedFile:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceFileError(name, [f"not valid JSON ({exc})"]) from None
    pages = doc if isinstance(doc, list) and all(isinstance(p, dict) and "items" in p for p in doc) else [doc]
    items: list[Any] = []
    problems: list[str] = []
    for page in pages:
        if isinstance(page, list):
            items.extend(page)
            continue
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise ReferenceFileError(
                name, ['expected a UNHCR API response: {"items": [...]} (or a list of such pages)']
            )
        items.extend(page["items"])
    if len(pages) == 1 and isinstance(pages[0], dict):
        max_pages, page_no = pages[0].get("maxPages"), pages[0].get("page", 1)
        if isinstance(max_pages, int) and max_pages > 1:
            raise ReferenceFileError(
                name,
                [
                    f"this is page {page_no} of {max_pages} of the API's answer: request it with limit=10000, "
                    "or give every page in one JSON list"
                ],
            )
    wanted = ["year", "coa_iso", "coa_name", "refugees", "asylum_seekers"]
    records: list[tuple[str, dict[str, str]]] = []
    skipped = 0
    for number, item in enumerate(items, start=1):
        where = f"item {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        origin = item.get("coo_iso")
        if origin is None:
            problems.append(f"{where}, column 'coo_iso': missing (request the API with cf_type=ISO)")
            continue
        if spec.filter and origin != spec.filter["equals"]:
            skipped += 1
            continue
        raw: dict[str, str] = {}
        for key in wanted:
            if key not in spec.column_names and not (spec.json_mode == "sum-by-year" and key == "coa_iso"):
                continue
            value = item.get(key)
            # The API writes "-" for "not applicable / not collected": an empty cell, never a zero.
            raw[key] = "" if value is None or value == "-" else _json_cell(value)
        records.append((where, raw))
    if problems:
        raise ReferenceFileError(name, problems)
    if spec.json_mode == "sum-by-year":
        rows = _sum_by_year(records, spec, name)
    else:
        for where, raw in records:
            if raw.get("coa_iso", "") == "":
                problems.append(
                    f"{where}, column 'coa_iso': no country of asylum (request the API with coa_all=true)"
                )
        if problems:
            raise ReferenceFileError(name, problems)
        rows = _validate(records, spec, name)
    return ParsedFile(name, "unhcr-json", "", rows, skipped_rows=skipped)


def _json_cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sum_by_year(
    records: list[tuple[str, dict[str, str]]], spec: DatasetSpec, name: str
) -> list[dict[str, str]]:
    item_spec = DatasetSpec(
        name=spec.name,
        columns=(
            ColumnSpec("year", "year", required=True),
            ColumnSpec("coa_iso", "text"),
            ColumnSpec("refugees", "integer", blank=True),
            ColumnSpec("asylum_seekers", "integer", blank=True),
        ),
        key=("year", "coa_iso"),
    )
    items = _validate(records, item_spec, name)
    years: dict[str, dict[str, Any]] = {}
    for item in items:
        year = years.setdefault(item["year"], {"refugees": None, "asylum_seekers": None, "countries": 0})
        positive = False
        for measure in ("refugees", "asylum_seekers"):
            if item[measure] != "":
                year[measure] = (year[measure] or 0) + int(item[measure])
                positive = positive or int(item[measure]) > 0
        if item["coa_iso"] in ("", "-"):
            year["countries"] = None  # a sum over all countries: the count is not in the answer
        elif positive and year["countries"] is not None:
            year["countries"] += 1
    out = []
    for year in sorted(years):
        values = years[year]
        row = {"year": year}
        for column in spec.column_names:
            if column in ("refugees", "asylum_seekers", "countries"):
                row[column] = "" if values[column] is None else str(values[column])
        out.append(row)
    return _validate([(f"year {r['year']}", r) for r in out], spec, name)


# ---------------------------------------------------------------------------------------------------------
# Validation

_WHOLE = re.compile(r"\A(?:\d+|\d{1,3}(?:,\d{3})+)\Z")
_DECIMAL = re.compile(r"\A\d+(?:\.\d+)?\Z")
_YEAR = re.compile(r"\A\d{4}\Z")
_MONTH = re.compile(r"\A(\d{4})-(0[1-9]|1[0-2])\Z")
_FIRST_OF_MONTH = re.compile(r"\A\d{4}-(0[1-9]|1[0-2])-01\Z")
_ISO3 = re.compile(r"\A[A-Z]{3}\Z")
_YY = r"'?(\d{2}|\d{4})"
_MOU_CUMULATIVE = re.compile(rf"\A~\s*{_YY}\Z")
_MOU_RANGE = re.compile(rf"\A{_YY}\s*[~\-–]\s*{_YY}\Z")
_MOU_YEAR = re.compile(rf"\A{_YY}\s*년?\Z")


def _full_year(text: str) -> str:
    if len(text) == 4:
        return text
    # MOU writes '98 and '02: two-digit years of arrivals run from the 1990s to the 2020s.
    return ("19" if int(text) >= 50 else "20") + text


def _mou_period(value: str) -> str | None:
    if m := _MOU_CUMULATIVE.match(value):
        return "~" + _full_year(m.group(1))
    if m := _MOU_RANGE.match(value):
        first, last = _full_year(m.group(1)), _full_year(m.group(2))
        return f"{first}-{last}" if first < last else None
    if m := _MOU_YEAR.match(value):
        return _full_year(m.group(1))
    return None


def normalise(column: ColumnSpec, value: str) -> tuple[str, str | None]:
    """Return (the value to store, a problem or None) for one cell."""
    value = value.strip()
    if value == "":
        return "", (None if column.blank_allowed else "empty")
    kind = column.type
    if kind == "integer":
        if not _WHOLE.match(value):
            return value, f"not a whole number: {value!r}"
        return value.replace(",", ""), None
    if kind == "decimal":
        if not _DECIMAL.match(value):
            return value, f"not a number: {value!r}"
        return value, None
    if kind == "year":
        if not _YEAR.match(value) or not 1900 <= int(value) <= 2100:
            return value, f"not a year: {value!r}"
        return value, None
    if kind == "month":
        if _FIRST_OF_MONTH.match(value):  # a spreadsheet stores a month as the date of its first day
            value = value[:7]
        if not _MONTH.match(value):
            return value, f"not a month written YYYY-MM: {value!r}"
        return value, None
    if kind == "iso3":
        upper = value.upper()
        if not _ISO3.match(upper):
            return value, f"not a three-letter ISO country code: {value!r}"
        return upper, None
    if kind == "choice":
        for choice in column.choices:
            if choice.casefold() == value.casefold():
                return choice, None
        shown = ", ".join(repr(c) for c in column.choices if c)
        return value, f"{value!r} is not one of {shown}"
    if kind == "mou-period":
        period = _mou_period(value)
        if period is None:
            return value, f"not a year, '~YYYY' (cumulative) or 'YYYY-YYYY' (combined years): {value!r}"
        return period, None
    return value, None


def _validate(
    records: list[tuple[str, dict[str, str]]], spec: DatasetSpec, name: str
) -> list[dict[str, str]]:
    problems: list[str] = []
    rows: list[dict[str, str]] = []
    seen: dict[tuple[str, ...], str] = {}
    for where, raw in records:
        row: dict[str, str] = {}
        for column in spec.columns:
            value, problem = normalise(column, raw.get(column.name, ""))
            if problem:
                problems.append(f"{where}, column {column.name!r}: {problem}")
            row[column.name] = value
        for check in spec.checks:
            parts, total = check["sum"], check["total"]
            if all(_WHOLE.match(row[c]) for c in [*parts, total]):
                added = sum(int(row[c]) for c in parts)
                if added != int(row[total]):
                    problems.append(
                        f"{where}, column {total!r}: {' + '.join(parts)} = {added}, but {total} is {row[total]}"
                    )
        key = tuple(row[k] for k in spec.key)
        if key in seen:
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(spec.key, key, strict=True))
            problems.append(f"{where}: the same row ({shown}) as {seen[key]}")
        else:
            seen[key] = where
        rows.append(row)
    if not records:
        problems.append("no data rows")
    if problems:
        raise ReferenceFileError(name, problems)
    return rows
