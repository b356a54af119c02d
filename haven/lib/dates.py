"""Imprecise dates, as documenters record them: a day, a month, a year, an estimate, or unknown.

A date is held as the range of days it may denote (``start``..``end``) plus its precision. "2011" is
1 Jan–31 Dec 2011; "2011-03" is March 2011; "c. 2011" is an estimate whose best guess is 2011; a range
such as "2009-03..2010" runs from 1 March 2009 to 31 Dec 2010. Period queries then need no special cases:
a record lies *within* a period when its whole range does (a "2011" event is in 2011 but not in January
2011 alone), and *may lie* in it when the ranges overlap.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    ESTIMATED = "estimated"
    UNKNOWN = "unknown"


class DateParseError(ValueError):
    """The text is not an imprecise date Haven understands; the message says what was expected."""


_POINT = re.compile(
    r"^(?P<year>\d{4})(?:\s*(?:-|/|\.|년)\s*(?P<month>\d{1,2})(?:\s*(?:-|/|\.|월)\s*(?P<day>\d{1,2})\s*일?)?\s*월?)?\s*년?$"
)
_ESTIMATE_PREFIX = re.compile(r"^(?:c\.|ca\.|circa|about|around|approx\.?|~|약)\s*", re.IGNORECASE)
_ESTIMATE_SUFFIX = re.compile(r"\s*(?:\?|경|쯤|무렵)$")
_UNKNOWN_WORDS = {"", "unknown", "?", "n/a", "na", "미상", "모름", "불명"}
_RANGE_SEPARATORS = re.compile(r"\s*(?:\.\.|–|—|~(?=\s*\d)|\bto\b|부터|에서)\s*")


@dataclass(frozen=True, slots=True)
class ImpreciseDate:
    start: date | None
    end: date | None
    precision: Precision

    def __post_init__(self) -> None:
        if self.precision == Precision.UNKNOWN:
            if self.start is not None or self.end is not None:
                raise ValueError("an unknown date has no start or end")
        elif self.start is None or self.end is None or self.start > self.end:
            raise ValueError("a known date needs start <= end")

    @classmethod
    def unknown(cls) -> ImpreciseDate:
        return cls(None, None, Precision.UNKNOWN)

    @classmethod
    def from_parts(
        cls, year: int, month: int | None = None, day: int | None = None, *, estimated: bool = False
    ) -> ImpreciseDate:
        start, end, precision = _point_range(year, month, day)
        return cls(start, end, Precision.ESTIMATED if estimated else precision)

    @classmethod
    def parse(cls, text: str | None) -> ImpreciseDate:
        """Parse ``2011``, ``2011-03``, ``2011-03-05``, ``c. 2011``, ``2011?``, ``2009-03..2010``, ``2011년 3월``,
        ``2011년경`` or ``unknown``; raise DateParseError with the reason otherwise."""
        raw = (text or "").strip()
        if raw.lower() in _UNKNOWN_WORDS:
            return cls.unknown()
        estimated = False
        body = raw
        if _ESTIMATE_PREFIX.search(body):
            body = _ESTIMATE_PREFIX.sub("", body, count=1)
            estimated = True
        if _ESTIMATE_SUFFIX.search(body):
            body = _ESTIMATE_SUFFIX.sub("", body, count=1)
            estimated = True
        parts = [p for p in _RANGE_SEPARATORS.split(body) if p.strip()]
        if len(parts) == 1:
            start, end, precision = _parse_point(parts[0], raw)
        elif len(parts) == 2:
            start, _, precision = _parse_point(parts[0], raw)
            _, end, _ = _parse_point(parts[1], raw)
            if end < start:
                raise DateParseError(f"{raw!r}: the end of the range is before its start")
        else:
            raise DateParseError(f"{raw!r}: expected a date such as 2011, 2011-03, 2011-03-05 or 2009..2011")
        return cls(start, end, Precision.ESTIMATED if estimated else precision)

    @property
    def is_known(self) -> bool:
        return self.precision != Precision.UNKNOWN

    @property
    def is_range(self) -> bool:
        """True when the end was given separately, not implied by the start's precision."""
        if self.start is None or self.end is None:
            return False
        return self.end != _natural_end(self.start, self._unit())

    def _unit(self) -> Precision:
        if self.precision != Precision.ESTIMATED or self.start is None or self.end is None:
            return self.precision
        if self.start.month == 1 and self.start.day == 1 and self.end >= date(self.start.year, 12, 31):
            return Precision.YEAR
        if self.start.day == 1 and self.end >= _natural_end(self.start, Precision.MONTH):
            return Precision.MONTH
        return Precision.DAY

    def within(self, period_start: date, period_end: date) -> bool:
        return self.is_known and period_start <= self.start <= self.end <= period_end  # type: ignore[operator]

    def overlaps(self, period_start: date, period_end: date) -> bool:
        return self.is_known and self.start <= period_end and self.end >= period_start  # type: ignore[operator]

    @property
    def year(self) -> int | None:
        return self.start.year if self.start else None

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return "unknown"
        unit = self._unit()
        text = _format(self.start, unit)
        if self.is_range:
            end_unit = unit
            if unit == Precision.YEAR and not (self.end.month == 12 and self.end.day == 31):
                end_unit = Precision.DAY
            elif unit == Precision.MONTH and self.end != _natural_end(
                self.end.replace(day=1), Precision.MONTH
            ):
                end_unit = Precision.DAY
            text = f"{text}..{_format(self.end, end_unit)}"
        return f"c. {text}" if self.precision == Precision.ESTIMATED else text


def _format(d: date, unit: Precision) -> str:
    if unit == Precision.YEAR:
        return f"{d.year:04d}"
    if unit == Precision.MONTH:
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


def _natural_end(start: date, unit: Precision) -> date:
    if unit == Precision.YEAR:
        return date(start.year, 12, 31)
    if unit == Precision.MONTH:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


def _point_range(year: int, month: int | None, day: int | None) -> tuple[date, date, Precision]:
    if not 1000 <= year <= 2999:
        raise DateParseError(f"year {year} is out of range")
    if month is None:
        if day is not None:
            raise DateParseError("a day needs a month")
        return date(year, 1, 1), date(year, 12, 31), Precision.YEAR
    if not 1 <= month <= 12:
        raise DateParseError(f"month {month} is not between 1 and 12")
    if day is None:
        start = date(year, month, 1)
        return start, _natural_end(start, Precision.MONTH), Precision.MONTH
    try:
        d = date(year, month, day)
    except ValueError:
        raise DateParseError(f"{year:04d}-{month:02d}-{day:02d} is not a day of the calendar") from None
    return d, d, Precision.DAY


def _parse_point(text: str, raw: str) -> tuple[date, date, Precision]:
    match = _POINT.match(text.strip())
    if not match:
        raise DateParseError(f"{raw!r}: expected a date such as 2011, 2011-03, 2011-03-05 or 2009..2011")
    month = match["month"]
    day = match["day"]
    return _point_range(int(match["year"]), int(month) if month else None, int(day) if day else None)
