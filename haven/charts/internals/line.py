"""Line charts: one or several series over ordered categories (years, months), gaps where values are missing."""

from __future__ import annotations

from collections.abc import Sequence

from .bar import _domain
from .scale import Linear, nice_ticks
from .svg import (
    AXIS,
    FONT_SIZE,
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
from .text import NumberFormat, esc, format_number, text_width


def line_chart(
    categories: Sequence[str],
    series: Series | Sequence[Series],
    *,
    title: str,
    description: str = "",
    value_label: str = "",
    category_label: str = "",
    note: str = "",
    width: float = 640,
    height: float = 360,
    number_format: NumberFormat = format_number,
    value_min: float | None = None,
    value_max: float | None = None,
    value_ticks: Sequence[tuple[float, str]] | None = None,
    include_zero: bool = True,
    step: bool = False,
    markers: bool = True,
    separate: bool = False,
    show_title: bool = True,
    lang: str | None = None,
    id_prefix: str | None = None,
) -> str:
    """Return a line chart as a standalone, accessible SVG document (a string starting with ``<svg``).

    Points are equally spaced along the category axis, in the order given. A ``None`` value breaks the line:
    nothing is interpolated across a gap.

    Args:
        categories: The ordered x-axis labels (e.g. years as strings).
        series: One :class:`Series` or several (one line each, with a legend).
        title: The chart's accessible name (``<title>``), also printed on top unless ``show_title`` is false.
        description: A longer text alternative (``<desc>``).
        value_label: Title of the value axis.
        category_label: Title of the category axis.
        note: Small print under the chart: source, publication date, caveats.
        width: Width in pixels.
        height: Height in pixels.
        number_format: Formats values for ticks and tooltips.
        value_min: Lowest value the axis must show.
        value_max: Highest value the axis must show (e.g. 100 for percentages).
        value_ticks: Explicit (value, label) ticks for an ordinal scale (e.g. TIP tiers); the axis then spans
            exactly these ticks.
        include_zero: Start the value axis at zero (unless ``value_ticks`` are given).
        step: Draw a step line (the value holds until the next point), for placements such as tiers.
        markers: Draw a dot at each point (each carries a tooltip with its value).
        separate: Shift each series up or down by a few pixels so that equal values stay visible (for
            placements shared by several series, such as tiers).
        show_title: Print the title inside the image.
        lang: Language of the text, written as ``xml:lang``.
        id_prefix: Prefix for element ids; derived from the content when omitted.

    Raises:
        ValueError: A series has the wrong number of values or a value that is not a finite number.
    """
    items = as_series(series)
    categories = [str(c) for c in categories]
    check_lengths(categories, items)
    n = len(categories)
    if value_ticks:
        ticks = sorted((float(v), str(lb)) for v, lb in value_ticks)
        if len(ticks) < 2:
            raise ValueError("value_ticks needs at least two ticks")
    else:
        values = [v for s in items for v in s.values if v is not None]
        if include_zero:
            low, high = _domain(items, n, stacked=False)
        else:
            low, high = (min(values), max(values)) if values else (0.0, 1.0)
        if value_min is not None:
            low = min(low, value_min)
        if value_max is not None:
            high = max(high, value_max)
        ticks = [(t, number_format(t)) for t in nice_ticks(low, high)]
    canvas = Canvas(
        width=width,
        title=title,
        description=description,
        note=note,
        show_title=show_title,
        ident=chart_id(id_prefix, "line", title, categories, [(s.name, list(s.values)) for s in items]),
        lang=lang,
    )
    canvas.draw_title()
    canvas.draw_legend(items, kind="line")
    tick_w = max(text_width(label, FONT_SIZE) for _, label in ticks)
    left = 10 + (FONT_SIZE + 8 if value_label else 0) + tick_w + 8
    right = canvas.width - 18
    band = (right - left) / max(n, 1)
    _, _, labels_h = category_label_layout(categories, band)
    top = canvas.top + 8
    bottom_chrome = labels_h + (FONT_SIZE + 8 if category_label else 0) + canvas.note_height() + 8
    bottom = max(top + 120, height - bottom_chrome)
    value = Linear(ticks[0][0], ticks[-1][0], bottom, top)
    canvas.value_grid(ticks, value, horizontal=False, span=(left, right))
    canvas.add(
        f'<line x1="{fmt(left)}" y1="{fmt(bottom)}" x2="{fmt(right)}" y2="{fmt(bottom)}" stroke="{AXIS}" '
        f'stroke-width="1"/>'
    )
    xs = [left + (i + 0.5) * band for i in range(n)]
    single = len(items) == 1
    for k, s in enumerate(items):
        c = colour(s, k)
        shift = (k - (len(items) - 1) / 2) * 4 if separate else 0.0
        path: list[str] = []
        pen_down = False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            x, y = xs[i], value(v) + shift
            if not pen_down:
                path.append(f"M{fmt(x)} {fmt(y)}")
            elif step:
                path.append(f"H{fmt(x)}V{fmt(y)}")
            else:
                path.append(f"L{fmt(x)} {fmt(y)}")
            pen_down = True
        if path:
            canvas.add(
                f'<path class="line" d="{"".join(path)}" fill="none" stroke="{c}" stroke-width="2.5" '
                f'stroke-linejoin="round"/>'
            )
        if markers:
            dots = []
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                who = categories[i] if single else f"{categories[i]} — {s.name}"
                tip = f"<title>{esc(who)}: {esc(s.label(i, number_format))}</title>"
                dots.append(
                    f'<circle class="point" cx="{fmt(xs[i])}" cy="{fmt(value(v) + shift)}" r="3.5" fill="{c}" '
                    f'stroke="#ffffff" stroke-width="1">{tip}</circle>'
                )
            canvas.add(f'<g class="points">{"".join(dots)}</g>')
    used = draw_category_labels(canvas, categories, xs, bottom, band) if n else FONT_SIZE + 8
    y = bottom + used
    if category_label:
        y += FONT_SIZE + 4
        axis_title(canvas, category_label, x=(left + right) / 2, y=y)
    axis_title(canvas, value_label, x=14 + FONT_SIZE / 2, y=(top + bottom) / 2, rotate=True)
    return canvas.render(canvas.draw_note(y + 4) + 10)
