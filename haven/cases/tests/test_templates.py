"""The case templates keep the Content Security Policy strict: no inline script, style or event handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.html"))
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
    re.compile(r"https?://", re.IGNORECASE),  # nothing loaded or linked from outside the server
]


def test_it_has_templates_to_check() -> None:
    assert len(TEMPLATES) >= 7


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_it_has_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    for pattern in INLINE:
        assert not pattern.search(text), (template.name, pattern.pattern)
