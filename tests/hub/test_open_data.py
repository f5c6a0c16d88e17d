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

from hub.open_data.suppression import (
    MIN_PUBLISHED,
    TOTAL,
    CountTable,
    PublishedTable,
    suppress,
    suppress_linked,
    withhold_linked_counts,
)


def feasible_intervals(published: PublishedTable) -> dict[tuple[str, str], tuple[float, float]]:
    """For every withheld cell (totals included), its least and greatest value consistent with the
    published cells and totals."""
    return {cell: interval for (_, cell), interval in linked_intervals({"table": published}, {}).items()}


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


# Tables published together: a year, its quarters and its months, each the sum of its parts.

YEAR_PARTS = {
    "year": ("Q1", "Q2", "Q3", "Q4"),
    **{f"Q{q}": tuple(f"M{m:02d}" for m in range(3 * q - 2, 3 * q + 1)) for q in range(1, 5)},
}


def linked_intervals(
    published: dict[str, PublishedTable], parts: dict[str, tuple[str, ...]]
) -> dict[tuple[str, tuple[str, str]], tuple[float, float]]:
    """For every withheld cell of every table, its least and greatest value consistent with every
    published cell and total of every table, and with each whole the sum of its parts."""
    unknown = sorted((key, cell) for key, table in published.items() for cell in table.withheld())
    index = {item: k for k, item in enumerate(unknown)}
    equations: list[tuple[list[float], float]] = []

    def relation(terms: list[tuple[str, tuple[str, str], float]]) -> None:
        coefficients, rhs = [0.0] * len(unknown), 0.0
        for key, cell, sign in terms:
            value = published[key].cells[cell]
            if value is None:
                coefficients[index[(key, cell)]] += sign
            else:
                rhs -= sign * value
        if any(coefficients):
            equations.append((coefficients, rhs))
        else:
            assert abs(rhs) < 1e-9, "the published tables add up"

    for key, table in published.items():
        rows, columns = (*table.rows, TOTAL), (*table.columns, TOTAL)
        for r in rows:
            relation([(key, (r, c), 1.0) for c in table.columns] + [(key, (r, TOTAL), -1.0)])
        for c in columns:
            relation([(key, (r, c), 1.0) for r in table.rows] + [(key, (TOTAL, c), -1.0)])
    for whole, its_parts in parts.items():
        for cell in published[whole].cells:
            relation([(part, cell, 1.0) for part in its_parts] + [(whole, cell, -1.0)])
    a_eq = [e[0] for e in equations] or None
    b_eq = [e[1] for e in equations] or None
    intervals = {}
    for item in unknown:
        objective = [0.0] * len(unknown)
        objective[index[item]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog([-x for x in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0, low.message
        intervals[item] = (low.fun, float("inf") if high.status == 3 else -high.fun)
    return intervals


def summed(tables: dict[str, CountTable], parts: dict[str, tuple[str, ...]]) -> dict[str, CountTable]:
    """The leaves' tables with every whole made the sum of its parts."""
    out = dict(tables)

    def make(key: str) -> CountTable:
        if key not in out:
            pieces = [make(part) for part in parts[key]]
            counts: dict[tuple[str, str], int] = {}
            for piece in pieces:
                for cell, n in piece.counts.items():
                    counts[cell] = counts.get(cell, 0) + n
            out[key] = CountTable(pieces[0].rows, pieces[0].columns, counts)
        return out[key]

    for whole in parts:
        make(whole)
    return out


def assert_linked_protected(tables: dict[str, CountTable], published: dict[str, PublishedTable], parts) -> None:
    for key in tables:
        assert_protected(tables[key], published[key])  # each alone, and its published figures true
    for (key, cell), (low, high) in linked_intervals(published, parts).items():
        assert high - low > 0.5, f"{key} {cell} is given away by the other tables: it can only be {low}"


def test_a_month_withheld_cannot_be_recomputed_from_its_year_and_the_other_months():
    rows, columns = ("residence-permit", "maternity-allowance"), ("approved", "rejected", "revoked")
    months = {
        f"M{m:02d}": CountTable(
            rows,
            columns,
            {
                ("residence-permit", "approved"): 20 + m,
                ("residence-permit", "rejected"): 6,
                ("maternity-allowance", "approved"): 9 + m,
                ("maternity-allowance", "rejected"): 7,
                # Two revocations in March, more in every other month.
                ("maternity-allowance", "revoked"): 2 if m == 3 else 6,
            },
        )
        for m in range(1, 13)
    }
    tables = summed(months, YEAR_PARTS)
    published = suppress_linked(tables, YEAR_PARTS)
    assert published["M03"].get("maternity-allowance", "revoked") is None
    # Published one table at a time, each protects itself, and the first quarter's revocations (14)
    # less January's and February's (6 each) would give March's away.
    alone = {key: suppress(table) for key, table in tables.items()}
    with pytest.raises(AssertionError, match="given away"):
        assert_linked_protected(tables, alone, YEAR_PARTS)
    assert_linked_protected(tables, published, YEAR_PARTS)
    # The quarter and the year withhold what March withholds; the other quarters' months have
    # nothing small to hide.
    assert published["Q1"].get("maternity-allowance", "revoked") is None
    assert published["year"].get("maternity-allowance", "revoked") is None
    assert all(published[f"M{m:02d}"].withheld() == set() for m in range(4, 13))


def test_a_month_over_is_withheld_the_same_way_whenever_it_is_asked_for():
    # Downloaded in February and again in December: had the months' withheld cells moved as later
    # months came in, the two downloads together would give counts away.
    rng = random.Random(7)
    rows, columns = ("a", "b", "c"), ("approved", "rejected", "in_progress")
    months = {
        f"M{m:02d}": CountTable(
            rows, columns, {(r, c): rng.choice([0, 1, 2, 3, 6, 9, 20]) for r in rows for c in columns}
        )
        for m in range(1, 13)
    }
    so_far = {key: table if key in ("M01", "M02") else CountTable(rows, columns, {}) for key, table in months.items()}
    in_february = suppress_linked(summed(so_far, YEAR_PARTS), YEAR_PARTS)
    in_december = suppress_linked(summed(months, YEAR_PARTS), YEAR_PARTS)
    assert in_february["M01"] == in_december["M01"] and in_february["M02"] == in_december["M02"]
    assert in_february["M01"].withheld()  # something to hide, hidden alike


@pytest.mark.parametrize("seed", range(12))
def test_random_years_never_give_a_withheld_count_away(seed):
    rng = random.Random(seed)
    rows = tuple(f"service-{k}" for k in range(rng.randint(1, 3)))
    columns = ("approved", "rejected", "withdrawn", "in_progress")[: rng.randint(1, 4)]
    months = {
        f"M{m:02d}": CountTable(
            rows, columns, {(r, c): rng.choice([0, 0, 0, 1, 2, 3, 6, 9, 20]) for r in rows for c in columns}
        )
        for m in range(1, 13)
    }
    tables = summed(months, YEAR_PARTS)
    assert_linked_protected(tables, suppress_linked(tables, YEAR_PARTS), YEAR_PARTS)


@pytest.mark.parametrize("seed", range(40))
def test_random_linked_counts_never_give_a_withheld_one_away(seed):
    rng = random.Random(seed)
    counts = {f"M{m:02d}": rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 12]) for m in range(1, 13)}
    for q in range(1, 5):
        counts[f"Q{q}"] = sum(counts[f"M{m:02d}"] for m in range(3 * q - 2, 3 * q + 1))
    counts["year"] = sum(counts[f"Q{q}"] for q in range(1, 5))
    withheld = withhold_linked_counts(counts, YEAR_PARTS)
    assert {key for key, n in counts.items() if 0 < n < MIN_PUBLISHED} <= withheld
    unknown = sorted(withheld)
    index = {key: k for k, key in enumerate(unknown)}
    equations = []
    for whole, its_parts in YEAR_PARTS.items():
        coefficients, rhs = [0.0] * len(unknown), 0.0
        for key, sign in [(p, 1.0) for p in its_parts] + [(whole, -1.0)]:
            if key in withheld:
                coefficients[index[key]] += sign
            else:
                rhs -= sign * counts[key]
        if any(coefficients):
            equations.append((coefficients, rhs))
    for key in unknown:
        objective = [0.0] * len(unknown)
        objective[index[key]] = 1.0
        a_eq, b_eq = [e[0] for e in equations] or None, [e[1] for e in equations] or None
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog([-x for x in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        upper = float("inf") if high.status == 3 else -high.fun
        assert upper - low.fun > 0.5, f"{key} ({counts[key]}) is given away: it can only be {low.fun}"
