"""Axis scales: "nice" tick values covering a data range, and the mapping from data to pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass


def _nice(x: float, round_: bool) -> float:
    exponent = math.floor(math.log10(x))
    fraction = x / 10**exponent
    if round_:
        nice = 1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10**exponent


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return evenly spaced round tick values from at most ``low`` to at least ``high`` (Heckbert's method).

    Args:
        low: Smallest value to cover.
        high: Largest value to cover.
        count: Rough number of ticks wanted.

    Returns:
        At least two ascending ticks; the first is <= ``low`` and the last >= ``high``.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("tick range must be finite")
    if low > high:
        low, high = high, low
    if low == high:
        if low == 0:
            return [0.0, 1.0]
        pad = abs(low) * 0.1
        low, high = (low - pad, high + pad) if low < 0 else (0.0, high + pad)
    span = _nice(high - low, round_=False)
    step = _nice(span / max(count - 1, 1), round_=True)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    n = round((stop - start) / step)
    # Round away floating-point noise (0.30000000000000004) so labels print cleanly.
    digits = max(0, -math.floor(math.log10(step)) + 1)
    return [round(start + i * step, digits) for i in range(n + 1)]


@dataclass(frozen=True)
class Linear:
    """Map the domain [d0, d1] linearly onto the pixel range [r0, r1]."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (value - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)
