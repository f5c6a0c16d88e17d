"""While a clerk is away, new work for them goes to a colleague of their department they chose."""

from __future__ import annotations

from hub.accounts import NAME_FIELD, STAFF_ROLES, Principal, delegate_of
from hub.actor import Actor
from hub.audit import record
from hub.db.tables import Account
from hub.db.transactions import writing
from hub.errors import invalid_field
from hub.sealing import unseal
from hub.workbench.access import staff_member

# Who receives new work for a clerk is read where requests' supplements read it too (the accounts);
# who may be chosen, and the choice itself, are decided here.
__all__ = ["colleagues", "current_delegate", "delegate_of", "set_delegate"]


async def set_delegate(actor: Actor, username: str | None) -> None:
    """While the caller is away, new work for them goes to ``username``, a colleague of their
    department (None: they are back). The API and the workbench page both come here."""
    user = staff_member(actor)
    delegate_id = None
    if username is not None:
        delegate = await Account.objects().where(Account.username == username).first()
        if (
            delegate is None
            or delegate.id == user.id
            or delegate.department != user.department
            or delegate.role not in STAFF_ROLES
        ):
            raise invalid_field("delegate", "literal_error")
        if delegate.delegate is not None:
            raise invalid_field("delegate", "delegate_away")  # their work goes elsewhere already
        delegate_id = delegate.id
    async with writing():
        await Account.update({Account.delegate: delegate_id}).where(Account.id == user.id)
        await record(actor, user, "account.delegate_set", "account", user.id, delegate=username)


async def colleagues(user: Principal, roles: tuple[str, ...]) -> list[dict]:
    """The other accounts of the user's department in these roles, each with a label to choose by."""
    rows = (
        await Account.select(Account.id, Account.username, Account.full_name)
        .where((Account.department == user.department) & Account.role.is_in(list(roles)) & (Account.id != user.id))
        .order_by(Account.username)
    )
    return [r | {"label": f"{unseal(r['full_name'], NAME_FIELD)} ({r['username']})"} for r in rows]


async def current_delegate(user: Principal) -> int | None:
    """The account id of the colleague the user's new work goes to while they are away (None: here)."""
    me = await Account.select(Account.delegate).where(Account.id == user.id).first()
    return me["delegate"] if me else None
