from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haven.backup.errors import BackupError
from haven.backup.management.commands._output import size_text
from haven.backup.passphrase import passphrase_obtain
from haven.backup.services import VENDOR_NAMES, backup_create, manifest_totals


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of this instance (database, files, keys) to FILE. The passphrase comes from "
        "--passphrase-file, $HAVEN_BACKUP_PASSPHRASE or the terminal (at least 12 characters)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="The archive to write (e.g. haven-2026-01-31.hvb).")
        parser.add_argument(
            "--passphrase-file", metavar="PATH", help="Read the passphrase from the first line of PATH."
        )
        parser.add_argument("--force", action="store_true", help="Overwrite FILE if it exists.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            passphrase = passphrase_obtain(passphrase_file=options["passphrase_file"], confirm=True)
            report = backup_create(path=Path(options["file"]), passphrase=passphrase, force=options["force"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        manifest = report.manifest
        totals = manifest_totals(manifest)
        vendor = VENDOR_NAMES[manifest["db_vendor"]]
        self.stdout.write(
            f"Backup written to {report.path} ({size_text(report.size)}), archive id {manifest['archive_id']}."
        )
        self.stdout.write(f"  database ({vendor}): {totals['tables']} tables, {totals['rows']} rows")
        if options["verbosity"] > 1:
            for table, count in sorted(manifest["database"]["tables"].items()):
                self.stdout.write(f"    {table}: {count}")
        self.stdout.write(f"  files: {totals['files']} ({size_text(totals['file_bytes'])})")
        if manifest["skipped"]:
            self.stdout.write(
                f"  skipped: {manifest['skipped']} symbolic links, special files or files that disappeared meanwhile"
            )
        self.stdout.write("  keys: the master key and the Django secret key, protected by the passphrase")
        for warning in report.warnings:
            self.stderr.write(warning)
        self.stdout.write("Keep the passphrase apart from the archive: without it the backup cannot be read.")
