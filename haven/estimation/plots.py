"""Server-side SVG plots of a run: the estimate with its interval per stratum, and the LCMCR trace.

Neither has a counterpart in :mod:`haven.charts` (a dot-and-whisker chart; a line chart on a numeric axis),
so both are drawn here in its manner and with its scales, fonts and palette: one ``<svg role="img">`` with
``<title>`` and ``<desc>``, tooltips on the marks, presentation attributes only and no script, so a plot can
be inlined under the strict CSP, downloaded as a file, or printed by WeasyPrint.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from haven.charts import FONT_FAMILY, PALETTE, format_number, nice_ticks

INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#dddddd"
FONT_SIZE = 12
ROW = 30


@dataclass(frozen=True)
class Interval:
    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    total: bool = False


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text_width(text: str) -> float:
    # Wide (Hangul, Han) characters take about one em, others about 0.6 em.
    return sum(FONT_SIZE * (1.0 if ord(ch) > 0x2E80 else 0.6) for ch in text)


def interval_chart(
    rows: Sequence[Interval],
    *,
    title: str,
    description: str,
    value_label: str,
    no_estimate: str,
    level_label: str,
    width: float = 760,
    lang: str | None = None,
) -> str:
    """Return an SVG dot-and-whisker chart: one row per stratum (and the total), the estimate between its limits.

    An interval without an upper limit (an unbounded estimate) is drawn as an arrow to the right edge; a row
    without an estimate says so in words.
    """
    finite = [v for r in rows for v in (r.estimate, r.lower, r.upper) if v is not None and math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    ticks = nice_ticks(low, high)
    label_w = min(220.0, max([_text_width(r.label) for r in rows] + [40.0]) + 12)
    left, right = 10 + label_w, width - 24
    top = 40.0
    bottom = top + ROW * max(len(rows), 1)
    height = bottom + 48

    def x(value: float) -> float:
        span = ticks[-1] - ticks[0] or 1.0
        return left + (value - ticks[0]) / span * (right - left)

    ident = "ci-" + hashlib.sha256(repr((title, rows)).encode()).hexdigest()[:10]
    lang_attr = f' xml:lang="{_esc(lang)}"' if lang else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'width="{_fmt(width)}" height="{_fmt(height)}" aria-labelledby="{ident}-t {ident}-d" '
        f'font-family="{_esc(FONT_FAMILY)}"{lang_attr}>',
        f'<title id="{ident}-t">{_esc(title)}</title><desc id="{ident}-d">{_esc(description)}</desc>',
        f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(height)}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="{FONT_SIZE + 2}" font-weight="bold" fill="{INK}">{_esc(title)}</text>',
    ]
    grid = []
    for t in ticks:
        gx = x(t)
        grid.append(
            f'<line x1="{_fmt(gx)}" y1="{_fmt(top)}" x2="{_fmt(gx)}" y2="{_fmt(bottom)}" stroke="{GRID}" '
            f'stroke-width="1"/><text x="{_fmt(gx)}" y="{_fmt(bottom + 16)}" font-size="{FONT_SIZE}" '
            f'fill="{MUTED}" text-anchor="middle">{_esc(format_number(t))}</text>'
        )
    out.append(f'<g class="grid" aria-hidden="true">{"".join(grid)}</g>')
    marks = []
    for i, r in enumerate(rows):
        cy = top + ROW * i + ROW / 2
        colour = INK if r.total else PALETTE[0]
        weight = ' font-weight="bold"' if r.total else ""
        marks.append(
            f'<text x="{_fmt(left - 8)}" y="{_fmt(cy + 4)}" font-size="{FONT_SIZE}" fill="{INK}" '
            f'text-anchor="end"{weight}>{_esc(r.label)}</text>'
        )
        if r.estimate is None or not math.isfinite(r.estimate):
            marks.append(
                f'<text x="{_fmt(left + 4)}" y="{_fmt(cy + 4)}" font-size="{FONT_SIZE}" fill="{MUTED}">'
                f"{_esc(no_estimate)}</text>"
            )
            continue
        lo = r.lower if r.lower is not None and math.isfinite(r.lower) else r.estimate
        unbounded = r.upper is None or not math.isfinite(r.upper)
        hi = right if unbounded else x(r.upper)  # type: ignore[arg-type]
        upper_text = "∞" if unbounded else format_number(round(r.upper))  # type: ignore[arg-type]
        tip = (
            f"{r.label}: {format_number(round(r.estimate))} "
            f"({level_label} {format_number(round(lo))}–{upper_text})"
        )
        parts = [
            f"<title>{_esc(tip)}</title>",
            f'<line x1="{_fmt(x(lo))}" y1="{_fmt(cy)}" x2="{_fmt(hi)}" y2="{_fmt(cy)}" stroke="{colour}" '
            f'stroke-width="2.5"/>',
            f'<line x1="{_fmt(x(lo))}" y1="{_fmt(cy - 6)}" x2="{_fmt(x(lo))}" y2="{_fmt(cy + 6)}" '
            f'stroke="{colour}" stroke-width="2"/>',
        ]
        if unbounded:
            parts.append(
                f'<path d="M{_fmt(hi - 8)} {_fmt(cy - 6)} L{_fmt(hi)} {_fmt(cy)} L{_fmt(hi - 8)} {_fmt(cy + 6)}" '
                f'fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            parts.append(
                f'<line x1="{_fmt(hi)}" y1="{_fmt(cy - 6)}" x2="{_fmt(hi)}" y2="{_fmt(cy + 6)}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        shape = "rect" if r.total else "circle"
        ex = x(r.estimate)
        if shape == "rect":
            parts.append(
                f'<rect x="{_fmt(ex - 5)}" y="{_fmt(cy - 5)}" width="10" height="10" fill="{colour}"/>'
            )
        else:
            parts.append(f'<circle cx="{_fmt(ex)}" cy="{_fmt(cy)}" r="5" fill="{colour}"/>')
        marks.append(f'<g class="interval">{"".join(parts)}</g>')
    out.append("".join(marks))
    out.append(
        f'<text x="{_fmt((left + right) / 2)}" y="{_fmt(bottom + 36)}" font-size="{FONT_SIZE}" fill="{INK}" '
        f'text-anchor="middle">{_esc(value_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def trace_chart(
    trace: Sequence[Sequence[int]],
    step: int,
    *,
    title: str,
    description: str,
    chain_label: str,
    value_label: str,
    draw_label: str,
    width: float = 760,
    height: float = 320,
    lang: str | None = None,
) -> str:
    """Return the LCMCR trace of N (one line per chain, draws on a numeric axis) as an SVG chart.

    Drawn here rather than with :func:`haven.charts.line_chart`, whose axis is categorical: with a thousand
    draws it would print a thousand crowded category labels.
    """
    length = min((len(chain) for chain in trace), default=0)
    values = [v for chain in trace for v in chain[:length]]
    low, high = (min(values), max(values)) if values else (0, 1)
    y_ticks = nice_ticks(float(low), float(high))
    x_ticks = [t for t in nice_ticks(0.0, float(max(length * step, 1))) if t <= length * step]
    left, right = 64.0, width - 20
    top, bottom = 56.0, height - 52

    def x(draw: float) -> float:
        return left + draw / max(length * step, 1) * (right - left)

    def y(value: float) -> float:
        span = y_ticks[-1] - y_ticks[0] or 1.0
        return bottom - (value - y_ticks[0]) / span * (bottom - top)

    ident = "tr-" + hashlib.sha256(repr((title, length, step, values[:50])).encode()).hexdigest()[:10]
    lang_attr = f' xml:lang="{_esc(lang)}"' if lang else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'width="{_fmt(width)}" height="{_fmt(height)}" aria-labelledby="{ident}-t {ident}-d" '
        f'font-family="{_esc(FONT_FAMILY)}"{lang_attr}>',
        f'<title id="{ident}-t">{_esc(title)}</title><desc id="{ident}-d">{_esc(description)}</desc>',
        f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(height)}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="{FONT_SIZE + 2}" font-weight="bold" fill="{INK}">{_esc(title)}</text>',
    ]
    axes = []
    for t in y_ticks:
        axes.append(
            f'<line x1="{_fmt(left)}" y1="{_fmt(y(t))}" x2="{_fmt(right)}" y2="{_fmt(y(t))}" stroke="{GRID}" '
            f'stroke-width="1"/><text x="{_fmt(left - 6)}" y="{_fmt(y(t) + 4)}" font-size="{FONT_SIZE}" '
            f'fill="{MUTED}" text-anchor="end">{_esc(format_number(t))}</text>'
        )
    for t in x_ticks:
        axes.append(
            f'<line x1="{_fmt(x(t))}" y1="{_fmt(bottom)}" x2="{_fmt(x(t))}" y2="{_fmt(bottom + 4)}" '
            f'stroke="{MUTED}" stroke-width="1"/><text x="{_fmt(x(t))}" y="{_fmt(bottom + 18)}" '
            f'font-size="{FONT_SIZE}" fill="{MUTED}" text-anchor="middle">{_esc(format_number(t))}</text>'
        )
    out.append(f'<g class="axes" aria-hidden="true">{"".join(axes)}</g>')
    legend_x = 10.0
    for k, chain in enumerate(trace):
        colour = PALETTE[k % len(PALETTE)]
        name = chain_label % {"n": k + 1}
        points = " ".join(f"{_fmt(x((i + 1) * step))},{_fmt(y(v))}" for i, v in enumerate(chain[:length]))
        out.append(
            f'<polyline class="chain" points="{points}" fill="none" stroke="{colour}" stroke-width="1.2" '
            f'stroke-opacity="0.85" stroke-linejoin="round"><title>{_esc(name)}</title></polyline>'
        )
        out.append(
            f'<line x1="{_fmt(legend_x)}" y1="38" x2="{_fmt(legend_x + 18)}" y2="38" stroke="{colour}" '
            f'stroke-width="3"/><text x="{_fmt(legend_x + 24)}" y="42" font-size="{FONT_SIZE}" '
            f'fill="{INK}">{_esc(name)}</text>'
        )
        legend_x += 24 + _text_width(name) + 18
    out.append(
        f'<line x1="{_fmt(left)}" y1="{_fmt(bottom)}" x2="{_fmt(right)}" y2="{_fmt(bottom)}" stroke="{MUTED}" '
        f'stroke-width="1"/>'
        f'<text x="{_fmt((left + right) / 2)}" y="{_fmt(bottom + 40)}" font-size="{FONT_SIZE}" fill="{INK}" '
        f'text-anchor="middle">{_esc(draw_label)}</text>'
        f'<text x="16" y="{_fmt((top + bottom) / 2)}" font-size="{FONT_SIZE}" fill="{INK}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_fmt((top + bottom) / 2)})">{_esc(value_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
