#!/usr/bin/env python3
"""Haven's one-command entry points for a fresh machine (Python 3.11+, nothing else installed).

    python3 dev.py demo [ARGS]   create .venv, install Haven, build the demo instance and serve it
    python3 dev.py test [ARGS]   create .venv, install Haven with its test tools, run the whole test suite
    python3 dev.py lint          ruff check
    python3 dev.py haven ARGS    run any haven command inside the virtual environment

Dependencies are pinned by constraints.txt. Installation is skipped when pyproject.toml and
constraints.txt have not changed since the last install into the same .venv.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HAVEN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _install(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit(f"Haven needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not _python().exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    inputs = (
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes() + extras.encode()
    )
    stamp = VENV / f".haven-installed-{extras or 'base'}"
    digest = hashlib.sha256(inputs).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing Haven{'[' + extras + ']' if extras else ''} and its pinned dependencies …", flush=True)
    pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "lint", "haven"}:
        print(__doc__)
        return 2
    command, args = sys.argv[1], sys.argv[2:]
    if command == "demo":
        _install("")
        return subprocess.call([str(BIN / "haven"), "demo", *args], cwd=ROOT)
    if command == "haven":
        _install("")
        return subprocess.call([str(BIN / "haven"), *args], cwd=ROOT)
    _install("dev")
    if command == "lint":
        return subprocess.call([str(BIN / "ruff"), "check", "."], cwd=ROOT)
    return subprocess.call([str(_python()), "-m", "pytest", *args], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
