"""Instant claims end to end, against an empty workflow on the same Temporal server, same run.

End to end means: the HTTP claim, the workflow's checks and reservation, the money moved in the
ledger, and the signed payment notice issued: numbered, signed and registered, what it says kept
(the claim call answers when the workflow has finished, which is after the notice). The notice's
PDF is made on its first download; after the rounds, the last round's notices are downloaded once
each, and the cost of that is printed beside the claims'. The hub runs as in production on its
embedded defaults (SQLite, the Temporal dev server, `qinqing worker` and `qinqing serve` as
processes).

The baseline is a workflow with no activities, started and awaited by a client with the same
concurrency, on a worker in this process, against the same server.

Measured, for both: the median latency of one at a time, and the throughput and median latency with
``--in-flight`` (default 200) at once. The loaded batches alternate, ``--rounds`` times an empty
batch then a claim batch, because this machine's speed drifts by a fifth within minutes: a ratio
taken from two moments apart measured the drift as much as the claims. Targets: the median of the
rounds' ratios at least 0.70 (claims at least 70% of the empty workflow's throughput), and a median
latency one at a time under 100 ms (``TARGET_RATIO``, ``TARGET_MEDIAN_S``).

    .venv/bin/python -m bench.claims [--claims 400] [--in-flight 200] [--rounds 3]
    .venv/bin/python -m bench.claims --claims 10 --in-flight 5 --rounds 1     # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from tqdm import tqdm

from bench import cpu
from bench.empty_workflow import EmptyWorkflow

ROOT = Path(__file__).resolve().parent.parent
# Raised from 0.40x and 1 s once the first targets were met (bench/README.md has the history).
TARGET_RATIO, TARGET_MEDIAN_S = 0.70, 0.1
SEQUENTIAL = 20
DOWNLOADS_IN_FLIGHT = 8  # enterprises fetching their notices after a burst of claims
EMPTY_QUEUE = "bench-empty"


def program(code: str, budget: int) -> dict:
    import datetime as dt

    today = dt.date.today()
    text = {"zh_CN": f"基准测试补贴{code}", "en": f"Benchmark subsidy {code}"}
    return {
        "code": code,
        "title": text,
        "summary": text,
        "legal_basis": text,
        "service_id": "new-hire-social-insurance-subsidy",
        "mode": "instant",
        "period": str(today.year),
        "opens_on": (today - dt.timedelta(days=1)).isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "criteria": [
            {"id": "staffed", "expression": "enterprise.employees >= 1", "reason": {"zh_CN": "有职工", "en": "Staffed"}}
        ],
        "amount": "enterprise.insured_employees * 100 + 100",
        "cap_per_enterprise": "100000",
        "budget": str(budget),
    }


async def timed(make, count: int, in_flight: int, desc: str = "") -> tuple[float, list[float]]:
    """Run ``count`` calls of ``make(i)`` with at most ``in_flight`` at once; (wall seconds, latencies).

    With ``desc``, a progress bar (with the time left) on stderr while it runs, when that is a terminal.
    """
    gate = asyncio.Semaphore(in_flight)
    latencies: list[float] = []
    bar = tqdm(total=count, desc=desc, unit=" runs", leave=False, disable=None if desc else True)

    async def one(i: int) -> None:
        async with gate:
            t = time.perf_counter()
            await make(i)
            latencies.append(time.perf_counter() - t)
            bar.update()

    start = time.perf_counter()
    try:
        await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        bar.close()
    return time.perf_counter() - start, latencies


def profilers(stack, directory: Path | None, n: int) -> list[subprocess.Popen]:
    """With ``--profile DIR``: py-spy recording the worker and the web process while a claim batch runs."""
    if directory is None:
        return []
    spy = Path(sys.executable).with_name("py-spy")
    directory.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [str(spy), "record", "-p", str(stack.processes[name].pid), "-d", "600", "-r", "200", "-f", "raw"]
            + ["-o", str(directory / f"{name}-round{n}.txt"), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in ("worker", "serve")
    ]


def stop(spies: list[subprocess.Popen]) -> None:
    for spy in spies:  # py-spy writes what it recorded when interrupted
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(timeout=60)


async def measure(
    stack, tokens: list[str], claims: int, in_flight: int, rounds: int, profile: Path | None = None
) -> dict:
    """One at a time first, then ``rounds`` rounds under load, each an empty-workflow batch followed by
    a claim batch: both sides of every round's ratio see the machine in the same state."""

    def roots() -> dict:
        return {
            "temporal server": stack.temporal.process.pid,
            "qinqing worker": stack.processes["worker"].pid,
            # The worker and the web server render PDFs in processes of their own.
            "worker's render processes": cpu.children(stack.processes["worker"].pid),
            "qinqing serve": stack.processes["serve"].pid,
            "serve's render processes": cpu.children(stack.processes["serve"].pid),
            "benchmark client": os.getpid(),
        }

    client = await Client.connect(stack.temporal.address, data_converter=pydantic_data_converter)
    limits = httpx.Limits(max_connections=in_flight + 10)
    results: dict = {"rounds": [], "empty cpu": {}, "claims cpu": {}}
    outcomes: list[str] = []
    paid: list[tuple[str, str]] = []  # (token, request ref) of the claims paid, in order
    async with (
        Worker(client, task_queue=EMPTY_QUEUE, workflows=[EmptyWorkflow], max_concurrent_workflow_tasks=200),
        httpx.AsyncClient(base_url=stack.base_url, timeout=300, limits=limits) as http,
    ):

        async def empty(i: int) -> None:
            await client.execute_workflow(EmptyWorkflow.run, id=f"empty-{uuid.uuid4()}", task_queue=EMPTY_QUEUE)

        async def claim_as(token: str, code: str) -> None:
            # As a client would: an answer of 503 (saved but not passed on yet, or too busy) is
            # repeated after its Retry-After, which is safe; the latency counts the wait.
            while True:
                r = await http.post(
                    f"/api/programs/{code}/claims", json={}, headers={"Authorization": f"Bearer {token}"}
                )
                if r.status_code != 503:
                    break
                outcomes.append("503, repeated")
                await asyncio.sleep(float(r.headers.get("Retry-After", "5")))
            outcomes.append(r.json().get("state", r.json().get("type")) if r.status_code < 500 else str(r.status_code))
            if r.status_code == 201 and r.json()["state"] == "paid":
                paid.append((token, r.json()["request_ref"]))

        async def download(token: str, ref: str) -> None:
            # As the enterprise would: its request's page, then the notice listed on it.
            auth = {"Authorization": f"Bearer {token}"}
            documents = (await http.get(f"/api/requests/{ref}", headers=auth)).json()["documents"]
            notice = next(d for d in documents if d["kind"] == "payment_notice")
            (await http.get(notice["download_url"], headers=auth)).raise_for_status()

        def add(total: dict, part: dict) -> None:
            for name, seconds in part.items():
                total[name] = total.get(name, 0.0) + seconds

        print("one at a time ...", flush=True)
        _, empty_one = await timed(empty, SEQUENTIAL, 1, "empty workflows")
        _, claim_one = await timed(lambda i: claim_as(tokens[i], program_code(0)), SEQUENTIAL, 1, "claims")
        results["one at a time"] = (statistics.median(empty_one), statistics.median(claim_one))

        for n in range(1, rounds + 1):
            print(f"round {n} of {rounds}: empty workflows, then instant claims ...", flush=True)
            before = cpu.snapshot(roots())
            wall, loaded = await timed(empty, claims, in_flight, f"round {n}: empty workflows")
            add(results["empty cpu"], cpu.spent(before, cpu.snapshot(roots())))
            empty_rate, empty_loaded = claims / wall, statistics.median(loaded)

            # Each round claims a program of its own, so the same enterprises can claim again.
            offset = SEQUENTIAL if n == 1 else 0
            before = cpu.snapshot(roots())
            code = program_code(n)
            spies = profilers(stack, profile, n)
            try:
                wall, loaded = await timed(
                    lambda i, offset=offset, code=code: claim_as(tokens[offset + i], code),
                    claims,
                    in_flight,
                    f"round {n}: claims",
                )
            finally:
                stop(spies)
            add(results["claims cpu"], cpu.spent(before, cpu.snapshot(roots())))
            results["rounds"].append((empty_rate, empty_loaded, claims / wall, statistics.median(loaded)))

        print("first downloads of the last round's notices ...", flush=True)
        last = paid[-claims:]
        before = cpu.snapshot(roots())
        wall, loaded = await timed(lambda i: download(*last[i]), len(last), DOWNLOADS_IN_FLIGHT, "first downloads")
        results["downloads cpu"] = cpu.spent(before, cpu.snapshot(roots()))
        results["downloads"] = (len(last), len(last) / wall, statistics.median(loaded))
    results["outcomes"] = {o: outcomes.count(o) for o in set(outcomes)}
    return results


