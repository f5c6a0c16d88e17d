"""Benchmark: does the cockpit answer a year of 1,000,000 requests in under 200 ms at the 95th percentile?

On PostgreSQL (the default) it creates a fresh database ``qinqing_bench_<random>`` on the server at
``--admin-url`` (default: the URL ``scripts/start-postgres`` prints), applies the hub's real
migrations and loads, with COPY: ``--requests`` service requests over the last 365 days (their
states, closing times and time-limit flags), a rating for one in five decided requests, and the
cockpit's tallies of those requests and of their review tasks, counted by the hub's own
``hub.db.tallies.request_facts`` / ``task_facts`` (what the live updates and ``qinqing cockpit
rebuild`` add up), so the tallies are those a year of real moves would leave. With ``--sqlite`` it
does the same in a SQLite file of a temporary directory, with multi-row inserts (the smoke run).

It then times ``hub.cockpit.read_cockpit`` (every figure of the page and the API, charts aside) over
the whole year: for an administrator (every department), a supervisor (one department) and one
service; and, as the baseline, a primary-key lookup of a request through the same engine. Each
``--iterations`` times after warm-up; prints p50/p95, each p95's ratio to the baseline's p95, and
PASS/FAIL against the target.

    .venv/bin/python -m bench.cockpit                                  # 1,000,000 requests, PostgreSQL
    .venv/bin/python -m bench.cockpit --requests 10000 --sqlite        # smoke run, seconds
    .venv/bin/python -m bench.cockpit --requests 10000                 # smoke run on PostgreSQL
    .venv/bin/python -m bench.cockpit --keep                           # and keep the database, then
    .venv/bin/python -m bench.cockpit --url postgresql://.../qinqing_bench_...   # time it again
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter

from tqdm import tqdm

from bench.inbox import admin, start_postgres

TARGET_P95_MS = 200.0
WARMUP = 5
CHUNK = 20_000
DAYS = 365
REQUEST_COLUMNS = (
    "id ref workflow_id service_id service_version applicant idempotency_scope payload_hash state overdue "
    "answers rule_results check_results locale created_at updated_at closed_at"
).split()
RATING_COLUMNS = "id request account score comment created_at excluded".split()
TALLY_COLUMNS = "key measure day service_id department step bucket n".split()


def generate(n: int, catalog, rng: random.Random, end: dt.datetime):
    """Chunks of (request rows, rating rows) and the tallies they add, for ``n`` requests filed over
    the ``DAYS`` days before ``end``."""
    from hub.db import tallies

    specs = catalog.current()
    start = end - dt.timedelta(days=DAYS)
    totals: Counter[str] = Counter()
    requests, ratings = [], []
    rating_id = 0
    for request_id in range(1, n + 1):
        spec = rng.choice(specs)
        created = start + dt.timedelta(seconds=rng.uniform(0, DAYS * 86400 - 3600))
        # Most requests decided after some hours or days (a long tail), the youngest still open.
        took = dt.timedelta(hours=rng.lognormvariate(3.5, 1.1))
        closed_at = created + took if created + took < end and rng.random() < 0.95 else None
        if closed_at is None:
            state = rng.choice(("submitted", "in_review", "in_review", "waiting_applicant"))
        else:
            state = rng.choices(("approved", "rejected", "withdrawn"), weights=(75, 20, 5))[0]
        overdue = rng.random() < 0.08
        row = {"service_id": spec.id, "state": state, "created_at": created, "closed_at": closed_at, "overdue": overdue}
        totals.update(tallies.request_facts(row, submitted=True))
        # Its review tasks: one per review stage of the route, one after the other.
        opened = created
        stages = [s for s in spec.route if s.departments][:2]
        for i, stage in enumerate(stages):
            last = i == len(stages) - 1
            decided_at = closed_at if last else (opened + took / 2 if closed_at else None)
            task = {
                "service_id": spec.id,
                "department": stage.departments[0],
                "stage_id": stage.id,
                "state": ("approved" if state != "rejected" else "rejected") if decided_at else "open",
                "opened_at": opened,
                "due_at": opened + dt.timedelta(days=5),
                "decided_at": decided_at,
                "escalated": overdue and (decided_at is None or decided_at > opened + dt.timedelta(days=5)),
            }
            totals.update(tallies.task_facts(task))
            if decided_at is None:
                break
            opened = decided_at
        requests.append(
            (
                request_id,
                f"B{request_id:09d}",
                f"request-B{request_id:09d}",
                spec.id,
                spec.version,
                1,
                f"bench:{request_id}",
                "",
                state,
                overdue,
                "{}",
                "[]",
                "[]",
                "zh_CN",
                created,
                closed_at or created,
                closed_at,
            )
        )
        if state in ("approved", "rejected") and closed_at and rng.random() < 0.2:
            rating_id += 1
            score = rng.choices((1, 2, 3, 4, 5), weights=(3, 4, 10, 30, 53))[0]
            ratings.append((rating_id, request_id, 1, score, "", closed_at + dt.timedelta(hours=2), False))
        if len(requests) == CHUNK:
            yield requests, ratings, None
            requests, ratings = [], []
    yield requests, ratings, totals


def tally_rows(totals: Counter[str]) -> list[tuple]:
    rows = []
    for fact, n in totals.items():
        if n:
            measure, day, service, department, step, bucket = fact.split("|")
            rows.append((fact, measure, dt.date.fromisoformat(day), service, department, step, int(bucket), n))
    return rows


ACCOUNT = (
    "id username full_name role password_hash locale created_at".split(),
    (1, "bench", "bench", "citizen", "x", "zh_CN"),
)


async def load_postgres(url: str, n: int, catalog, rng: random.Random, end: dt.datetime) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.copy_records_to_table("account", records=[(*ACCOUNT[1], end)], columns=ACCOUNT[0])
        tallied = 0
        with tqdm(total=n, desc="loading requests", unit=" requests", unit_scale=True, disable=None) as bar:
            for requests, ratings, totals in generate(n, catalog, rng, end):
                await conn.copy_records_to_table("service_request", records=requests, columns=REQUEST_COLUMNS)
                await conn.copy_records_to_table("rating", records=ratings, columns=RATING_COLUMNS)
                bar.update(len(requests))
                if totals is not None:
                    rows = tally_rows(totals)
                    await conn.copy_records_to_table("cockpit_tally", records=rows, columns=TALLY_COLUMNS)
                    tallied = len(rows)
        for table in ("service_request", "rating", "cockpit_tally"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return tallied


def load_sqlite(path: str, n: int, catalog, rng: random.Random, end: dt.datetime) -> int:
    import sqlite3

    def insert(db, table: str, columns: list[str], rows: list[tuple]) -> None:
        if rows:
            marks = ", ".join("?" for _ in columns)
            db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [tuple(map(_sqlite, r)) for r in rows]
            )

    db = sqlite3.connect(path)
    tallied = 0
    try:
        insert(db, "account", ACCOUNT[0], [(*ACCOUNT[1], end)])
        for requests, ratings, totals in generate(n, catalog, rng, end):
            insert(db, "service_request", REQUEST_COLUMNS, requests)
            insert(db, "rating", RATING_COLUMNS, ratings)
            if totals is not None:
                rows = tally_rows(totals)
                insert(db, "cockpit_tally", TALLY_COLUMNS, rows)
                tallied = len(rows)
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()
    return tallied


def _sqlite(value):
    """As Piccolo stores it in SQLite: aware moments in UTC, ISO text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def timed(run, iterations: int) -> list[float]:
    for _ in range(WARMUP):
        await run()
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[94]


