from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare an instance: apply migrations, load vocabularies, the gazetteer and the reference statistics (idempotent)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        call_command("load_vocabularies", verbosity=verbosity, stdout=self.stdout)
        call_command("load_gazetteer", verbosity=verbosity, stdout=self.stdout)
        call_command("reference", "load", verbosity=verbosity, stdout=self.stdout)
