from __future__ import annotations


class BackupError(Exception):
    """A backup or restore was refused or failed; the message is one line for the operator."""
