"""The hub's main endpoints and pages against a bare Litestar handler, same server settings, same run.

The hub runs as in production on its embedded defaults (`qinqing serve` and `qinqing worker` as
processes, the Temporal dev server), on SQLite or, with ``--postgres``, on PostgreSQL. The baseline
is a Litestar app with one JSON handler (``bench/bare_app.py``) served by uvicorn with the same
number of processes and the same access-log setting. The load comes from ``wrk`` (its own process,
written in C: at 20 connections it needs a fraction of a core to saturate a Python server).

Each round measures the bare handler, then every endpoint, for ``--seconds`` each; the ratio of an
endpoint is its requests per second over the bare handler's in the same round, and the printed
figure is the median over ``--rounds`` rounds (this machine's speed drifts within minutes, so a
ratio is only taken between two measurements a few seconds apart).

    .venv/bin/python -m bench.api [--workers 1,2] [--rounds 3] [--seconds 5] [--postgres] [--gzip]
    .venv/bin/python -m bench.api --smoke          # a second per endpoint, one round: does it run?

With several process counts (``--workers 1,2``) a hub and a bare server run for each, side by side,
and every round measures them all: besides each count's ratios to its bare handler, it prints how
each endpoint's throughput grows from the first count to the others (target for the catalog: 1.7x
from one process to two on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import cpu

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "elderly-care-allowance"
CONNECTIONS, THREADS = 20, 2
INBOX_REQUESTS = 30  # requests waiting in the clerk's inbox while it is measured


@dataclass
class Endpoint:
    name: str
    path: str
    target: float
    token: str | None = None


@dataclass
class Cores:
    """Cores busy during a measurement: the server's processes' and the load generator's."""

    server: float
    wrk: float
    rest: float  # everything else on the machine: the database's backends, the other stack, the system


def wrk(url: str, seconds: float, token: str | None, server_pids: list[int], gzip: bool) -> tuple[float, int, Cores]:
    """(requests per second, answers that were not 2xx/3xx, cores busy) of ``url`` under wrk's
    load. The cores are the CPU time the server processes (``server_pids`` and their children) and
    wrk itself used meanwhile over the wall time: on a machine whose cores the load generator
    shares, how far a server can scale depends on what wrk leaves it. With ``gzip`` every request
    accepts gzip, as browsers' do: the catalog's kept answers then go gzipped (compressed once);
    nothing else changes, since the load balancer compresses the rest."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(seconds, 1):.0f}s", "-H", "Accept-Language: zh-CN"]
    if gzip:
        command += ["-H", "Accept-Encoding: gzip"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    server_before = cpu.snapshot({"server": server_pids})
    machine_before = cpu.machine_busy()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - started
    machine = cpu.machine_busy() - machine_before
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = cpu.spent(server_before, cpu.snapshot({"server": server_pids}))["server"]
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    cores = Cores(server / wall, wrk_cpu / wall, max(machine - server - wrk_cpu, 0.0) / wall)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rate is None:
        raise RuntimeError(f"wrk said:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return float(rate.group(1)), int(errors.group(1)) if errors else 0, cores


def start_bare(port: int, workers: int, access_log: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--workers", str(workers)]
    if access_log:
        command.append("--access-log")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the bare handler did not start")


def prepare(base_url: str) -> tuple[str, str, str]:
    """A clerk's inbox with work in it and a filed request: (clerk token, citizen token, reference)."""
    from tests.stack.flows import answers, open_task
    from tests.stack.harness import Api

    citizen = Api(base_url, "zhangsan")
    refs = []
    for _ in range(INBOX_REQUESTS):
        r = citizen.post(
            "/api/requests",
            json={"service_id": SERVICE, "answers": answers()},
            headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
        )
        r.raise_for_status()
        refs.append(r.json()["ref"])
    clerk = Api(base_url, "street.clerk")
    open_task(clerk, refs[-1], timeout=120)
    return clerk.http.headers["Authorization"][7:], citizen.http.headers["Authorization"][7:], refs[-1]


def endpoints_of(clerk: str, citizen: str, ref: str) -> list[Endpoint]:
    return [
        Endpoint("GET /health", "/health", 0.5),
        Endpoint("GET /api/services (catalog)", "/api/services", 0.5),
        Endpoint("GET /api/services/{id}", f"/api/services/{SERVICE}", 0.5),
        Endpoint("GET /api/tasks (clerk's inbox)", "/api/tasks", 0.25, clerk),
        Endpoint("GET /api/requests/{ref}", f"/api/requests/{ref}", 0.25, citizen),
        Endpoint("GET / (home page)", "/", 0.25),
        Endpoint("GET /services/{id} (page)", f"/services/{SERVICE}", 0.25),
        Endpoint("GET /open (open data page)", "/open", 0.25),
        Endpoint("GET /api/open/datasets/outcomes.csv", "/api/open/datasets/outcomes.csv", 0.25),
    ]


def cores_of(setup: Setup, name: str) -> str:
    """The median cores the server, wrk and the rest of the machine kept busy while ``name`` was
    measured."""
    measured = setup.cores[name]
    server = statistics.median(c.server for c in measured)
    wrk_cores = statistics.median(c.wrk for c in measured)
    return f"{server:>14.2f}{wrk_cores:>11.2f}{statistics.median(c.rest for c in measured):>12.2f}"


SCALING_TARGET = 1.7  # the catalog, from one web process to two on 2 cores
CATALOG = "GET /api/services (catalog)"


