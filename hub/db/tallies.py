"""The cockpit's daily tallies, kept up to date in the transaction that moves a request or a task.

What a request or a task adds to the tallies is a list of *facts* (``request_facts``,
``task_facts``): strings ``"<measure>|<day>|<service>|<department>|<step>|<bucket>"``, each adding
one to its row of ``cockpit_tally``. ``recount`` compares what a request and its tasks add now with
what they added before (kept in ``cockpit_counted``) and applies the difference, so a move is
counted once however often it is recorded, in whatever order; ``rebuild`` adds up the same facts
from the read model and so gives the same figures. Days are Beijing dates.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from hub.clock import beijing_date
from hub.db.records import quick_rows
from hub.db.tables import CockpitCounted, CockpitTally, ServiceRequest
from hub.db.transactions import writing
from workflows.types import ACTIVE_TASK_STATES

# Request measures: filed (not only prepared), closed (decided or withdrawn), decided, approved,
# decided within the time limit (no step escalated), and the time to decision.
RECEIVED, CLOSED, DECIDED, APPROVED, WITHIN_LIMIT, HOURS = (
    "received",
    "closed",
    "decided",
    "approved",
    "within_limit",
    "hours",
)
# Task measures, per department and step: opened, closed, decided (approved or rejected), time to
# the decision, and overdue (escalated) from the day it fell due until it closed.
OPENED, TASK_CLOSED, TASK_DECIDED, TASK_HOURS, OVERDUE_IN, OVERDUE_OUT = (
    "opened",
    "task_closed",
    "task_decided",
    "task_hours",
    "overdue_in",
    "overdue_out",
)
APPROVED_STATES = ("approved", "revoked")  # a revoked approval was an approval when it was decided
DECIDED_STATES = ("approved", "revoked", "rejected")
CLOSED_STATES = (*DECIDED_STATES, "withdrawn")
DECIDED_TASK_STATES = ("approved", "rejected")


def bucket(seconds: float) -> int:
    """A duration's bucket in hours: to the hour during the first day, to the day after it (the lower
    bound: a percentile read from the buckets is never above the true one by more than that)."""
    hours = max(0, int(seconds // 3600))
    return hours if hours < 24 else hours // 24 * 24


# Every fact is also counted per month (measure "m:<measure>", day: the month's first), so that a
# long period reads a row a month for most of its length rather than a row a day.
MONTHLY = "m:"


def monthly(measure: str) -> str:
    return MONTHLY + measure


def _with_months(facts: list[str]) -> list[str]:
    months = []
    for fact in facts:
        measure, day, rest = fact.split("|", 2)
        months.append(f"{MONTHLY}{measure}|{day[:8]}01|{rest}")
    return facts + months


def _fact(measure: str, day: dt.date, service: str, department: str = "", step: str = "", hours: int = 0) -> str:
    return f"{measure}|{day.isoformat()}|{service}|{department}|{step}|{hours}"


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def request_facts(row: dict[str, Any], submitted: bool) -> list[str]:
    """What a request adds: ``row`` has service_id, state, created_at, closed_at and overdue;
    ``submitted`` says whether a withdrawn request was ever submitted (a request withdrawn while
    only prepared was never received)."""
    state = row["state"]
    if state == "prepared" or (state == "withdrawn" and not submitted):
        return []
    service = row["service_id"]
    created = _moment(row["created_at"])
    closed = _moment(row["closed_at"])
    assert created is not None
    facts = [_fact(RECEIVED, beijing_date(created), service)]
    if state in CLOSED_STATES and closed is not None:
        day = beijing_date(closed)
        facts.append(_fact(CLOSED, day, service))
        if state in DECIDED_STATES:
            facts.append(_fact(DECIDED, day, service))
            facts.append(_fact(HOURS, day, service, hours=bucket((closed - created).total_seconds())))
            if state in APPROVED_STATES:
                facts.append(_fact(APPROVED, day, service))
            if not row["overdue"]:
                facts.append(_fact(WITHIN_LIMIT, day, service))
    return _with_months(facts)


def task_facts(row: dict[str, Any]) -> list[str]:
    """What a review task adds: ``row`` has service_id, department, stage_id, state, opened_at,
    due_at, decided_at and escalated."""
    service, department, step = row["service_id"], row["department"], row["stage_id"]
    opened = _moment(row["opened_at"])
    decided = _moment(row["decided_at"])
    assert opened is not None
    facts = [_fact(OPENED, beijing_date(opened), service, department, step)]
    closed = row["state"] not in ACTIVE_TASK_STATES and decided is not None
    if closed:
        assert decided is not None
        day = beijing_date(decided)
        facts.append(_fact(TASK_CLOSED, day, service, department, step))
        if row["state"] in DECIDED_TASK_STATES:
            facts.append(_fact(TASK_DECIDED, day, service, department, step))
            hours = bucket((decided - opened).total_seconds())
            facts.append(_fact(TASK_HOURS, day, service, department, step, hours))
    if row["escalated"]:
        due = _moment(row["due_at"])
        assert due is not None
        late_from = beijing_date(due)
        facts.append(_fact(OVERDUE_IN, late_from, service, department, step))
        if closed:
            assert decided is not None
            facts.append(_fact(OVERDUE_OUT, max(late_from, beijing_date(decided)), service, department, step))
    return _with_months(facts)


REQUEST_COLUMNS = "id, service_id, state, created_at, closed_at, overdue"
TASK_COLUMNS = "id, request, service_id, department, stage_id, state, opened_at, due_at, decided_at, escalated"


def _submitted_key(request_id: int) -> str:
    return f"request:{request_id}:submitted"


async def _apply(delta: Counter[str]) -> None:
    """Add ``delta`` to the tallies, inside the caller's transaction."""
    for fact, n in sorted(delta.items()):
        if n == 0:
            continue
        measure, day, service, department, step, hours = fact.split("|")
        await CockpitTally.raw(
            "INSERT INTO cockpit_tally (key, measure, day, service_id, department, step, bucket, n) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (key) DO UPDATE SET n = cockpit_tally.n + excluded.n",
            fact,
            measure,
            dt.date.fromisoformat(day),
            service,
            department,
            step,
            int(hours),
            n,
        )


