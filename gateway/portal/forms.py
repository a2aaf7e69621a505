"""Reading what people type: dates, hours and amounts, with errors as catalog keys.

Amounts become integer minor units through ``Decimal`` (never float). People write ``1,5`` or ``1.5``,
``1.234,50`` or ``1,234.50`` depending on habit and keyboard, so both separators are understood: with
both present the last one is the decimal separator; a lone comma followed by one or two digits is too.
Dates arrive as ISO from ``<input type=date>``; browsers without it let people type ``dd/mm/aaaa``
(Spanish, French) or ``mm/dd/yyyy`` (English).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from starlette.datastructures import FormData

from casefac.money import EXPONENT, MAX_MINOR


class FieldError(ValueError):
    """A value that cannot be read; ``key`` is a catalog key, ``values`` its placeholders."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


_NUMBER = re.compile(r"^[+-]?[0-9][0-9.,]*$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def text(form: FormData, name: str, limit: int = 4000) -> str:
    """A text field, trimmed and bounded (browsers do not enforce ``maxlength`` on crafted posts)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_decimal(raw: str) -> Decimal:
    """``1,5`` / ``1.5`` / ``1.234,50`` / ``1,234.50`` → Decimal; raises :class:`FieldError`."""
    value = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not value or not _NUMBER.match(value):
        raise FieldError("error.number")
    if "," in value and "." in value:
        decimal_sep = "," if value.rfind(",") > value.rfind(".") else "."
        value = value.replace("." if decimal_sep == "," else ",", "").replace(",", ".")
    elif "," in value:
        head, _, tail = value.rpartition(",")
        value = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) and value.count(",") == 1 \
            else value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FieldError("error.number") from None
    if not number.is_finite():
        raise FieldError("error.number")
    return number


def parse_hours(raw: str) -> Decimal:
    """Hours in steps of 0.1 (six minutes), more than 0 and at most 24."""
    if not raw.strip():
        raise FieldError("error.required")
    hours = parse_decimal(raw)
    if hours <= 0 or hours > 24:
        raise FieldError("error.hours_range")
    if hours % Decimal("0.1") != 0:
        raise FieldError("error.hours_step")
    return hours.quantize(Decimal("0.1"))


def parse_amount(raw: str, currency: str) -> int:
    """A positive amount in ``currency`` as integer minor units (``"250,50"`` GTQ → 25050)."""
    if not raw.strip():
        raise FieldError("error.required")
    amount = parse_decimal(raw)
    exponent = EXPONENT.get(currency, 2)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise FieldError("error.amount_places", places=str(exponent))
    if minor <= 0 or minor > MAX_MINOR:
        raise FieldError("error.amount_range")
    return int(minor)


def parse_day(raw: str, lang: str) -> date:
    """ISO ``2026-05-01``, or ``01/05/2026`` (es, fr) / ``05/01/2026`` (en)."""
    value = raw.strip()
    if not value:
        raise FieldError("error.required")
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    match = _SLASHED.match(value)
    if match:
        a, b, year = (int(g) for g in match.groups())
        day, month = (a, b) if lang in ("es", "fr") else (b, a)
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise FieldError("error.date")
