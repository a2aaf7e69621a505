"""The workflow sandbox configuration shared by the worker process and the tests."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

#: Pure libraries pydantic loads lazily (e-mail validation); passing them through keeps every workflow
#: task from re-importing them inside the sandbox.
PASSTHROUGH = ("email_validator", "idna", "casefac", "workflows.rules", "workflows.options")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))
