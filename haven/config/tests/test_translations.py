"""Korean throughout: every catalog is complete, compiled, and agrees with the others.

Django merges the catalogs of all apps, and for a message in several of them the first app listed wins; two
apps translating the same English differently would make one of them show the other's wording.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

import haven

CATALOGS = sorted(Path(haven.__file__).parent.glob("**/locale/ko/LC_MESSAGES/django.po"))
_STRING = r'"((?:[^"\\]|\\.)*)"'


def _entries(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, translations, fuzzy) of each entry but the header and obsolete ones."""
    out = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        text = "\n".join(lines)
        found = re.search(r"^msgid ((?:\".*\"\n?)+)", text, re.M)
        if not found:
            continue
        msgid = "".join(re.findall(_STRING, found.group(1)))
        if not msgid:
            continue
        strs = [
            "".join(re.findall(_STRING, m.group(1)))
            for m in re.finditer(r"^msgstr(?:\[\d+\])? ((?:\".*\"\n?)+)", text, re.M)
        ]
        out.append((msgid, strs, "#, fuzzy" in block))
    return out


def test_there_are_catalogs() -> None:
    assert len(CATALOGS) >= 5, CATALOGS


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    missing = [
        f"{path.relative_to(path.parents[4])}: {msgid!r}"
        for path in CATALOGS
        for msgid, strs, fuzzy in _entries(path)
        if fuzzy or not strs or not all(strs)
    ]
    assert not missing, "untranslated or fuzzy:\n" + "\n".join(missing[:50])


def test_catalogs_agree_on_shared_messages() -> None:
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for path in CATALOGS:
        for msgid, strs, _fuzzy in _entries(path):
            if len(strs) == 1 and strs[0]:
                seen[msgid][str(path.parents[3].name)] = strs[0]
    conflicts = {msgid: by_app for msgid, by_app in seen.items() if len(set(by_app.values())) > 1}
    assert not conflicts, conflicts


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (Debian: gettext)")
def test_compiled_catalogs_match_their_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stale = []
    for path in CATALOGS:
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(path)], check=True)
        if fresh.read_bytes() != path.with_suffix(".mo").read_bytes():
            stale.append(str(path))
    assert not stale, f"recompile with msgfmt: {stale}"
