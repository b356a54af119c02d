from __future__ import annotations

import subprocess
import sys


def test_the_haven_command_fronts_the_management_commands(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "haven.cli", "help"],
        capture_output=True,
        text=True,
        check=False,
        env={"HAVEN_MODE": "test", "HAVEN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    for command in ["demo", "setup", "load_vocabularies", "load_gazetteer"]:
        assert command in result.stdout
