"""The ``haven`` console command: a front for Haven's Django management commands.

``haven demo`` runs in demo mode (secrets generated into ``$HAVEN_HOME/keys``), and so does every command
run against an instance that ``haven demo`` built (it leaves a marker file in ``$HAVEN_HOME``). Everything
else runs in the mode given by ``HAVEN_MODE``: production unless told otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEMO_MARKER = "DEMO-INSTANCE"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    home = Path(os.environ.get("HAVEN_HOME", "var"))
    if (args and args[0] == "demo") or ("DATABASE_URL" not in os.environ and (home / DEMO_MARKER).exists()):
        os.environ.setdefault("HAVEN_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["haven", *args])


if __name__ == "__main__":
    main()
