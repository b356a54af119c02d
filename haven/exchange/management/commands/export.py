from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from haven.exchange.exporting import (
    DISCLOSURE_MODES,
    LEVELS,
    QUASI_IDENTIFIERS,
    ExportError,
    ExportRefused,
    disclosure_message,
    export_data,
    passphrase_from,
)
from haven.exchange.management.commands._common import acting_user
from haven.exchange.spreadsheet import FORMATS


class Command(BaseCommand):
    help = (
        "Export records a user may see, checked against their policy and audited: "
        "haven export --level full|pseudonymised|aggregate|multilist --user USERNAME --out FILE "
        "[--compartment CODE ...] [--format csv|xlsx|json]. A full export is encrypted under a passphrase "
        "(--passphrase-file or HAVEN_EXPORT_PASSPHRASE). This command is for the server operator acting for a "
        "named user: it checks that user's policy, but cannot ask for their password (sudo mode is the web UI's)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--level", required=True, choices=LEVELS)
        parser.add_argument("--user", help="the user the export is made for")
        parser.add_argument("--out", required=True)
        parser.add_argument(
            "--compartment", action="append", dest="compartments", help="repeatable; default all granted"
        )
        parser.add_argument("--format", default="csv", choices=FORMATS)
        parser.add_argument("--passphrase-file", help="full: a file whose first line is the passphrase")
        parser.add_argument(
            "--recipient",
            help="pseudonymised: the recipient; pseudonyms stay the same across exports to the same recipient "
            "(without it they are random for this export)",
        )
        parser.add_argument(
            "--include-free-text", action="store_true", help="pseudonymised: include free text"
        )
        parser.add_argument("--clusters", help="multilist: CSV with source,record_id,cluster_id")
        parser.add_argument(
            "--strata", default="", help="multilist: e.g. sex,exit_year,birth_year,origin_province"
        )
        parser.add_argument(
            "--disclosure",
            default="refuse",
            choices=DISCLOSURE_MODES,
            help=f"pseudonymised: when a combination of {','.join(QUASI_IDENTIFIERS)} is shared by fewer than 5 "
            "persons, refuse (default: nothing is written, the persons are named) or release anyway (for a "
            "recipient bound by agreement)",
        )
        parser.add_argument(
            "--coarsen",
            default="",
            help="pseudonymised: generalise before checking, e.g. birth_year,exit_year (5-year bands, periods)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        with translation.override(getattr(user, "preferred_language", None) or "en"):
            try:
                passphrase = (
                    passphrase_from(options["passphrase_file"]) if options["level"] == "full" else None
                )
                result = export_data(
                    actor=user,
                    level=options["level"],
                    out=options["out"],
                    fmt=options["format"],
                    compartments=options["compartments"],
                    passphrase=passphrase,
                    recipient=options["recipient"],
                    include_free_text=options["include_free_text"],
                    clusters=options["clusters"],
                    strata=options["strata"].split(",") if options["strata"] else [],
                    disclosure=options["disclosure"],
                    coarsen=options["coarsen"].split(",") if options["coarsen"] else [],
                )
            except (ExportRefused, ExportError) as exc:
                raise CommandError(str(exc)) from None
            rows = ", ".join(f"{name} {n}" for name, n in result.counts.items())
            self.stdout.write(
                _("Exported (%(level)s) to %(path)s: %(rows)s; SHA-256 %(sha)s")
                % {"level": result.level, "path": result.path, "rows": rows, "sha": result.sha256}
            )
            if result.disclosure is not None:
                self.stdout.write(disclosure_message(result.disclosure))