def program_code(n: int) -> str:
    """Round 1 shares its program with the claims made one at a time; every other round has its own."""
    return f"bench-{max(n, 1)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=400, help="per batch")
    parser.add_argument("--in-flight", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", type=Path, help="record the worker and the web process with py-spy during each claim batch, here"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.stack.harness import PASSWORD, start_stack

    accounts = args.claims + SEQUENTIAL
    root = Path(tempfile.mkdtemp(prefix="bench-claims-"))
    print(f"starting the hub in {root} with {accounts} enterprise accounts ...", flush=True)
    stack = start_stack(
        root,
        QINQING_DEMO_ENTERPRISES=str(accounts + 100),
        QINQING_DEMO_ENTERPRISE_ACCOUNTS=str(accounts),
        QINQING_CLAIM_WAIT_SECONDS="300",
        QINQING_RENDER_PROCESSES="2",
    )
    try:
        admin = httpx.Client(base_url=stack.base_url, timeout=60)
        token = admin.post("/api/auth/token", json={"username": "admin", "password": PASSWORD}).json()["token"]
        for n in range(1, args.rounds + 1):
            r = admin.post(
                "/api/programs", json=program(program_code(n), 10**9), headers={"Authorization": f"Bearer {token}"}
            )
            r.raise_for_status()

        def sign_in(n: int) -> str:
            body = {"username": f"ent{n:04d}", "password": PASSWORD}
            return httpx.post(f"{stack.base_url}/api/auth/token", json=body, timeout=60).json()["token"]

        with ThreadPoolExecutor(4) as pool:
            tokens = list(pool.map(sign_in, range(1, accounts + 1)))
        time.sleep(10)  # let the programs' matching runs finish first
        results = asyncio.run(measure(stack, tokens, args.claims, args.in_flight, args.rounds, args.profile))
        reconciliation = httpx.get(
            f"{stack.base_url}/api/reconciliation",
            headers={
                "Authorization": "Bearer "
                + admin.post("/api/auth/token", json={"username": "auditor", "password": PASSWORD}).json()["token"]
            },
            timeout=60,
        ).json()
    finally:
        stack.shutdown()

    e_one, c_one = results["one at a time"]
    print(f"\n{args.claims} per batch with {args.in_flight} in flight, {args.rounds} rounds; 2 cores")
    print(f"median one at a time: empty workflow {e_one * 1000:.0f} ms, instant claim {c_one * 1000:.0f} ms")
    print(f"{'round':<7}{'empty/s':>9}{'median':>9}{'claims/s':>10}{'median':>9}{'ratio':>8}")
    ratios = []
    for n, (e_rate, e_loaded, c_rate, c_loaded) in enumerate(results["rounds"], 1):
        ratios.append(c_rate / e_rate)
        print(f"{n:<7}{e_rate:>9.1f}{e_loaded:>8.1f}s{c_rate:>10.1f}{c_loaded:>8.1f}s{ratios[-1]:>7.2f}x")
    ratio = statistics.median(ratios)
    print(
        f"claims/empty throughput, median of the rounds: {ratio:.2f}x (target {TARGET_RATIO:.2f}x) -> "
        f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    print(
        f"claim median, one at a time: {c_one * 1000:.0f} ms (target < {TARGET_MEDIAN_S * 1000:.0f} ms) -> "
        f"{'PASS' if c_one < TARGET_MEDIAN_S else 'FAIL'}"
    )
    items = args.claims * args.rounds
    downloads, download_rate, download_median = results["downloads"]
    print(
        f"first downloads of {downloads} notices ({DOWNLOADS_IN_FLIGHT} at once): {download_rate:.1f} per second, "
        f"median {download_median * 1000:.0f} ms"
    )
    print("\nCPU per item with the load on (ms), by process:")
    print(f"{'':28}{'empty workflow':>16}{'instant claim':>16}{'first download':>16}")
    totals = [0.0, 0.0, 0.0]
    for name in results["claims cpu"]:
        e_ms = results["empty cpu"][name] / items * 1000
        c_ms = results["claims cpu"][name] / items * 1000
        d_ms = results["downloads cpu"][name] / downloads * 1000
        totals = [totals[0] + e_ms, totals[1] + c_ms, totals[2] + d_ms]
        label = "  its render processes" if name.endswith("render processes") else name
        print(f"{label:28}{e_ms:>16.0f}{c_ms:>16.0f}{d_ms:>16.0f}")
    print(f"{'all':28}{totals[0]:>16.0f}{totals[1]:>16.0f}{totals[2]:>16.0f}")
    print(f"outcomes: {results['outcomes']}; reconciliation differences: {len(reconciliation['differences'])}")
    return 0 if ratio >= TARGET_RATIO and c_one < TARGET_MEDIAN_S else 1


if __name__ == "__main__":
    sys.exit(main())
