"""Who receives new work for a clerk who is away: their delegate, or, where the delegate went away
since, the first one down the chain who is in; where everyone in the chain is away, the clerk."""

from __future__ import annotations

import datetime as dt

from hub.accounts import delegate_of
from hub.db.tables import Account

AT = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


async def _clerks(*names: str) -> dict[str, int]:
    for name in names:
        await Account.insert(
            Account(
                username=name, full_name="x", role="clerk", department="street-office", password_hash="x", created_at=AT
            )
        )
    return {r["username"]: r["id"] for r in await Account.select(Account.id, Account.username)}


async def _away(ids: dict[str, int], who: str, to: str | None) -> None:
    await Account.update({Account.delegate: ids[to] if to else None}).where(Account.id == ids[who])


async def test_work_goes_down_the_chain_to_someone_in_and_never_round_a_loop(database):
    ids = await _clerks("a", "b", "c")
    assert await delegate_of(ids["a"]) == ids["a"]
    await _away(ids, "a", "b")
    assert await delegate_of(ids["a"]) == ids["b"]
    await _away(ids, "b", "c")  # the delegate went away since
    assert await delegate_of(ids["a"]) == ids["c"]
    await _away(ids, "c", "a")  # everyone is away: the work stays with the clerk it was for
    assert await delegate_of(ids["a"]) == ids["a"]
    assert await delegate_of(ids["b"]) == ids["b"]
