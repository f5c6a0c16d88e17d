"""How far a program's matching run has got: asked of its running workflow (a query, answered
without changing it), or read from the program once it has finished. Never fails: when Temporal
does not answer in time, the progress is said to be unknown."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from hub.clock import now
from hub.db.tables import Enterprise, Program
from hub.subsidies.presenter import MatchingRead
from hub.subsidies.programs import load_program
from workflows.names import matching_workflow_id
from workflows.subsidies.matching import ProgramMatchingWorkflow
from workflows.subsidies.types import MatchStatus

log = logging.getLogger("qinqing.programs")

# A page or an API answer waits this long for the workflow's answer, then says "unknown".
QUERY_TIMEOUT = dt.timedelta(seconds=2)


def finished(program: Program) -> MatchingRead:
    return MatchingRead(
        state="finished",
        evaluated=program.matched_total,
        total=program.matched_total,
        eligible=program.matched_eligible,
        percent=100,
        finished_at=program.matched_at,
    )


async def registry_size() -> int:
    """How many enterprises a matching run evaluates: the registry the matching reads, by id."""
    return await Enterprise.count()


def running(status: MatchStatus | None, total: int, at: dt.datetime) -> MatchingRead:
    """A running match's progress, with the time left at the rate it has gone so far."""
    if status is None:  # started, its first step not yet taken
        return MatchingRead(state="running", evaluated=0, total=total, eligible=0, percent=0)
    evaluated = min(status.evaluated, total) if total else status.evaluated
    left = None
    elapsed = (at - status.counted_from).total_seconds()
    done = status.evaluated - status.evaluated_before
    if elapsed > 0 and done > 0:
        left = max(0, round((total - evaluated) * elapsed / done))
    return MatchingRead(
        state="running",
        evaluated=evaluated,
        total=total,
        eligible=status.eligible,
        percent=int(100 * evaluated / total) if total else 0,
        started_at=status.started_at,
        estimated_seconds_left=left,
    )


async def query_status(client: Client, workflow_id: str) -> MatchStatus | None:
    handle = client.get_workflow_handle(workflow_id)
    return await asyncio.wait_for(
        handle.query(ProgramMatchingWorkflow.progress, rpc_timeout=QUERY_TIMEOUT),
        QUERY_TIMEOUT.total_seconds() + 0.5,
    )


async def matching_progress(program: Program, client: Client | None, total: int | None = None) -> MatchingRead:
    """Where the program's matching is; ``total`` is the registry's size when the caller knows it."""
    if program.matched_at is not None:
        return finished(program)
    if client is None:
        return MatchingRead(state="unknown")
    workflow_id = matching_workflow_id(program.code, f"{program.published_at:%Y%m%dT%H%M%S}")
    try:
        status = await query_status(client, workflow_id)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return MatchingRead(state="not-started")
        log.warning("progress of %s unknown: %s", workflow_id, exc)
        return MatchingRead(state="unknown")
    except Exception as exc:  # noqa: BLE001 - a slow or absent Temporal must never fail the page
        log.warning("progress of %s unknown: %r", workflow_id, exc)
        return MatchingRead(state="unknown")
    if total is None:
        total = await registry_size()
    return running(status, total, now())


async def programs_matching(client: Client | None) -> dict[str, MatchingRead]:
    """Every published program's matching, by code (the running ones asked at once)."""
    rows = await Program.objects()
    total = await registry_size() if any(r.matched_at is None for r in rows) else None
    answers = await asyncio.gather(*(matching_progress(r, client, total) for r in rows))
    return {r.code: a for r, a in zip(rows, answers, strict=True)}


async def program_matching(code: str, client: Client | None) -> MatchingRead:
    """One program's matching (the caller has checked who may see it)."""
    return await matching_progress(await load_program(code), client)
