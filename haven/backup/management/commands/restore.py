from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.backup.errors import BackupError
from haven.backup.management.commands._output import count_text, size_text
from haven.backup.passphrase import passphrase_obtain
from haven.backup.services import VENDOR_NAMES, backup_restore, manifest_totals


def describe(manifest: dict[str, Any]) -> str:
    totals = manifest_totals(manifest)
    return (
        f"made {manifest['created_at']} by Haven {manifest['haven_version']} (archive id {manifest['archive_id']}): "
        f"{VENDOR_NAMES[manifest['db_vendor']]} database of {totals['tables']} tables and {totals['rows']} rows, "
        f"{count_text(totals['files'], 'file')} ({size_text(totals['file_bytes'])})"
    )


class Command(BaseCommand):
    help = (
        "Replace this instance (database, files, keys) with the backup in FILE. The whole archive is decrypted "
        "and verified first: a damaged, altered or truncated archive, or a wrong passphrase, changes nothing. "
        "Stop Haven's other processes first."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="The archive to restore.")
        parser.add_argument(
            "--passphrase-file", metavar="PATH", help="Read the passphrase from the first line of PATH."
        )
        parser.add_argument(
            "--into-empty-only", action="store_true",
            help="Refuse unless the database has no tables and the files directory is empty (a new instance).",
        )  # fmt: skip
        parser.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive",
            help="Do not ask for confirmation at the terminal.",
        )  # fmt: skip

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        def confirm(manifest: dict[str, Any]) -> bool:
            self.stdout.write(f"Verified {options['file']}: {describe(manifest)}.")
            if not (options["interactive"] and sys.stdin.isatty()):
                return True
            answer = input("Replace this instance's database, files and keys with it? Type 'yes' to go on: ")
            return answer.strip().lower() == "yes"

        try:
            passphrase = passphrase_obtain(passphrase_file=options["passphrase_file"], confirm=False)
            report = backup_restore(
                path=Path(options["file"]), passphrase=passphrase,
                into_empty_only=options["into_empty_only"], confirm=confirm,
            )  # fmt: skip
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        totals = manifest_totals(report.manifest)
        self.stdout.write(
            f"Restored the database ({totals['tables']} tables, {totals['rows']} rows) and "
            f"{count_text(totals['files'], 'file')}."
        )
        for line in report.keys or ["keys: the configured keys are the backup's"]:
            self.stdout.write(line)
        if report.audit_chain is None:
            self.stdout.write("audit chain: not checked (this Haven has no audit chain verification)")
        elif report.audit_chain_ok is False:
            self.stderr.write(f"WARNING: {report.audit_chain} (as it was in the backup)")
        else:
            self.stdout.write(report.audit_chain)
        for note in report.notes:
            self.stdout.write(note)
