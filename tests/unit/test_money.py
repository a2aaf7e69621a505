"""Money is integer minor units; conversion rounds half-even per line; nothing is a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from casefac.money import ExchangeRate, Money, total


def test_format_and_add() -> None:
    assert Money(amount=123000, currency="USD").format() == "USD 1,230.00"
    assert Money(amount=-5, currency="GTQ").format() == "GTQ -0.05"
    assert (Money(amount=1, currency="MXN") + Money(amount=2, currency="MXN")).amount == 3
    with pytest.raises(ValueError, match="cannot add"):
        Money(amount=1, currency="MXN") + Money(amount=2, currency="USD")


@pytest.mark.parametrize("bad", [{"amount": 1.5, "currency": "USD"}, {"amount": "100", "currency": "USD"},
                                 {"amount": 10**12, "currency": "USD"}, {"amount": 1, "currency": "EUR"}])
def test_rejects_floats_strings_absurd_amounts_and_unknown_currencies(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate(bad)


def test_conversion_rounds_half_even() -> None:
    rate = ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))
    assert rate.convert(Money(amount=25000, currency="GTQ")) == Money(amount=3250, currency="USD")
    half = ExchangeRate(source="MXN", target="USD", rate=Decimal("0.5"))
    assert half.convert(Money(amount=1, currency="MXN")).amount == 0  # 0.5 -> 0 (even)
    assert half.convert(Money(amount=3, currency="MXN")).amount == 2  # 1.5 -> 2 (even)
    with pytest.raises(ValueError):
        rate.convert(Money(amount=1, currency="USD"))


def test_rate_must_be_positive_decimal() -> None:
    with pytest.raises(ValidationError):
        ExchangeRate(source="GTQ", target="USD", rate=Decimal("0"))
    assert ExchangeRate.model_validate_json('{"source":"GTQ","target":"USD","rate":"0.13"}').rate == Decimal("0.13")


def test_total_of_nothing_is_zero() -> None:
    assert total([], "CAD") == Money(amount=0, currency="CAD")
