from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from haven.accounts.models import Compartment, Organisation, User
from haven.demo.generator import CODES, DemoBuilder
from haven.demo.worked_example import add_worked_example

DEMO_ADMIN = "admin"


class Command(BaseCommand):
    help = (
        "Build a demo instance with a synthetic corpus (about 2,000 persons by default) and serve it on "
        "http://127.0.0.1:8000. Every person in it is invented, except one public worked example."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--no-serve", action="store_true", help="Only build the instance.")
        parser.add_argument("--persons", type=int, default=2000, help="Number of person records (default 2000).")
        parser.add_argument("--seed", type=int, default=20121, help="Random seed (the corpus is deterministic).")
        parser.add_argument("--reset", action="store_true", help="Delete all data and build the corpus again.")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Address to serve on.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if settings.HAVEN_MODE == "production":
            raise CommandError("haven demo refuses to run in production mode: it would mix synthetic data with real records.")
        if options["persons"] < 50:
            raise CommandError("--persons must be at least 50")
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        call_command("load_vocabularies", stdout=self.stdout)
        call_command("load_gazetteer", stdout=self.stdout)
        if Organisation.objects.filter(code="hanbit").exists():
            self.stdout.write("Demo data already present (use --reset to build it again).")
        else:
            self.stdout.write(f"Building the synthetic corpus: {options['persons']} persons, seed {options['seed']}…")
            builder = DemoBuilder(persons=options["persons"], seed=options["seed"], progress=self.stdout.write)
            counts = builder.build()
            hanbit = Organisation.objects.get(code="hanbit")
            add_worked_example(hanbit, Compartment.objects.get(code="hanbit-public"),
                               {key: code for key, (_, code) in CODES.items()})
            self.stdout.write(
                f"Built {counts['persons']} persons, {counts['events']} events, {counts['acts']} acts "
                f"in {time.monotonic() - started:.1f} s."
            )
        password = self._admin_password()
        self._report_size()
        url = f"http://{options['addr']}/"
        self.stdout.write(self.style.SUCCESS(
            f"\nHaven demo is ready.\n  Open:     {url}admin/\n  User:     {DEMO_ADMIN}\n  Password: {password}\n"
            f"  (also in {self._credentials_file()}). All people in the demo are synthetic.\n"
        ))
        if not options["no_serve"]:
            sys.stdout.flush()
            call_command("runserver", options["addr"], "--insecure", "--noreload", use_threading=True)

    def _credentials_file(self) -> Path:
        return settings.HAVEN_HOME / "demo-credentials.txt"

    def _admin_password(self) -> str:
        file = self._credentials_file()
        user = User.objects.filter(username=DEMO_ADMIN).first()
        if user is not None and file.exists():
            return file.read_text(encoding="utf-8").strip()
        password = secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_superuser(DEMO_ADMIN, "", password)
        else:
            user.set_password(password)
            user.save()
        file.parent.mkdir(parents=True, exist_ok=True)
        file.touch(mode=0o600)
        file.write_text(password, encoding="utf-8")
        os.chmod(file, 0o600)
        return password

    def _report_size(self) -> None:
        if connection.vendor == "sqlite":
            db = Path(settings.DATABASES["default"]["NAME"])
            size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.exists())
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = cursor.fetchone()[0]
        self.stdout.write(f"Database size: {size / 1_048_576:.1f} MiB ({connection.vendor}).")