@dataclass
class Setup:
    """One process count: the hub's stack, its bare twin, and what was measured of them."""

    workers: int
    stack: Any
    bare: subprocess.Popen
    bare_url: str
    endpoints: list[Endpoint]
    rates: dict[str, list[float]]
    ratios: dict[str, list[float]]
    cores: dict[str, list[Cores]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1", help="web server processes, hub and bare alike; e.g. 1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="per endpoint per round")
    parser.add_argument("--postgres", action="store_true", help="the hub on PostgreSQL (scripts/start-postgres)")
    parser.add_argument("--access-log", action="store_true", help="both servers write an access log line per request")
    parser.add_argument("--smoke", action="store_true", help="one round of one second: checks that it runs")
    parser.add_argument("--gzip", action="store_true", help="every request accepts gzip, as a browser's does")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if args.smoke:
        args.rounds, args.seconds = 1, 1
    if shutil.which("wrk") is None:
        print("wrk is not installed (scripts/setup installs it)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from tests.stack.harness import free_ports, start_stack

    if args.postgres:
        url = subprocess.run([str(ROOT / "scripts/start-postgres")], capture_output=True, text=True, check=True)
        os.environ["QINQING_TEST_DATABASE_URL"] = url.stdout.strip()
    database = "PostgreSQL" if args.postgres else "SQLite"
    setups: list[Setup] = []
    failures = 0
    try:
        for workers in counts:
            root = Path(tempfile.mkdtemp(prefix="bench-api-"))
            print(f"starting the hub in {root} on {database} with {workers} web process(es) ...", flush=True)
            stack = start_stack(
                root, QINQING_WEB_WORKERS=str(workers), QINQING_ACCESS_LOG="true" if args.access_log else "false"
            )
            port = free_ports(1)[0]
            setup = Setup(
                workers, stack, start_bare(port, workers, args.access_log), f"http://127.0.0.1:{port}/", [], {}, {}, {}
            )
            setups.append(setup)
            setup.endpoints = endpoints_of(*prepare(stack.base_url))
            for e in setup.endpoints:  # every endpoint answers before it is measured
                headers = {"Authorization": f"Bearer {e.token}"} if e.token else {}
                r = httpx.get(stack.base_url + e.path, headers=headers, timeout=30)
                if r.status_code != 200:
                    raise RuntimeError(f"{e.name} answered {r.status_code}: {r.text[:300]}")
            setup.rates = {e.name: [] for e in setup.endpoints} | {"bare": []}
            setup.ratios = {e.name: [] for e in setup.endpoints}
            setup.cores = {name: [] for name in setup.rates}
        for n in range(1, args.rounds + 1):
            for setup in setups:
                bare_rate, _, cores = wrk(setup.bare_url, args.seconds, None, [setup.bare.pid], args.gzip)
                setup.rates["bare"].append(bare_rate)
                setup.cores["bare"].append(cores)
                hub = [setup.stack.processes["serve"].pid]
                for e in setup.endpoints:
                    rate, errors, cores = wrk(setup.stack.base_url + e.path, args.seconds, e.token, hub, args.gzip)
                    failures += errors
                    setup.rates[e.name].append(rate)
                    setup.cores[e.name].append(cores)
                    setup.ratios[e.name].append(rate / bare_rate)
                print(f"round {n}, {setup.workers} process(es): bare {bare_rate:.0f}/s", flush=True)
    finally:
        for setup in setups:
            setup.bare.terminate()
            setup.bare.wait()
            setup.stack.shutdown()

    passed = True
    for setup in setups:
        print(
            f"\n{database}, {setup.workers} web process(es), {os.cpu_count()} cores, wrk -t{THREADS} -c{CONNECTIONS}, "
            f"{args.rounds} round(s) of {args.seconds:.0f} s, access log {'on' if args.access_log else 'off'}, "
            f"gzip {'accepted' if args.gzip else 'not asked for'}"
        )
        cores = f"{'server cores':>14}{'wrk cores':>11}{'rest cores':>12}"
        print(f"{'endpoint':<34}{'req/s':>8}{'of bare':>9}{'target':>8}{'':>6}{cores}")
        print(
            f"{'bare Litestar handler':<34}{statistics.median(setup.rates['bare']):>8.0f}{'1.00x':>9}{'':>14}"
            f"{cores_of(setup, 'bare')}"
        )
        for e in setup.endpoints:
            ratio = statistics.median(setup.ratios[e.name])
            ok = ratio >= e.target
            passed &= ok
            print(
                f"{e.name:<34}{statistics.median(setup.rates[e.name]):>8.0f}{ratio:>8.2f}x{e.target:>7.2f}x "
                f"{'PASS' if ok else 'FAIL'}{cores_of(setup, e.name)}"
            )
    first = setups[0]
    for other in setups[1:]:
        print(f"\nthroughput with {other.workers} web processes over {first.workers} (median of the rounds' ratios)")
        # Requests per CPU-second of the server: 1.00x means each request costs what it did with one
        # process, so that the throughput grows with the cores the server is given.
        print(f"{'':<34}{'growth':>8}{'':>28}{'per server CPU-second':>23}")
        for name in first.rates:
            growth = statistics.median(b / a for a, b in zip(first.rates[name], other.rates[name], strict=True))
            efficiency = statistics.median(
                (rb / cb.server) / (ra / ca.server)
                for ra, rb, ca, cb in zip(
                    first.rates[name], other.rates[name], first.cores[name], other.cores[name], strict=True
                )
                if ca.server and cb.server
            )
            verdict = ""
            if name == CATALOG and (first.workers, other.workers) == (1, 2):
                ok = growth >= SCALING_TARGET
                passed &= ok
                verdict = f" (target {SCALING_TARGET:.1f}x) {'PASS' if ok else 'FAIL'}"
            label = name if name != "bare" else "bare Litestar handler"
            print(f"{label:<34}{growth:>8.2f}x{verdict:<28}{efficiency:>22.2f}x")
    if failures:
        print(f"{failures} answers were not 2xx/3xx: the figures above are not valid")
        return 1
    return 0 if passed or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
