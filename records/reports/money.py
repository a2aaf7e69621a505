"""Minor units to major units for display, exactly (Decimal), by the currency's exponent.

The exponents are ``casefac.money.EXPONENT``'s, the same table every amount of a case is written with, so
a currency added there is reported right here too.
"""

from __future__ import annotations

from decimal import Decimal

from casefac.money import EXPONENT


def major(amount: int | None, currency: str = "USD") -> Decimal | None:
    if amount is None:
        return None
    exponent = EXPONENT.get(currency.upper(), 2)
    return Decimal(int(amount)).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
