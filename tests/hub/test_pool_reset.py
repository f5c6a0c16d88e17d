"""A pooled PostgreSQL connection goes back to the pool without asyncpg's reset statement
(``hub.db.lifecycle.keep_session``): that holds only while no statement of the hub leaves state on
its session. This finds any that would, so that whoever writes one changes the reset with it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A string that starts a statement leaving session state: SET (other than SET LOCAL, which ends
# with its transaction), LISTEN, DECLARE ... CURSOR WITH HOLD, or an advisory lock.
SESSION_STATE = re.compile(
    r"""["']\s*(SET\s+(?!LOCAL\b)(SESSION\b|[a-z_]+\s*(=|TO\b))|LISTEN\b|DECLARE\b)|pg_advisory_lock|pg_try_advisory_lock""",
    re.IGNORECASE,
)


def test_no_statement_leaves_state_on_a_pooled_session():
    found = []
    for folder in ("hub", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SESSION_STATE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_pattern_finds_what_it_looks_for():
    assert SESSION_STATE.search("await conn.execute(\"SET statement_timeout = '5s'\")")
    assert SESSION_STATE.search("await conn.execute('LISTEN payments')")
    assert SESSION_STATE.search("SELECT pg_advisory_lock(42)")
    assert not SESSION_STATE.search("await conn.execute('SET LOCAL lock_timeout = 1000')")
    assert not SESSION_STATE.search('"UPDATE claim SET state = {} WHERE id = {}"')
