"""A broken workflow whose wall-clock read sits in a ``casefac`` helper, for ``test_runner_policing``.

Import it only after ``tests.workflow.passthrough_probe.register()`` (the test module does).
"""

from __future__ import annotations

from casefac._clock_probe import stamp  # type: ignore[import-not-found]  # passed through: "casefac" prefix
from temporalio import workflow


@workflow.defn(name="HelperClockMisuseWorkflow")
class HelperClockMisuseWorkflow:
    @workflow.run
    async def run(self) -> str:
        return str(stamp())
