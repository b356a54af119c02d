"""``haven reference``: list, export, update and show the history of the reference datasets.

- ``haven reference list`` — name, title, publisher, number of versions, publication date of the current one.
- ``haven reference export NAME [--version N]`` — CSV under a ``# `` header block that cites the source.
- ``haven reference update NAME FILE [--published-on YYYY-MM-DD] [--note TEXT] [--user NAME]`` — load a newer file as its
  publisher publishes it (CSV, XLSX, or UNHCR API JSON); the earlier versions are kept.
- ``haven reference history NAME [--diff V1 V2]`` — the versions, and optionally the cells changed between two.
- ``haven reference load`` — load or refresh the datasets shipped with Haven (idempotent).
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from haven.reference.files import ReferenceDataError
from haven.reference.selectors import reference_dataset, reference_datasets
from haven.reference.services import (
    reference_diff,
    reference_export,
    reference_load_shipped,
    reference_update,
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "List, export, update and compare the reference datasets (published statistics with their sources)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="name, title, publisher, versions and publication date of each dataset")
        export = sub.add_parser("export", help="print a dataset as CSV with a header citing its source")
        export.add_argument("name")
        export.add_argument("--version", type=int, default=None, help="version number (default: current)")
        export.add_argument("--output", type=Path, default=None, help="write to this file instead")
        update = sub.add_parser("update", help="load a newer file of a dataset as a new, current version")
        update.add_argument("name")
        update.add_argument("file", type=Path)
        update.add_argument(
            "--published-on", type=_date, default=None, help="the publisher's date, YYYY-MM-DD"
        )
        update.add_argument(
            "--retrieved-on", type=_date, default=None, help="when you got it (default today)"
        )
        update.add_argument("--note", default="", help="what this file is and where it came from")
        update.add_argument("--user", default=None, help="the Haven user loading it (recorded and audited)")
        history = sub.add_parser("history", help="the versions of a dataset")
        history.add_argument("name")
        history.add_argument(
            "--diff", nargs=2, type=int, metavar=("V1", "V2"), help="cells changed from V1 to V2"
        )
        sub.add_parser("load", help="load or refresh the datasets shipped with Haven (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["subcommand"])(options)
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from None

    def _list(self, options: dict[str, Any]) -> None:
        datasets = list(reference_datasets().prefetch_related("versions"))
        if not datasets:
            self.stdout.write("No reference datasets loaded: run 'haven reference load'.")
            return
        width = max(len(d.name) for d in datasets)
        for dataset in datasets:
            versions = list(dataset.versions.all())
            current = next((v for v in versions if v.is_current), None)
            published = current.published_on.isoformat() if current and current.published_on else "not stated"
            count = f"{len(versions)} version{'s' if len(versions) != 1 else ''}"
            state = f"current v{current.number}" if current else "no current version"
            self.stdout.write(f"{dataset.name.ljust(width)}  {count}, {state}, published {published}")
            self.stdout.write(f"  {dataset.title_en}")
            self.stdout.write(f"  {dataset.title_ko}")
            self.stdout.write(f"  Publisher: {dataset.publisher}")

    def _export(self, options: dict[str, Any]) -> None:
        text = reference_export(options["name"], options["version"])
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")

    def _update(self, options: dict[str, Any]) -> None:
        actor = None
        if options["user"]:
            users = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: options["user"]})
            actor = users.filter(is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {options['user']!r}")
        version = reference_update(
            options["name"],
            options["file"],
            actor=actor,
            published_on=options["published_on"],
            retrieved_on=options["retrieved_on"],
            note=options["note"],
        )
        self.stdout.write(
            f"{version.dataset.name}: version {version.number} loaded from {version.source_file_name} "
            f"({version.row_count} rows) and now current; earlier versions kept."
        )
        if version.number > 1:
            diff = reference_diff(version.dataset.name, version.number - 1, version.number)
            self.stdout.write(
                f"Compared with version {diff.old}: {len(diff.changed)} cells changed, "
                f"{len(diff.added)} rows added, {len(diff.removed)} rows removed "
                f"(see 'haven reference history {version.dataset.name} --diff {diff.old} {diff.new}')."
            )

    def _history(self, options: dict[str, Any]) -> None:
        dataset = reference_dataset(options["name"])
        rows = [("VERSION", "CURRENT", "PUBLISHED", "LOADED", "BY", "ROWS", "FILE", "SHA-256")]
        for v in dataset.versions.select_related("loaded_by").order_by("number"):
            rows.append(
                (
                    f"v{v.number}",
                    "*" if v.is_current else "",
                    v.published_on.isoformat() if v.published_on else "-",
                    v.loaded_at.strftime("%Y-%m-%d %H:%M"),
                    v.loaded_by.get_username()
                    if v.loaded_by
                    else ("haven" if v.origin == "shipped" else "-"),
                    str(v.row_count),
                    v.source_file_name,
                    v.sha256[:16],
                )
            )
        self._table(rows)
        if options["diff"]:
            self._diff(dataset.name, *options["diff"])

    def _diff(self, name: str, v1: int, v2: int) -> None:
        diff = reference_diff(name, v1, v2)
        self.stdout.write(f"\nChanges from v{diff.old} to v{diff.new} of {name}:")
        if diff.is_empty:
            self.stdout.write("  none")
        for change in diff.changed:
            key = ", ".join(f"{k}={v}" for k, v in change.key.items())
            self.stdout.write(f"  changed  {key}: {change.column} {change.old!r} -> {change.new!r}")
        for label, rows in (("added", diff.added), ("removed", diff.removed)):
            for row in rows:
                self.stdout.write(f"  {label:<8} " + ", ".join(f"{k}={v}" for k, v in row.items() if v))

    def _load(self, options: dict[str, Any]) -> None:
        report = reference_load_shipped()
        self.stdout.write(
            f"reference datasets: {report.datasets}, new versions: {len(report.versions_created)}, "
            f"metadata updated: {len(report.metadata_updated)}"
        )
        for line in report.versions_created:
            self.stdout.write(f"  {line}")

    def _table(self, rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)] + [row[-1]]
            self.stdout.write("  ".join(cells).rstrip())
