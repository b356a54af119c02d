from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from haven.accounts.models import Compartment, Organisation
from haven.exchange.importing import ImportRefused, import_file
from haven.exchange.management.commands._common import acting_user
from haven.exchange.mapping import MappingError
from haven.exchange.models import ColumnMapping, ImportKind, ImportStatus
from haven.exchange.readers import ImportFileError


class Command(BaseCommand):
    help = (
        "Import persons, events with their acts, or assistance cases from a CSV, XLSX or JSON file: "
        "haven import FILE --kind persons|events|cases --source ORGANISATION --compartment CODE --user USERNAME "
        "[--mapping NAME] [--dry-run] [--skip-invalid] [--rejected OUT.csv] [--encoding NAME]. "
        "All or nothing unless --skip-invalid; re-importing a file updates changed records and skips the rest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument(
            "--source", required=True, help="code of the organisation that documented the records"
        )
        parser.add_argument("--compartment", required=True, help="code of the compartment to import into")
        parser.add_argument(
            "--user",
            help="the acting user (needs IMPORT_DATA, the compartment, and EDIT_RECORDS or, for cases, EDIT_CASES)",
        )
        parser.add_argument("--mapping", help="name of a column mapping saved for the source organisation")
        parser.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, reject the others"
        )
        parser.add_argument("--rejected", help="where rejected rows go (default FILE.rejected.csv)")
        parser.add_argument("--encoding", help="the file's encoding (default: detected: BOM, UTF-8, CP949)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        with translation.override(getattr(user, "preferred_language", None) or "en"):
            self._run(user, options)

    def _run(self, user: Any, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(code=options["source"]).first()
        if organisation is None:
            raise CommandError(_("No organisation %(code)s.") % {"code": options["source"]})
        compartment = Compartment.objects.filter(code=options["compartment"]).first()
        if compartment is None:
            raise CommandError(_("You may not import data into this compartment."))
        mapping = None
        if options["mapping"]:
            mapping = ColumnMapping.objects.filter(
                organisation=organisation, name=options["mapping"], kind=options["kind"]
            ).first()
            if mapping is None:
                raise CommandError(
                    _("No %(kind)s mapping named %(name)s for %(organisation)s.")
                    % {"kind": options["kind"], "name": options["mapping"], "organisation": organisation.code}
                )
        verbosity = int(options["verbosity"])

        def progress(stage: str, n: int) -> None:
            if verbosity > 1:
                self.stderr.write(f"{stage} {n}")
                self.stderr.flush()

        try:
            report = import_file(
                actor=user,
                path=Path(options["file"]),
                kind=options["kind"],
                organisation=organisation,
                compartment=compartment,
                mapping=mapping,
                encoding=options["encoding"],
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                rejected_path=options["rejected"],
                progress=progress,
            )
        except (ImportRefused, ImportFileError, MappingError) as exc:
            raise CommandError(f"{Path(options['file']).name}: {exc}") from None
        for problem in report.problems:
            self.stderr.write(str(problem))
        counts = {
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected_rows),
        }
        if report.status == ImportStatus.DRY_RUN:
            self.stdout.write(
                _(
                    "Dry run, nothing stored: %(rows)s rows; would create %(created)s, update %(updated)s, "
                    "leave %(unchanged)s unchanged; %(rejected)s rows have problems."
                )
                % counts
            )
        elif report.status == ImportStatus.FAILED:
            raise CommandError(
                _(
                    "Nothing imported: %(rejected)s of %(rows)s rows have problems (listed above). "
                    "Correct them, or use --skip-invalid to import the valid rows."
                )
                % counts
            )
        else:
            self.stdout.write(
                _(
                    "Imported %(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                    "%(rejected)s rejected."
                )
                % counts
            )
            if report.rejected_file:
                self.stdout.write(
                    _("Rejected rows, with their reasons: %(path)s") % {"path": report.rejected_file}
                )
