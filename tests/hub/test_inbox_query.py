"""An inbox page is read from a partial index of active tasks, in its order, on SQLite: not every
active task of the department read and sorted for a page of a hundred."""

from __future__ import annotations

import importlib
import sqlite3

import pytest

from hub.db.engine import qmarks
from hub.db.indexes import ACTIVE_STATES, active_condition
from hub.workbench.inbox import inbox_query
from workflows.types import ACTIVE_TASK_STATES

MIGRATION = importlib.import_module("hub.db.migrations.qinqing_2026_12_03t16_36_30_645829")


def test_the_condition_is_the_indexes_own_and_names_every_active_state():
    assert set(ACTIVE_STATES) == set(ACTIVE_TASK_STATES) and len(ACTIVE_STATES) == len(ACTIVE_TASK_STATES)
    assert ACTIVE_STATES == MIGRATION.ACTIVE_STATES
    for engine in ("sqlite", "postgres"):
        assert active_condition(engine) == MIGRATION.active_condition(engine)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "review_task_active_inbox"),
        ({"service": "elderly-care-allowance"}, "review_task_active_service"),
        ({"assignee": 7}, "review_task_active_assignee"),
    ],
)
async def test_an_active_inbox_page_is_read_in_the_order_of_a_partial_index(database, tmp_path, filters, index):
    sql, args = inbox_query("street-office", filters.get("assignee"), service=filters.get("service"))
    with sqlite3.connect(tmp_path / "hub.sqlite") as connection:
        plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + qmarks(sql), args)]
    assert any(f"USING INDEX {index}" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: the index's order is the page's
