"""A small SVG writer shared by the chart types: the root element, title, legend, notes and axes.

Styling is by presentation attributes only (``fill=``, ``stroke=``, ``font-size=``): a ``<style>`` element or a
``style=""`` attribute would be blocked by Haven's Content Security Policy when the SVG is inlined in a page.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .scale import Linear
from .text import FONT_FAMILY, NumberFormat, esc, text_width, truncate, wrap

#: Okabe–Ito colours, distinguishable with the common forms of colour blindness.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D00", "#000000")
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#dddddd"
AXIS = "#888888"

FONT_SIZE = 12
TITLE_SIZE = 15
NOTE_SIZE = 10


@dataclass(frozen=True)
class Series:
    """One named series of values, one value per category (``None`` for a missing value).

    Attributes:
        name: Shown in the legend and in each mark's tooltip.
        values: The numbers drawn (``None``: nothing is drawn for that category).
        labels: Optional text shown for each value instead of the formatted number, e.g. ``"<5"`` for a
            suppressed small count (draw it with a value of ``None`` so no bar reveals its size).
        color: A CSS colour; taken from the palette when omitted.
    """

    name: str
    values: Sequence[float | None]
    labels: Sequence[str | None] | None = None
    color: str | None = None

    def label(self, index: int, fmt: NumberFormat) -> str:
        if self.labels is not None and index < len(self.labels) and self.labels[index] is not None:
            return str(self.labels[index])
        value = self.values[index]
        return "" if value is None else fmt(value)


def as_series(series: Series | Sequence[Series]) -> list[Series]:
    items = [series] if isinstance(series, Series) else list(series)
    if not items:
        raise ValueError("a chart needs at least one series")
    return items


def check_lengths(categories: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)} categories")
        if s.labels is not None and len(s.labels) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.labels)} labels for {len(categories)} categories")
        for v in s.values:
            if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
                raise ValueError(f"series {s.name!r} has a value that is not a finite number: {v!r}")


def colour(series: Series, index: int) -> str:
    return series.color or PALETTE[index % len(PALETTE)]


def chart_id(prefix: str | None, *parts: object) -> str:
    """Return an id prefix: the given one, or one derived from the chart's content (stable across runs)."""
    if prefix:
        return prefix
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:10]
    return f"chart-{digest}"


