"""Hypothesis profiles for the fuzz suite, applied per test so other suites' Hypothesis settings are untouched.

- ``ci`` (default): modest example counts, ``derandomize=True`` (the same examples on every run, so CI is
  deterministic and a red build reproduces locally), no example database, one shrunk failure per test.
- ``deep``: many more random examples (several minutes), every distinct failure reported, failures
  remembered in ``test-artifacts/hypothesis`` and replayed first next time. For manual bug hunting::

      .venv/bin/python -m pytest tests/fuzz --hypothesis-profile=deep
      HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/fuzz     # same thing

Each test asks for ``fuzz(share)``: the profile's ``max_examples`` scaled by how cheap that test's examples
are, so one knob sizes the whole suite.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

PROFILES = ("ci", "deep")

_common = settings(
    deadline=None,
    print_blob=True,
    # One parked case (or one gateway) serves every example of a test; big hostile strings are the point.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)
# ci: one shrunk failure per test is enough (test_fuzz_findings pins every known bug); deep hunts for all.
# No explain phase either: it re-runs a failure many times to annotate it, which costs more than the run.
settings.register_profile("ci", _common, max_examples=80, derandomize=True, database=None,
                          report_multiple_bugs=False, phases=tuple(p for p in Phase if p is not Phase.explain))
settings.register_profile("deep", _common, max_examples=1000, derandomize=False,
                          database=DirectoryBasedExampleDatabase("test-artifacts/hypothesis"))


def active_profile() -> str:
    """``HYPOTHESIS_PROFILE`` or ``--hypothesis-profile`` when it names one of ours, else ``ci``."""
    wanted = os.environ.get("HYPOTHESIS_PROFILE") or settings.get_current_profile_name()
    return wanted if wanted in PROFILES else "ci"


def fuzz(share: float = 1.0) -> settings:
    """The active fuzz profile with ``max_examples`` scaled by ``share`` (at least one example)."""
    base = settings.get_profile(active_profile())
    return settings(base, max_examples=max(1, round(base.max_examples * share)))
