"""Benchmark: does a department's inbox stay under 50 ms at the 95th percentile with 1,000,000 requests?

Runs on PostgreSQL only. It creates a fresh database ``qinqing_bench_<random>`` on the server at
``--admin-url`` (default: the URL ``scripts/start-postgres`` prints), applies the hub's real
migrations, bulk-loads accounts, ``--requests`` service requests and 1-3 review tasks per request
with COPY, then times the hub's own code path for ``GET /api/tasks``: the Piccolo query
``TaskController.inbox`` builds (replicated here, state=active, sort=due_at, limit 100) plus
``task_reads`` for the rows it returns. Three variants (any department, one service, ``mine``) and a
primary-key lookup as the baseline; each 500 times after 20 warm-up runs, through the hub's
connection pool. Prints p50/p95/p99, each p95's ratio to the baseline's, PASS/FAIL against the
target, and EXPLAIN ANALYZE of the default inbox query. The database is dropped unless ``--keep``.

    .venv/bin/python -m bench.inbox                     # 1,000,000 requests (loading takes minutes)
    .venv/bin/python -m bench.inbox --requests 20000    # a short run, under a minute
    .venv/bin/python -m bench.inbox --requests 2000 --iterations 20   # smoke run (the tests'), seconds

The enterprises are the registry's own synthetic ones (``hub.registry.synthetic.generate``), so their
columns follow the ``enterprise`` table. Before copying, the loader compares every table's NOT NULL
columns (read from the migrated database) with the columns it fills and stops, naming them, if one
is missing: a migration that adds one breaks this benchmark loudly, not silently.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import asyncpg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0
WARMUP, ITERATIONS, LIMIT = 20, 500, 100  # ITERATIONS is the default of --iterations
CITIZENS, ENTERPRISES, CLERKS_PER_DEPARTMENT = 3000, 1000, 20
CHUNK = 25_000  # requests generated and copied at a time
NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)
# The state of the last task of a request in review.
ACTIVE_WEIGHTS = {"open": 45, "claimed": 40, "waiting_applicant": 10, "awaiting_confirmation": 5}
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$" + "x" * 22 + "$" + "y" * 43

# Every column the loader fills, per table; check_columns() insists every NOT NULL column is here.
# The enterprise's are those of the registry's synthetic records (see people()), plus the id.
COLUMNS: dict[str, list[str]] = {
    "enterprise": [],
    "account": "id username full_name role department enterprise resident_id password_hash locale created_at".split(),
    "service_request": (
        "id ref workflow_id service_id service_version applicant idempotency_scope payload_hash state overdue "
        "answers rule_results check_results amount locale created_at updated_at closed_at"
    ).split(),
    "review_task": (
        "id key request stage_id stage_title department service_id applicant_type state assignee opened_at "
        "due_at remind_at reminded escalated paused_at reason_code requested_fields request_message decided_at "
        "decided_by comment provisional"
    ).split(),
}


# --- the database ---------------------------------------------------------------------------


def start_postgres() -> str:
    """The admin URL ``scripts/start-postgres`` prints (its last line of output)."""
    done = subprocess.run([str(ROOT / "scripts/start-postgres")], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        sys.exit(f"scripts/start-postgres failed ({done.returncode}): {done.stderr.strip()}\nPass --admin-url instead.")
    return lines[-1]


async def admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def check_columns(conn: asyncpg.Connection) -> None:
    """Stop, naming them, if a table has NOT NULL columns (as migrated) the loader does not fill."""
    problems = []
    for table, columns in COLUMNS.items():
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1 AND is_nullable = 'NO'",
            table,
        )
        if not rows:
            problems.append(f"table {table} does not exist")
        if missing := sorted({r["column_name"] for r in rows} - set(columns)):
            problems.append(f"{table}: NOT NULL columns {missing} are not filled")
    if problems:
        sys.exit(
            "bench/inbox.py cannot load this schema (a migration changed it; fill the columns in COLUMNS"
            " and the generator):\n  " + "\n  ".join(problems)
        )


# --- the data -------------------------------------------------------------------------------


def people(catalog, rng: random.Random):
    """Enterprises, and accounts: citizens, enterprise staff, and clerks plus a supervisor per department."""
    from hub.registry.synthetic import generate as synthetic_enterprises

    accounts: list[tuple] = []
    clerks: dict[str, list[int]] = {}
    # The registry's synthetic enterprises: their fields are the enterprise table's columns.
    records = synthetic_enterprises(ENTERPRISES, seed=rng.randint(1, 10**6))
    COLUMNS["enterprise"] = ["id", *records[0]]
    enterprises = [
        (i, *{**r, "labels": json.dumps(r["labels"], ensure_ascii=False)}.values()) for i, r in enumerate(records, 1)
    ]

    def account(username: str, role: str, department=None, enterprise=None, resident_id=None) -> int:
        accounts.append((len(accounts) + 1, username, f"用户{len(accounts) + 1}", role, department, enterprise,
                         resident_id, PASSWORD_HASH, "zh_CN", NOW - rng.randint(60, 1500) * DAY))  # fmt: skip
        return len(accounts)

    citizens = [account(f"citizen{i}", "citizen", resident_id=f"33010619{i:08d}01"[:18]) for i in range(CITIZENS)]
    firms = [account(f"enterprise{i}", "enterprise", enterprise=i) for i in range(1, ENTERPRISES + 1)]
    for code in catalog.departments:
        clerks[code] = [account(f"{code}.clerk{i}", "clerk", department=code) for i in range(CLERKS_PER_DEPARTMENT)]
        account(f"{code}.supervisor", "supervisor", department=code)
    return enterprises, accounts, citizens, firms, clerks


def services(catalog) -> list[dict]:
    """What the loader needs of each service: its review stages, sample answers and rule results."""
    from forms.samples import example_answers

    out = []
    for spec in catalog.current():
        answers = example_answers(spec, upload=lambda f: "upload-" + uuid.uuid4().hex[:24])
        out.append(
            {
                "spec": spec,
                "audience": spec.audience[0],
                "answers": json.dumps(answers, ensure_ascii=False),
                "hash": hashlib.sha256(json.dumps(answers).encode()).hexdigest(),
                "rules": json.dumps([{"rule": r.id, "passed": True, "message": r.message} for r in spec.rules]),
                "stages": [s for s in spec.route if s.kind == "review" and s.departments],
            }
        )
    return out


def generate(n: int, catalog, citizens, firms, clerks, states: dict[str, int], rng: random.Random, active: Counter):
    """Chunks of (service_request rows, review_task rows); ~10% of requests are in review, the rest closed.

    A request in review has its last task active (open, claimed, waiting for the applicant or for a
    second clerk's confirmation), due within +/- 60 days of now (escalated, mostly, when overdue); closed requests are spread over two
    years and their tasks decided (approved, or rejected/cancelled last).
    """
    from workflows.names import request_workflow_id, task_key
    from workflows.types import ACTIVE_TASK_STATES

    catalog_services, task_id = services(catalog), 0
    for start in range(1, n + 1, CHUNK):
        requests, tasks = [], []
        for rid in range(start, min(n, start + CHUNK - 1) + 1):
            svc = rng.choice(catalog_services)
            steps = [(s, d) for s in svc["stages"] for d in (s.departments if s.mode == "all" else [rng.choice(s.departments)])]  # fmt: skip
            steps = steps[: rng.randint(1, min(3, len(steps)))]
            in_review = rng.random() < 0.10
            verdict = "in_review" if in_review else rng.choices(["approved", "rejected", "withdrawn"], [75, 20, 5])[0]
            applicant = rng.choice(citizens if svc["audience"] == "citizen" else firms)
            ref = f"QQ{rid:011d}"
            wf = request_workflow_id(ref)
            if in_review:
                last_due = NOW + rng.uniform(-60, 60) * DAY
                opened = min(NOW, last_due - steps[-1][0].time_limit_days * DAY) - rng.uniform(0, 2) * DAY
                opened -= (len(steps) - 1) * 3 * DAY
            else:
                opened = NOW - rng.uniform(60, 730) * DAY
            created, overdue, decided = opened - rng.uniform(0, 3600) * dt.timedelta(seconds=1), False, None
            for j, (stage, dept) in enumerate(steps):
                task_id += 1
                limit = stage.time_limit_days * DAY
                last = j == len(steps) - 1
                due = last_due if in_review and last else opened + limit
                state, assignee, paused, fields, message, reason, comment = "approved", None, None, "[]", "", "", ""
                decided = opened + rng.uniform(0.1, 0.9) * limit
                decider = rng.choice(clerks[dept])
                if in_review and last:
                    state = rng.choices(list(states), list(states.values()))[0]
                    decided = decider = None
                    if state != "open":
                        assignee = rng.choice(clerks[dept])
                    if state == "waiting_applicant":
                        paused, fields, message = NOW - rng.uniform(0, 10) * DAY, '["phone"]', "请补充联系电话"
                        verdict = "waiting_applicant"
                    active[dept] += 1
                elif last and verdict == "rejected":
                    state, reason, comment = "rejected", "ineligible", "不符合申请条件"
                elif last and verdict == "withdrawn":
                    state, decider = "cancelled", None
                is_active = state in ACTIVE_TASK_STATES
                escalated = is_active and due < NOW and rng.random() < 0.7
                overdue = overdue or escalated
                reminded = is_active and due - NOW < 0.25 * limit
                tasks.append(
                    (task_id, task_key(wf, stage.id, dept), rid, stage.id, stage.title, dept, svc["spec"].id,
                     svc["audience"], state, assignee or decider, opened, due, opened + 0.75 * limit, reminded,
                     escalated, paused, reason, fields, message, decided, decider, comment, False)
                )  # fmt: skip
                opened = decided if decided else opened + rng.uniform(1, 3) * DAY
            closed = None if in_review else decided or opened
            spec = svc["spec"]
            amount = "3000.00" if spec.outcome.amount and verdict == "approved" else None
            requests.append(
                (rid, ref, wf, spec.id, spec.version, applicant, f"{applicant}:{uuid.UUID(int=rid)}", svc["hash"],
                 verdict, overdue, svc["answers"], svc["rules"], "[]", amount, "zh_CN", created,
                 closed or opened, closed)
            )  # fmt: skip
        yield requests, tasks


async def load(url: str, n: int, catalog, rng: random.Random) -> tuple[dict[str, list[int]], Counter]:
    """Bulk-load everything with COPY; returns the clerks by department and active tasks by department."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        enterprises, accounts, citizens, firms, clerks = people(catalog, rng)
        await check_columns(conn)
        width = await conn.fetchval(
            "SELECT character_maximum_length FROM information_schema.columns"
            " WHERE table_name = 'review_task' AND column_name = 'state'"
        )
        states = {s: weight for s, weight in ACTIVE_WEIGHTS.items() if len(s) <= width}
        if len(states) < len(ACTIVE_WEIGHTS):
            print(
                f"WARNING: review_task.state is varchar({width}); cannot store {sorted(set(ACTIVE_WEIGHTS) - set(states))}"
            )
        # The generated rows are consistent: skip the per-row foreign-key triggers while copying.
        await conn.execute("SET session_replication_role = replica")
        await conn.copy_records_to_table("enterprise", records=enterprises, columns=COLUMNS["enterprise"])
        await conn.copy_records_to_table("account", records=accounts, columns=COLUMNS["account"])
        active, total = Counter(), 0
        with tqdm(total=n, desc="loading requests", unit=" requests", unit_scale=True, disable=None) as bar:
            for requests, tasks in generate(n, catalog, citizens, firms, clerks, states, rng, active):
                await conn.copy_records_to_table(
                    "service_request", records=requests, columns=COLUMNS["service_request"]
                )
                await conn.copy_records_to_table("review_task", records=tasks, columns=COLUMNS["review_task"])
                total += len(tasks)
                bar.update(len(requests))
                bar.set_postfix_str(f"{total:,} tasks", refresh=False)
        for table in COLUMNS:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        copied = time.perf_counter() - started
        # As autovacuum would in production: statistics and the visibility map (and no autovacuum mid-run).
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(
        f"Loaded {len(accounts):,} accounts, {n:,} requests, {total:,} review tasks ({sum(active.values()):,} active) "
        f"in {time.perf_counter() - started:.1f} s (COPY {copied:.1f} s, VACUUM ANALYZE the rest)"
    )
    return clerks, active


# --- the measurement ------------------------------------------------------------------------


def inbox_query(department: str, service: str | None = None, assignee: int | None = None):
    """The inbox's query (state=active, sort=due_at, limit=100) as the ORM builds it: its SQL alone,
    and its plan, are printed beside the hub's own inbox (``inbox_page``)."""
    from hub.db.tables import ReviewTask
    from workflows.types import ACTIVE_TASK_STATES

    query = ReviewTask.objects().where(ReviewTask.department == department)
    query = query.where(ReviewTask.state.is_in(list(ACTIVE_TASK_STATES)))
    if service:
        query = query.where(ReviewTask.service_id == service)
    if assignee:
        query = query.where(ReviewTask.assignee == assignee)
    return query.order_by(ReviewTask.due_at, ascending=True).order_by(ReviewTask.id).limit(LIMIT).offset(0)


async def timed(run, pick, iterations: int, bar: tqdm) -> list[float]:
    """Milliseconds per call of ``run(*pick())``, after the warm-up."""
    samples = []
    for i in range(WARMUP + iterations):
        args = pick()
        started = time.perf_counter()
        await run(*args)
        if i >= WARMUP:
            samples.append((time.perf_counter() - started) * 1000)
        bar.update()
    return samples


async def measure(settings, catalog, clerks, active: Counter, rng: random.Random, iterations: int) -> bool:
    from hub.db.lifecycle import database
    from hub.db.tables import ReviewTask
    from hub.workbench.inbox import inbox_page

    # inbox_page reads only ctx.catalog (the app's HubContext also holds the document store, keys, Temporal).
    ctx = SimpleNamespace(settings=settings, catalog=catalog)
    departments = sorted(catalog.departments)
    busiest = max(departments, key=lambda d: active[d])
    by_department = {d: sorted({s.id for s in catalog.current() if d in s.departments}) for d in departments}
    by_department = {d: ids for d, ids in by_department.items() if ids}

    async def inbox(department, service=None, assignee=None):  # what GET /api/tasks runs
        caller = SimpleNamespace(department=department, id=assignee)
        return await inbox_page(caller, ctx, "zh_CN", service=service, mine=assignee is not None, limit=LIMIT)

    async def sql_alone(department):  # the same SQL without Piccolo objects and task_reads
        return await ReviewTask.raw(str(inbox_query(department)))

    async def by_id(task_id):
        return await ReviewTask.objects().where(ReviewTask.id == task_id).first()

    async with database(settings):
        max_id = await ReviewTask.count()
        cases = [
            ("primary-key lookup (baseline)", by_id, lambda: (rng.randint(1, max_id),)),
            ("inbox, random department", inbox, lambda: (rng.choice(departments),)),
            ("  its SQL alone (no ORM objects)", sql_alone, lambda: (rng.choice(departments),)),
            ("inbox, one service", inbox, lambda: (d := rng.choice(list(by_department)), rng.choice(by_department[d]))),
            ("inbox, mine=true", inbox, lambda: (d := rng.choice(departments), None, rng.choice(clerks[d]))),
        ]
        with tqdm(total=len(cases) * (WARMUP + iterations), desc="measuring", unit=" queries", disable=None) as bar:
            results = [(name, await timed(run, pick, iterations, bar)) for name, run, pick in cases]
        plan = await ReviewTask.raw(f"EXPLAIN (ANALYZE, BUFFERS) {inbox_query(busiest)}")

    print(f"\nActive tasks by department: {', '.join(f'{d} {active[d]:,}' for d in departments)}")
    print(f"{iterations} runs each after {WARMUP} warm-up runs; milliseconds; inbox = the hub's inbox_page\n")
    print(f"{'query':<40}{'p50':>8}{'p95':>8}{'p99':>8}{'p95/base':>10}  target p95 < {TARGET_P95_MS:.0f} ms")
    percentiles = [(name, statistics.quantiles(samples, n=100, method="inclusive")) for name, samples in results]
    base_p95 = percentiles[0][1][94]
    passed = all(p[94] < TARGET_P95_MS for _, p in percentiles[1:])
    for i, (name, p) in enumerate(percentiles):
        verdict = "" if i == 0 else "PASS" if p[94] < TARGET_P95_MS else "FAIL"
        print(f"{name:<40}{p[49]:8.2f}{p[94]:8.2f}{p[98]:8.2f}{p[94] / base_p95:9.1f}x  {verdict}")
    print(f"\nEXPLAIN ANALYZE of the default inbox query for {busiest}:\n{inbox_query(busiest)}\n")
    print("\n".join(row["QUERY PLAN"] for row in plan))
    print(f"\n{'PASS' if passed else 'FAIL'}: inbox p95 {'under' if passed else 'NOT under'} {TARGET_P95_MS:.0f} ms")
    return passed


async def run(args: argparse.Namespace) -> bool:
    # Imported only now: hub.db.piccolo_conf reads QINQING_DATABASE_URL when it is imported.
    from forms.catalog import load_catalog
    from hub.db.lifecycle import database, migrate
    from hub.settings import load_settings

    settings = load_settings()
    async with database(settings):
        await migrate(settings)
    catalog = load_catalog(settings.catalog_path)
    rng = random.Random(args.seed)
    clerks, active = await load(settings.database_url, args.requests, catalog, rng)
    return await measure(settings, catalog, clerks, active, rng, args.iterations)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox", description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", help="postgresql://... of a superuser (default: run scripts/start-postgres)")
    parser.add_argument("--requests", type=int, default=1_000_000, help="service requests to load")
    parser.add_argument("--iterations", type=int, default=ITERATIONS, help="timed runs per query (after 20 warm-up)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data and the random picks")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (its URL is printed)")
    args = parser.parse_args()
    admin_url = args.admin_url or start_postgres()
    name = f"qinqing_bench_{uuid.uuid4().hex[:10]}"
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    asyncio.run(admin(admin_url, f'CREATE DATABASE "{name}"'))
    os.environ["QINQING_DATABASE_URL"] = url
    try:
        passed = asyncio.run(run(args))
    finally:
        if args.keep:
            print(f"Kept the database: {url}")
        else:
            asyncio.run(admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
