from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from haven.accounts.models import Compartment, Organisation
from haven.cli import DEMO_MARKER
from haven.demo.cases import add_demo_cases
from haven.demo.generator import CODES, DemoBuilder
from haven.demo.users import DEMO_ACCOUNTS, ensure_demo_accounts, new_password
from haven.demo.worked_example import add_worked_example


class Command(BaseCommand):
    help = (
        "Build a demo instance with a synthetic corpus (about 2,000 persons by default) and serve it on "
        "http://127.0.0.1:8000. Every person in it is invented, except one public worked example."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--no-serve", action="store_true", help="Only build the instance.")
        parser.add_argument(
            "--persons", type=int, default=2000, help="Number of person records (default 2000)."
        )
        parser.add_argument(
            "--seed", type=int, default=20121, help="Random seed (the corpus is deterministic)."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete all data and build the corpus again."
        )
        parser.add_argument(
            "--repeat-arrests",
            type=float,
            default=0.0,
            help="Share of arrested people caught again, each time (default 0; the large benchmark uses 0.48).",
        )
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Address to serve on.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if settings.HAVEN_MODE == "production":
            raise CommandError(
                "haven demo refuses to run in production mode: it would mix synthetic data with real records."
            )
        if not 0 <= options["repeat_arrests"] < 1:
            raise CommandError("--repeat-arrests must be at least 0 and below 1")
        if options["persons"] < 50:
            raise CommandError("--persons must be at least 50")
        started = time.monotonic()
        marker = settings.HAVEN_HOME / DEMO_MARKER
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            "Built by 'haven demo': synthetic data only. Commands here run in demo mode.\n", encoding="utf-8"
        )
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        call_command("load_vocabularies", stdout=self.stdout)
        call_command("load_gazetteer", stdout=self.stdout)
        call_command("reference", "load", stdout=self.stdout)
        if Organisation.objects.filter(code="hanbit").exists():
            self.stdout.write("Demo data already present (use --reset to build it again).")
        else:
            self.stdout.write(
                f"Building the synthetic corpus: {options['persons']} persons, seed {options['seed']}…"
            )
            builder = DemoBuilder(
                persons=options["persons"],
                seed=options["seed"],
                repeat_arrests=options["repeat_arrests"],
                progress=self.stdout.write,
            )
            counts = builder.build()
            hanbit = Organisation.objects.get(code="hanbit")
            add_worked_example(
                hanbit,
                Compartment.objects.get(code="hanbit-public"),
                {key: code for key, (_, code) in CODES.items()},
            )
            call_command("web_search_index", stdout=self.stdout)
            # Bulk loads leave the planner without statistics; PostgreSQL then picks terrible plans.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(
                f"Built {counts['persons']} persons, {counts['events']} events, {counts['acts']} acts "
                f"in {time.monotonic() - started:.1f} s."
            )
        password = self._password()
        totp_secrets = ensure_demo_accounts(password)
        add_demo_cases(progress=self.stdout.write)  # needs the demo case worker, made just above
        self._report_size()
        url = f"http://{options['addr']}/"
        lines = [
            f"\nHaven demo is ready at {url}  (all people in it are synthetic)",
            f"Every demo account has the password: {password}   (kept in {self._credentials_file()})",
            "Accounts (user name, role, compartments):",
        ]
        for account in DEMO_ACCOUNTS:
            lines.append(
                f"  {account.username:<11} {account.role:<14} {', '.join(account.compartments) or '-'}"
            )
        lines.append(
            "Roles that see identifying data also need a two-factor code. Add the secret to an authenticator app,"
        )
        lines.append("or print the current code with:  python3 dev.py haven totp_code USERNAME")
        for username, secret in totp_secrets.items():
            lines.append(f"  {username:<11} TOTP secret {secret}")
        self.stdout.write(self.style.SUCCESS("\n".join(lines) + "\n"))
        if not options["no_serve"]:
            sys.stdout.flush()
            call_command("runserver", options["addr"], "--insecure", "--noreload", use_threading=True)

    def _credentials_file(self) -> Path:
        return settings.HAVEN_HOME / "demo-credentials.txt"

    def _password(self) -> str:
        file = self._credentials_file()
        if file.exists():
            return file.read_text(encoding="utf-8").strip()
        password = new_password()
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
