"""Withholding small counts from a published table, and whatever would give them away.

A table of counts is published with its row totals, column totals and grand total. A count of one
to ``MIN_PUBLISHED`` - 1 people is withheld (primary suppression): in a small district it could
point at a person. Withholding it alone is not enough when totals are published: a row with one
withheld cell gives it away as the row total less the others. So more cells are withheld
(complementary suppression) until no withheld value can be recomputed from what is published.

Why the result holds (the argument ``tests/hub/test_open_data.py`` checks with a linear program):
write the table with its margins as an (R+1) x (C+1) grid. The published cells and totals leave
the withheld ones free only along directions that keep every row and every column adding up: in
the bipartite graph whose nodes are the grid's rows and columns and whose edges are the withheld
cells, those directions are the cycles (add t and take t alternately around a cycle). Every cell
withheld here is at least 1 (a count of 0 is published, never chosen to hide another), so a small
enough move along any cycle keeps every count non-negative. Hence a withheld cell can take more
than one value exactly when it lies on a cycle, that is when its edge is not a bridge. The loop
below withholds, for each bridge, the three cells that close the cheapest rectangle through it,
until no withheld cell is a bridge; when no rectangle can be closed, the whole table is withheld.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MIN_PUBLISHED = 5
TOTAL = "total"

Cell = tuple[int, int]


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


def _bridges(edges: set[Cell]) -> list[Cell]:
    """The withheld cells that lie on no cycle of the row-column graph (their value is pinned)."""
    adjacency: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in edges:
        adjacency.setdefault(("r", i), []).append(("c", j))
        adjacency.setdefault(("c", j), []).append(("r", i))

    def connected_without(edge: Cell) -> bool:
        start, goal = ("r", edge[0]), ("c", edge[1])
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for other in adjacency[node]:
                if {node, other} == {start, goal}:
                    continue  # the edge itself (a simple graph: at most one edge per pair)
                if other == goal:
                    return True
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return False

    return sorted(edge for edge in edges if not connected_without(edge))


def _cheapest_rectangle(grid: list[list[int]], withheld: set[Cell], edge: Cell) -> list[Cell] | None:
    """The cells to withhold so that ``edge`` lies on a rectangle of withheld cells: only cells of
    at least 1, the least people hidden (published totals kept where a cell will do)."""
    i, j = edge
    best: tuple[tuple[int, int], list[Cell]] | None = None
    for r in range(len(grid)):
        for c in range(len(grid[0])):
            if r == i or c == j:
                continue
            corners = [(i, c), (r, j), (r, c)]
            if any(cell not in withheld and grid[cell[0]][cell[1]] <= 0 for cell in corners):
                continue
            new = [cell for cell in corners if cell not in withheld]
            margins = sum(1 for a, b in new if a == len(grid) - 1 or b == len(grid[0]) - 1)
            cost = (margins, sum(grid[a][b] for a, b in new))
            if best is None or cost < best[0]:
                best = (cost, new)
    return None if best is None else best[1]


def suppress(table: CountTable) -> PublishedTable:
    """The table as it can be published: small counts withheld, and enough others with them that
    none can be recomputed from the published cells and totals."""
    grid = table.grid()
    cells = [(i, j) for i in range(len(grid)) for j in range(len(grid[0]))]
    withheld = {cell for cell in cells if _primary(grid[cell[0]][cell[1]])}
    # Each round closes at least one rectangle, so the rounds are bounded by the number of cells.
    for _ in range(len(cells) + 1):
        bridges = _bridges(withheld)
        if not bridges:
            break
        added = _cheapest_rectangle(grid, withheld, bridges[0])
        if added is None:
            withheld = set(cells)  # nothing can hide it: publish none of the table
            break
        withheld.update(added)
    else:
        withheld = set(cells)
    keys_r = (*table.rows, TOTAL)
    keys_c = (*table.columns, TOTAL)
    return PublishedTable(
        rows=table.rows,
        columns=table.columns,
        cells={(keys_r[i], keys_c[j]): None if (i, j) in withheld else grid[i][j] for i, j in cells},
    )


def count_table(rows: Iterable[str], columns: Iterable[str], counts: dict[tuple[str, str], int]) -> CountTable:
    """A table of the given rows and columns (in that order) with its counts."""
    return CountTable(tuple(rows), tuple(columns), dict(counts))
