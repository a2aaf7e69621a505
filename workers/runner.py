"""The workflow runner: the strict sandbox where workflow code is tested, the plain runner in workers.

The sandbox re-imports a workflow's modules for every run and proxies restricted calls (clocks, I/O,
randomness) so that non-deterministic code fails loudly. It is a development-time guard with a runtime
price: measured with ``casefac bench``, re-importing our workflow code was an eighth of the worker's CPU,
and the sandbox's per-payload bookkeeping (it evaluates code in the sandbox for every payload it
encodes or decodes) another quarter. So the guard runs where the workflow code is exercised, on every
path: every workflow test and the replay of every recorded history (``tests/workflow``) use
``workflow_runner(strict=True)``, and a forbidden call added to a workflow fails there, in CI, before a
worker runs it (``tests/workflow/test_runner_policing.py`` proves the guard bites). Workers (and the
bench's baseline, so the comparison stays fair) run the workflow code without it.

The sandbox does not police ``PASSTHROUGH`` modules: they are imported once by the host and call the real
``datetime``, ``random``… (``test_runner_policing`` shows a clock read in a ``casefac`` helper passing). Those,
and every module the workflows import, are policed statically instead (``tests/workflow/
test_determinism_static.py``: no clock, randomness, environment, file or thread; module constants immutable).
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

#: Pure libraries pydantic loads lazily (e-mail validation) and our models: imported once, not per run.
PASSTHROUGH = ("email_validator", "idna", "casefac", "workflows.rules", "workflows.options")


def workflow_runner(*, strict: bool = False) -> WorkflowRunner:
    """The workers' runner; ``strict=True`` is the sandbox that polices the workflow code (tests)."""
    if strict:
        return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))
    return UnsandboxedWorkflowRunner()
