"""A request's parts as the engines write them in JSON: times in any offset read as the same
instant in UTC, flags as the engines' own converters read them, rows in the order the detail shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hub.requests.parts import DOCUMENT_COLUMNS, ENTRY_COLUMNS, PART_NAMES, TASK_COLUMNS, _moment, parts_of

INSTANT = dt.datetime(2026, 12, 5, 2, 30, 15, 500000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05T02:30:15.5+00:00",  # PostgreSQL, a session in UTC
        "2026-12-05T10:30:15.5+08:00",  # PostgreSQL, a session in Beijing time
        "2026-12-04T21:30:15.500000-05:00",
        "2026-12-05 02:30:15.500000+00:00",  # SQLite, as stored
        "2026-12-05 02:30:15.500000",  # SQLite, a time written without its zone: UTC
        "2026-12-05T02:30:15.5Z",
    ],
)
def test_a_time_in_any_offset_is_the_same_instant_in_utc(text):
    moment = _moment(text)
    assert moment == INSTANT
    assert moment.utcoffset() == dt.timedelta(0)


def task(id: int, opened_at: str, provisional) -> list:
    values = {name: None for name in TASK_COLUMNS} | {
        "id": id,
        "opened_at": opened_at,
        "due_at": opened_at,
        "provisional": provisional,
        "stage_id": f"stage-{id}",
    }
    return [values[name] for name in TASK_COLUMNS]


def test_rows_come_back_in_order_with_their_flags():
    tasks = [
        task(3, "2026-12-05T10:00:00+08:00", 0),
        task(1, "2026-12-05 03:00:00+00:00", 1),
        task(2, "2026-12-05 02:00:00+00:00", "1"),  # the same instant as task 3: the id decides
        task(4, "2026-12-05T02:00:00+00:00", "false"),
    ]
    entries = [["2026-12-05T02:00:00+00:00", "submitted", None, None, "", 7]]
    row = {
        "tasks_json": json.dumps(tasks),
        "entries_json": json.dumps(entries),
        "documents_json": None,  # PostgreSQL's aggregate of no rows
    }
    parts = parts_of(row)
    assert [t.id for t in parts.tasks] == [2, 3, 4, 1]
    assert [t.provisional for t in parts.tasks] == [True, False, False, True]
    assert parts.tasks[0].opened_at == dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC)
    assert [(e.kind, e.id) for e in parts.entries] == [("submitted", 7)]
    assert parts.documents == []
    assert set(PART_NAMES) == set(row) and "issued_at" in DOCUMENT_COLUMNS and "at" in ENTRY_COLUMNS
