"""Writing tables as CSV, XLSX or JSON, with cells escaped against spreadsheet formula injection.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs (CSV injection, OWASP); such text gets a leading apostrophe, which the programs show as
text. Numbers are written as numbers and are not affected. JSON is not opened by spreadsheets and is written
as is.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx", "json")


def escape_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet cell: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: Iterable[Sequence[Any]]


def _csv_bytes(table: Table) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in table.headers])
    count = 0
    for row in table.rows:
        writer.writerow(["" if v is None else escape_cell(v) for v in row])
        count += 1
    return buffer.getvalue().encode("utf-8"), count


def write_tables(tables: list[Table], fmt: str, out: IO[bytes]) -> dict[str, int]:
    """Write ``tables`` to ``out`` in ``fmt``; return the row count of each table.

    CSV: one table is one CSV file (UTF-8); several are a ZIP of CSV files. XLSX: one sheet per table.
    JSON: {table name: [row objects]}.
    """
    counts: dict[str, int] = {}
    if fmt == "csv":
        if len(tables) == 1:
            data, counts[tables[0].name] = _csv_bytes(tables[0])
            out.write(data)
        else:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in tables:
                    data, counts[table.name] = _csv_bytes(table)
                    archive.writestr(f"{table.name}.csv", data)
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        for table in tables:
            sheet = book.create_sheet(table.name[:31])
            sheet.append([escape_cell(h) for h in table.headers])
            count = 0
            for row in table.rows:
                sheet.append([escape_cell(v) for v in row])
                count += 1
            counts[table.name] = count
        book.save(out)
    elif fmt == "json":
        document: dict[str, list[dict[str, Any]]] = {}
        for table in tables:
            document[table.name] = [dict(zip(table.headers, row, strict=True)) for row in table.rows]
            counts[table.name] = len(document[table.name])
        out.write(json.dumps(document, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return counts
