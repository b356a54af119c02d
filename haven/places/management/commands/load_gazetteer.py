from __future__ import annotations

from django.core.management.base import BaseCommand

from haven.places.services import gazetteer_load


class Command(BaseCommand):
    help = "Load or update the location gazetteer (idempotent)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = gazetteer_load()
        self.stdout.write(f"locations created: {report.created}, updated: {report.updated}")
