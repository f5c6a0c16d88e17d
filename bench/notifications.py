"""Telling the enterprises a published program finds: messages per second and CPU per message,
against an empty workflow measured in the same run.

Starts the hub on its embedded defaults (SQLite, the Temporal dev server, `qinqing worker` and
`qinqing serve` as processes) with a synthetic registry of ``--enterprises`` (default 10,000), each
with a sign-in account whose owner chose email and SMS. Emails go to a real SMTP server this process
runs (aiosmtpd, which keeps nothing); SMS go to the hub's local gateway, which records them and
posts each delivery receipt back. Quiet hours are off, so every SMS is sent at once.

A round publishes a program every enterprise qualifies for and times from the publishing call until
its matching run has ended, no message is left queued and every SMS's delivery receipt is back:
each eligible enterprise's legal representative is then told in the hub, by email and by SMS (three
messages). The baseline is an empty workflow (no activities), ``--empty`` of them started and
awaited by a client, 200 at once, on a worker in this process against the same server. The two
alternate, ``--rounds`` times, because this machine's speed drifts within minutes. Prints, every
round, messages per second against empty workflows per second, and the CPU each costs, by process.

    .venv/bin/python -m bench.notifications [--enterprises 10000] [--rounds 3]
    .venv/bin/python -m bench.notifications --enterprises 200 --rounds 1     # smoke run
    .venv/bin/python -m bench.notifications --profile var/profiles           # py-spy of the worker
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench import cpu
from bench.claims import EMPTY_QUEUE, profilers, program, stop, timed
from bench.empty_workflow import EmptyWorkflow

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT = 200
EXTERNAL = ("email", "sms")

# Every enterprise's legal representative is reached by email and by SMS, in Chinese.
PREFERENCES = """
import asyncio, json
from hub import clock
from hub.db.lifecycle import database
from hub.db.tables import Account, MessagePreference
from hub.sealing import configure_from, seal
from hub.settings import load_settings

async def main():
    settings = load_settings()
    configure_from(settings)
    async with database(settings):
        rows = await Account.select(Account.id, Account.enterprise_role).where(Account.role == "enterprise")
        told = [r["id"] for r in rows if r["enterprise_role"] in (None, "approver")]
        now = clock.now()
        prefs = [
            MessagePreference(
                account=account,
                email=seal(f"ent{account}@bench.example", "message_preference.email"),
                # Never ending in 0000, which the local gateway answers "not in service".
                phone=seal(f"139{account:07d}1", "message_preference.phone"),
                channels=json.dumps(["email", "sms"]),
                locale="zh_CN",
                updated_at=now,
            )
            for account in told
        ]
        for start in range(0, len(prefs), 500):
            await MessagePreference.insert(*prefs[start : start + 500]).on_conflict(
                target=MessagePreference.account, action="DO NOTHING"
            )
        print(len(told))

asyncio.run(main())
"""


class Discard:
    """An SMTP handler that takes every message and keeps only the count."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received += 1
        return "250 Message accepted"


def spec(n: int) -> dict:
    """Round ``n``'s program: every enterprise of the registry qualifies."""
    criteria = [{"id": "any", "expression": "enterprise.employees >= 0", "reason": {"zh_CN": "所有企业", "en": "Any"}}]
    return {**program(f"bench-notify-{n}", 10**9), "criteria": criteria}


# A round whose delivery counts stand still this long (seconds) is stuck, not slow.
STALL_S = 120


