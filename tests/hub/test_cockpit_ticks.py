"""Charts of counts are drawn on whole-number ticks: a department's open tasks are never 0.3."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.cockpit.charts import count_ticks


def test_small_counts_count_one_by_one_and_large_ones_in_round_steps():
    assert count_ticks([]) == [0, 1]
    assert count_ticks([1, 0]) == [0, 1]
    assert count_ticks([7]) == [0, 2, 4, 6, 8]
    assert count_ticks([23]) == [0, 5, 10, 15, 20, 25]
    assert count_ticks([999]) == [0, 200, 400, 600, 800, 1000]


@given(st.lists(st.integers(min_value=0, max_value=10**9)))
def test_ticks_are_whole_few_even_and_reach_the_top(values):
    ticks = count_ticks(values)
    step = ticks[1] - ticks[0]
    assert all(isinstance(t, int) for t in ticks) and ticks[0] == 0
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
    assert ticks[-1] >= max([0, *values]) and len(ticks) <= 7
