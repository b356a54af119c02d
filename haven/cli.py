"""The ``haven`` console command: a front for Haven's Django management commands.

``haven demo`` runs in demo mode (secrets generated into ``$HAVEN_HOME/keys``); every other command runs in
the mode given by ``HAVEN_MODE`` (production unless told otherwise).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "demo":
        os.environ.setdefault("HAVEN_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["haven", *args])


if __name__ == "__main__":
    main()
