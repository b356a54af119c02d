"""Where a backup passphrase comes from: a file, the environment, or the terminal. It is never printed or logged."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from haven.backup.errors import BackupError

MIN_LENGTH = 12
ENV_VAR = "HAVEN_BACKUP_PASSPHRASE"


def passphrase_check(passphrase: str) -> None:
    if len(passphrase) < MIN_LENGTH:
        raise BackupError(
            f"the passphrase is too short: a backup passphrase has at least {MIN_LENGTH} characters"
        )


def passphrase_obtain(*, passphrase_file: str | None, confirm: bool, stdin: TextIO | None = None) -> str:
    """Return the passphrase from ``passphrase_file``, else ``$HAVEN_BACKUP_PASSPHRASE``, else the terminal.

    A file holds the passphrase on its first line (the line end is not part of it). At the terminal it is asked
    twice when ``confirm`` (making a backup), so that a typing mistake does not make an unreadable archive.
    """
    stdin = stdin or sys.stdin
    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BackupError(f"the passphrase file {passphrase_file} cannot be read: {exc}") from None
        lines = text.splitlines()
        passphrase = lines[0] if lines else ""
    elif os.environ.get(ENV_VAR):
        passphrase = os.environ[ENV_VAR]
    elif stdin.isatty():
        passphrase = getpass.getpass("Backup passphrase: ")
        passphrase_check(passphrase)
        if confirm and getpass.getpass("Same passphrase again: ") != passphrase:
            raise BackupError("the two passphrases differ")
    else:
        raise BackupError(
            f"no passphrase: give --passphrase-file PATH, set {ENV_VAR}, or run the command in a terminal"
        )
    passphrase_check(passphrase)
    return passphrase