async def measure(catalog, n: int, iterations: int) -> bool:
    from hub.accounts import Principal
    from hub.actor import Actor
    from hub.clock import today
    from hub.cockpit import Filters, read_cockpit
    from hub.db.tables import ServiceRequest

    def reader(role: str, department: str | None = None) -> Actor:
        return Actor(
            user=Principal(id=1, username=role, full_name=role, role=role, department=department, locale="zh_CN"),
            locale="zh_CN",
        )

    year = Filters(start=today() - dt.timedelta(days=DAYS - 1), end=today())
    service = catalog.current()[0].id
    rng = random.Random(7)

    async def by_id():
        await ServiceRequest.raw(
            "SELECT id, ref, state, service_id FROM service_request WHERE id = {}", rng.randint(1, n)
        )

    cases = {
        "primary-key lookup (baseline)": by_id,
        "a year, every department (admin)": lambda: read_cockpit(catalog, reader("admin"), year),
        "a year, one department (supervisor)": lambda: read_cockpit(
            catalog, reader("supervisor", "street-office"), year
        ),
        "a year, one service": lambda: read_cockpit(
            catalog, reader("auditor"), Filters(year.start, year.end, service_id=service)
        ),
    }
    results = {}
    for name, run in cases.items():
        results[name] = await timed(run, iterations)
    base = p95(results["primary-key lookup (baseline)"])
    passed = True
    print(f"{'query':40} {'p50 ms':>8} {'p95 ms':>8} {'p95 / baseline':>15}")
    for name, times in results.items():
        value = p95(times)
        ok = name.startswith("primary") or value < TARGET_P95_MS
        passed &= ok
        print(
            f"{name:40} {statistics.median(times):8.2f} {value:8.2f} {value / base:14.1f}x {'' if name.startswith('primary') else ('PASS' if ok else 'FAIL')}"
        )
    figures = await read_cockpit(catalog, reader("admin"), year)
    print(
        json.dumps(
            {
                "received": figures.totals.received,
                "decided": figures.totals.decided,
                "median_hours": figures.totals.median_hours,
            },
        )
    )
    print(f"{'PASS' if passed else 'FAIL'}: every cockpit query's p95 under {TARGET_P95_MS:.0f} ms")
    return passed


