"""Settings fail closed: production needs its secrets, and DEBUG cannot be switched on there."""

from __future__ import annotations

import os
import subprocess
import sys


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "DJANGO_"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='haven.config.settings'; django.setup()",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = _check({"HAVEN_HOME": str(tmp_path)})
    assert result.returncode != 0
    assert "HAVEN_SECRET_KEY is not set" in result.stderr


def test_production_without_a_master_key_refuses_to_start(tmp_path):
    result = _check({"HAVEN_HOME": str(tmp_path), "HAVEN_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "HAVEN_MASTER_KEY is not set" in result.stderr


def test_production_with_its_secrets_starts_and_debug_is_off(tmp_path):
    key_file = tmp_path / "master"
    key_file.write_text("m" * 44)
    env = {"HAVEN_HOME": str(tmp_path), "HAVEN_SECRET_KEY": "x" * 50, "HAVEN_MASTER_KEY_FILE": str(key_file)}
    result = _check(env)
    assert result.returncode == 0, result.stderr
    debug = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='haven.config.settings';"
            "django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "DJANGO_"))}, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert debug.stdout.strip() == "False"


def test_debug_cannot_be_switched_on_in_production(tmp_path):
    result = _check(
        {
            "HAVEN_HOME": str(tmp_path),
            "HAVEN_SECRET_KEY": "x" * 50,
            "HAVEN_MASTER_KEY": "m" * 44,
            "HAVEN_DEBUG": "1",
        }
    )
    assert result.returncode != 0
    assert "HAVEN_DEBUG may not be on in production" in result.stderr


def test_demo_mode_creates_its_secrets_once_in_haven_home(tmp_path):
    env = {"HAVEN_HOME": str(tmp_path), "HAVEN_MODE": "demo"}
    assert _check(env).returncode == 0
    first = (tmp_path / "keys" / "master.key").read_text()
    assert _check(env).returncode == 0
    assert (tmp_path / "keys" / "master.key").read_text() == first
    assert oct((tmp_path / "keys" / "master.key").stat().st_mode & 0o777) == "0o600"
