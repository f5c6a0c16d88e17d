"""The baseline workflow of the benchmarks (no activities, no timers), and one shaped like a claim
(a patch marker and a number of local activities that do nothing). In a module of their own so the
workflow sandbox re-imports nothing else."""

from datetime import timedelta

from temporalio import activity, workflow


@workflow.defn
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@activity.defn
async def do_nothing(step: int) -> int:
    return step


@workflow.defn
class StepsWorkflow:
    """A claim's shape without its work: ``steps`` local activities in a row after a patch check."""

    @workflow.run
    async def run(self, steps: int) -> None:
        workflow.patched("bench-shape")
        for step in range(steps):
            await workflow.execute_local_activity(do_nothing, step, start_to_close_timeout=timedelta(seconds=30))
