"""Open data's small-count protection: no withheld figure can be recomputed from what is published.

The proof is independent of how the hub chooses what to withhold: for each withheld cell, a linear
program finds the least and the greatest value it can take given every published cell and total
(each row adding up to its total, each column to its total, counts not negative). A figure given
away by the totals would have an interval of a single point.
"""

from __future__ import annotations

import random

import pytest
from scipy.optimize import linprog

from hub.open_data.suppression import MIN_PUBLISHED, TOTAL, CountTable, PublishedTable, suppress


def feasible_intervals(published: PublishedTable) -> dict[tuple[str, str], tuple[float, float]]:
    """For every withheld cell (totals included), its least and greatest value consistent with the
    published cells and totals."""
    rows, columns = (*published.rows, TOTAL), (*published.columns, TOTAL)
    unknown = sorted(published.withheld())
    index = {cell: k for k, cell in enumerate(unknown)}
    equations: list[tuple[list[float], float]] = []

    def relation(parts: list[tuple[str, str]], whole: tuple[str, str]) -> None:
        # sum(parts) - whole = 0, with the published values moved to the right-hand side
        coefficients, rhs = [0.0] * len(unknown), 0.0
        for cell, sign in [(p, 1.0) for p in parts] + [(whole, -1.0)]:
            value = published.cells[cell]
            if value is None:
                coefficients[index[cell]] += sign
            else:
                rhs -= sign * value
        if any(coefficients):
            equations.append((coefficients, rhs))
        else:
            assert abs(rhs) < 1e-9, "the published table adds up"

    for r in rows:
        relation([(r, c) for c in published.columns], (r, TOTAL))
    for c in columns:
        relation([(r, c) for r in published.rows], (TOTAL, c))
    a_eq = [e[0] for e in equations] or None
    b_eq = [e[1] for e in equations] or None
    intervals = {}
    for cell in unknown:
        objective = [0.0] * len(unknown)
        objective[index[cell]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog([-x for x in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0, low.message
        # A cell free to grow without bound is certainly not given away.
        intervals[cell] = (low.fun, float("inf") if high.status == 3 else -high.fun)
    return intervals


def assert_protected(table: CountTable, published: PublishedTable) -> None:
    grid = table.grid()
    rows, columns = (*table.rows, TOTAL), (*table.columns, TOTAL)
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            value = published.cells[(r, c)]
            if value is not None:
                assert value == grid[i][j], "a published figure is the true one"
                assert not 0 < value < MIN_PUBLISHED, f"{r}/{c}: a small count is published"
    for cell, (low, high) in feasible_intervals(published).items():
        assert high - low > 0.5, f"{cell} is given away by the totals: it can only be {low}"


def test_one_small_cell_in_a_row_is_hidden_with_others_so_the_totals_cannot_give_it_away():
    table = CountTable(
        rows=("elderly-care-allowance", "residence-permit", "maternity-allowance"),
        columns=("approved", "rejected", "withdrawn"),
        counts={
            ("elderly-care-allowance", "approved"): 40,
            ("elderly-care-allowance", "rejected"): 2,  # the one small count
            ("elderly-care-allowance", "withdrawn"): 9,
            ("residence-permit", "approved"): 30,
            ("residence-permit", "rejected"): 12,
            ("residence-permit", "withdrawn"): 7,
            ("maternity-allowance", "approved"): 25,
            ("maternity-allowance", "rejected"): 8,
            ("maternity-allowance", "withdrawn"): 6,
        },
    )
    published = suppress(table)
    assert published.get("elderly-care-allowance", "rejected") is None
    # Withheld alone, it would be 51 - 40 - 9: at least three more cells go with it.
    assert len(published.withheld()) >= 4
    # The grand total stays published.
    assert published.get(TOTAL, TOTAL) == 139
    assert_protected(table, published)


def test_nothing_small_means_nothing_withheld():
    table = CountTable(("a", "b"), ("x", "y"), {("a", "x"): 5, ("a", "y"): 0, ("b", "x"): 12, ("b", "y"): 30})
    published = suppress(table)
    assert published.withheld() == set()
    assert published.get("a", TOTAL) == 5 and published.get(TOTAL, "y") == 30


def test_a_small_row_total_is_hidden_and_cannot_be_recomputed_from_the_grand_total():
    # A service with three requests in all: its total is small, and the other services' totals
    # and the grand total would give it away.
    table = CountTable(
        ("rare", "busy", "steady"),
        ("approved", "rejected"),
        {("rare", "approved"): 3, ("busy", "approved"): 50, ("busy", "rejected"): 6, ("steady", "approved"): 20},
    )
    published = suppress(table)
    assert published.get("rare", TOTAL) is None and published.get("rare", "approved") is None
    assert_protected(table, published)


def test_a_table_that_cannot_hide_its_small_count_is_withheld_whole():
    # One column: a small cell's row total equals it, and only the grand total is left to hide it with.
    table = CountTable(("a", "b"), ("x",), {("a", "x"): 2, ("b", "x"): 9})
    published = suppress(table)
    assert published.get("a", "x") is None
    assert_protected(table, published)


@pytest.mark.parametrize("seed", range(60))
def test_random_tables_never_give_a_withheld_count_away(seed):
    rng = random.Random(seed)
    rows = tuple(f"service-{k}" for k in range(rng.randint(1, 9)))
    columns = ("approved", "rejected", "withdrawn", "revoked", "in_progress")[: rng.randint(1, 5)]
    counts = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40, 120]) for r in rows for c in columns}
    table = CountTable(rows, columns, counts)
    published = suppress(table)
    assert_protected(table, published)
    if not any(0 < v < MIN_PUBLISHED for v in counts.values()) and not any(
        0 < total < MIN_PUBLISHED for line in table.grid() for total in line
    ):
        assert published.withheld() == set()
