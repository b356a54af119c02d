"""Generalisations ("coarsenings") that merge quasi-identifier values into wider groups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MISSING = ""


def _as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Generaliser:
    """A named function from a value to a coarser value (missing values stay missing).

    Attributes:
        name: Short machine name, e.g. ``"band5"``.
        description: What it does, in English, e.g. ``"5-year bands (1985-1989)"``.
        apply: The function.
    """

    name: str
    description: str
    apply: Callable[[Any], Any]

    def __call__(self, value: Any) -> Any:
        if value is None or value == MISSING:
            return MISSING
        return self.apply(value)


def year_band(width: int = 5) -> Generaliser:
    """Return a generaliser of years into bands of ``width`` years starting at multiples of it (1985-1989)."""
    if width < 2:
        raise ValueError("a band is at least 2 years wide")

    def band(value: Any) -> Any:
        year = _as_int(value)
        if year is None:
            return value
        start = year - year % width
        return f"{start}-{start + width - 1}"

    return Generaliser(f"band{width}", f"{width}-year bands", band)


def year_periods(bounds: Sequence[int]) -> Generaliser:
    """Return a generaliser of years into periods that start at each of ``bounds`` (ascending).

    Years before the first bound become ``"-<first-1>"``, years from the last bound on ``"<last>-"``.
    """
    edges = sorted(set(bounds))
    if not edges:
        raise ValueError("give at least one period boundary")

    def period(value: Any) -> Any:
        year = _as_int(value)
        if year is None:
            return value
        if year < edges[0]:
            return f"-{edges[0] - 1}"
        for start, nxt in zip(edges, [*edges[1:], None], strict=True):
            if nxt is None:
                return f"{start}-"
            if start <= year < nxt:
                return f"{start}-{nxt - 1}"
        return value  # pragma: no cover - the loop always returns

    label = ", ".join(f"{a}-{b - 1}" for a, b in zip(edges, edges[1:], strict=False))
    return Generaliser("periods", f"periods ({label}, ...)", period)


def code_prefix(parts: int = 2, sep: str = "-") -> Generaliser:
    """Return a generaliser keeping the first ``parts`` parts of a hierarchical code (KP-09-HOERYONG -> KP-09)."""

    def prefix(value: Any) -> Any:
        return sep.join(str(value).split(sep)[:parts])

    return Generaliser(f"prefix{parts}", f"first {parts} levels of the code (county to province)", prefix)


def suppress() -> Generaliser:
    """Return a generaliser that removes the value altogether ("*")."""
    return Generaliser("suppress", "value removed", lambda value: "*")


#: Exit years grouped into the periods of the flight history: before the famine exodus, the peak of arrivals,
#: the decline after 2011, and the border closure of 2020.
EXIT_PERIODS = (1998, 2002, 2006, 2010, 2012, 2016, 2020)

#: The coarsening suggested for each of Haven's quasi-identifiers when a combination is too rare.
DEFAULT_GENERALISERS: dict[str, Generaliser] = {
    "birth_year": year_band(5),
    "exit_year": year_periods(EXIT_PERIODS),
    "origin_county": code_prefix(2),
    "county": code_prefix(2),
    "origin_province": suppress(),
    "province": suppress(),
}