async def measure(stack, http: httpx.AsyncClient, token: str, rounds: int, empties: int, profile: Path | None) -> dict:
    """``rounds`` rounds, each an empty-workflow batch and a program's messages, the order swapped
    every round."""

    def roots() -> dict:
        return {
            "temporal server": stack.temporal.process.pid,
            "qinqing worker": stack.processes["worker"].pid,
            "qinqing serve (SMS gateway, receipts)": stack.processes["serve"].pid,
            "benchmark (SMTP server, client)": os.getpid(),
        }

    async def counts() -> dict[str, dict[str, int]]:
        r = await http.get("/api/messages/delivery", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return {c["channel"]: c for c in r.json()["channels"]}

    async def matched(code: str) -> dict | None:
        p = (await http.get(f"/api/open/programs/{code}")).json()
        return p if p.get("matched_at") else None

    async def program_round(n: int) -> tuple[float, dict[str, int], dict]:
        """Publishes round n's program; (seconds until every message left the queue, messages by
        channel, the program's figures)."""
        before = await counts()
        t = time.perf_counter()
        r = await http.post("/api/programs", json=spec(n), headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        last, moved = None, time.monotonic()
        while True:
            await asyncio.sleep(0.5)
            result = await matched(f"bench-notify-{n}")
            if result is None:
                continue
            now = await counts()
            if now != last:
                last, moved = now, time.monotonic()
            elif time.monotonic() - moved > STALL_S:
                # Said, rather than waited on for ever: what stood still, against the round's start.
                raise RuntimeError(f"round {n}: the messages stood still for {STALL_S} s; before {before}, now {now}")
            # Nothing left queued, and every SMS's receipt back (the counts stand still, so the
            # next round's starting counts are exact).
            if (
                all(now[c]["queued"] <= before[c]["queued"] for c in now)
                and now["sms"]["sent"] <= before["sms"]["sent"]
            ):
                break
        wall = time.perf_counter() - t
        total = {c: sum(now[c][s] - before[c][s] for s in ("queued", "sent", "delivered", "failed")) for c in now}
        total["failed"] = sum(now[c]["failed"] - before[c]["failed"] for c in now)
        return wall, total, result

    client = await Client.connect(stack.temporal.address, data_converter=pydantic_data_converter)
    results: dict = {"rounds": [], "empty cpu": {}, "messages cpu": {}, "empties": 0, "messages": 0}

    async def empty(i: int) -> None:
        await client.execute_workflow(EmptyWorkflow.run, id=f"empty-{uuid.uuid4()}", task_queue=EMPTY_QUEUE)

    def add(total: dict, part: dict) -> None:
        for name, seconds in part.items():
            total[name] = total.get(name, 0.0) + seconds

    async with Worker(client, task_queue=EMPTY_QUEUE, workflows=[EmptyWorkflow], max_concurrent_workflow_tasks=200):
        for n in range(1, rounds + 1):
            row: dict = {}
            for part in ("empty", "messages") if n % 2 else ("messages", "empty"):
                print(f"round {n} of {rounds}: {part} ...", flush=True)
                before = cpu.snapshot(roots())
                if part == "empty":
                    wall, _ = await timed(empty, empties, IN_FLIGHT, f"round {n}: empty workflows")
                    add(results["empty cpu"], cpu.spent(before, cpu.snapshot(roots())))
                    results["empties"] += empties
                    row["empty/s"] = empties / wall
                else:
                    spies = profilers(stack, profile, n)
                    try:
                        wall, by_channel, program_figures = await program_round(n)
                    finally:
                        stop(spies)
                    add(results["messages cpu"], cpu.spent(before, cpu.snapshot(roots())))
                    messages = sum(by_channel[c] for c in ("hub", *EXTERNAL))
                    results["messages"] += messages
                    row.update(
                        wall=wall,
                        messages=messages,
                        by_channel=by_channel,
                        eligible=program_figures["eligible_enterprises"],
                    )
                    row["messages/s"] = messages / wall
            results["rounds"].append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications", description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--empty", type=int, default=400, help="empty workflows per baseline batch")
    parser.add_argument("--profile", type=Path, help="record the worker and the web process with py-spy, here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.stack.db import run_python
    from tests.stack.harness import PASSWORD, free_port, start_stack

    mailbox = Discard()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    root = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    print(f"starting the hub in {root} with {args.enterprises} enterprises and their accounts ...", flush=True)
    t = time.perf_counter()
    stack = start_stack(
        root,
        QINQING_DEMO_ENTERPRISES=str(args.enterprises),
        QINQING_DEMO_ENTERPRISE_ACCOUNTS=str(args.enterprises),
        QINQING_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        QINQING_SMS_QUIET_HOURS="",
    )
    print(f"seeded and started in {time.perf_counter() - t:.0f} s", flush=True)
    try:
        http = httpx.Client(base_url=stack.base_url, timeout=60)
        # The seeded programs' own matching runs (and their messages, in the hub only) first.
        for code in ("job-stabilisation-2026", "new-hire-insurance-2026", "rnd-subsidy-2026"):
            while not http.get(f"/api/open/programs/{code}").json()["matched_at"]:
                time.sleep(2)
        told = int(run_python(stack, PREFERENCES).strip().splitlines()[-1])
        token = http.post("/api/auth/token", json={"username": "admin", "password": PASSWORD}).json()["token"]

        async def run() -> dict:
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
                return await measure(stack, client, token, args.rounds, args.empty, args.profile)

        results = asyncio.run(run())
    finally:
        stack.shutdown()
        smtp.stop()

    print(f"\n{args.enterprises} enterprises in the registry (and the 4 demo ones); {told} legal representatives")
    print(
        f"reachable by email and SMS; {args.rounds} rounds; empty workflows {args.empty} a batch, {IN_FLIGHT} in flight"
    )
    print(
        f"{'round':<7}{'empty/s':>9}{'eligible':>10}{'messages':>10}{'hub':>7}{'email':>7}{'sms':>7}"
        f"{'failed':>8}{'seconds':>9}{'messages/s':>12}{'ratio':>8}"
    )
    ratios, ok = [], True
    for n, row in enumerate(results["rounds"], 1):
        ratios.append(row["messages/s"] / row["empty/s"])
        c = row["by_channel"]
        print(
            f"{n:<7}{row['empty/s']:>9.1f}{row['eligible']:>10}{row['messages']:>10}{c['hub']:>7}{c['email']:>7}"
            f"{c['sms']:>7}{c['failed']:>8}{row['wall']:>9.1f}{row['messages/s']:>12.1f}{ratios[-1]:>7.2f}x"
        )
        # Each legal representative told once on each channel, and nothing failed.
        ok &= c["hub"] == c["email"] == c["sms"] == told and c["failed"] == 0
    print(f"messages/empty workflows throughput, median of the rounds: {statistics.median(ratios):.2f}x")
    print(f"every legal representative told once per channel: {'yes' if ok else 'NO'}")
    print(f"emails the mail server received: {mailbox.received}")
    print("\nCPU per item with the load on (ms), by process:")
    print(f"{'':40}{'empty workflow':>16}{'message':>10}")
    totals = [0.0, 0.0]
    for name in results["messages cpu"]:
        e_ms = results["empty cpu"].get(name, 0.0) / max(results["empties"], 1) * 1000
        m_ms = results["messages cpu"][name] / max(results["messages"], 1) * 1000
        totals = [totals[0] + e_ms, totals[1] + m_ms]
        print(f"{name:40}{e_ms:>16.2f}{m_ms:>10.2f}")
    print(f"{'all':40}{totals[0]:>16.2f}{totals[1]:>10.2f}")
    print(f"cost per message / cost per empty workflow (CPU): {totals[1] / totals[0]:.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
