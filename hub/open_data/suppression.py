"""Withholding small counts from a published table, and whatever would give them away.

A table of counts is published with its row totals, column totals and grand total. A count of one
to ``MIN_PUBLISHED`` - 1 people is withheld (primary suppression): in a small district it could
point at a person. Withholding it alone is not enough when totals are published: a row with one
withheld cell gives it away as the row total less the others. So more cells are withheld
(complementary suppression) until no withheld value can be recomputed from what is published.

The same counts are often published in several tables that add up to one another: a year and
each of its quarters and months. A month's withheld count would then be the year's less the other
months', unless the tables are withheld together (``suppress_linked``).

Why the result holds (the argument ``tests/hub/test_open_data.py`` checks with a linear program):
write each table with its margins as an (R+1) x (C+1) grid. A withheld count can take more than
one value when the withheld cells can move, by +t and -t, in a way that keeps every row and column
of every table adding up and every whole the sum of its parts. Each withheld cell of a table that
is no whole lies on a rectangle of withheld cells (+t, -t, +t, -t around it keeps its rows and
columns); every whole withholds what its parts withhold, so the same rectangle moves in the table
and in every whole it is part of, and every sum between tables holds. A whole's withheld cell was
withheld by a part, and moves with that part's rectangle; a whole's own small count has a small
part, withheld. Every cell withheld is at least 1 (a count of 0 is published, never chosen to
hide another), so a small enough move keeps every count non-negative.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

MIN_PUBLISHED = 5
TOTAL = "total"

Cell = tuple[int, int]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class CountTable:
    """Counts by row and column (a missing cell is 0); its totals are computed."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: dict[tuple[str, str], int]

    def grid(self) -> list[list[int]]:
        """The counts with a total column last and a total row last."""
        grid = [[self.counts.get((r, c), 0) for c in self.columns] for r in self.rows]
        for line in grid:
            line.append(sum(line))
        grid.append([sum(line[j] for line in grid) for j in range(len(self.columns) + 1)])
        return grid


@dataclass(frozen=True)
class PublishedTable:
    """A table as published: each cell (and total) a count, or None where it is withheld."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], int | None]  # (row or TOTAL, column or TOTAL)

    def get(self, row: str, column: str) -> int | None:
        return self.cells[(row, column)]

    def withheld(self) -> set[tuple[str, str]]:
        return {key for key, value in self.cells.items() if value is None}


def _primary(value: int) -> bool:
    return 0 < value < MIN_PUBLISHED


def suppress_linked(tables: Mapping[K, CountTable], parts: Mapping[K, Sequence[K]]) -> dict[K, PublishedTable]:
    """Tables of the same rows and columns published together, where some are the sum of others
    cell by cell (``parts``: a year of its quarters, a quarter of its months), as they can be
    published: no withheld count can be recomputed from all of them and their totals at once.

    A table that is no whole (a month) is withheld on its own data alone, and a whole withholds
    every cell any of its parts withholds. So a month's figures, once the month is over, are
    withheld the same way whenever they are asked for (a withheld set that moved as later months
    came in would give counts away between two downloads), and a quarter's and a year's are fixed
    once their months are."""
    published: dict[K, PublishedTable] = {}
    withheld: dict[K, set[Cell]] = {}

    def settle(key: K) -> set[Cell]:
        if key not in withheld:
            grid = tables[key].grid()
            if key in parts:
                cells = set().union(*(settle(part) for part in parts[key]))
            else:
                cells = _withheld_alone(grid)
            withheld[key] = cells
            published[key] = _as_published(tables[key], grid, cells)
        return withheld[key]

    for key in tables:
        settle(key)
    return published


def suppress(table: CountTable) -> PublishedTable:
    """The table as it can be published: small counts withheld, and enough others with them that
    none can be recomputed from the published cells and totals."""
    grid = table.grid()
    return _as_published(table, grid, _withheld_alone(grid))


def _cells(grid: list[list[int]]) -> list[Cell]:
    return [(i, j) for i in range(len(grid)) for j in range(len(grid[0]))]


def _withheld_alone(grid: list[list[int]]) -> set[Cell]:
    """What a table withholds on its own data: its small counts, each on a rectangle of withheld cells."""
    return _cover(grid, {cell for cell in _cells(grid) if _primary(grid[cell[0]][cell[1]])})


def _cover(grid: list[list[int]], withheld: set[Cell]) -> set[Cell]:
    """``withheld`` with more cells, so that every withheld cell lies on a rectangle of withheld
    cells of at least 1: for each that does not yet, the rectangle through it that withholds the
    fewest totals and then the fewest people more."""
    withheld = set(withheld)
    covered: set[Cell] = set()
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    # Each round covers at least one withheld cell, so the rounds are bounded.
    while todo := sorted(withheld - covered):
        i, j = todo[0]
        best: tuple[tuple[int, int], list[Cell]] | None = None
        for r in range(len(grid)):
            for c in range(len(grid[0])):
                if r == i or c == j:
                    continue
                corners = [(i, j), (i, c), (r, j), (r, c)]
                if any(grid[a][b] < 1 for a, b in corners):
                    continue  # a count of 0 cannot move down: never chosen to hide another
                new = [(a, b) for a, b in corners if (a, b) not in withheld]
                cost = (sum(a == last_row or b == last_column for a, b in new), sum(grid[a][b] for a, b in new))
                if best is None or cost < best[0]:
                    best = (cost, corners)
        if best is None:  # cannot happen for a cell of at least 1 (its totals close one)
            return set(_cells(grid))
        withheld.update(best[1])
        covered.update(best[1])
    return withheld


def withhold_linked_counts(counts: Mapping[K, int], parts: Mapping[K, Sequence[K]]) -> set[K]:
    """Of counts where some are the sum of others (``parts``: a year's of its quarters', a
    quarter's of its months'), those to withhold: every count of 1 to ``MIN_PUBLISHED`` - 1 that is
    no whole, and every whole one of whose parts is withheld. A withheld count can then move up
    with the wholes it is part of, to the whole of all, which nothing holds; a whole's own small
    count has a small part, withheld. Each is fixed by its own parts, whenever it is asked for."""
    withheld: set[K] = set()

    def settle(key: K) -> bool:
        hidden = any([settle(part) for part in parts[key]]) if key in parts else _primary(counts[key])
        if hidden:
            withheld.add(key)
        return hidden

    for key in counts:
        settle(key)
    return withheld


def _as_published(table: CountTable, grid: list[list[int]], withheld: set[Cell]) -> PublishedTable:
    keys_r = (*table.rows, TOTAL)
    keys_c = (*table.columns, TOTAL)
    return PublishedTable(
        rows=table.rows,
        columns=table.columns,
        cells={
            (keys_r[i], keys_c[j]): None if (i, j) in withheld else grid[i][j]
            for i in range(len(grid))
            for j in range(len(grid[0]))
        },
    )


def count_table(rows: Iterable[str], columns: Iterable[str], counts: dict[tuple[str, str], int]) -> CountTable:
    """A table of the given rows and columns (in that order) with its counts."""
    return CountTable(tuple(rows), tuple(columns), dict(counts))
