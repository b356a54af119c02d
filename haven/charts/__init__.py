"""Charts as standalone, accessible SVG, free of Django.

Every chart is one ``<svg role="img">`` string with a ``<title>`` and (when given) a ``<desc>``, no script,
and styling by presentation attributes only, so it can be inlined in a page under a strict Content Security
Policy, saved as an ``.svg`` file, or drawn into a PDF by WeasyPrint. Text uses a font list that covers Hangul
and Han (Nanum, WenQuanYi), so Korean labels render offline.

Typical use::

    from haven.charts import Series, bar_chart, series_table

    years = ["2022", "2023", "2024"]
    women = Series("Women", [32, 164, 210])
    men = Series("Men", [35, 32, 26])
    svg = bar_chart(years, [women, men], stacked=True, title="Arrivals by sex", value_label="People")
    table = series_table(years, [women, men], category_label="Year")

Import rule: import from this package; ``internals/`` may change without notice.
"""

from __future__ import annotations

from .internals.bar import bar_chart
from .internals.line import line_chart
from .internals.scale import nice_ticks
from .internals.svg import PALETTE, Series
from .internals.table import data_table, series_table
from .internals.text import FONT_FAMILY, format_number, percent

__all__ = [
    "FONT_FAMILY",
    "PALETTE",
    "Series",
    "bar_chart",
    "data_table",
    "format_number",
    "line_chart",
    "nice_ticks",
    "percent",
    "series_table",
    "standalone",
]

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def standalone(svg: str) -> str:
    """Return ``svg`` as the content of an ``.svg`` file (with an XML declaration)."""
    return svg if svg.startswith("<?xml") else _XML_DECLARATION + svg + "\n"
