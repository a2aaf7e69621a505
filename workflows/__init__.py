"""Deterministic orchestration only: no I/O, clocks or randomness outside ``temporalio.workflow``."""
