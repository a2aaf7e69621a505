"""Plausibility of staff-typed exchange rates (review C2): per-pair sanity bands and cross-rate consistency.

One mistyped rate (``GTQ:USD=7.7``, the inverse of 0.13) would otherwise price an irreversible Stripe
transfer 60 times too large. Two checks, both pure (the ``review_report`` validator runs them):

- **Bands**: every rate must fall inside its pair's band. The defaults ship in
  ``casefac/data/rate_bands.yaml`` (wide, to catch typos, not market moves); the case policy's
  ``rate_bands`` overrides pair by pair. A pair without a band is checked through its inverse's band;
  with neither, the rate is refused (staff add a band rather than approve an unchecked rate).
- **Cross rates**: a CAD-billed case converts each expense currency into CAD (invoice) and into USD
  (payout), and the hours from USD into CAD. When ``X->CAD``, ``X->USD`` and ``USD->CAD`` are all given,
  ``X->CAD`` must equal ``X->USD x USD->CAD`` within the policy's tolerance, so the invoice and the payout
  cannot silently disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from casefac.money import MONEY_CONTEXT, ExchangeRate


class RateBand(BaseModel):
    """``min <= rate <= max`` for ``1 source = rate target``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    min: Decimal = Field(gt=0)
    max: Decimal = Field(gt=0)

    def inverse(self) -> RateBand:
        ctx = MONEY_CONTEXT
        return RateBand(min=ctx.divide(Decimal(1), self.max), max=ctx.divide(Decimal(1), self.min))

    def describe(self) -> str:
        return f"{self.min.normalize():f}–{self.max.normalize():f}"


@cache
def default_bands() -> Mapping[str, RateBand]:
    """The shipped bands (``casefac/data/rate_bands.yaml``), read once per process (the file ships with the code)."""
    raw = yaml.safe_load((Path(__file__).parent / "data" / "rate_bands.yaml").read_text(encoding="utf-8")) or {}
    return TypeAdapter(dict[str, RateBand]).validate_python(raw)


def band_for(source: str, target: str, overrides: Mapping[str, RateBand] | None = None) -> RateBand | None:
    """The band of ``source->target``: an override, the shipped one, or the inverse of either."""
    bands = {**default_bands(), **(overrides or {})}
    direct = bands.get(f"{source}:{target}")
    if direct is not None:
        return direct
    inverse = bands.get(f"{target}:{source}")
    return inverse.inverse() if inverse is not None else None


def rate_problems(rates: Sequence[ExchangeRate], *, overrides: Mapping[str, RateBand] | None = None,
                  tolerance: Decimal = Decimal("0.03")) -> list[str]:
    """Every refusal for these rates, each naming the pair and the band or the cross rate (empty: plausible)."""
    problems: list[str] = []
    seen: dict[tuple[str, str], Decimal] = {}
    for r in rates:
        if r.source == r.target:
            if r.rate != 1:
                problems.append(f"{r.source}->{r.target} must be 1")
            continue
        if (r.source, r.target) in seen and seen[(r.source, r.target)] != r.rate:
            problems.append(f"{r.source}->{r.target} is given twice with different rates")
        seen[(r.source, r.target)] = r.rate
        band = band_for(r.source, r.target, overrides)
        if band is None:
            problems.append(f"{r.source}->{r.target} has no sanity band configured (add one to the policy's "
                            f"rate_bands)")
        elif not band.min <= r.rate <= band.max:
            problems.append(f"{r.source}->{r.target}={r.rate.normalize():f} is outside the sanity band "
                            f"{r.source}:{r.target} {band.describe()} (typed the wrong way round?)")
    ctx = MONEY_CONTEXT
    for (src, dst), direct in sorted(seen.items()):
        for (mid_src, mid), first in sorted(seen.items()):
            if mid_src != src or mid == dst or (mid, dst) not in seen:
                continue
            implied = ctx.multiply(first, seen[(mid, dst)])
            gap = abs(ctx.divide(ctx.subtract(direct, implied), implied))
            if gap > tolerance:
                problems.append(f"{src}->{dst}={direct.normalize():f} disagrees with {src}->{mid} x {mid}->{dst} = "
                                f"{implied.normalize():f} by {(gap * 100).quantize(Decimal('0.1'))} % "
                                f"(tolerance {(tolerance * 100).normalize():f} %)")
    return problems
