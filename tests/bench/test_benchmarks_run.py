"""Every benchmark runs, in its smoke size: a schema or API change that breaks one fails here.

Nothing here judges performance (the smoke sizes are far too small, and the machine is shared):
a benchmark passes when it exits as it does after a complete run (0, or 1 for a missed target) and
has printed its ratio lines. The SQLite ones (everything but ``bench.inbox`` and ``bench.cycles``)
are started together as subprocesses when the module's first test runs, so the whole file costs
about the slowest of them. ``bench.inbox`` and ``bench.cycles`` need PostgreSQL: they run only when
the tests do (``QINQING_TEST_DATABASE_URL``, ``make test-postgres``), and are marked ``stack`` so
that ``pytest -m stack`` includes them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TIMEOUT = 240  # seconds, per benchmark; they take 10 to 60 s alone

# name -> (smoke arguments, a line each of these must appear in the output)
SQLITE = {
    "documents": (
        ["--documents", "2", "--rounds", "1"],
        ["zh_CN: pool/single, median of the rounds:", "en: pool/single, median of the rounds:", "target: pool"],
    ),
    "matching": (
        ["--enterprises", "50", "--rounds", "1"],
        ["matching/baseline throughput, median of the rounds:", "results agree: yes"],
    ),
    "claims": (
        ["--claims", "10", "--in-flight", "5", "--rounds", "1"],
        ["claims/empty throughput, median of the rounds:", "reconciliation differences: 0"],
    ),
    "shapes": (["--runs", "10", "--in-flight", "5"], ["empty workflow (baseline)", "patch + 5 local activities"]),
    "api": (["--smoke"], ["bare Litestar handler", "GET /api/services (catalog)", "GET /api/tasks (clerk's inbox)"]),
    "life_events": ([], ["hard-times", "asked: the one form's fields as a share of the separate forms'"]),
    "notifications": (
        ["--enterprises", "50", "--rounds", "1", "--empty", "50"],
        ["messages/empty workflows throughput, median of the rounds:", "told once per channel: yes"],
    ),
    "cockpit": (
        ["--sqlite", "--requests", "2000", "--iterations", "10"],
        ["primary-key lookup (baseline)", "a year, every department (admin)", "every cockpit query's p95"],
    ),
}


def sqlite_env() -> dict[str, str]:
    """The environment without any PostgreSQL: the hub and the harness fall back to SQLite."""
    env = {k: v for k, v in os.environ.items() if k not in ("QINQING_DATABASE_URL", "QINQING_TEST_DATABASE_URL")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"{process.args} did not finish in {TIMEOUT} s:\n{output[-3000:]}")
    return process.returncode, output


def check(name: str, returncode: int, output: str, expected: list[str]) -> None:
    # 0 or 1: the verdict of a complete run (a missed target exits 1); anything else is a crash.
    assert returncode in (0, 1), f"bench.{name} exited {returncode}:\n{output[-3000:]}"
    missing = [line for line in expected if line not in output]
    assert not missing, f"bench.{name} did not print {missing}:\n{output[-3000:]}"


@pytest.fixture(scope="module")
def sqlite_runs(request: pytest.FixtureRequest):
    """The SQLite benchmarks this session selected, started at once, in parallel."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec") and "name" in item.callspec.params
    }
    env = sqlite_env()
    processes = {name: start(name, SQLITE[name][0], env) for name in SQLITE if name in selected}
    yield processes
    for process in processes.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("name", list(SQLITE))
def test_benchmark_runs_on_sqlite(name: str, sqlite_runs: dict[str, subprocess.Popen]) -> None:
    returncode, output = finished(sqlite_runs[name])
    check(name, returncode, output, SQLITE[name][1])


@pytest.mark.stack
@pytest.mark.skipif(
    not os.environ.get("QINQING_TEST_DATABASE_URL"), reason="bench.inbox needs PostgreSQL (QINQING_TEST_DATABASE_URL)"
)
def test_inbox_benchmark_runs_on_postgresql() -> None:
    env = {k: v for k, v in os.environ.items() if k != "QINQING_DATABASE_URL"}
    admin_url = os.environ["QINQING_TEST_DATABASE_URL"]
    process = start("inbox", ["--requests", "2000", "--iterations", "20", "--admin-url", admin_url], env)
    returncode, output = finished(process)
    check(
        "inbox",
        returncode,
        output,
        ["primary-key lookup (baseline)", "inbox, random department", "inbox, mine=true", "inbox p95"],
    )


@pytest.mark.stack
@pytest.mark.skipif(
    not os.environ.get("QINQING_TEST_DATABASE_URL"), reason="bench.cycles needs PostgreSQL (QINQING_TEST_DATABASE_URL)"
)
def test_cycles_benchmark_runs_on_postgresql() -> None:
    env = {k: v for k, v in os.environ.items() if k != "QINQING_DATABASE_URL"}
    admin_url = os.environ["QINQING_TEST_DATABASE_URL"]
    process = start("cycles", ["--entitlements", "2000", "--admin-url", admin_url], env)
    returncode, output = finished(process)
    check(
        "cycles",
        returncode,
        output,
        ["ledger raw insert, COPY (baseline, before)", "cycle/baseline throughput:", "worker memory: peak",
         "reconciliation differences: 0", "PASS: every entitlement paid exactly once"],
    )  # fmt: skip
