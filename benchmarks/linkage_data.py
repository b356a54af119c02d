"""Labelled synthetic lists of North Korean refugees for the linkage benchmark (synthetic people only).

The generator lives in :mod:`haven.analytics.linkage.internals.synthetic` so that tests can use it; this
script writes a data set as RECORDS.csv (the ``haven link`` input) plus a truth file.

    .venv/bin/python benchmarks/linkage_data.py --records 10000 --seed 7 --out records.csv --truth truth.csv
"""

from __future__ import annotations

import argparse
import csv
import sys

from haven.analytics.linkage import FIELDS, SyntheticData, generate_lists

__all__ = ["SyntheticData", "generate_lists", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--recombine", type=float, default=0.6, help="share of recombined given names")
    parser.add_argument("--out", required=True, help="RECORDS.csv to write")
    parser.add_argument("--truth", help="also write source,record_id,person_id")
    args = parser.parse_args(argv)
    data = generate_lists(args.records, seed=args.seed, n_sources=args.sources, recombine=args.recombine)
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(data.rows)
    if args.truth:
        with open(args.truth, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("source", "record_id", "person_id"))
            for row, person in zip(data.rows, data.person_ids, strict=True):
                writer.writerow((row["source"], row["record_id"], person))
    print(f"{len(data.rows)} records of {data.n_people} people -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
