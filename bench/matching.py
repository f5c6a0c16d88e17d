"""Matching a program against the whole registry: the policy finds the enterprise.

Starts the hub on its embedded defaults (SQLite, the Temporal dev server, worker and web server as
processes) with a synthetic registry of ``--enterprises`` (default 100,000), waits for the seeded
programs' matching runs, then publishes one more program and times its matching run from the
publishing call to the run's end (every enterprise evaluated, the results stored, the eligible
ones notified). The baseline, measured in the same run, is the same rules evaluated in this process
over the same profiles held in memory: no database, no workflow. The two alternate, ``--rounds``
times (each matching run a program of its own), the order swapped every round, because this
machine's speed drifts within minutes. Prints enterprises per second for both in every round, and
the median of the rounds' ratios.

    .venv/bin/python -m bench.matching [--enterprises 100000] [--rounds 3]
    .venv/bin/python -m bench.matching --enterprises 200 --rounds 1     # smoke run
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the baseline and a matching run")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.claims import program
    from forms.programs import ProgramSpec, assess
    from hub.registry.synthetic import population
    from tests.stack.harness import PASSWORD, start_stack

    criteria = [
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

    def spec(n: int) -> dict:
        return {**program(f"bench-match-{n}", 10**9), "criteria": criteria}

    profiles = [p for batch in population(args.enterprises) for p in batch]
    parsed = ProgramSpec.model_validate(spec(1))
    today = dt.date.today()

    def baseline() -> tuple[float, int]:
        """The rules alone, in memory: seconds, and how many are eligible."""
        start = time.perf_counter()
        eligible = sum(assess(parsed, p, today).eligible for p in profiles)
        return time.perf_counter() - start, eligible

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

        def matching(n: int) -> tuple[float, dict]:
            """Publishes round n's program and waits for its matching run: seconds, and the program."""
            t = time.perf_counter()
            http.post("/api/programs", json=spec(n), headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            while (result := matched(f"bench-match-{n}")) is None:
                time.sleep(0.5)
            return time.perf_counter() - t, result

        rounds = []
        for n in tqdm(range(1, args.rounds + 1), desc="rounds", unit=" rounds", disable=None):
            # Swapped every round, so that neither always runs first after the other.
            if n % 2:
                (baseline_s, eligible), (workflow_s, result) = baseline(), matching(n)
            else:
                (workflow_s, result), (baseline_s, eligible) = matching(n), baseline()
            rounds.append((baseline_s, eligible, workflow_s, result))
    finally:
        stack.shutdown()

    print(f"\n{args.enterprises} enterprises in the registry (and the 4 demo ones), {args.rounds} rounds")
    print(f"{'round':<7}{'baseline s':>11}{'per second':>12}{'matching s':>12}{'per second':>12}{'ratio':>9}")
    ratios, ok = [], True
    for n, (baseline_s, eligible, workflow_s, result) in enumerate(rounds, 1):
        base_rate, rate = args.enterprises / baseline_s, result["matched_enterprises"] / workflow_s
        ratios.append(rate / base_rate)
        print(f"{n:<7}{baseline_s:>11.1f}{base_rate:>12.0f}{workflow_s:>12.1f}{rate:>12.0f}{ratios[-1]:>8.3f}x")
        # The registry also holds the four demo enterprises.
        ok &= 0 <= result["eligible_enterprises"] - eligible <= 4
    print(
        f"eligible: {result['eligible_enterprises']} (baseline found {eligible}); results agree: {'yes' if ok else 'NO'}"
    )
    print(f"matching/baseline throughput, median of the rounds: {statistics.median(ratios):.3f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
