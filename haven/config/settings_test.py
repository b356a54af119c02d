"""Test settings: the production settings module in test mode, with fast hashing and a throw-away home."""

from __future__ import annotations

import os
import tempfile

os.environ["HAVEN_MODE"] = "test"
os.environ.setdefault("HAVEN_HOME", tempfile.mkdtemp(prefix="haven-test-"))

from haven.config.settings import *  # noqa: E402,F403

# Argon2 at production cost would dominate the suite's runtime; the hasher itself is tested separately.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
