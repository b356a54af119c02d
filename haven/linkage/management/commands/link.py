"""``haven link RECORDS.csv --out CLUSTERS.csv``: link victims' lists (see haven.analytics.linkage.cli)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.analytics.linkage import DEFAULT_THRESHOLD
from haven.analytics.linkage.cli import main


class Command(BaseCommand):
    help = "Cluster the records of RECORDS.csv (several organisations' lists) into people."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("records", metavar="RECORDS.csv")
        parser.add_argument("--out", metavar="CLUSTERS.csv", required=True)
        parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="P")
        parser.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
        parser.add_argument("--seed", type=int, default=0, metavar="N")
        # Django reserves --settings (the settings module), so the linkage model is chosen with
        # --link-settings here; the plain command line (haven.analytics.linkage.cli) calls it --settings.
        parser.add_argument("--link-settings", choices=("korean", "generic"), default="korean")
        parser.add_argument("--model", metavar="MODEL.json")
        parser.add_argument("--save-model", metavar="MODEL.json")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            "link",
            options["records"],
            "--out",
            options["out"],
            "--threshold",
            str(options["threshold"]),
            "--backend",
            options["backend"],
            "--seed",
            str(options["seed"]),
            "--settings",
            options["link_settings"],
        ]
        for flag in ("model", "save_model"):
            if options.get(flag):
                argv += [f"--{flag.replace('_', '-')}", options[flag]]
        status = main(argv, stderr=sys.stderr)
        if status != 0:
            # The command line has already printed the one-line reason on stderr.
            raise CommandError(f"linkage failed (exit status {status})", returncode=status)
