from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from haven.vocab.services import DATA_DIR, vocabularies_load


class Command(BaseCommand):
    help = "Load or update the controlled vocabularies from their data files (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--directory", type=Path, default=DATA_DIR)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = vocabularies_load(options["directory"])
        self.stdout.write(
            f"vocabularies: {report.vocabularies}, terms created: {report.created}, updated: {report.updated}, "
            f"retired: {report.retired}"
        )
        for line in report.skipped:
            self.stdout.write(self.style.WARNING(line))
