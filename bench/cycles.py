"""Benchmark: one monthly payment cycle of the old-age allowance over a register of 100,000, on PostgreSQL.

It creates a fresh database ``qinqing_bench_<random>`` on the server at ``--admin-url`` (default: the
URL ``scripts/start-postgres`` prints), applies the hub's real migrations and loads with COPY
``--entitlements`` residents aged 80 to 104 in the embedded population registry, each with an
active entitlement of the allowance since January (their personal data sealed as the hub seals
it). About 1% died and 0.5% moved away before the period, as the registry records: the cycle ends
those. Then it runs one cycle through the real code path: a Temporal dev server, ``qinqing worker``
as a process of its own on that database, and ``PaymentCycleWorkflow`` started for the previous
month, awaited to its result.

Printed: the cycle's time and payments per second; as the baseline, the ledger's raw insert rate
measured in the same run (a payment's rows, one ``ledger_transaction`` and two ``ledger_entry``,
copied with COPY into scratch copies of the two tables with their indexes, before and after the
cycle); the ratio; and the worker's peak memory (VmHWM) before and after the cycle, which shows
whether it holds the register in memory. Afterwards it checks that every entitlement still active
was paid exactly once for the period, in ``benefit_payment`` and in the ledger, that those ended
were not paid, and runs the reconciliation. Exits 0 when all of that holds, 1 otherwise.

    .venv/bin/python -m bench.cycles                          # 100,000 entitlements
    .venv/bin/python -m bench.cycles --entitlements 10000     # a tenth
    .venv/bin/python -m bench.cycles --entitlements 2000      # smoke run (the tests'), well under a minute
    .venv/bin/python -m bench.cycles --profile /tmp/cycle.txt # py-spy on the worker during the cycle
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from tqdm import tqdm

from bench import cpu
from bench.inbox import admin, start_postgres

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "elderly-care-allowance"
CHUNK = 20_000  # rows generated and copied at a time
DIED, MOVED = 0.01, 0.005
RESIDENT = "id resident_key resident_id full_name born_on hukou_local died_on moved_out_on updated_at".split()
ENTITLEMENT = (
    "id key service_id service_version holder_key resident_id full_name kind amount_formula band_formula "
    "maximum_cents inputs amount_cents band payment_method payee_account payment_day start_period state reason "
    "created_at updated_at"
).split()


# The months paid before the period, as earlier cycles would have paid them.
HISTORY: dict[str, list[str]] = {
    "payment_cycle": (
        "id key service_id period state runs last_run started_at finished_at paid paid_cents refused set_aside ended "
        "changed overpaid overpaid_cents"
    ).split(),
    "benefit_payment": (
        "id key entitlement cycle service_id period amount_cents state payment_ref reason paid_at overpaid recovery_ref"
    ).split(),
    "ledger_account": "id code name balance_cents".split(),
    "ledger_transaction": "id idempotency_key kind reference amount_cents created_at".split(),
    "ledger_entry": ["id", "transaction", "account", "amount_cents"],
}


def previous_period(today: dt.date) -> str:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


async def check_columns(conn: asyncpg.Connection) -> None:
    """Stop, naming them, if a table has NOT NULL columns (as migrated) the loader does not fill."""
    problems = []
    for table, columns in (("resident", RESIDENT), ("entitlement", ENTITLEMENT), *HISTORY.items()):
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1 AND is_nullable = 'NO'"
            " AND column_default IS NULL",
            table,
        )
        if missing := sorted({r["column_name"] for r in rows} - set(columns)):
            problems.append(f"{table}: NOT NULL columns {missing} are not filled")
    if problems:
        sys.exit("bench/cycles.py cannot load this schema (a migration changed it):\n  " + "\n  ".join(problems))


def generate(n: int, period_start: dt.date, rng: random.Random):
    """Chunks of (resident rows, entitlement rows, the count of the dead and the moved, and each
    entitlement's (id, monthly cents, the first month it was no longer paid for or None))."""
    from stdnum.cn import ric

    from forms.catalog import load_catalog
    from hub.registry.population import resident_key
    from hub.sealing import seal
    from hub.settings import load_settings
    from workflows.benefits.assess import amount_and_band
    from workflows.benefits.types import PersonFacts

    spec = load_catalog(load_settings().catalog_path).latest(SERVICE)
    assert spec is not None and spec.benefit is not None
    benefit = spec.benefit
    granted_on = dt.date(period_start.year, 1, 1)  # the register carried over in January
    stamp = dt.datetime.now(dt.UTC)
    inputs = seal(json.dumps({"values": {}, "types": {}}), "entitlement.inputs")
    per_day: Counter = Counter()
    for start in range(1, n + 1, CHUNK):
        residents, entitlements, ended, paying = [], [], Counter(), []
        for i in range(start, min(n, start + CHUNK - 1) + 1):
            age = 80 + min(int(rng.expovariate(1 / 5.5)), 24)  # born 80 to 104 years ago, most in their eighties
            born = granted_on - dt.timedelta(days=365 * age + rng.randint(0, 364))
            per_day[born] += 1
            body = f"330106{born:%Y%m%d}{per_day[born]:03d}"
            resident_id = body + ric.calc_check_digit(body)
            name = f"测试{i}"
            died = moved = None
            roll = rng.random()
            if roll < DIED:
                died, ended["died"] = period_start - dt.timedelta(days=rng.randint(1, 60)), ended["died"] + 1
            elif roll < DIED + MOVED:
                moved, ended["moved"] = period_start - dt.timedelta(days=rng.randint(1, 60)), ended["moved"] + 1
            key = resident_key(resident_id)
            residents.append(
                (i, key, seal(resident_id, "resident.resident_id"), seal(name, "resident.full_name"), born, True,
                 died, moved, stamp)
            )  # fmt: skip
            facts = PersonFacts(born_on=born, resident=True)
            cents, band = amount_and_band(
                benefit.amount, benefit.band or "", {}, facts.as_names(granted_on), granted_on
            )
            entitlements.append(
                (i, f"register:{key}", spec.id, spec.version, key, seal(resident_id, "entitlement.resident_id"),
                 seal(name, "entitlement.full_name"), benefit.kind, benefit.amount, benefit.band or "",
                 int(benefit.maximum * 100), inputs, cents, band, "bank",
                 seal(f"62220202{i:011d}", "entitlement.payee_account"), benefit.payment_day,
                 f"{granted_on:%Y-%m}", "active", "", stamp, stamp)
            )  # fmt: skip
            # Paid up to the month before the one they died or moved in: the registry said so in time.
            gone = died or moved
            paying.append((i, cents, gone.replace(day=1) if gone else None))
        yield residents, entitlements, ended, paying


class History:
    """The rows the cycles of the months before the period left: each month's cycle, payments, and
    the ledger's transactions, entries and accounts, consistent with each other (the reconciliation
    finds no difference in them)."""

    def __init__(self, periods: list[str], at: dt.datetime):
        self.periods, self.at = periods, at
        self.cycles = {p: [0, 0] for p in periods}  # period -> [paid, cents]
        self.payment_id = self.transaction_id = 0
        self.paid_cents = 0

    def rows(self, paying: list[tuple[int, int, dt.date | None]]) -> dict[str, list[tuple]]:
        from workflows.benefits.activities import payment_key
        from workflows.benefits.types import period_start

        out: dict[str, list[tuple]] = {table: [] for table in HISTORY if table != "payment_cycle"}
        for entitlement, cents, stopped in paying:
            balance = 0
            for number, period in enumerate(self.periods, 1):
                if stopped is not None and period_start(period) >= stopped:
                    break
                self.payment_id += 1
                self.transaction_id += 1
                key, tx = payment_key(entitlement, period), self.transaction_id
                out["benefit_payment"].append(
                    (self.payment_id, key, entitlement, number, SERVICE, period, cents, "paid", f"LEDGER-{tx:08d}",
                     "", self.at, False, "")
                )  # fmt: skip
                out["ledger_transaction"].append((tx, key, "benefit", key, cents, self.at))
                out["ledger_entry"] += [(2 * tx - 1, tx, 1, -cents), (2 * tx, tx, 1 + entitlement, cents)]
                self.cycles[period][0] += 1
                self.cycles[period][1] += cents
                balance += cents
            if balance:
                out["ledger_account"].append(
                    (1 + entitlement, f"beneficiary:{entitlement}", f"entitlement {entitlement}", balance)
                )
                self.paid_cents += balance
        return out

    def closing_rows(self) -> dict[str, list[tuple]]:
        """The cycles, and the benefit's account (what it paid, as minus its balance)."""
        cycles = [
            (number, f"{SERVICE}:{period}", SERVICE, period, "finished", 1, f"history:{period}", self.at, self.at, paid,
             cents, 0, 0, 0, 0, 0, 0)
            for number, (period, (paid, cents)) in enumerate(self.cycles.items(), 1)
        ]  # fmt: skip
        return {
            "payment_cycle": cycles,
            "ledger_account": [(1, f"benefit:{SERVICE}", SERVICE, -self.paid_cents)],
        }


def months_before(period: str) -> list[str]:
    """The months of the period's year before it (the register was carried over in January)."""
    year, month = (int(part) for part in period.split("-"))
    return [f"{year:04d}-{m:02d}" for m in range(1, month)]


async def load(url: str, n: int, period: str, history: bool, rng: random.Random) -> Counter:
    """Residents and their entitlements with COPY, and (with ``history``) what the cycles of the
    months before the period paid; returns how many died and moved before the period."""
    from workflows.benefits.types import period_start

    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    ended: Counter = Counter()
    past = History(months_before(period) if history else [], dt.datetime.now(dt.UTC))
    try:
        await check_columns(conn)
        await conn.execute("SET session_replication_role = replica")  # consistent rows: no FK triggers
        with tqdm(total=n, desc="loading the register", unit=" entitlements", unit_scale=True, disable=None) as bar:
            for residents, entitlements, chunk_ended, paying in generate(n, period_start(period), rng):
                await conn.copy_records_to_table("resident", records=residents, columns=RESIDENT)
                await conn.copy_records_to_table("entitlement", records=entitlements, columns=ENTITLEMENT)
                for table, rows in past.rows(paying).items():
                    await conn.copy_records_to_table(table, records=rows, columns=HISTORY[table])
                ended += chunk_ended
                bar.update(len(entitlements))
        for table, rows in past.closing_rows().items():
            await conn.copy_records_to_table(table, records=rows, columns=HISTORY[table])
        for table in ("resident", "entitlement", *HISTORY):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(
        f"Loaded {n:,} residents with their entitlements ({ended['died']:,} died and {ended['moved']:,} moved away "
        f"before the period) and {past.payment_id:,} payments of {len(past.periods)} earlier months "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return ended


async def raw_ledger_rate(url: str, n: int) -> float:
    """Payments per second the ledger's tables take at their rawest: ``n`` transactions and ``2n``
    entries with COPY, into scratch copies of ``ledger_transaction`` and ``ledger_entry`` with their
    indexes (dropped afterwards)."""
    conn = await asyncpg.connect(url)
    at = dt.datetime.now(dt.UTC)
    try:
        await conn.execute(
            "DROP TABLE IF EXISTS bench_ledger_transaction, bench_ledger_entry;"
            "CREATE TABLE bench_ledger_transaction (LIKE ledger_transaction INCLUDING DEFAULTS INCLUDING INDEXES);"
            "CREATE TABLE bench_ledger_entry (LIKE ledger_entry INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        transactions = [(i, f"scratch:{i}", "benefit", f"scratch:{i}", 30_000, at) for i in range(1, n + 1)]
        entries = [row for i in range(1, n + 1) for row in ((2 * i - 1, i, 1, -30_000), (2 * i, i, i + 1, 30_000))]
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "bench_ledger_transaction",
                records=transactions,
                columns=["id", "idempotency_key", "kind", "reference", "amount_cents", "created_at"],
            )
            await conn.copy_records_to_table(
                "bench_ledger_entry", records=entries, columns=["id", "transaction", "account", "amount_cents"]
            )
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_ledger_transaction, bench_ledger_entry")
    finally:
        await conn.close()
    return n / elapsed


async def backends(url: str) -> list[int]:
    """The server processes of the other connections to the bench's database (the worker's pool)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def backend_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds each of these processes has spent so far."""
    spent = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        spent[pid] = (int(fields[11]) + int(fields[12])) / cpu.TICK
    return spent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now (VmRSS) and its high-water mark (VmHWM), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


async def wait_for_poller(client, queue: str, timeout: float = 120) -> None:
    """Until a worker polls ``queue`` for workflow tasks (the worker has started)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        if found.pollers:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"no worker polled {queue} within {timeout:.0f} s")


async def activity_times(client, workflow_id: str, first_run: str) -> dict[str, list[float]]:
    """Per activity type, the seconds each attempt ran (its start to its completion, as the workflow's
    history records them), over every run the cycle continued as new into."""
    ran: dict[str, list[float]] = {}
    run_id: str | None = first_run
    while run_id:
        scheduled: dict[int, str] = {}
        started: dict[int, float] = {}
        current, run_id = run_id, None
        async for event in client.get_workflow_handle(workflow_id, run_id=current).fetch_history_events():
            at = event.event_time.ToDatetime().timestamp()
            if event.HasField("activity_task_scheduled_event_attributes"):
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif event.HasField("activity_task_started_event_attributes"):
                started[event.activity_task_started_event_attributes.scheduled_event_id] = at
            elif event.HasField("activity_task_completed_event_attributes"):
                key = event.activity_task_completed_event_attributes.scheduled_event_id
                ran.setdefault(scheduled[key], []).append(at - started[key])
            elif event.HasField("workflow_execution_continued_as_new_event_attributes"):
                run_id = event.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return ran


async def verify(url: str, period: str, n: int, ended: Counter) -> dict[str, Any]:
    """What the database holds after the cycle, counted."""
    conn = await asyncpg.connect(url)
    try:
        return dict(
            await conn.fetchrow(
                """
                SELECT
                  (SELECT count(*) FROM entitlement WHERE state = 'active') AS active,
                  (SELECT count(*) FROM entitlement WHERE state = 'ended') AS ended,
                  (SELECT count(*) FROM benefit_payment WHERE period = $1 AND state = 'paid') AS paid_rows,
                  (SELECT count(DISTINCT entitlement) FROM benefit_payment WHERE period = $1 AND state = 'paid')
                    AS paid_entitlements,
                  (SELECT count(*) FROM benefit_payment WHERE period = $1 AND state <> 'paid') AS other_rows,
                  (SELECT count(*) FROM entitlement e WHERE e.state = 'active' AND NOT EXISTS (
                     SELECT 1 FROM benefit_payment p WHERE p.entitlement = e.id AND p.period = $1 AND p.state = 'paid'))
                    AS active_unpaid,
                  (SELECT count(*) FROM entitlement e WHERE e.state = 'ended' AND EXISTS (
                     SELECT 1 FROM benefit_payment p WHERE p.entitlement = e.id AND p.period = $1)) AS ended_paid,
                  (SELECT count(*) FROM ledger_transaction WHERE kind = 'benefit' AND reference LIKE '%:' || $1)
                    AS ledger_payments,
                  (SELECT count(DISTINCT reference) FROM ledger_transaction
                     WHERE kind = 'benefit' AND reference LIKE '%:' || $1) AS ledger_references,
                  (SELECT count(*) FROM ledger_entry e JOIN ledger_transaction t ON t.id = e."transaction"
                     WHERE t.kind = 'benefit' AND t.reference LIKE '%:' || $1) AS ledger_entries,
                  (SELECT paid FROM payment_cycle WHERE service_id = $2 AND period = $1) AS cycle_paid
                """,
                period,
                SERVICE,
            )
        )
    finally:
        await conn.close()


async def run(args: argparse.Namespace, url: str, root: Path) -> bool:
    # Imported only now: hub.db.piccolo_conf reads QINQING_DATABASE_URL when it is imported.
    from hub.db.lifecycle import database, migrate
    from hub.payments.reconciliation import reconciliation_report
    from hub.sealing import configure_from
    from hub.settings import load_settings
    from hub.temporal import DevServer, connect
    from workflows.benefits.cycle import PaymentCycleWorkflow
    from workflows.benefits.types import CycleInput
    from workflows.names import REQUESTS_QUEUE, payment_cycle_workflow_id

    settings = load_settings()
    configure_from(settings)
    async with database(settings):
        await migrate(settings)
    period = args.period or previous_period(dt.date.today())
    n = args.entitlements
    ended = await load(url, n, period, not args.first_cycle, random.Random(args.seed))
    if args.auto_explain is not None:  # every later connection logs the plans of its slow statements
        name = url.rpartition("/")[2]
        await admin(url, f"ALTER DATABASE \"{name}\" SET session_preload_libraries = 'auto_explain'")
        await admin(url, f'ALTER DATABASE "{name}" SET auto_explain.log_min_duration = {int(args.auto_explain)}')
    to_pay = n - ended["died"] - ended["moved"]

    temporal = DevServer(None, free_port(), log_file=root / "temporal.log")
    temporal.start()
    worker = None
    spy = None
    try:
        env = {**os.environ, "TEMPORAL_ADDRESS": temporal.address, "QINQING_RENDER_PROCESSES": "1"}
        with open(root / "worker.log", "ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        os.environ["TEMPORAL_ADDRESS"] = temporal.address
        client = await connect(load_settings())
        await wait_for_poller(client, REQUESTS_QUEUE)
        before = raw_ledger_rate(url, n)
        rate_before = await before
        idle = memory_mb(worker.pid)
        if args.profile:
            spy = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(worker.pid), "-r", "100"]
                + ["-f", "raw", "-o", str(args.profile), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        print(f"Running the cycle of {period} for {n:,} entitlements ...", flush=True)
        roots = {"qinqing worker": worker.pid, "temporal server": temporal.process.pid, "benchmark": os.getpid()}
        cpu_before = cpu.snapshot(roots)
        database_before = backend_cpu(await backends(url))
        started = time.perf_counter()
        handle = await client.start_workflow(
            PaymentCycleWorkflow.run,
            CycleInput(service_id=SERVICE, period=period, chunk_size=args.chunk_size),
            id=payment_cycle_workflow_id(SERVICE, period),
            task_queue=REQUESTS_QUEUE,
        )
        # A failing activity is retried for ever: give up after a time generous for the size.
        limit = args.timeout or 300 + n * 0.05
        try:
            summary = await asyncio.wait_for(handle.result(), timeout=limit)
        except TimeoutError:
            log = (root / "worker.log").read_text(errors="replace")[-3000:]
            sys.exit(f"the cycle did not finish within {limit:.0f} s; the worker's log ends:\n{log}")
        elapsed = time.perf_counter() - started
        spent = cpu.spent(cpu_before, cpu.snapshot(roots))
        database_after = backend_cpu(await backends(url))
        # The worker's connections: what they spent during the cycle (all of it, for those opened during it).
        spent["database (the worker's connections)"] = sum(
            seconds - database_before.get(pid, 0.0) for pid, seconds in database_after.items()
        )
        ran = await activity_times(client, handle.id, handle.first_execution_run_id or handle.result_run_id or "")
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=120)
        after = memory_mb(worker.pid)
        rate_after = await raw_ledger_rate(url, n)
    finally:
        if spy is not None and spy.poll() is None:
            spy.kill()
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        temporal.stop()

    counts = await verify(url, period, n, ended)
    async with database(settings):
        report = await reconciliation_report(dt.date.today())

    totals = summary.totals
    rate = totals.paid / elapsed
    baseline = (rate_before + rate_after) / 2
    load_avg = os.getloadavg()
    print(f"\n{n:,} entitlements, cycle of {period}, chunks of {args.chunk_size}; {os.cpu_count()} cores")
    print(f"load average at the end: {load_avg[0]:.1f} {load_avg[1]:.1f} {load_avg[2]:.1f}")
    print(
        f"cycle totals: paid {totals.paid:,} ({totals.paid_cents / 100:,.2f} yuan), ended {totals.ended:,}, "
        f"changed {totals.changed:,}, set aside {totals.set_aside:,}, refused {totals.refused:,}"
    )
    print(f"{'':44}{'seconds':>10}{'payments/s':>12}")
    print(f"{'ledger raw insert, COPY (baseline, before)':44}{n / rate_before:>10.1f}{rate_before:>12,.0f}")
    print(f"{'ledger raw insert, COPY (baseline, after)':44}{n / rate_after:>10.1f}{rate_after:>12,.0f}")
    print(f"{'payment cycle, end to end':44}{elapsed:>10.1f}{rate:>12,.0f}")
    print(f"cycle/baseline throughput: {rate / baseline:.3f}x")
    print(
        f"worker memory: peak {idle['VmHWM']:.0f} MB before the cycle (resident {idle['VmRSS']:.0f} MB), "
        f"peak {after['VmHWM']:.0f} MB after it (resident {after['VmRSS']:.0f} MB): "
        f"+{after['VmHWM'] - idle['VmHWM']:.0f} MB for {n:,} entitlements"
    )
    in_activities = sum(sum(times) for times in ran.values())
    print(
        "time in activities: "
        + ", ".join(
            f"{name} {sum(times):.1f} s ({len(times)}, median {statistics.median(times) * 1000:.0f} ms)"
            for name, times in ran.items()
        )
        + f"; between them (Temporal, the workflow, continuing as new): {elapsed - in_activities:.1f} s"
    )
    print(
        "CPU during the cycle: "
        + ", ".join(
            f"{name} {seconds:.1f} s ({seconds / max(totals.paid, 1) * 1000:.2f} ms a payment)"
            for name, seconds in spent.items()
        )
        + "; the database's other processes (WAL writer, checkpointer) are not counted"
    )
    checks = {
        "every active entitlement paid once": counts["active_unpaid"] == 0
        and counts["paid_rows"] == counts["paid_entitlements"] == counts["active"] == to_pay,
        "the ledger paid each once": counts["ledger_payments"] == counts["ledger_references"] == counts["paid_rows"]
        and counts["ledger_entries"] == 2 * counts["ledger_payments"],
        "the dead and the moved ended, unpaid": counts["ended"] == n - to_pay and counts["ended_paid"] == 0,
        "the cycle's totals": counts["cycle_paid"] == totals.paid == to_pay,
        "reconciliation": not report["differences"],
    }
    print(
        f"paid exactly once: {counts['paid_rows']:,} paid payments for {counts['paid_entitlements']:,} entitlements "
        f"({counts['active']:,} active, {counts['active_unpaid']:,} of them unpaid; expected {to_pay:,}); "
        f"{counts['ledger_payments']:,} ledger payments for {counts['ledger_references']:,} keys, "
        f"{counts['ledger_entries']:,} entries; {counts['ended']:,} ended, {counts['ended_paid']:,} of them paid"
    )
    print(f"reconciliation differences: {len(report['differences'])}")
    for name, ok in checks.items():
        print(f"  {name}: {'yes' if ok else 'NO'}")
    passed = all(checks.values())
    print("PASS: every entitlement paid exactly once" if passed else "FAIL: see the checks above")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cycles", description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", help="postgresql://... of a superuser (default: run scripts/start-postgres)")
    parser.add_argument("--entitlements", type=int, default=100_000, help="active entitlements to load")
    parser.add_argument("--period", help="the month paid, YYYY-MM (default: the previous month)")
    parser.add_argument("--chunk-size", type=int, default=500, help="entitlements per activity (the cycle's default)")
    parser.add_argument(
        "--first-cycle",
        action="store_true",
        help="the register's first cycle, on an empty ledger (default: the months since January paid first)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timeout", type=float, help="seconds to wait for the cycle (default: 300 + 0.05 per entitlement)"
    )
    parser.add_argument("--profile", type=Path, help="record the worker with py-spy during the cycle, to this file")
    parser.add_argument(
        "--auto-explain", type=float, metavar="MS", help="log the plans of the worker's statements slower than MS"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (its URL is printed)")
    args = parser.parse_args()
    admin_url = args.admin_url or start_postgres()
    name = f"qinqing_bench_{uuid.uuid4().hex[:10]}"
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    root = Path(tempfile.mkdtemp(prefix="bench-cycles-"))
    asyncio.run(admin(admin_url, f'CREATE DATABASE "{name}"'))
    os.environ["QINQING_DATABASE_URL"] = url
    os.environ["QINQING_VAR_DIR"] = str(root / "var")  # the data keys the worker seals with, and ours
    # Stopped from outside (a test's timeout): stop the worker and the Temporal server on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        passed = asyncio.run(run(args, url, root))
    finally:
        if args.keep:
            print(f"Kept the database: {url}")
        else:
            asyncio.run(admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
