"""A program's matching progress as the hub tells it: the time left from the rate so far, and a
Temporal that does not answer (or has no such run) never failing the answer."""

from __future__ import annotations

import asyncio
import datetime as dt

from temporalio.service import RPCError, RPCStatusCode

from hub.db.tables import Program
from hub.subsidies import progress
from hub.subsidies.progress import matching_progress, running
from workflows.subsidies.types import MatchStatus

START = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def program(**values) -> Program:
    return Program(**{"code": "p-2026", "published_at": START, "matched_at": None, **values})


class Handle:
    def __init__(self, answer):
        self.answer = answer

    async def query(self, *args, **kwargs):
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer == "hang":
            await asyncio.sleep(60)
        return self.answer


class Client:
    def __init__(self, answer):
        self.answer = answer
        self.asked: list[str] = []

    def get_workflow_handle(self, workflow_id):
        self.asked.append(workflow_id)
        return Handle(self.answer)


def status(evaluated: int, started_at=START, before: int = 0) -> MatchStatus:
    return MatchStatus(
        program_id=1,
        evaluated=evaluated,
        eligible=evaluated // 4,
        counted_from=started_at or START,
        evaluated_before=before,
        started_at=started_at,
    )


def test_the_time_left_is_the_rest_at_the_rate_so_far():
    m = running(status(2500), 10000, START + dt.timedelta(seconds=10))
    assert (m.state, m.evaluated, m.total, m.eligible, m.percent) == ("running", 2500, 10000, 625, 25)
    assert m.estimated_seconds_left == 30 and m.started_at == START


def test_a_run_continued_without_its_start_counts_from_its_own():
    m = running(status(5000, started_at=None, before=4000), 10000, START + dt.timedelta(seconds=10))
    assert m.estimated_seconds_left == 50 and m.started_at is None


def test_nothing_evaluated_yet_gives_no_estimate():
    assert running(None, 10000, START).estimated_seconds_left is None
    assert running(status(0), 10000, START + dt.timedelta(seconds=1)).estimated_seconds_left is None


async def test_a_finished_program_is_read_from_its_row_without_asking_temporal():
    client = Client(RuntimeError("not asked"))
    m = await matching_progress(
        program(matched_at=START, matched_total=204, matched_eligible=17),
        client,  # type: ignore[arg-type]
    )
    assert (m.state, m.evaluated, m.total, m.eligible, m.percent) == ("finished", 204, 204, 17, 100)
    assert client.asked == []


async def test_the_running_workflow_is_asked_by_its_publication_id():
    client = Client(status(100))
    m = await matching_progress(program(), client, total=400)  # type: ignore[arg-type]
    assert client.asked == ["match-p-2026-20261203T080000"]
    assert (m.state, m.evaluated, m.total) == ("running", 100, 400)


async def test_no_run_is_not_started_and_an_unreachable_temporal_is_unknown(monkeypatch):
    monkeypatch.setattr(progress, "QUERY_TIMEOUT", dt.timedelta(seconds=0.1))
    absent = Client(RPCError("not found", RPCStatusCode.NOT_FOUND, b""))
    assert (await matching_progress(program(), absent, total=1)).state == "not-started"  # type: ignore[arg-type]
    away = Client(RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""))
    assert (await matching_progress(program(), away, total=1)).state == "unknown"  # type: ignore[arg-type]
    slow = Client("hang")
    assert (await matching_progress(program(), slow, total=1)).state == "unknown"  # type: ignore[arg-type]
    assert (await matching_progress(program(), None, total=1)).state == "unknown"
