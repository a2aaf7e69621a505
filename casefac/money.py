"""Money as integer minor units plus an ISO-4217 code, because floats lose cents on invoices."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Currencies a case can see: invoices in USD/CAD, expenses in the Defenders' local currencies.
Currency = Literal["USD", "CAD", "MXN", "GTQ", "HNL", "NIO"]
InvoiceCurrency = Literal["USD", "CAD"]
CURRENCIES: tuple[str, ...] = ("USD", "CAD", "MXN", "GTQ", "HNL", "NIO")

#: Minor-unit exponent per currency (all two today; kept explicit so adding JPY-like currencies is safe).
EXPONENT: MappingProxyType[str, int] = MappingProxyType(dict.fromkeys(CURRENCIES, 2))

#: Ten million major units: anything larger in one case is a typo, not a facilitation.
MAX_MINOR = 10_000_000 * 100

#: The arithmetic context of every money computation, pinned so a result never depends on the worker thread's
#: ``decimal`` context: precision large enough that products of amounts and rates are exact (the only
#: rounding is the explicit quantize to minor units), half-even rounding, and errors that raise.
MONEY_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow, DivisionByZero])

MinorUnits = Annotated[int, Field(strict=True, ge=-MAX_MINOR, le=MAX_MINOR)]


class Money(BaseModel):
    """An amount in minor units (cents, centavos) of one currency."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    amount: MinorUnits
    currency: Currency

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=0, currency=currency)  # type: ignore[arg-type]

    def format(self) -> str:
        """``USD 1,230.00``: the form finance reads in summaries and emails."""
        exp = EXPONENT[self.currency]
        sign = "-" if self.amount < 0 else ""
        major, minor = divmod(abs(self.amount), 10**exp)
        return f"{self.currency} {sign}{major:,}.{minor:0{exp}d}"

    def __str__(self) -> str:
        return self.format()


Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]


class ExchangeRate(BaseModel):
    """``1 source = rate target``, as approved by staff for one report (a Decimal, never a float)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    source: Currency
    target: Currency
    rate: Rate

    def convert(self, money: Money) -> Money:
        if money.currency != self.source:
            raise ValueError(f"rate {self.source}->{self.target} cannot convert {money.currency}")
        ctx = MONEY_CONTEXT
        shift = ctx.power(Decimal(10), EXPONENT[self.target] - EXPONENT[self.source])
        value = ctx.multiply(ctx.multiply(Decimal(money.amount), self.rate), shift)
        return Money(amount=int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=ctx)),
                     currency=self.target)


def total(items: list[Money], currency: str) -> Money:
    """Sum of amounts that must all be in ``currency`` (an empty list is zero)."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result
