"""Text helpers: XML escaping, width estimates for layout, number formatting."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from html import escape

#: Fonts tried in order: Hangul and Han glyphs come from Debian's fonts-nanum and fonts-wqy-microhei.
FONT_FAMILY = (
    "NanumGothic, 'Nanum Gothic', 'WenQuanYi Micro Hei', 'Noto Sans CJK KR', 'DejaVu Sans', sans-serif"
)

NumberFormat = Callable[[float], str]


def esc(text: object) -> str:
    """Return ``text`` escaped for XML character data and attribute values."""
    return escape(str(text), quote=True)


def _char_em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in " .,:;'|!il1()[]":
        return 0.3
    if ch.isdigit():
        return 0.56
    if ch.isupper() or ch in "mwMW%@":
        return 0.68
    return 0.52


def text_width(text: str, font_size: float) -> float:
    """Return an estimate of the rendered width of ``text`` in pixels (Hangul and Han count one em)."""
    return sum(_char_em(ch) for ch in text) * font_size


def truncate(text: str, max_width: float, font_size: float) -> str:
    """Return ``text``, shortened with an ellipsis if its estimated width exceeds ``max_width``."""
    if text_width(text, font_size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", font_size) > max_width:
            break
        out += ch
    return out.rstrip() + "…"


def wrap(text: str, max_width: float, font_size: float) -> list[str]:
    """Return ``text`` broken into lines no wider than ``max_width`` (at spaces, or anywhere for long words)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, font_size) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:  # a word longer than the line (Hangul runs, URLs): break anywhere
                if text_width(line + ch, font_size) > max_width and line:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
    return lines


def format_number(value: float) -> str:
    """Return ``value`` with thousands separators; integers without decimals, others with one or two."""
    if not math.isfinite(value):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def percent(value: float) -> str:
    """Return ``value`` (already in percent) with one decimal and a percent sign."""
    return f"{value:.1f}%"
