"""A request's detail as a web process keeps it (hub.requests.kept_details): by request and by the
reader's department, each caller with rows of its own, and forgotten at once by a change made here.

The rules of keeping are tested with the inbox's (tests/hub/test_kept_inbox.py); the notices from
PostgreSQL's triggers to two web processes on the stack (tests/stack/test_scale_out.py)."""

from __future__ import annotations

import asyncio

import pytest

from hub.db.kept import KeptReads
from hub.requests import kept_details


@pytest.fixture
def kept(monkeypatch) -> KeptReads:
    kept = KeptReads(60.0, 100)
    kept.listening_changed(True)
    kept.alive()
    monkeypatch.setattr(kept_details, "KEPT_DETAILS", kept)
    return kept


def reader(found: bool = True):
    reads: list[str | None] = []

    async def read_for(department: str | None) -> list[dict]:
        reads.append(department)
        return [{"ref": "R1", "read": len(reads), "department_task": department == "street"}] if found else []

    return reads, read_for


def detail(ref: str, department: str | None, read_for) -> list[dict]:
    return asyncio.run(kept_details.kept_or_read(ref, department, lambda: read_for(department)))


def test_a_detail_is_kept_by_request_and_by_the_reader_s_department(kept):
    reads, read_for = reader()
    assert detail("R1", None, read_for)[0]["read"] == 1
    assert detail("R1", None, read_for)[0]["read"] == 1  # kept
    # Read for a department, whether it has a task of the request is its own read.
    street = detail("R1", "street", read_for)[0]
    civil = detail("R1", "civil", read_for)[0]
    assert (street["department_task"], civil["department_task"]) == (True, False)
    assert reads == [None, "street", "civil"]


def test_each_caller_gets_rows_of_its_own(kept):
    _, read_for = reader()
    detail("R1", None, read_for)[0]["read"] = "changed by one caller"
    assert detail("R1", None, read_for)[0]["read"] == 1


def test_a_request_not_found_is_not_kept(kept):
    reads, read_for = reader(found=False)
    assert detail("R404", None, read_for) == [] and detail("R404", None, read_for) == []
    assert len(reads) == 2 and len(kept) == 0


def test_a_change_here_or_a_notice_forgets_the_request_and_no_other(kept):
    reads, read_for = reader()
    detail("R1", None, read_for)
    detail("R2", None, read_for)
    kept_details.forget_request("R1")
    detail("R1", None, read_for)
    detail("R2", None, read_for)
    assert len(reads) == 3  # R1 read again, R2 kept
    kept.heard("g:R2")
    detail("R2", None, read_for)
    assert len(reads) == 4
