"""Matching a program against the whole registry: the policy finds the enterprise.

Starts the hub on its embedded defaults (SQLite, the Temporal dev server, worker and web server as
processes) with a synthetic registry of ``--enterprises`` (default 100,000), waits for the seeded
programs' matching runs, then publishes one more program and times its matching run from the
publishing call to the run's end (every enterprise evaluated, the results stored, the eligible
ones notified). The baseline, measured in the same run, is the same rules evaluated in this process
over the same profiles held in memory: no database, no workflow. Prints enterprises per second for
both and the ratio.

    .venv/bin/python -m bench.matching [--enterprises 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.claims import program
    from forms.programs import ProgramSpec, assess
    from hub.registry.synthetic import population
    from tests.stack.harness import PASSWORD, start_stack

    spec = program("bench-match", 10**9)
    spec["criteria"] = [
        {"id": "active", "expression": "enterprise.status == 'active'", "reason": {"zh_CN": "正常", "en": "Active"}},
        {
            "id": "insured",
            "expression": "enterprise.insured_employees >= 5",
            "reason": {"zh_CN": "参保5人以上", "en": "5 insured"},
        },
        {
            "id": "credit",
            "expression": "enterprise.tax_credit_rating not in ('C', 'D')",
            "reason": {"zh_CN": "信用", "en": "Credit"},
        },
    ]

    # The baseline: the rules alone, in memory.
    profiles = [p for batch in population(args.enterprises) for p in batch]
    parsed = ProgramSpec.model_validate(spec)
    today = dt.date.today()
    start = time.perf_counter()
    eligible = sum(assess(parsed, p, today).eligible for p in profiles)
    baseline_s = time.perf_counter() - start
    del profiles

    root = Path(tempfile.mkdtemp(prefix="bench-matching-"))
    print(f"starting the hub in {root} with {args.enterprises} enterprises (seeding takes a while) ...", flush=True)
    t = time.perf_counter()
    stack = start_stack(root, QINQING_DEMO_ENTERPRISES=str(args.enterprises), QINQING_DEMO_ENTERPRISE_ACCOUNTS="0")
    print(f"seeded and started in {time.perf_counter() - t:.0f} s", flush=True)
    try:
        http = httpx.Client(base_url=stack.base_url, timeout=60)

        def matched(code: str) -> dict | None:
            p = http.get(f"/api/open/programs/{code}").json()
            return p if p["matched_at"] else None

        for code in ("job-stabilisation-2026", "new-hire-insurance-2026", "rnd-subsidy-2026"):
            while not matched(code):
                time.sleep(2)
        token = http.post("/api/auth/token", json={"username": "admin", "password": PASSWORD}).json()["token"]
        t = time.perf_counter()
        http.post("/api/programs", json=spec, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        while (result := matched("bench-match")) is None:
            time.sleep(0.5)
        workflow_s = time.perf_counter() - t
    finally:
        stack.shutdown()

    total = result["matched_enterprises"]
    print(f"\n{total} enterprises evaluated ({result['eligible_enterprises']} eligible; baseline found {eligible})")
    print(f"{'':40}{'seconds':>10}{'enterprises/s':>16}")
    print(f"{'rules alone, in memory (baseline)':40}{baseline_s:>10.1f}{args.enterprises / baseline_s:>16.0f}")
    print(f"{'matching workflow, end to end':40}{workflow_s:>10.1f}{total / workflow_s:>16.0f}")
    print(f"matching/baseline throughput: {(total / workflow_s) / (args.enterprises / baseline_s):.2f}x")
    # The registry also holds the four demo enterprises.
    return 0 if 0 <= result["eligible_enterprises"] - eligible <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
