from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from haven.web.textsearch import event_texts_fill, event_texts_rebuild


class Command(BaseCommand):
    help = "Fill the event search table (add missing events; --rebuild recomputes every row)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        n = event_texts_rebuild() if options["rebuild"] else event_texts_fill()
        self.stdout.write(f"{n} events indexed")
