"""The condition of the partial indexes of active review tasks, for the queries that must state it.

A partial index serves a query only when the query's condition implies the index's. SQLite proves
that only for a term written as the index's own (the same states in the same order, as literals:
bound parameters are not looked at), and PostgreSQL's generic plans of a prepared statement cannot
prove it from parameters either. Without it an inbox page reads and sorts every active task of the
department before it keeps its first hundred. The migration that made the indexes
(``qinqing_2026_12_03t16_36_30_645829``) keeps its own copy, as migrations keep what they did; a
test holds the two the same.
"""

from __future__ import annotations

# Every state of workflows.types.ACTIVE_TASK_STATES, in the order the indexes list them.
ACTIVE_STATES = ("open", "claimed", "waiting_applicant", "awaiting_confirmation")


def active_condition(engine_type: str, column: str = "state") -> str:
    """``column IN (...the active states...)`` as the indexes state it on ``engine_type``: on
    PostgreSQL each state cast as the column is (varchar, compared as text)."""
    if engine_type == "postgres":
        states = ", ".join(f"'{s}'::varchar::text" for s in ACTIVE_STATES)
        return f"{column}::text IN ({states})"
    return f"{column} IN ({', '.join(repr(s) for s in ACTIVE_STATES)})"
