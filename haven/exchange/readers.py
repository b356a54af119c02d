"""Reading import files: CSV (streamed), XLSX and JSON, with encoding detection and size limits.

A reader yields ``(row number, {header: text})`` pairs; row numbers are what a person sees in the file (the
header is row 1 of a CSV or a sheet; the first object of a JSON list is row 1). A problem with the file as a
whole (unreadable, wrong encoding, malformed, too large) raises :class:`ImportFileError`; a problem with one
row (too many or too few cells, a row too long) is reported through :class:`RowShapeError` values in the
stream, so that the rest of the file can still be checked.
"""

from __future__ import annotations

import codecs
import csv
import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _

# Refuse files larger than this (bytes); settings.HAVEN_IMPORT_MAX_BYTES overrides.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
# XLSX and JSON are read whole: they have a lower ceiling (settings.HAVEN_IMPORT_MAX_BYTES_LOADED).
DEFAULT_MAX_BYTES_LOADED = 64 * 1024 * 1024
# The longest row (in characters, all cells together) an import accepts. A single field longer than the csv
# module's own limit (128 KiB) stops the reading of the file: memory stays bounded whatever the file holds.
MAX_ROW_CHARS = 64 * 1024

ENCODING_ALIASES = {"euc-kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949", "uhc": "cp949"}
# What a damaged workbook raises while it is opened or read: a broken zip (headers, CRC, compressed data,
# an unknown compression method) or broken XML inside it.
_XLSX_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    ParseError,
    KeyError,
    OSError,
    ValueError,
    EOFError,
)


class ImportFileError(Exception):
    """The file cannot be imported at all; the message says why, in the user's language."""


@dataclass(frozen=True)
class RowShapeError:
    """A row whose shape is wrong (ragged, too long) or that holds text no database can store.

    Reported as a problem of that row, and of the column when one cell is the cause.
    """

    reason: str
    column: str = ""


def unstorable(text: str) -> bool:
    """Tell whether ``text`` holds a character no database stores.

    A NUL character: PostgreSQL refuses it in any text. A lone surrogate (JSON's ``\\ud800`` escape): it has
    no UTF-8 form, so neither database takes it.
    """
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_reason() -> str:
    return _(
        "The value holds a NUL character or an invalid character (a lone surrogate), which cannot be stored."
    )


def _unstorable_cell(cells: dict[str, str]) -> RowShapeError | None:
    for header, value in cells.items():
        if unstorable(value):
            return RowShapeError(_unstorable_reason(), column=header)
    return None


Row = dict[str, str] | RowShapeError