async def _recount(request_id: int) -> None:
    # On PostgreSQL, two moves of one request (parallel reviews) count one after the other; SQLite
    # lets one writer in at a time already.
    lock = "" if isinstance(CockpitTally._meta.db, SQLiteEngine) else " FOR UPDATE"
    request = await quick_rows(
        ServiceRequest, f"SELECT {REQUEST_COLUMNS} FROM service_request WHERE id = {{}}{lock}", request_id
    )
    if not request:
        return
    tasks = await quick_rows(ServiceRequest, f"SELECT {TASK_COLUMNS} FROM review_task WHERE request = {{}}", request_id)
    submitted = True
    if request[0]["state"] == "withdrawn":
        submitted = bool(
            await quick_rows(ServiceRequest, "SELECT id FROM timeline_entry WHERE key = {}", _submitted_key(request_id))
        )
    now = {f"request:{request_id}": request_facts(request[0], submitted)}
    for task in tasks:
        now[f"task:{task['id']}"] = task_facts(task)
    keys = list(now)
    kept = {
        row["key"]: json.loads(row["facts"])
        for row in await quick_rows(
            CockpitCounted,
            "SELECT key, facts FROM cockpit_counted WHERE key IN (" + ", ".join("{}" for _ in keys) + ")",
            *keys,
        )
    }
    delta: Counter[str] = Counter()
    for key, facts in now.items():
        before = kept.get(key, [])
        if facts == before:
            continue
        delta.update(facts)
        delta.subtract(before)
        await CockpitCounted.raw(
            "INSERT INTO cockpit_counted (key, facts) VALUES ({}, {}) "
            "ON CONFLICT (key) DO UPDATE SET facts = excluded.facts",
            key,
            json.dumps(facts),
        )
    await _apply(delta)


async def recount(request_id: int) -> None:
    """Bring the tallies up to date with a request and its tasks as they stand: in the caller's
    transaction when there is one (the move and its count are kept or lost together), else in one
    of its own."""
    if CockpitTally._meta.db.transaction_exists():
        await _recount(request_id)
    else:
        async with writing():
            await _recount(request_id)


BATCH = 5000


async def _facts_of_read_model() -> tuple[Counter[str], dict[str, list[str]]]:
    totals: Counter[str] = Counter()
    counted: dict[str, list[str]] = {}
    submitted = {
        int(row["key"].split(":")[1])
        for row in await ServiceRequest.raw(
            "SELECT key FROM timeline_entry WHERE kind = 'submitted' AND request IN "
            "(SELECT id FROM service_request WHERE state = 'withdrawn')"
        )
    }
    last = 0
    while True:
        rows = await ServiceRequest.raw(
            f"SELECT {REQUEST_COLUMNS} FROM service_request WHERE id > {{}} ORDER BY id LIMIT {BATCH}", last
        )
        for row in rows:
            facts = request_facts(row, row["id"] in submitted)
            counted[f"request:{row['id']}"] = facts
            totals.update(facts)
        if len(rows) < BATCH:
            break
        last = rows[-1]["id"]
    last = 0
    while True:
        rows = await ServiceRequest.raw(
            f"SELECT {TASK_COLUMNS} FROM review_task WHERE id > {{}} ORDER BY id LIMIT {BATCH}", last
        )
        for row in rows:
            facts = task_facts(row)
            counted[f"task:{row['id']}"] = facts
            totals.update(facts)
        if len(rows) < BATCH:
            break
        last = rows[-1]["id"]
    return totals, counted


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def rebuild() -> int:
    """Count every request and task of the read model again, in one transaction, replacing the
    tallies; returns the number of tally rows."""
    async with writing():
        if not isinstance(CockpitTally._meta.db, SQLiteEngine):  # SQLite's write lock is already held
            # Moves made meanwhile wait, and then add their difference to the rebuilt tallies.
            await CockpitTally.raw("LOCK TABLE cockpit_tally, cockpit_counted IN EXCLUSIVE MODE")
        totals, counted = await _facts_of_read_model()
        await CockpitTally.raw("DELETE FROM cockpit_tally")
        await CockpitCounted.raw("DELETE FROM cockpit_counted")
        rows = sorted(totals.items())
        for chunk in _chunks([(fact, n) for fact, n in rows if n], 500):
            values, args = [], []
            for fact, n in chunk:
                measure, day, service, department, step, hours = fact.split("|")
                values.append("({}, {}, {}, {}, {}, {}, {}, {})")
                args += [fact, measure, dt.date.fromisoformat(day), service, department, step, int(hours), n]
            await CockpitTally.raw(
                "INSERT INTO cockpit_tally (key, measure, day, service_id, department, step, bucket, n) VALUES "
                + ", ".join(values),
                *args,
            )
        for chunk in _chunks(sorted(counted.items()), 500):
            await CockpitCounted.raw(
                "INSERT INTO cockpit_counted (key, facts) VALUES " + ", ".join("({}, {})" for _ in chunk),
                *[value for key, facts in chunk for value in (key, json.dumps(facts))],
            )
    return len(rows)
