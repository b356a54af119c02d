"""HTML data tables that carry the same numbers as a chart (the accessible alternative and a check)."""

from __future__ import annotations

from collections.abc import Sequence

from .svg import Series
from .text import NumberFormat, esc, format_number


def _cell(value: object, number_format: NumberFormat) -> tuple[str, bool]:
    if value is None:
        return "–", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int | float):
        return number_format(value), True
    return str(value), False


def data_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    caption: str = "",
    number_format: NumberFormat = format_number,
    row_headers: bool = True,
    css_class: str = "data-table",
) -> str:
    """Return an HTML ``<table>``: column headers, optional caption, the first cell of each row as its header.

    Numbers are formatted with ``number_format`` and marked ``class="num"`` (right-aligned by the page's CSS);
    ``None`` prints as a dash; anything else is printed as text. All text is escaped.

    Raises:
        ValueError: A row does not have one cell per column.
    """
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = []
    for r, row in enumerate(rows):
        if len(row) != len(columns):
            raise ValueError(f"row {r + 1} has {len(row)} cells for {len(columns)} columns")
        cells = []
        for i, value in enumerate(row):
            text, numeric = _cell(value, number_format)
            cls = ' class="num"' if numeric else ""
            if i == 0 and row_headers:
                cells.append(f'<th scope="row"{cls}>{esc(text)}</th>')
            else:
                cells.append(f"<td{cls}>{esc(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="{esc(css_class)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def series_table(
    categories: Sequence[str],
    series: Series | Sequence[Series],
    *,
    category_label: str = "",
    caption: str = "",
    number_format: NumberFormat = format_number,
) -> str:
    """Return the data of a chart as an HTML table: one row per category, one column per series.

    A series' ``labels`` (e.g. ``"<5"``) are printed where given, as in the chart.
    """
    items = [series] if isinstance(series, Series) else list(series)
    rows: list[list[object]] = []
    for i, category in enumerate(categories):
        row: list[object] = [str(category)]
        for s in items:
            if s.labels is not None and s.labels[i] is not None:
                row.append(str(s.labels[i]))
            else:
                row.append(s.values[i])
        rows.append(row)
    return data_table(
        [category_label, *(s.name for s in items)], rows, caption=caption, number_format=number_format
    )