def fmt(value: float) -> str:
    """Format a coordinate compactly."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """Accumulate SVG elements and lay out the chrome (title, legend, note) around a plot area."""

    def __init__(
        self,
        *,
        width: float,
        title: str,
        description: str,
        note: str,
        show_title: bool,
        ident: str,
        lang: str | None,
    ) -> None:
        self.width = width
        self.title = title
        self.description = description
        self.ident = ident
        self.lang = lang
        self.body: list[str] = []
        self.top = 10.0
        self.title_lines = wrap(title, width - 20, TITLE_SIZE) if show_title and title else []
        self.note_lines = wrap(note, width - 20, NOTE_SIZE) if note else []

    # ---- chrome ---------------------------------------------------------------------------------------------

    def draw_title(self) -> None:
        for line in self.title_lines:
            self.top += TITLE_SIZE + 3
            self.add(
                f'<text x="10" y="{fmt(self.top)}" font-size="{TITLE_SIZE}" font-weight="bold" fill="{INK}">'
                f"{esc(line)}</text>"
            )
        if self.title_lines:
            self.top += 8

    def draw_legend(self, series: Sequence[Series], *, kind: str = "box") -> None:
        """Draw one swatch and name per series, wrapping onto new rows as needed."""
        if len(series) < 2:
            return
        x, row_y = 10.0, self.top + FONT_SIZE
        items = []
        for i, s in enumerate(series):
            name = truncate(s.name, self.width / 2, FONT_SIZE)
            item_w = 18 + text_width(name, FONT_SIZE) + 16
            if x + item_w > self.width - 10 and x > 10:
                x, row_y = 10.0, row_y + FONT_SIZE + 8
            c = colour(s, i)
            if kind == "line":
                swatch = (
                    f'<line x1="{fmt(x)}" y1="{fmt(row_y - 4)}" x2="{fmt(x + 14)}" y2="{fmt(row_y - 4)}" '
                    f'stroke="{c}" stroke-width="3"/>'
                )
            else:
                swatch = f'<rect x="{fmt(x)}" y="{fmt(row_y - 10)}" width="12" height="12" fill="{c}"/>'
            items.append(
                f'{swatch}<text x="{fmt(x + 18)}" y="{fmt(row_y)}" font-size="{FONT_SIZE}" fill="{INK}">'
                f"{esc(name)}</text>"
            )
            x += item_w
        self.add(f'<g class="legend">{"".join(items)}</g>')
        self.top = row_y + 12

    def note_height(self) -> float:
        return len(self.note_lines) * (NOTE_SIZE + 3) + (8 if self.note_lines else 0)

    def draw_note(self, y: float) -> float:
        for line in self.note_lines:
            y += NOTE_SIZE + 3
            self.add(f'<text x="10" y="{fmt(y)}" font-size="{NOTE_SIZE}" fill="{MUTED}">{esc(line)}</text>')
        return y

    # ---- axes -------------------------------------------------------------------------------------------------

    def value_grid(
        self,
        ticks: Sequence[tuple[float, str]],
        scale: Linear,
        *,
        horizontal: bool,
        span: tuple[float, float],
    ) -> None:
        """Draw grid lines and tick labels for the value axis (left when vertical, bottom when horizontal)."""
        parts = []
        for value, label in ticks:
            p = scale(value)
            if horizontal:
                parts.append(
                    f'<line x1="{fmt(p)}" y1="{fmt(span[0])}" x2="{fmt(p)}" y2="{fmt(span[1])}" '
                    f'stroke="{GRID}" stroke-width="1"/>'
                    f'<text x="{fmt(p)}" y="{fmt(span[1] + FONT_SIZE + 4)}" font-size="{FONT_SIZE}" '
                    f'fill="{MUTED}" text-anchor="middle">{esc(label)}</text>'
                )
            else:
                parts.append(
                    f'<line x1="{fmt(span[0])}" y1="{fmt(p)}" x2="{fmt(span[1])}" y2="{fmt(p)}" '
                    f'stroke="{GRID}" stroke-width="1"/>'
                    f'<text x="{fmt(span[0] - 6)}" y="{fmt(p + 4)}" font-size="{FONT_SIZE}" fill="{MUTED}" '
                    f'text-anchor="end">{esc(label)}</text>'
                )
        self.add(f'<g class="value-axis" aria-hidden="true">{"".join(parts)}</g>')

    def add(self, element: str) -> None:
        self.body.append(element)

    # ---- output -----------------------------------------------------------------------------------------------

    def render(self, height: float) -> str:
        w, h = fmt(self.width), fmt(math.ceil(height))
        labelled = f"{self.ident}-title" + (f" {self.ident}-desc" if self.description else "")
        lang = f' xml:lang="{esc(self.lang)}"' if self.lang else ""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'role="img" aria-labelledby="{labelled}" class="chart" id="{esc(self.ident)}"{lang} '
            f'font-family="{esc(FONT_FAMILY)}" font-size="{FONT_SIZE}">'
            f'<title id="{self.ident}-title">{esc(self.title)}</title>'
            + (f'<desc id="{self.ident}-desc">{esc(self.description)}</desc>' if self.description else "")
            + f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>'
        )
        return head + "".join(self.body) + "</svg>"


def category_label_layout(labels: Sequence[str], band: float) -> tuple[int, bool, float]:
    """Decide how to print category labels under a band of ``band`` pixels each.

    Returns:
        (step, rotated, height): print every ``step``-th label, rotated by 45 degrees or not, and the height
        the labels need below the axis.
    """
    widest = max((text_width(lb, FONT_SIZE) for lb in labels), default=0.0)
    if widest <= band * 0.92:
        return 1, False, FONT_SIZE + 8
    if widest <= 60:  # short labels such as years: print every few
        return math.ceil(widest / (band * 0.92)), False, FONT_SIZE + 8
    longest = min(widest, 160)
    step = max(1, math.ceil((FONT_SIZE * 1.4) / band))
    return step, True, longest * 0.72 + FONT_SIZE + 8


def draw_category_labels(
    canvas: Canvas, labels: Sequence[str], centres: Sequence[float], baseline: float, band: float
) -> float:
    """Draw category labels under a horizontal axis; return the height used."""
    step, rotated, needed = category_label_layout(labels, band)
    parts = []
    for i, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if i % step:
            continue
        y = baseline + FONT_SIZE + 4
        if rotated:
            text = truncate(label, 160, FONT_SIZE)
            parts.append(
                f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{FONT_SIZE}" fill="{INK}" text-anchor="end" '
                f'transform="rotate(-45 {fmt(x)} {fmt(y)})">{esc(text)}</text>'
            )
        else:
            parts.append(
                f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{FONT_SIZE}" fill="{INK}" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    canvas.add(f'<g class="category-axis" aria-hidden="true">{"".join(parts)}</g>')
    return needed


def axis_title(canvas: Canvas, text: str, *, x: float, y: float, rotate: bool = False) -> None:
    if not text:
        return
    transform = f' transform="rotate(-90 {fmt(x)} {fmt(y)})"' if rotate else ""
    canvas.add(
        f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{FONT_SIZE}" fill="{MUTED}" text-anchor="middle"'
        f"{transform}>{esc(text)}</text>"
    )
