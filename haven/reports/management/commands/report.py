"""``haven report KIND --user USER --out FILE``: make a report as the named user would (policy checked, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from haven.exchange.exporting import ExportError, read_clusters
from haven.exchange.management.commands._common import acting_user
from haven.reports.rendering import RenderError
from haven.reports.services import FORMATS, KINDS, LANGUAGES, ReportError, ReportRefused, report_generate


class Command(BaseCommand):
    help = (
        "Make a report as a named user would: haven report organisation|transit|dossier --user USER --out FILE "
        "[--org ORG] [--country CN|LA|TH|VN|KH|MN] [--person ID] [--from YEAR] [--to YEAR] [--lang ko|en] "
        "[--format pdf|html] [--clusters CLUSTERS.csv]. The user's policy decides what the report may contain; "
        "every report is recorded in the audit log. This command is for the server operator acting for a named "
        "user: it cannot ask for their password (the web interface does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--user", help="the user the report is made for")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--org", help="organisation: its code")
        parser.add_argument("--country", help="transit: ISO 3166 alpha-2 code")
        parser.add_argument("--person", type=int, help="dossier: the person's number")
        parser.add_argument("--from", dest="first_year", type=int, help="first year of the period")
        parser.add_argument("--to", dest="last_year", type=int, help="last year of the period")
        parser.add_argument("--lang", default="en", choices=LANGUAGES)
        parser.add_argument("--format", default="pdf", choices=FORMATS)
        parser.add_argument(
            "--clusters",
            help="organisation: linkage clusters CSV (source,record_id,cluster_id) for the estimate",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        kind = options["kind"]
        missing = {"organisation": "org", "transit": "country", "dossier": "person"}[kind]
        with translation.override(getattr(user, "preferred_language", None) or "en"):
            if options[missing] in (None, ""):
                raise CommandError(
                    _("A %(kind)s report needs --%(option)s.") % {"kind": kind, "option": missing}
                )
            try:
                clusters = read_clusters(Path(options["clusters"])) if options["clusters"] else None
                result = report_generate(
                    actor=user,
                    kind=kind,
                    lang=options["lang"],
                    fmt=options["format"],
                    organisation=options["org"],
                    country=options["country"],
                    person=options["person"],
                    first_year=options["first_year"],
                    last_year=options["last_year"],
                    clusters=clusters,
                    out=options["out"],
                )
            except Http404:
                raise CommandError(_("No such person, or the user may not see them.")) from None
            except (ReportRefused, ReportError, ExportError, RenderError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                _("Report (%(kind)s, %(lang)s) written to %(path)s: %(bytes)s bytes; SHA-256 %(sha)s")
                % {
                    "kind": kind,
                    "lang": options["lang"],
                    "path": options["out"],
                    "bytes": len(result.content),
                    "sha": result.sha256,
                }
            )
