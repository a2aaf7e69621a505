"""Workflow ids and idempotency keys: derived, never random, so retries and restarts find the same thing."""

from __future__ import annotations


def case_workflow_id(case_id: str) -> str:
    return f"case-{case_id}"


def advocate_workflow_id(advocate_id: str) -> str:
    return f"advocate-{advocate_id}"


def case_id_from_workflow_id(workflow_id: str) -> str | None:
    return workflow_id.removeprefix("case-") if workflow_id.startswith("case-") else None


def idempotency_key(workflow_id: str, step: str, *parts: object) -> str:
    """``case-JIM-2026-0042:invoice:r1:item3``: the same step of the same case always has the same key."""
    return ":".join([workflow_id, step, *(str(p) for p in parts)])
