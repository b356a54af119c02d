from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from haven.web.textsearch import event_texts_fill, event_texts_rebuild, event_texts_refresh_stale


class Command(BaseCommand):
    help = (
        "Bring the event search table up to date: add events that have no search text and recompute the texts "
        "of events changed by bulk updates (--rebuild recomputes every row)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(f"{event_texts_rebuild()} events indexed")
            return
        added = event_texts_fill()
        refreshed = event_texts_refresh_stale()
        self.stdout.write(f"{added} events indexed, {refreshed} changed events indexed again")
