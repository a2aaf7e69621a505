"""Money, rates and adjustments typed by people: exact decimal parsing to minor units, clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casefac.money import Money
from starters.parsing import (
    InputError,
    parse_adjustment,
    parse_money,
    parse_money_with_currency,
    parse_rate,
)


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.50", "USD", 1250), ("1,230.05", "usd", 123005), ("-10", "CAD", -1000), ("0.1", "GTQ", 10),
    ("19.99", "MXN", 1999), ("0.29", "USD", 29),  # 0.29 is not exact in binary floating point
])
def test_amounts_become_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == Money(amount=minor, currency=currency.upper())  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "fragment"), [
    ("12.505", "more than 2 decimals"), ("1e3", "not a decimal"), ("", "not a decimal"), ("12,34", "not a decimal"),
    ("NaN", "not a decimal"), ("99999999999", "too large"),
])
def test_malformed_amounts_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_money(text, "USD")


def test_unknown_currency() -> None:
    with pytest.raises(InputError, match="unknown currency 'EUR'"):
        parse_money("1", "EUR")


def test_amount_with_currency_either_side_or_default() -> None:
    assert parse_money_with_currency("USD 5.00") == parse_money_with_currency("5.00 USD") == \
        parse_money_with_currency("5", "USD")
    with pytest.raises(InputError, match=r"USD 12\.50"):
        parse_money_with_currency("5")


def test_rates_are_decimals() -> None:
    rate = parse_rate("gtq:usd=0.1300")
    assert (rate.source, rate.target, rate.rate) == ("GTQ", "USD", Decimal("0.1300"))
    for bad in ("GTQ=0.13", "GTQ:USD=abc", "GTQ:USD=-1", "GTQ:XXX=1"):
        with pytest.raises(InputError):
            parse_rate(bad)


def test_adjustments_split_on_the_last_equals_sign() -> None:
    adj = parse_adjustment("Fee = waived=-10.00", "USD")
    assert adj.description == "Fee = waived" and adj.amount == Money(amount=-1000, currency="USD")
    assert parse_adjustment("Courier=5.00 CAD", "USD").amount.currency == "CAD"
    with pytest.raises(InputError):
        parse_adjustment("-10.00", "USD")
