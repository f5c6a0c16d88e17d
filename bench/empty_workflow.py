"""The baseline workflow of the benchmarks: no activities, no timers; in a module of its own so
the workflow sandbox re-imports nothing else."""

from temporalio import workflow


@workflow.defn
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None
