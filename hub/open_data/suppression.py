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
of every table adding up and every whole the sum of its parts. A rectangle of withheld cells
(+t, -t, +t, -t around it) keeps its table's rows and columns; moved the same way in a table and
in every table it is part of (a month, its quarter and its year), or in a table and against it in
another part of the same whole (two months of a quarter), it also keeps every sum between tables.
Every cell withheld here is at least 1 (a count of 0 is published, never chosen to hide another),
so a small enough move keeps every count non-negative. The loop below gives every withheld cell
such a rectangle, the one that withholds the fewest totals and the fewest people more. One exists
for every cell of at least 1: its row total, its column total and the grand total close one.
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
    published: no withheld count can be recomputed from all of them and their totals at once."""
    grids = {key: table.grid() for key, table in tables.items()}
    parent = {part: whole for whole, wholes_parts in parts.items() for part in wholes_parts}
    depth = {key: len(_ancestors(key, parent)) for key in tables}
    cells = [(i, j) for i in range(len(next(iter(grids.values())))) for j in range(len(next(iter(grids.values()))[0]))]
    withheld = {key: {cell for cell in cells if _primary(grids[key][cell[0]][cell[1]])} for key in tables}
    moved: dict[K, set[Cell]] = {key: set() for key in tables}

    def value(key: K, cell: Cell) -> int:
        return grids[key][cell[0]][cell[1]]

    def leaves(key: K) -> list[K]:
        return [key] if key not in parts else [leaf for part in parts[key] for leaf in leaves(part)]

    def chain(leaf: K, top: K, sign: int) -> list[tuple[K, int]]:
        """A table and every table it is part of, up to ``top``, moving the same way."""
        out = [(leaf, sign)]
        while out[-1][0] != top:
            out.append((parent[out[-1][0]], sign))
        return out

    def moves(key: K) -> list[list[tuple[K, int]]]:
        """The sets of tables (with the sign each moves by) whose totals and sums all hold when the
        same rectangle moves in each, ``key`` among them: a table and every table it is part of up
        to some whole, and against them the same in another part of that whole's own whole, or up
        to the whole of all (nothing holds the whole of all)."""
        found = []
        for leaf in leaves(key):
            for top in [key, *_ancestors(key, parent)]:
                up = chain(leaf, top, 1)
                if top not in parent:
                    found.append(up)
                    continue
                for other in parts[parent[top]]:
                    if other != top:
                        found += [up + chain(other_leaf, other, -1) for other_leaf in leaves(other)]
        return found

    last_row, last_column = cells[-1]
    positive = {key: {cell for cell in cells if value(key, cell) > 0} for key in tables}
    moves_of: dict[K, list[list[tuple[K, int]]]] = {}

    def cheapest(key: K, cell: Cell) -> tuple[list[tuple[K, int]], list[Cell]] | None:
        i, j = cell
        best: tuple[tuple[int, int], list[tuple[K, int]], list[Cell]] | None = None
        if key not in moves_of:
            moves_of[key] = moves(key)
        for tables_moved in moves_of[key]:
            # A count of 0 cannot move down: only cells of at least 1 in every table moved (the
            # parts are the least of them) are chosen to hide another.
            usable = set.intersection(*(positive[t] for t, _ in tables_moved if t not in parts))
            if cell not in usable:
                continue
            across = [c for c in range(len(grids[key][0])) if c != j and (i, c) in usable]
            for r in range(len(grids[key])):
                if r == i or (r, j) not in usable:
                    continue
                for c in across:
                    if (r, c) not in usable:
                        continue
                    corners = [cell, (i, c), (r, j), (r, c)]
                    margins = people = 0
                    for t, _ in tables_moved:
                        hidden, grid = withheld[t], grids[t]
                        for a, b in corners:
                            if (a, b) not in hidden:
                                margins += a == last_row or b == last_column
                                people += grid[a][b]
                    if best is None or (margins, people) < best[0]:
                        best = ((margins, people), tables_moved, corners)
        return None if best is None else best[1:]

    # Each round gives at least one withheld cell its rectangle, so the rounds are bounded.
    order = sorted(tables, key=lambda key: -depth[key])  # the smallest tables first: their moves cost least
    while True:
        todo = next(((key, cell) for key in order for cell in sorted(withheld[key] - moved[key])), None)
        if todo is None:
            break
        chosen = cheapest(*todo)
        if chosen is None:  # cannot happen while every withheld count is at least 1; publish nothing then
            withheld = {key: set(cells) for key in tables}
            break
        tables_moved, corners = chosen
        for key, _ in tables_moved:
            withheld[key].update(corners)
            moved[key].update(corners)
    return {key: _as_published(table, grids[key], withheld[key]) for key, table in tables.items()}


def suppress(table: CountTable) -> PublishedTable:
    """The table as it can be published: small counts withheld, and enough others with them that
    none can be recomputed from the published cells and totals."""
    return suppress_linked({TOTAL: table}, {})[TOTAL]


def withhold_linked_counts(counts: Mapping[K, int], parts: Mapping[K, Sequence[K]]) -> set[K]:
    """Of counts where some are the sum of others (``parts``: a year's of its quarters', a
    quarter's of its months'), those to withhold: every count of 1 to ``MIN_PUBLISHED`` - 1, and
    with them enough others that none can be recomputed from the rest. In every whole with its
    parts, none or at least two are withheld, and each of them is at least 1: then a withheld
    count can move with another of its group (a part against a part, or a part with its whole),
    and that one with another of its own other group, down to a part or up to the whole of all."""
    withheld = {key for key, count in counts.items() if _primary(count)}
    changed = True
    while changed:
        changed = False
        for whole, wholes_parts in parts.items():
            group = [whole, *wholes_parts]
            if sum(key in withheld for key in group) != 1:
                continue
            # The least count of the others that is not 0; a part before its whole of the same count.
            others = [key for key in group if key not in withheld and counts[key] > 0]
            withheld.add(min(others, key=lambda key: (counts[key], key == whole)))
            changed = True
    return withheld


def _ancestors(key: K, parent: Mapping[K, K]) -> list[K]:
    out = []
    while key in parent:
        key = parent[key]
        out.append(key)
    return out


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