async def run(args: argparse.Namespace, sqlite_path: str | None) -> bool:
    # Imported only now: hub.db.piccolo_conf reads QINQING_DATABASE_URL when it is imported.
    from forms.catalog import load_catalog
    from hub.db.lifecycle import database, migrate
    from hub.settings import load_settings

    settings = load_settings()
    async with database(settings):
        await migrate(settings)
    catalog = load_catalog(settings.catalog_path)
    rng = random.Random(args.seed)
    end = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    if sqlite_path:
        tallied = load_sqlite(sqlite_path, args.requests, catalog, rng, end)
    else:
        tallied = await load_postgres(settings.database_url, args.requests, catalog, rng, end)
    print(f"Loaded {args.requests:,} requests and {tallied:,} tally rows in {time.perf_counter() - started:.1f} s")
    async with database(settings):
        return await measure(catalog, args.requests, args.iterations)


async def remeasure(args: argparse.Namespace) -> bool:
    from forms.catalog import load_catalog
    from hub.db.lifecycle import database, migrate
    from hub.settings import load_settings

    settings = load_settings()
    async with database(settings):
        await migrate(settings)
    catalog = load_catalog(settings.catalog_path)
    from hub.db.tables import CockpitTally, ServiceRequest

    async with database(settings):
        requests = await ServiceRequest.count()
        print(f"The kept database: {requests:,} requests and {await CockpitTally.count():,} tally rows")
        return await measure(catalog, requests, args.iterations)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cockpit", description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", help="postgresql://... of a superuser (default: run scripts/start-postgres)")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file in a temporary directory instead")
    parser.add_argument("--requests", type=int, default=1_000_000, help="service requests over the last 365 days")
    parser.add_argument("--iterations", type=int, default=200, help="timed runs per query (after warm-up)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--url", help="postgresql://... of a database kept by --keep: time it again, loading nothing")
    args = parser.parse_args()
    if args.url:
        os.environ["QINQING_DATABASE_URL"] = args.url
        sys.exit(0 if asyncio.run(remeasure(args)) else 1)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as var:
            os.environ.pop("QINQING_DATABASE_URL", None)
            os.environ["QINQING_VAR_DIR"] = var
            passed = asyncio.run(run(args, os.path.join(var, "qinqing.sqlite")))
        sys.exit(0 if passed else 1)
    admin_url = args.admin_url or start_postgres()
    name = f"qinqing_bench_{uuid.uuid4().hex[:10]}"
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    asyncio.run(admin(admin_url, f'CREATE DATABASE "{name}"'))
    os.environ["QINQING_DATABASE_URL"] = url
    try:
        passed = asyncio.run(run(args, None))
    finally:
        if args.keep:
            print(f"Kept the database: {url}")
        else:
            asyncio.run(admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
