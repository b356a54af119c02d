"""Bar charts: vertical or horizontal, one series or several, grouped side by side or stacked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .scale import Linear, nice_ticks
from .svg import (
    AXIS,
    FONT_SIZE,
    INK,
    Canvas,
    Series,
    as_series,
    axis_title,
    category_label_layout,
    chart_id,
    check_lengths,
    colour,
    draw_category_labels,
    fmt,
)
from .text import NumberFormat, esc, format_number, text_width, truncate

Orientation = Literal["vertical", "horizontal"]


def _domain(series: Sequence[Series], n: int, stacked: bool) -> tuple[float, float]:
    if stacked:
        highs = [sum(v for s in series if (v := s.values[i]) is not None and v > 0) for i in range(n)]
        lows = [sum(v for s in series if (v := s.values[i]) is not None and v < 0) for i in range(n)]
        return min([0.0, *lows]), max([0.0, *highs])
    values = [v for s in series for v in s.values if v is not None]
    return min([0.0, *values]), max([0.0, *values])


def _tip(category: str, series: Series, single: bool, text: str) -> str:
    who = category if single else f"{category} — {series.name}"
    return f"<title>{esc(who)}: {esc(text)}</title>"


def bar_chart(
    categories: Sequence[str],
    series: Series | Sequence[Series],
    *,
    title: str,
    description: str = "",
    orientation: Orientation = "vertical",
    stacked: bool = False,
    value_label: str = "",
    category_label: str = "",
    note: str = "",
    width: float = 640,
    height: float = 360,
    show_values: bool | None = None,
    number_format: NumberFormat = format_number,
    value_max: float | None = None,
    show_title: bool = True,
    lang: str | None = None,
    id_prefix: str | None = None,
) -> str:
    """Return a bar chart as a standalone, accessible SVG document (a string starting with ``<svg``).

    Args:
        categories: One label per bar (or group of bars).
        series: One :class:`Series` or several; with several, bars are grouped or ``stacked``.
        title: The chart's accessible name (``<title>``), also printed on top unless ``show_title`` is false.
        description: A longer text alternative (``<desc>``): what the chart shows and its main finding.
        orientation: ``"vertical"`` (columns) or ``"horizontal"`` (bars; better for long category names).
        stacked: Stack the series in one bar per category instead of grouping them side by side.
        value_label: Title of the value axis (e.g. "People").
        category_label: Title of the category axis (e.g. "Year").
        note: Small print under the chart: source, publication date, caveats.
        width: Width in pixels. Horizontal charts grow in height with the number of categories.
        height: Height in pixels of a vertical chart (ignored for horizontal ones).
        show_values: Print each value at the end of its bar (stack totals when stacked); by default when
            there are at most 24 bars.
        number_format: Formats values for labels, ticks and tooltips.
        value_max: Extend the value axis to at least this value (e.g. 100 for percentages).
        show_title: Print the title inside the image (the accessible title is always there).
        lang: Language of the text (``"ko"``, ``"en"``), written as ``xml:lang``.
        id_prefix: Prefix for element ids; derived from the content when omitted.

    Raises:
        ValueError: A series has the wrong number of values or a value that is not a finite number.
    """
    items = as_series(series)
    categories = [str(c) for c in categories]
    check_lengths(categories, items)
    if orientation not in ("vertical", "horizontal"):
        raise ValueError(f"orientation must be 'vertical' or 'horizontal', not {orientation!r}")
    n = len(categories)
    grouped = len(items) > 1 and not stacked
    bars = n * (len(items) if grouped else 1)
    if show_values is None:
        show_values = bars <= 24
    low, high = _domain(items, n, stacked)
    if value_max is not None:
        high = max(high, value_max)
    tick_values = nice_ticks(low, high)
    ticks = [(t, number_format(t)) for t in tick_values]
    canvas = Canvas(
        width=width,
        title=title,
        description=description,
        note=note,
        show_title=show_title,
        ident=chart_id(id_prefix, "bar", title, categories, [(s.name, list(s.values)) for s in items]),
        lang=lang,
    )
    canvas.draw_title()
    canvas.draw_legend(items)
    if n == 0:
        canvas.add(f'<text x="10" y="{fmt(canvas.top + 20)}" font-size="{FONT_SIZE}" fill="{INK}">–</text>')
        return canvas.render(canvas.draw_note(canvas.top + 30) + 10)
    if orientation == "vertical":
        total = _vertical(canvas, categories, items, ticks, grouped, stacked, show_values, number_format,
                          value_label, category_label, height)  # fmt: skip
    else:
        total = _horizontal(canvas, categories, items, ticks, grouped, stacked, show_values, number_format,
                            value_label, category_label)  # fmt: skip
    return canvas.render(total)


def _bar_marks(
    canvas: Canvas,
    categories: Sequence[str],
    items: Sequence[Series],
    *,
    grouped: bool,
    stacked: bool,
    show_values: bool,
    number_format: NumberFormat,
    band_start: float,
    band: float,
    value: Linear,
    vertical: bool,
) -> None:
    """Draw the bars (and value labels) along the category axis."""
    single = len(items) == 1
    inner = band * (0.72 if grouped else 0.64)
    offset = (band - inner) / 2
    zero = value(0)
    parts: list[str] = []
    labels: list[str] = []

    def rect(c0: float, thickness: float, v0: float, v1: float, fill: str, tip: str) -> str:
        a, b = sorted((value(v0), value(v1)))
        length = max(b - a, 0.5 if v1 != v0 else 0.0)
        if vertical:
            return (
                f'<rect class="bar" x="{fmt(c0)}" y="{fmt(a)}" width="{fmt(thickness)}" height="{fmt(length)}" '
                f'fill="{fill}">{tip}</rect>'
            )
        return (
            f'<rect class="bar" x="{fmt(a)}" y="{fmt(c0)}" width="{fmt(length)}" height="{fmt(thickness)}" '
            f'fill="{fill}">{tip}</rect>'
        )

    def label(c_mid: float, end: float, text: str, negative: bool) -> str:
        if not text:
            return ""
        if vertical:
            y = end + (FONT_SIZE + 2 if negative else -4)
            return (
                f'<text class="value" x="{fmt(c_mid)}" y="{fmt(y)}" font-size="{FONT_SIZE - 1}" fill="{INK}" '
                f'text-anchor="middle">{esc(text)}</text>'
            )
        x = end + (-4 if negative else 4)
        anchor = "end" if negative else "start"
        return (
            f'<text class="value" x="{fmt(x)}" y="{fmt(c_mid + 4)}" font-size="{FONT_SIZE - 1}" fill="{INK}" '
            f'text-anchor="{anchor}">{esc(text)}</text>'
        )

    for i, category in enumerate(categories):
        start = band_start + i * band + offset
        if stacked:
            pos = neg = 0.0
            for k, s in enumerate(items):
                v = s.values[i]
                if v is None:
                    continue
                base = pos if v >= 0 else neg
                parts.append(rect(start, inner, base, base + v, colour(s, k),
                                  _tip(category, s, single, s.label(i, number_format))))  # fmt: skip
                if v >= 0:
                    pos += v
                else:
                    neg += v
            if show_values and any(s.values[i] is not None for s in items):
                text = number_format(pos + neg)
                end = value(pos) if pos + neg >= 0 else value(neg)
                labels.append(label(start + inner / 2, end, text, pos + neg < 0))
            continue
        width = inner / len(items) if grouped else inner
        for k, s in enumerate(items):
            c0 = start + k * width if grouped else start
            v = s.values[i]
            text = s.label(i, number_format)
            if v is not None:
                parts.append(rect(c0, width * 0.94 if grouped else width, 0, v, colour(s, k),
                                  _tip(category, s, single, text)))  # fmt: skip
            if show_values and text:
                negative = v is not None and v < 0
                end = value(v) if v is not None else zero
                labels.append(label(c0 + width / 2, end, text, negative))
    canvas.add(f'<g class="bars">{"".join(parts)}</g>')
    if labels:
        canvas.add(f'<g class="values" aria-hidden="true">{"".join(labels)}</g>')


def _vertical(
    canvas: Canvas,
    categories: Sequence[str],
    items: Sequence[Series],
    ticks: Sequence[tuple[float, str]],
    grouped: bool,
    stacked: bool,
    show_values: bool,
    number_format: NumberFormat,
    value_label: str,
    category_label: str,
    height: float,
) -> float:
    tick_w = max(text_width(label, FONT_SIZE) for _, label in ticks)
    left = 10 + (FONT_SIZE + 8 if value_label else 0) + tick_w + 8
    right = canvas.width - 14
    band = (right - left) / len(categories)
    _, _, labels_h = category_label_layout(categories, band)
    top = canvas.top + (FONT_SIZE + 4 if show_values else 6)
    bottom_chrome = labels_h + (FONT_SIZE + 8 if category_label else 0) + canvas.note_height() + 8
    bottom = max(top + 120, height - bottom_chrome)
    value = Linear(ticks[0][0], ticks[-1][0], bottom, top)
    canvas.value_grid(ticks, value, horizontal=False, span=(left, right))
    _bar_marks(canvas, categories, items, grouped=grouped, stacked=stacked, show_values=show_values,
               number_format=number_format, band_start=left, band=band, value=value, vertical=True)  # fmt: skip
    zero = value(0)
    canvas.add(
        f'<line x1="{fmt(left)}" y1="{fmt(zero)}" x2="{fmt(right)}" y2="{fmt(zero)}" stroke="{AXIS}" '
        f'stroke-width="1"/>'
    )
    centres = [left + (i + 0.5) * band for i in range(len(categories))]
    used = draw_category_labels(canvas, categories, centres, bottom, band)
    y = bottom + used
    if category_label:
        y += FONT_SIZE + 4
        axis_title(canvas, category_label, x=(left + right) / 2, y=y)
    axis_title(canvas, value_label, x=14 + FONT_SIZE / 2, y=(top + bottom) / 2, rotate=True)
    return canvas.draw_note(y + 4) + 10


def _horizontal(
    canvas: Canvas,
    categories: Sequence[str],
    items: Sequence[Series],
    ticks: Sequence[tuple[float, str]],
    grouped: bool,
    stacked: bool,
    show_values: bool,
    number_format: NumberFormat,
    value_label: str,
    category_label: str,
) -> float:
    max_label = canvas.width * 0.38
    shown = [truncate(c, max_label, FONT_SIZE) for c in categories]
    label_w = max(text_width(c, FONT_SIZE) for c in shown)
    left = 10 + (FONT_SIZE + 8 if category_label else 0) + label_w + 8
    value_w = 0.0
    if show_values:
        value_w = max(
            (text_width(s.label(i, number_format), FONT_SIZE) for s in items for i in range(len(categories))),
            default=0.0,
        )
        if stacked:
            value_w = max(value_w, text_width(number_format(ticks[-1][0]), FONT_SIZE))
    right = canvas.width - 14 - value_w
    band = max(22.0, 13.0 * len(items) + 10) if grouped else 24.0
    top = canvas.top + 4
    bottom = top + band * len(categories)
    value = Linear(ticks[0][0], ticks[-1][0], left, right)
    canvas.value_grid(ticks, value, horizontal=True, span=(top, bottom))
    _bar_marks(canvas, categories, items, grouped=grouped, stacked=stacked, show_values=show_values,
               number_format=number_format, band_start=top, band=band, value=value, vertical=False)  # fmt: skip
    zero = value(0)
    canvas.add(
        f'<line x1="{fmt(zero)}" y1="{fmt(top)}" x2="{fmt(zero)}" y2="{fmt(bottom)}" stroke="{AXIS}" '
        f'stroke-width="1"/>'
    )
    parts = []
    for i, (full, text) in enumerate(zip(categories, shown, strict=True)):
        y = top + (i + 0.5) * band + 4
        tip = f"<title>{esc(full)}</title>" if text != full else ""
        parts.append(
            f'<text x="{fmt(left - 6)}" y="{fmt(y)}" font-size="{FONT_SIZE}" fill="{INK}" text-anchor="end">'
            f"{esc(text)}{tip}</text>"
        )
    canvas.add(f'<g class="category-axis">{"".join(parts)}</g>')
    axis_title(canvas, category_label, x=14 + FONT_SIZE / 2, y=(top + bottom) / 2, rotate=True)
    y = bottom + FONT_SIZE + 8
    if value_label:
        y += FONT_SIZE + 6
        axis_title(canvas, value_label, x=(left + right) / 2, y=y)
    return canvas.draw_note(y + 4) + 10
