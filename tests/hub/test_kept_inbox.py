"""The inbox pages a web process keeps (hub.workbench.kept_inbox, hub.db.kept.KeptReads): what is
kept, and what makes it go.

The notices themselves, from PostgreSQL's triggers to two web processes, are tested on the stack
(tests/stack/test_scale_out.py)."""

from __future__ import annotations

import asyncio

from hub.db.kept import KeptReads
from hub.workbench import kept_inbox


def listening(lifetime: float = 60.0, most: int = 100) -> KeptReads:
    kept = KeptReads(lifetime, most)
    kept.listening_changed(True)
    kept.alive()
    return kept


def keep(kept: KeptReads, group: str, key: str, value: object) -> None:
    kept.keep(kept.stamp(group), group, key, value)


def value_of(kept: KeptReads, group: str, key: str) -> object:
    read = kept.get(group, key)
    return None if read is None else read.value


def test_nothing_is_kept_while_not_listening():
    kept = KeptReads(60.0, 100)
    keep(kept, "street", "page 1", ("row",))
    assert kept.get("street", "page 1") is None and len(kept) == 0


def test_a_page_is_kept_under_its_department_only():
    kept = listening()
    keep(kept, "street", "page 1", ("row",))
    assert value_of(kept, "street", "page 1") == ("row",)
    assert kept.get("civil", "page 1") is None  # the same page of another department is its own


def test_a_department_s_notice_drops_its_pages_and_no_other_s():
    kept = listening()
    for group in ("street", "civil"):
        keep(kept, group, "page 1", group)
        keep(kept, group, "counts", group)
    kept.heard("g:street")
    assert [value_of(kept, g, k) for g in ("street", "civil") for k in ("page 1", "counts")] == [
        None,
        None,
        "civil",
        "civil",
    ]


def test_a_read_begun_before_its_department_s_notice_is_not_kept_but_another_s_is():
    kept = listening()
    street, civil = kept.stamp("street"), kept.stamp("civil")
    kept.heard("g:street")
    kept.keep(street, "street", "page 1", "stale")
    kept.keep(civil, "civil", "page 1", "fresh")
    assert value_of(kept, "street", "page 1") is None
    assert value_of(kept, "civil", "page 1") == "fresh"


def test_anything_but_a_department_s_notice_drops_everything_and_reads_begun_before():
    for notice in ("*", "", "g", "something", "s:abc"):
        kept = listening()
        keep(kept, "street", "page 1", "old")
        began = kept.stamp("civil")
        kept.heard(notice)
        kept.keep(began, "civil", "page 1", "stale")
        assert len(kept) == 0, notice


def test_a_department_with_no_name_is_a_department_too():
    kept = listening()
    keep(kept, "", "page 1", "no department")
    keep(kept, "street", "page 1", "street")
    kept.heard("g:")
    assert value_of(kept, "", "page 1") is None and value_of(kept, "street", "page 1") == "street"


def test_listening_lost_or_regained_drops_everything_and_reads_begun_before():
    kept = listening()
    keep(kept, "street", "page 1", "old")
    began = kept.stamp("street")
    kept.listening_changed(False)
    assert len(kept) == 0
    kept.listening_changed(True)
    kept.alive()
    kept.keep(began, "street", "page 1", "stale")
    assert len(kept) == 0


def test_a_kept_page_is_read_again_after_its_lifetime_and_the_oldest_goes_first():
    kept = listening(lifetime=-1.0)
    keep(kept, "street", "page 1", "old")
    assert kept.get("street", "page 1") is None and len(kept) == 0
    kept = listening(most=2)
    for n in (1, 2, 3):
        keep(kept, "street", f"page {n}", n)
    assert [value_of(kept, "street", f"page {n}") for n in (1, 2, 3)] == [None, 2, 3]


def test_pages_count_by_their_rows_and_the_oldest_go_first_to_make_room():
    kept = listening(most=5)
    for name in ("a", "b"):
        kept.keep(kept.stamp("street"), "street", name, name, 2)
    kept.keep(kept.stamp("street"), "street", "a", "a again", 2)  # read again: counted once
    assert (kept.size, value_of(kept, "street", "a")) == (4, "a again")
    kept.keep(kept.stamp("civil"), "civil", "c", "c", 3)  # room for it: the oldest, b, goes
    assert [value_of(kept, g, k) for g, k in (("street", "a"), ("street", "b"), ("civil", "c"))] == [
        "a again",
        None,
        "c",
    ]
    assert kept.size == 5
    kept.keep(kept.stamp("civil"), "civil", "huge", "huge", 6)  # larger than all: not kept, nothing dropped
    assert (kept.size, value_of(kept, "civil", "huge")) == (5, None)
    kept.heard("g:civil")
    assert kept.size == 2
    kept.heard("*")
    assert (kept.size, len(kept)) == (0, 0)


def test_kept_or_read_reads_until_kept_and_a_move_here_forgets_at_once(monkeypatch):
    kept = listening()
    monkeypatch.setattr(kept_inbox, "KEPT_INBOX", kept)
    reads: list[int] = []

    async def read() -> tuple[int, ...]:
        reads.append(1)
        return (len(reads),)

    async def page() -> tuple[int, ...]:
        return await kept_inbox.kept_or_read("street", "page 1", read)

    assert asyncio.run(page()) == (1,)
    assert asyncio.run(page()) == (1,)  # kept
    kept_inbox.forget_department("street")
    assert asyncio.run(page()) == (2,)  # read again at once, no notice awaited
    kept.listening_changed(False)
    assert [asyncio.run(page()) for _ in range(2)] == [(3,), (4,)]  # not listening: every page read


def test_a_read_that_a_notice_overtakes_is_not_kept(monkeypatch):
    kept = listening()
    monkeypatch.setattr(kept_inbox, "KEPT_INBOX", kept)

    async def read_while_a_task_changes() -> str:
        kept.heard("g:street")  # committed, and heard, while the page was being read
        return "maybe stale"

    assert asyncio.run(kept_inbox.kept_or_read("street", "page 1", read_while_a_task_changes)) == "maybe stale"
    assert len(kept) == 0


def test_a_group_s_notice_drops_its_reads_however_many_groups_are_kept():
    kept = listening(most=10_000)
    for n in range(1_000):
        for department in ("street", "civil"):
            keep(kept, f"R{n}", department, n)
    kept.heard("g:R7")
    assert value_of(kept, "R7", "street") is None and value_of(kept, "R7", "civil") is None
    assert value_of(kept, "R8", "street") == 8 and len(kept) == 1_998


def test_the_groups_generations_are_forgotten_together_and_no_read_begun_before_is_kept():
    kept = KeptReads(60.0, 100, most_groups=3)
    kept.listening_changed(True)
    kept.alive()
    keep(kept, "R0", "", "kept before")
    kept.forget("R1")
    began = kept.stamp("R1")  # R1's first notice was heard before this read began
    for n in (2, 3, 4):  # the fourth group to move forgets them all
        kept.forget(f"R{n}")
    assert len(kept._groups) <= 3
    kept.forget("R1")  # R1's second notice, while the read is under way: counted from 0 again...
    kept.keep(began, "R1", "", "stale")
    assert value_of(kept, "R1", "") is None  # ...but the read is not kept
    assert value_of(kept, "R0", "") == "kept before"  # what was kept stays until its own notice
    keep(kept, "R1", "", "fresh")
    assert value_of(kept, "R1", "") == "fresh"
