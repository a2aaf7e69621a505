"""Minor units to major units for display, exactly (Decimal), by the currency's ISO-4217 exponent."""

from __future__ import annotations

from decimal import Decimal

#: Currencies the case record holds whose exponent is not 2 (none of JiM's today: USD, CAD, MXN, GTQ, HNL,
#: NIO all have cents); listed so a new one is a line here, not a wrong figure.
EXPONENTS: dict[str, int] = {"JPY": 0, "KRW": 0, "CLP": 0, "BHD": 3, "KWD": 3}


def major(amount: int | None, currency: str = "USD") -> Decimal | None:
    if amount is None:
        return None
    exponent = EXPONENTS.get(currency.upper(), 2)
    return Decimal(int(amount)).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