def max_bytes() -> int:
    return int(getattr(settings, "HAVEN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_bytes_loaded() -> int:
    return int(getattr(settings, "HAVEN_IMPORT_MAX_BYTES_LOADED", DEFAULT_MAX_BYTES_LOADED))


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, named: str | None = None) -> str:
    """Return the encoding to read ``path`` with: the one named, else by BOM, else UTF-8, else CP949."""
    if named:
        name = ENCODING_ALIASES.get(named.strip().lower(), named.strip())
        try:
            codecs.lookup(name)
        except LookupError:
            raise ImportFileError(_("Unknown encoding %(name)s.") % {"name": named}) from None
        if not _decodes(path, name):
            raise ImportFileError(
                _("The file is not valid %(name)s text. Check the encoding the file was saved in.")
                % {"name": named}
            )
        return "utf-8-sig" if name.replace("_", "-").lower() in {"utf-8", "utf8"} else name
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        for candidate in ("utf-8", "cp949"):
            if _decodes(path, candidate):
                return candidate
        raise ImportFileError(
            _(
                "The file's encoding could not be recognised (it is neither UTF-8, UTF-16 nor CP949/EUC-KR). "
                "Save it as UTF-8, or name its encoding with --encoding."
            )
        )
    if not _decodes(path, encoding):
        raise ImportFileError(
            _("The file starts with a %(name)s mark but is not valid %(name)s text.") % {"name": encoding}
        )
    return encoding


def cell_text(value: Any) -> str:
    """Return a spreadsheet or JSON cell as text (whole numbers without ".0", dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _clean_header(text: str) -> str:
    return text.replace("\ufeff", "").strip()


def _check_headers(headers: list[str]) -> list[str]:
    cleaned = [_clean_header(h) for h in headers]
    if not any(cleaned):
        raise ImportFileError(_("The file has no header row."))
    if any(unstorable(h) for h in cleaned):
        raise ImportFileError(
            _("A column name holds a NUL character or an invalid character (a lone surrogate).")
        )
    seen: set[str] = set()
    for h in cleaned:
        if h and h in seen:
            raise ImportFileError(_("The column %(column)s appears twice in the header.") % {"column": h})
        seen.add(h)
    return cleaned


def _shape(headers: list[str], cells: list[str]) -> Row:
    if sum(len(c) for c in cells) > MAX_ROW_CHARS:
        return RowShapeError(_("The row is longer than %(limit)s characters.") % {"limit": MAX_ROW_CHARS})
    extra = [c for c in cells[len(headers) :] if c.strip()]
    if extra:
        return RowShapeError(
            _("The row has %(cells)s cells but the header has %(columns)s columns.")
            % {"cells": len(cells), "columns": len(headers)}
        )
    cells = cells + [""] * (len(headers) - len(cells))
    row = {h: c.strip() for h, c in zip(headers, cells, strict=False) if h}
    return _unstorable_cell(row) or row


class RowSource:
    """The rows of one import file. ``headers`` is known once the source is opened."""

    def __init__(self, path: Path, *, encoding: str | None = None) -> None:
        self.path = path
        self.named_encoding = encoding
        self.encoding = ""
        self.headers: list[str] = []
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImportFileError(_("The file cannot be read: %(error)s") % {"error": exc.strerror}) from None
        self.format = path.suffix.lower().lstrip(".")
        if self.format not in {"csv", "tsv", "txt", "xlsx", "json"}:
            raise ImportFileError(
                _("Unsupported file type .%(suffix)s: use CSV, XLSX or JSON.") % {"suffix": self.format}
            )
        limit = max_bytes() if self.format in {"csv", "tsv", "txt"} else min(max_bytes(), max_bytes_loaded())
        if size > limit:
            raise ImportFileError(
                _("The file is %(size)s bytes; imports of this type are limited to %(limit)s bytes.")
                % {"size": size, "limit": limit}
            )
        if size == 0:
            raise ImportFileError(_("The file is empty."))
        self._rows: Iterator[tuple[int, Row]]
        if self.format == "xlsx":
            self._rows = self._open_xlsx()
        elif self.format == "json":
            self._rows = self._open_json()
        else:
            self._rows = self._open_csv()

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        return self._rows

    # ---- CSV: streamed ---------------------------------------------------------------------------------------

    def _open_csv(self) -> Iterator[tuple[int, Row]]:
        self.encoding = detect_encoding(self.path, self.named_encoding)
        fh = self.path.open(encoding=self.encoding, newline="")
        sample = fh.read(8192)
        fh.seek(0)
        delimiter = (
            "\t" if self.format == "tsv" or ("\t" in sample and "," not in sample.split("\n", 1)[0]) else ","
        )
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            fh.close()
            raise ImportFileError(_("The file has no header row.")) from None
        except csv.Error as exc:
            fh.close()
            raise ImportFileError(_("The header row is malformed: %(error)s") % {"error": exc}) from None
        self.headers = _check_headers(header)
        return self._csv_rows(fh, reader)

    def _csv_rows(self, fh: Any, reader: Any) -> Iterator[tuple[int, Row]]:
        with fh:
            row_number = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise ImportFileError(
                        _("The file is malformed near line %(line)s: %(error)s")
                        % {"line": reader.line_num, "error": exc}
                    ) from None
                row_number += 1
                if not any(c.strip() for c in cells):
                    continue
                yield row_number, _shape(self.headers, cells)

    # ---- XLSX: the first sheet -------------------------------------------------------------------------------

    def _open_xlsx(self) -> Iterator[tuple[int, Row]]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
        except (InvalidFileException, IndexError, *_XLSX_DAMAGE):
            raise ImportFileError(
                _("The file is not a readable XLSX workbook (damaged or truncated?).")
            ) from None
        if header is None:
            raise ImportFileError(_("The file has no header row."))
        self.headers = _check_headers([cell_text(v) for v in header])
        self.encoding = "xlsx"
        return self._xlsx_rows(book, rows)

    def _xlsx_rows(self, book: Any, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, Row]]:
        row_number = 1
        try:
            for values in rows:
                row_number += 1
                cells = [cell_text(v) for v in values]
                if not any(cells):
                    continue
                yield row_number, _shape(self.headers, cells)
        except _XLSX_DAMAGE:
            raise ImportFileError(
                _("The workbook is damaged near row %(row)s.") % {"row": row_number}
            ) from None
        finally:
            book.close()

    # ---- JSON: a list of objects, or {"rows": [...]} --------------------------------------------------------

    def _open_json(self) -> Iterator[tuple[int, Row]]:
        self.encoding = detect_encoding(self.path, self.named_encoding)
        try:
            data = json.loads(self.path.read_text(encoding=self.encoding))
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                _("The JSON is malformed at line %(line)s, column %(column)s: %(error)s")
                % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
            ) from None
        except (ValueError, RecursionError):
            # A number of thousands of digits (Python refuses to convert it) or lists nested thousands deep.
            raise ImportFileError(
                _("The JSON holds a number too long or values nested too deep to be read.")
            ) from None
        if isinstance(data, dict) and isinstance(data.get("rows"), list):
            data = data["rows"]
        if not isinstance(data, list):
            raise ImportFileError(_('The JSON must be a list of objects, or an object with a "rows" list.'))
        headers: dict[str, None] = {}
        for item in data:
            if isinstance(item, dict):
                headers.update(dict.fromkeys(str(k).strip() for k in item))
        if not headers:
            raise ImportFileError(_("The file has no rows."))
        if any(unstorable(h) for h in headers):
            raise ImportFileError(
                _("A column name holds a NUL character or an invalid character (a lone surrogate).")
            )
        self.headers = list(headers)
        return self._json_rows(data)

    def _json_rows(self, data: list[Any]) -> Iterator[tuple[int, Row]]:
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                yield number, RowShapeError(_("The item is not an object."))
                continue
            nested = [k for k, v in item.items() if isinstance(v, dict | list)]
            if nested:
                yield (
                    number,
                    RowShapeError(
                        _("The value of %(column)s is not a single value.") % {"column": nested[0]}
                    ),
                )
                continue
            cells = {str(k).strip(): cell_text(v) for k, v in item.items()}
            if sum(len(v) for v in cells.values()) > MAX_ROW_CHARS:
                yield (
                    number,
                    RowShapeError(
                        _("The row is longer than %(limit)s characters.") % {"limit": MAX_ROW_CHARS}
                    ),
                )
                continue
            row = {h: cells.get(h, "") for h in self.headers}
            yield number, _unstorable_cell(row) or row
