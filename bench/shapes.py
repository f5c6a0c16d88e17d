"""What the workflow's shape alone costs: an empty workflow against workflows shaped like a claim.

The claims benchmark compares a whole claim (web, database, PDF) with an empty workflow. This one
takes our code out: workflows with a patch marker and 3, 5 or 8 local activities that do nothing, on
the same dev server and a worker in this process, 200 in flight. The ratio it prints is the most a
claim of that shape could reach against the empty workflow on this machine, however cheap its work.

    .venv/bin/python -m bench.shapes [--runs 400] [--in-flight 200]
    .venv/bin/python -m bench.shapes --runs 10 --in-flight 5     # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench import cpu
from bench.claims import timed
from bench.empty_workflow import EmptyWorkflow, StepsWorkflow, do_nothing

QUEUE = "bench-shapes"
ROOT = Path(__file__).resolve().parent.parent


async def measure(address: str, server_pid: int, runs: int, in_flight: int) -> list[tuple[str, float, dict]]:
    client = await Client.connect(address)
    results = []
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[EmptyWorkflow, StepsWorkflow],
        activities=[do_nothing],
        # As the hub's worker takes them (QINQING_WORKER_WORKFLOW_TASKS), outside the sandbox as it runs them.
        max_concurrent_workflow_tasks=16,
        max_concurrent_local_activities=16,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        shapes = [
            ("empty workflow (baseline)", None),
            ("patch + 3 local activities", 3),
            ("patch + 5 local activities", 5),
            ("patch + 8 local activities", 8),
        ]
        for label, steps in shapes:

            async def one(i: int, steps=steps) -> None:
                wid = f"shape-{uuid.uuid4()}"
                if steps is None:
                    await client.execute_workflow(EmptyWorkflow.run, id=wid, task_queue=QUEUE)
                else:
                    await client.execute_workflow(StepsWorkflow.run, steps, id=wid, task_queue=QUEUE)

            await timed(one, 20, 1)  # warm up
            roots = {"temporal server": server_pid, "worker and client (this process)": os.getpid()}
            before = cpu.snapshot(roots)
            wall, _ = await timed(one, runs, in_flight, label.strip())
            spent = cpu.spent(before, cpu.snapshot(roots))
            results.append((label, runs / wall, {name: seconds / runs * 1000 for name, seconds in spent.items()}))
            print(f"  {label}: {runs / wall:.1f}/s", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--in-flight", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from hub.temporal import DevServer
    from tests.stack.harness import free_port

    root = Path(tempfile.mkdtemp(prefix="bench-shapes-"))
    server = DevServer(root / "temporal.db", free_port(), log_file=root / "temporal.log")
    server.start()
    try:
        results = asyncio.run(measure(server.address, server.process.pid, args.runs, args.in_flight))
    finally:
        server.stop()
    base = results[0][1]
    print(f"\n{args.runs} per shape with {args.in_flight} in flight; {os.cpu_count()} cores")
    print(f"{'':30}{'per second':>12}{'ratio':>8}{'server ms':>11}{'worker+client ms':>18}")
    for label, rate, ms in results:
        server_ms, local_ms = ms["temporal server"], ms["worker and client (this process)"]
        print(f"{label:30}{rate:>12.1f}{rate / base:>7.2f}x{server_ms:>11.0f}{local_ms:>18.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
