"""``casefac demo`` with no stack running: it starts a private one, plays all five steps, stops it, exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import cli_env, run_demo

pytestmark = pytest.mark.integration


def test_demo_on_a_private_stack(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    demo = run_demo(cli_env(data_dir))
    assert demo.code == 0, demo.out
    assert "starting a private one" in demo.out
    steps = ["1 Review", "2 Agreement", "3 Assignment", "4 Payment", "5 Evaluation"]
    positions = [demo.out.index(f"✓ {step}") for step in steps]
    assert positions == sorted(positions)  # printed as they happened, in order
    for moment in ("the Defender accepts on the portal", "signs the one-time Advocate Agreement",
                   "JiM signs the contract", "GTQ 250.00", "GTQ:USD=0.13", "Connect transfer",
                   "pays on the Stripe hosted invoice page", "reports the outcome"):
        assert moment in demo.out, moment
    assert f"Case {demo.case_id} CLOSED · invoice" in demo.out and "USD 155.00 paid" in demo.out
    for service in ("worker", "gateway", "sandbox", "temporal"):
        assert f"stopped {service}" in demo.out  # the private stack is torn down
    assert not data_dir.exists()  # and the user's data dir was never touched
    assert demo.seconds < 60
