"""Money and rates typed by people, parsed exactly: decimal strings to integer minor units, never floats.

``12.50`` USD is 1250 cents; ``12.505`` is refused rather than rounded, because a coordinator who typed a
third decimal meant something this tool cannot guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from casefac.money import CURRENCIES, EXPONENT, MAX_MINOR, ExchangeRate, Money
from casefac.report import Adjustment

_AMOUNT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_RATE = re.compile(r"^(?P<source>[A-Za-z]{3}):(?P<target>[A-Za-z]{3})=(?P<rate>.+)$")


class InputError(ValueError):
    """Something typed on the command line is malformed; the message says what and how to write it."""


def case_id(value: str) -> str:
    """``jim-2026-0042`` is ``JIM-2026-0042``: ids are typed in any case (Typer argument callback)."""
    return value.strip().upper()


def currency(code: str) -> str:
    upper = code.strip().upper()
    if upper not in CURRENCIES:
        raise InputError(f"unknown currency {code!r}: use one of {', '.join(CURRENCIES)}")
    return upper


def parse_money(text: str, currency_code: str) -> Money:
    """``"1,230.50"`` in ``USD`` → ``Money(amount=123050, currency="USD")``."""
    code = currency(currency_code)
    raw = text.strip()
    if not _AMOUNT.match(raw):
        raise InputError(f"amount {text!r} is not a decimal number like 1230.50")
    value = Decimal(raw.replace(",", ""))
    exp = EXPONENT[code]
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        raise InputError(f"amount {text!r} has more than {exp} decimals for {code}")
    if abs(minor) > MAX_MINOR:
        raise InputError(f"amount {text!r} is too large")
    return Money(amount=int(minor), currency=code)  # type: ignore[arg-type]


def parse_money_with_currency(text: str, default_currency: str | None = None) -> Money:
    """``"USD 12.50"``, ``"12.50 USD"`` or (with a default) ``"12.50"``."""
    parts = text.split()
    if len(parts) == 2:
        first, second = parts
        return parse_money(second, first) if first.isalpha() else parse_money(first, second)
    if len(parts) == 1 and default_currency:
        return parse_money(parts[0], default_currency)
    raise InputError(f"amount {text!r}: write it as 'USD 12.50'")


def parse_rate(text: str) -> ExchangeRate:
    """``"GTQ:USD=0.13"`` → 1 GTQ = 0.13 USD."""
    match = _RATE.match(text.strip())
    if not match:
        raise InputError(f"rate {text!r}: write it as SOURCE:TARGET=RATE, e.g. GTQ:USD=0.13")
    try:
        rate = Decimal(match["rate"])
    except InvalidOperation as exc:
        raise InputError(f"rate {text!r}: {match['rate']!r} is not a decimal number") from exc
    if not rate.is_finite() or rate <= 0:
        raise InputError(f"rate {text!r}: the rate must be a positive number")
    return ExchangeRate(source=currency(match["source"]), target=currency(match["target"]), rate=rate)  # type: ignore[arg-type]


def parse_adjustment(text: str, invoice_currency: str) -> Adjustment:
    """``"Courier refund=-10.00"`` (a discount is negative), optionally with a currency: ``=-10.00 CAD``."""
    description, sep, amount = text.rpartition("=")
    if not sep or not description.strip():
        raise InputError(f"adjustment {text!r}: write it as 'description=-10.00'")
    return Adjustment(description=description.strip(),
                      amount=parse_money_with_currency(amount.strip(), invoice_currency))
