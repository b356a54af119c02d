"""Command line: ``link RECORDS.csv --out CLUSTERS.csv``.

RECORDS.csv has the header ``source,record_id,name,name_hangul,sex,birth_year,origin,exit_year`` (only
``source`` and ``record_id`` are required; the other columns may be absent or empty). CLUSTERS.csv gets
``source,record_id,cluster_id``, one row per input row, in input order. Progress goes to stderr.

Exit status: 0 on success, 2 on bad usage or bad input (with one line naming the file, line and column),
1 if linkage itself fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TextIO

from . import DEFAULT_THRESHOLD, FIELDS, InputError, link_records, prepare_records
from .internals.engine import default_settings

__all__ = ["main"]

PROG: Final = "haven link"
REQUIRED: Final = ("source", "record_id")
_FEW_RECORDS: Final = 1000


class _UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


class _Progress:
    """Print one line per stage on stderr, and a few percentages for long stages."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.stage = ""
        self.start = time.perf_counter()
        self.next_percent = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.start
        if stage != self.stage:
            self.stage = stage
            self.next_percent = 0
            suffix = f" ({total:,})" if total else ""
            print(f"{PROG}: [{elapsed:6.1f}s] {stage}{suffix}", file=self.stream, flush=True)
        if total and done and 100 * done // total >= self.next_percent and self.next_percent:
            print(f"{PROG}: [{elapsed:6.1f}s]   {stage} {100 * done // total}%", file=self.stream, flush=True)
        if total:
            self.next_percent = max(self.next_percent, 25 * (100 * done // total // 25 + 1))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haven", description="Link victims' lists across organisations.")
    commands = parser.add_subparsers(dest="command", required=True)
    link = commands.add_parser("link", help="cluster the records of RECORDS.csv into people")
    link.add_argument("records", metavar="RECORDS.csv", help="input records (UTF-8 CSV)")
    link.add_argument(
        "--out", metavar="CLUSTERS.csv", required=True, help="output: source,record_id,cluster_id"
    )
    link.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="P",
        help=f"match probability at which a pair starts a cluster (default {DEFAULT_THRESHOLD})",
    )
    link.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    link.add_argument("--seed", type=int, default=0, metavar="N", help="seed for random sampling (default 0)")
    link.add_argument("--settings", choices=("korean", "generic"), default="korean")
    link.add_argument(
        "--model",
        metavar="MODEL.json",
        help="use this trained model instead of training (trusted files only: it contains SQL)",
    )
    link.add_argument("--save-model", metavar="MODEL.json", help="write the model used to this file")
    return parser


def _read_records(path: Path, stderr: TextIO) -> list[dict[str, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _UsageError(f"{path}: line {line}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _UsageError(f"{path}: line 1: empty file, expected a header row") from None
    except csv.Error as exc:
        raise _UsageError(f"{path}: line 1: {exc}") from None
    header = [h.strip() for h in header]
    for column in REQUIRED:
        if column not in header:
            raise _UsageError(f"{path}: line 1: missing required column {column!r}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise _UsageError(f"{path}: line 1: column {duplicated[0]!r} appears twice")
    unknown = [h for h in header if h not in FIELDS]
    if unknown:
        print(f"{PROG}: warning: {path}: ignoring unknown columns {', '.join(unknown)}", file=stderr)
    rows: list[dict[str, str]] = []
    try:
        for fields in reader:
            if not fields:
                continue  # blank line
            if len(fields) != len(header):
                raise _UsageError(
                    f"{path}: line {reader.line_num}: {len(fields)} fields, the header has {len(header)}"
                )
            rows.append(dict(zip(header, fields, strict=True)))
            rows[-1]["__line__"] = str(reader.line_num)
    except csv.Error as exc:
        raise _UsageError(f"{path}: line {reader.line_num}: {exc}") from None
    return rows


def _write_clusters(path: Path, rows: Sequence[dict[str, str]], cluster_ids: Sequence[int]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source", "record_id", "cluster_id"))
        for row, cluster in zip(rows, cluster_ids, strict=True):
            writer.writerow((row["source"], row["record_id"], cluster))
    os.replace(tmp, path)


def _link(args: argparse.Namespace, stderr: TextIO) -> int:
    records_path, out_path = Path(args.records), Path(args.out)
    if not 0 < args.threshold < 1:
        raise _UsageError(f"--threshold must be strictly between 0 and 1, got {args.threshold}")
    if out_path.resolve() == records_path.resolve():
        raise _UsageError(f"{out_path}: the output would overwrite the input")
    model = None
    if args.model:
        try:
            model = Path(args.model).read_text(encoding="utf-8")
            json.loads(model)
        except (OSError, ValueError) as exc:
            raise _UsageError(f"{args.model}: not a readable model JSON file ({exc})") from None
    progress = _Progress(stderr)
    rows = _read_records(records_path, stderr)
    settings = default_settings(args.settings)
    progress("reading", len(rows), len(rows))
    try:
        table = prepare_records(rows, keep_raw=settings.needs_raw_text, workers=None, progress=progress)
    except InputError as exc:
        line = rows[exc.row]["__line__"] if 0 <= exc.row < len(rows) else "?"
        raise _UsageError(f"{records_path}: line {line}, column {exc.column}: {exc}") from None
    if model is None and table.num_rows < _FEW_RECORDS:
        print(
            f"{PROG}: warning: only {table.num_rows:,} records to train on; estimates will be rough "
            "(consider --model with a model trained on more data)",
            file=stderr,
        )
    if table.num_rows < 2:
        cluster_ids: Sequence[int] = list(range(1, table.num_rows + 1))
    else:
        result = link_records(
            table,
            backend=args.backend,
            threshold=args.threshold,
            seed=args.seed,
            progress=progress,
            settings=settings,
            model=model,
        )
        cluster_ids = result.cluster_ids
        if args.save_model:
            Path(args.save_model).write_text(result.model_json, encoding="utf-8")
    _write_clusters(out_path, rows, cluster_ids)
    clusters = len(set(cluster_ids))
    progress("done", 1, 0)
    print(f"{PROG}: {len(rows):,} records in {clusters:,} clusters -> {out_path}", file=stderr)
    return 0


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name, e.g. ``["link", "records.csv", "--out", "c.csv"]``.
        stderr: Stream for progress and errors (default ``sys.stderr``).

    Returns:
        The exit status.
    """
    err = stderr or sys.stderr
    # Splink logs a warning for every comparison level EM could not train; on the command line one
    # warning of our own (few records) says the same. Callers of the library keep their own settings.
    logging.getLogger("splink").setLevel(logging.ERROR)
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    try:
        return _link(args, err)
    except _UsageError as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line rather than a traceback
        print(f"{PROG}: linkage failed: {type(exc).__name__}: {exc}", file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
