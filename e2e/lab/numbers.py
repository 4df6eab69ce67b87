"""Small numeric helpers of the lab's figures (pure): one percentile, medians and ratios that
are None where there is nothing to measure."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def median(values: list[float] | list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The one percentile of lab and bench figures: nearest rank, no interpolation (the
    smallest value with at least q of all values at or below it); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
