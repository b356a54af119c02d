"""Capture histories: which of J lists (sources) recorded each observed person.

A capture pattern is a 0/1 vector in list order; ``"1010"`` means "on lists 1 and 3 only".
Internally a pattern is also an integer *code* whose binary digits read like the pattern
string (``"1010"`` -> 10), so code ``2**J - 1`` is "on every list" and code 0 is the
unobservable "on no list" cell.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from .errors import CaptureDataError, CaptureDataWarning

__all__ = ["CaptureHistories", "read_lists_csv"]

_COUNT_COLUMN = "count"
_STRATUM_SEPARATOR = "/"


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class CaptureHistories:
    """Aggregated capture histories, optionally split into strata.

    Build instances with :meth:`from_rows`, :meth:`from_counts` or :func:`read_lists_csv`;
    the constructor expects already validated, aggregated arrays.

    Attributes:
        lists: List (source) names, in pattern order.
        patterns: ``(m, J)`` array of distinct observed 0/1 patterns (never all-zero).
        counts: ``(m,)`` number of people with each pattern (zero allowed).
        strata: ``(m,)`` stratum label of each pattern row, or ``None`` when unstratified.
        warnings: Messages about corrections made while reading the data.
    """

    lists: tuple[str, ...]
    patterns: NDArray[np.int8]
    counts: NDArray[np.int64]
    strata: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = field(default=())

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Sequence[int]] | NDArray[Any],
        lists: Sequence[str] | None = None,
        strata: Sequence[object] | None = None,
    ) -> CaptureHistories:
        """Return histories from one 0/1 row per individual.

        Args:
            rows: One sequence per individual with one 0/1 entry per list.
            lists: List names; defaults to ``L1 .. LJ``.
            strata: Optional stratum label per row (converted with ``str``).

        Returns:
            The aggregated histories.

        Raises:
            CaptureDataError: On non-0/1 values, ragged rows, fewer than two lists, a list
                with no captures, or no captured individual at all.
        """
        matrix = _as_matrix(rows)
        counts = np.ones(matrix.shape[0], dtype=np.int64)
        return _build(lists, matrix, counts, strata, unit="row")

    @classmethod
    def from_counts(
        cls,
        patterns: Mapping[str, int] | Sequence[str] | Sequence[Sequence[int]] | NDArray[Any],
        counts: Sequence[int] | NDArray[Any] | None = None,
        lists: Sequence[str] | None = None,
        strata: Sequence[object] | None = None,
    ) -> CaptureHistories:
        """Return histories from capture-pattern counts.

        Args:
            patterns: Either a mapping ``{"1100": 33, ...}`` (then ``counts`` must be
                ``None``) or a sequence of patterns given as 0/1 strings or 0/1 sequences.
            counts: Number of people with each pattern (same length as ``patterns``).
            lists: List names; defaults to ``L1 .. LJ``.
            strata: Optional stratum label per pattern.

        Returns:
            The aggregated histories (duplicate patterns are summed).

        Raises:
            CaptureDataError: On malformed patterns or counts, or invalid lists (see
                :meth:`from_rows`).
        """
        if isinstance(patterns, Mapping):
            if counts is not None:
                raise CaptureDataError("pass counts either in the mapping or as 'counts', not both")
            keys = list(patterns.keys())
            count_values: Sequence[int] | NDArray[Any] = [patterns[key] for key in keys]
            pattern_rows: Sequence[Any] = keys
        else:
            if counts is None:
                raise CaptureDataError("'counts' is required when patterns are given as a sequence")
            pattern_rows = patterns  # type: ignore[assignment]
            count_values = counts
        matrix = _as_matrix([_pattern_row(p) for p in pattern_rows])
        count_array = _as_counts(count_values, matrix.shape[0])
        return _build(lists, matrix, count_array, strata, unit="pattern")

    # ------------------------------------------------------------------ properties

    @property
    def num_lists(self) -> int:
        """Return the number of lists J."""
        return len(self.lists)

    @property
    def n(self) -> int:
        """Return the number of observed (captured at least once) individuals."""
        return int(self.counts.sum())

    @property
    def codes(self) -> NDArray[np.int64]:
        """Return the integer code of each pattern row (binary digits = pattern string)."""
        weights = 2 ** np.arange(self.num_lists - 1, -1, -1, dtype=np.int64)
        return self.patterns.astype(np.int64) @ weights

    @property
    def is_stratified(self) -> bool:
        """Return whether stratum labels are attached."""
        return self.strata is not None

    @property
    def stratum_labels(self) -> tuple[str, ...]:
        """Return the distinct stratum labels, sorted (empty when unstratified)."""
        if self.strata is None:
            return ()
        return tuple(sorted(set(self.strata)))

    def list_totals(self) -> dict[str, int]:
        """Return the number of captures on each list."""
        totals = self.counts @ self.patterns.astype(np.int64)
        return {name: int(total) for name, total in zip(self.lists, totals, strict=True)}

    def cell_counts(self) -> NDArray[np.int64]:
        """Return the pooled count of every pattern code ``0 .. 2**J - 1`` (cell 0 is 0)."""
        cells = np.zeros(2**self.num_lists, dtype=np.int64)
        np.add.at(cells, self.codes, self.counts)
        return cells

    def pattern_counts(self) -> dict[str, int]:
        """Return pooled counts keyed by pattern string, most-captured patterns first."""
        cells = self.cell_counts()
        width = self.num_lists
        return {format(code, f"0{width}b"): int(cells[code]) for code in range(2**width - 1, 0, -1)}

    # ------------------------------------------------------------------ strata

    def pooled(self) -> CaptureHistories:
        """Return the histories with strata ignored."""
        if self.strata is None:
            return self
        return _build(
            self.lists, self.patterns.astype(np.int64), self.counts, None, unit="pattern", quiet=True
        )

    def stratum(self, label: str) -> CaptureHistories:
        """Return the unstratified histories of one stratum.

        Lists with no capture in the stratum are dropped (a list that recorded nobody
        carries no information about overlap, and log-linear and latent-class fits both
        need it removed); the drop is recorded in ``warnings``.

        Raises:
            KeyError: If the label is unknown.
            CaptureDataError: If fewer than two lists have captures in the stratum.
        """
        if self.strata is None or label not in set(self.strata):
            raise KeyError(label)
        mask = np.array([s == label for s in self.strata], dtype=bool)
        patterns = self.patterns[mask].astype(np.int64)
        counts = self.counts[mask]
        totals = counts @ patterns
        keep = totals > 0
        notes: list[str] = []
        if not keep.all():
            dropped = [name for name, k in zip(self.lists, keep, strict=True) if not k]
            notes.append(
                f"list(s) {', '.join(repr(d) for d in dropped)} have no captures "
                "in this stratum and were left out of its estimate"
            )
        if int(keep.sum()) < 2:
            raise CaptureDataError(
                f"stratum {label!r}: fewer than two lists have captures, so it cannot be estimated "
                "on its own; merge it with another stratum"
            )
        lists = tuple(name for name, k in zip(self.lists, keep, strict=True) if k)
        sub = _build(lists, patterns[:, keep], counts, None, unit="pattern", quiet=True)
        return CaptureHistories(sub.lists, sub.patterns, sub.counts, None, tuple(notes))

    def by_stratum(self) -> dict[str, CaptureHistories]:
        """Return the histories of every stratum keyed by label (sorted)."""
        return {label: self.stratum(label) for label in self.stratum_labels}

    def __repr__(self) -> str:
        strata = f", strata={len(self.stratum_labels)}" if self.strata is not None else ""
        return f"CaptureHistories(lists={list(self.lists)}, n={self.n}, patterns={len(self.counts)}{strata})"


# ---------------------------------------------------------------------- validation


def _pattern_row(pattern: object) -> Sequence[Any]:
    if isinstance(pattern, str):
        text = pattern.strip()
        return [int(ch) if ch in "01" else ch for ch in text]
    if isinstance(pattern, Iterable):
        return list(pattern)
    raise CaptureDataError(f"pattern {pattern!r} is neither a 0/1 string nor a sequence")


def _as_matrix(rows: Sequence[Sequence[Any]] | NDArray[Any]) -> NDArray[np.int64]:
    if isinstance(rows, np.ndarray):
        if rows.ndim != 2:
            raise CaptureDataError("capture rows must form a 2-D table (individuals x lists)")
        if rows.dtype.kind in "biuf" and np.isin(rows, (0, 1)).all():
            return rows.astype(np.int64)  # fast path for large numeric arrays
        raw_rows: list[list[Any]] = rows.tolist()
    else:
        raw_rows = [list(r) for r in rows]
    if not raw_rows:
        raise CaptureDataError("no capture histories given")
    width = len(raw_rows[0])
    matrix = np.zeros((len(raw_rows), width), dtype=np.int64)
    for i, row in enumerate(raw_rows):
        if len(row) != width:
            raise CaptureDataError(
                f"has {len(row)} entries but row 1 has {width}", source="<data>", line=i + 1
            )
        for j, value in enumerate(row):
            if isinstance(value, bool) or value in (0, 1):
                matrix[i, j] = int(value)
            else:
                raise CaptureDataError(
                    f"value {value!r} is not 0 or 1", source="<data>", line=i + 1, column=f"list {j + 1}"
                )
    return matrix


def _as_counts(values: Sequence[Any] | NDArray[Any], expected: int) -> NDArray[np.int64]:
    raw = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if len(raw) != expected:
        raise CaptureDataError(f"got {len(raw)} counts for {expected} patterns")
    out = np.zeros(expected, dtype=np.int64)
    for i, value in enumerate(raw):
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise CaptureDataError(
                f"count {value!r} is not a non-negative integer", source="<data>", line=i + 1, column="count"
            )
        out[i] = int(value)
    return out


def _build(
    lists: Sequence[str] | None,
    matrix: NDArray[np.int64],
    counts: NDArray[np.int64],
    strata: Sequence[object] | None,
    *,
    unit: str,
    source: str = "<data>",
    quiet: bool = False,
) -> CaptureHistories:
    """Validate and aggregate a 0/1 matrix with counts into :class:`CaptureHistories`."""
    num_lists = matrix.shape[1]
    names = tuple(f"L{j + 1}" for j in range(num_lists)) if lists is None else tuple(str(x) for x in lists)
    if len(names) != num_lists:
        raise CaptureDataError(f"{len(names)} list names given for {num_lists} columns", source=source)
    if len(set(names)) != len(names):
        raise CaptureDataError(f"duplicate list names in {list(names)}", source=source)
    if num_lists < 2:
        raise CaptureDataError(
            f"at least two lists are needed for capture-recapture, got {num_lists}"
            + (f" ({names[0]!r})" if names else ""),
            source=source,
        )
    if not np.isin(matrix, (0, 1)).all():
        i, j = np.argwhere(~np.isin(matrix, (0, 1)))[0]
        raise CaptureDataError(
            f"value {matrix[i, j]} is not 0 or 1", source=source, line=int(i) + 1, column=names[j]
        )
    labels: NDArray[np.int64] | None = None
    label_names: list[str] = []
    if strata is not None:
        strata_text = [str(s) for s in strata]
        if len(strata_text) != matrix.shape[0]:
            raise CaptureDataError(f"got {len(strata_text)} stratum labels for {matrix.shape[0]} {unit}s")
        label_names = sorted(set(strata_text))
        index = {name: k for k, name in enumerate(label_names)}
        labels = np.array([index[s] for s in strata_text], dtype=np.int64)

    notes: list[str] = []
    all_zero = matrix.sum(axis=1) == 0
    dropped = int(counts[all_zero].sum())
    if dropped:
        message = (
            f"dropped {dropped} individual(s) with an all-zero capture history (on no list); "
            "they cannot be part of the observed data"
        )
        notes.append(message)
        if not quiet:
            warnings.warn(message, CaptureDataWarning, stacklevel=3)
    keep = ~all_zero
    matrix, counts = matrix[keep], counts[keep]
    if labels is not None:
        labels = labels[keep]

    # Aggregate duplicates: one row per (stratum, pattern).
    weights = 2 ** np.arange(num_lists - 1, -1, -1, dtype=np.int64)
    codes = matrix @ weights
    keys = codes if labels is None else labels * (2**num_lists) + codes
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    agg_counts = np.zeros(len(unique_keys), dtype=np.int64)
    np.add.at(agg_counts, inverse, counts)
    agg_codes = unique_keys % (2**num_lists)
    agg_patterns = ((agg_codes[:, None] // weights[None, :]) % 2).astype(np.int8)

    total = int(agg_counts.sum())
    if total == 0:
        raise CaptureDataError("no captured individuals", source=source)
    totals = agg_counts @ agg_patterns.astype(np.int64)
    empty = [name for name, t in zip(names, totals, strict=True) if t == 0]
    if empty:
        raise CaptureDataError(
            "list has no captures; remove it before estimation (a list that recorded nobody "
            "says nothing about overlap)",
            source=source,
            column=", ".join(empty),
        )
    strata_out = None
    if labels is not None:
        strata_out = tuple(label_names[k] for k in (unique_keys // (2**num_lists)))
    return CaptureHistories(
        names,
        _frozen(agg_patterns),
        _frozen(agg_counts),
        strata_out,
        tuple(notes),
    )


# ---------------------------------------------------------------------- CSV


def _split_strata_argument(strata: str | Sequence[str] | None, header: Sequence[str]) -> list[str]:
    if strata is None:
        return []
    if isinstance(strata, str):
        if strata in header:
            return [strata]
        return [part.strip() for part in strata.split(",") if part.strip()]
    return [str(s) for s in strata]


def read_lists_csv(
    path_or_file: str | os.PathLike[str] | IO[str],
    strata: str | Sequence[str] | None = None,
    *,
    lists: Sequence[str] | None = None,
) -> CaptureHistories:
    """Read capture histories from a CSV file in either of two layouts.

    * **Individual rows**: one row per person, one 0/1 column per list, plus optional
      stratum column(s).
    * **Pattern counts**: one row per capture pattern with the list columns and a
      ``count`` column (case-insensitive); duplicate patterns are summed.

    The layout is chosen by the presence of a ``count`` column. Every column that is
    neither a stratum column nor ``count`` is a list, unless ``lists`` names them.
    Values may be padded with spaces; the delimiter is ``,`` (``;`` or tab are accepted
    when the header contains no comma).

    Args:
        path_or_file: File path or an open text file.
        strata: Stratum column name, several names separated by commas, or a sequence of
            names. A multi-column stratum label joins the values with ``/``.
        lists: List columns to use (other columns are then ignored).

    Returns:
        The histories, stratified when ``strata`` is given.

    Raises:
        CaptureDataError: With the file name, line and column of the first problem.
    """
    if isinstance(path_or_file, str | os.PathLike):
        source = os.fspath(path_or_file)
        try:
            with open(source, encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except OSError as exc:
            raise CaptureDataError(f"cannot read file: {exc.strerror or exc}", source=source) from exc
        except UnicodeDecodeError as exc:
            raise CaptureDataError("file is not UTF-8 text", source=source) from exc
    else:
        source = str(getattr(path_or_file, "name", "<stream>"))
        text = path_or_file.read()
        text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        if ";" in first_line:
            delimiter = ";"
        elif "\t" in first_line:
            delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CaptureDataError("file is empty (no header row)", source=source, line=1) from None
    except csv.Error as exc:
        raise CaptureDataError(f"malformed CSV: {exc}", source=source, line=1) from None
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise CaptureDataError("duplicate column name in header", source=source, line=1, column=dup)
    if any(h == "" for h in header):
        raise CaptureDataError(f"empty column name at position {header.index('') + 1}", source=source, line=1)

    stratum_columns = _split_strata_argument(strata, header)
    for col in stratum_columns:
        if col not in header:
            raise CaptureDataError(
                f"stratum column not found (columns are: {', '.join(header)})",
                source=source,
                line=1,
                column=col,
            )
    count_columns = [h for h in header if h.lower() == _COUNT_COLUMN and h not in stratum_columns]
    count_column = count_columns[0] if count_columns else None
    if lists is not None:
        list_columns = [str(x) for x in lists]
        for col in list_columns:
            if col not in header:
                raise CaptureDataError("list column not found", source=source, line=1, column=col)
    else:
        list_columns = [h for h in header if h not in stratum_columns and h != count_column]
    if len(list_columns) < 2:
        raise CaptureDataError(
            f"at least two list columns are needed, found {len(list_columns)}"
            + (f" ({', '.join(list_columns)})" if list_columns else ""),
            source=source,
            line=1,
        )
    list_idx = [header.index(c) for c in list_columns]
    stratum_idx = [header.index(c) for c in stratum_columns]
    count_idx = header.index(count_column) if count_column is not None else None

    rows: list[list[int]] = []
    counts: list[int] = []
    labels: list[str] = []
    line_numbers: list[int] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(header):
                raise CaptureDataError(
                    f"has {len(record)} fields but the header has {len(header)}", source=source, line=line
                )
            row: list[int] = []
            for col, idx in zip(list_columns, list_idx, strict=True):
                value = record[idx].strip()
                if value not in ("0", "1"):
                    shown = repr(value) if value else "an empty value"
                    raise CaptureDataError(
                        f"{shown} is not 0 or 1 (list columns must hold 0/1 capture indicators)",
                        source=source,
                        line=line,
                        column=col,
                    )
                row.append(int(value))
            if count_idx is not None:
                value = record[count_idx].strip()
                if not value.isdigit():
                    raise CaptureDataError(
                        f"{value!r} is not a non-negative integer count",
                        source=source,
                        line=line,
                        column=count_column,
                    )
                counts.append(int(value))
            else:
                counts.append(1)
            if stratum_idx:
                parts = [record[i].strip() for i in stratum_idx]
                for col, part in zip(stratum_columns, parts, strict=True):
                    if not part:
                        raise CaptureDataError("empty stratum value", source=source, line=line, column=col)
                labels.append(_STRATUM_SEPARATOR.join(parts))
            rows.append(row)
            line_numbers.append(line)
    except csv.Error as exc:
        raise CaptureDataError(f"malformed CSV: {exc}", source=source, line=reader.line_num) from None
    if not rows:
        raise CaptureDataError("no data rows after the header", source=source, line=2)
    matrix = np.asarray(rows, dtype=np.int64)
    count_array = np.asarray(counts, dtype=np.int64)
    unit = "pattern" if count_idx is not None else "row"
    return _build(
        list_columns,
        matrix,
        count_array,
        labels if stratum_idx else None,
        unit=unit,
        source=source,
    )
