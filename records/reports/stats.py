"""The few figures SQL cannot give on both backends alike: medians and 90th percentiles, and exact rounding.

Percentiles are nearest-rank (the smallest value with at least p% of the values at or below it), so a
reader can check them by hand against a sorted list; the median is the usual middle value (the mean of the
two middle values for an even count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")
_THOUSANDTH = Decimal("0.001")


def median(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def percentile(values: Sequence[int], p: int) -> Decimal | None:
    """Nearest-rank percentile ``p`` (1–100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return Decimal(ordered[rank - 1])


def days(seconds: Decimal | None) -> Decimal | None:
    """Seconds as days with one decimal (half up, so 2.25 days reads 2.3 on every backend)."""
    if seconds is None:
        return None
    return (seconds / SECONDS_PER_DAY).quantize(_TENTH, rounding=ROUND_HALF_UP)


def hours(seconds: Decimal | None) -> Decimal | None:
    """Seconds as hours with one decimal, half up (a response time reads in hours, not days)."""
    if seconds is None:
        return None
    return (seconds / SECONDS_PER_HOUR).quantize(_TENTH, rounding=ROUND_HALF_UP)


def ratio(numerator: int | None, denominator: int | None, places: Decimal = _HUNDREDTH) -> Decimal | None:
    """An exact quotient of two SQL sums, rounded half up: averages and shares come out the same everywhere."""
    if not denominator or numerator is None:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def share(numerator: int | None, denominator: int | None) -> Decimal | None:
    return ratio(numerator, denominator, _THOUSANDTH)


def tenths(value: int | None) -> Decimal | None:
    """Hours kept in tenths as a one-decimal number."""
    return None if value is None else Decimal(value).scaleb(-1).quantize(_TENTH)
