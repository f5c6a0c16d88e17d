"""The held-messages schedule's look for untold revocations, on every run, reads the index of
revoked documents, not every document the hub ever issued (on SQLite)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from hub.notifications.service import recent_revocations


async def test_recent_revocations_are_read_from_the_index_of_revoked_documents(database, tmp_path):
    query = recent_revocations(dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    with sqlite3.connect(tmp_path / "hub.sqlite") as connection:
        plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + str(query))]
    assert any("USING INDEX document_revoked_at" in step for step in plan), plan
    assert not any(step.startswith("SCAN document") for step in plan), plan
