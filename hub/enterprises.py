"""Who may act for an enterprise: a preparer prepares, the approver (legal representative) submits.

The checks are here, not in a controller, so everything an enterprise submits (requests, subsidy
claims) uses the same rule. Once submitted, it is the approver's: a preparer may withdraw only what
is still just prepared.
"""

from __future__ import annotations

from hub.accounts import Principal
from hub.db.tables import Account
from hub.errors import HubError
from hub.i18n import N_

PREPARER = "preparer"
APPROVER = "approver"
ENTERPRISE_ROLES = (PREPARER, APPROVER)


def may_submit(user: Principal) -> bool:
    """Can this account submit for its enterprise itself? Citizens submit their own; an enterprise
    account only as the approver."""
    if user.role == "citizen":
        return True
    return user.role == "enterprise" and user.enterprise is not None and user.enterprise_role == APPROVER


def require_approver(user: Principal) -> None:
    """Refuse (forbidden) unless the account is its enterprise's approver."""
    if not may_submit(user):
        raise HubError(
            "forbidden",
            "approver-required",
            N_("Only the approver can submit"),
            N_("A preparer can prepare this, but only the enterprise's approver (legal representative) can submit it."),
        )


def require_approver_to_withdraw(user: Principal) -> None:
    """Refuse (forbidden) a preparer's withdrawal of what the approver submitted."""
    if not may_submit(user):
        raise HubError(
            "forbidden",
            "approver-required",
            N_("Only the approver can withdraw"),
            N_(
                "The enterprise's approver (legal representative) submitted this; only the approver can withdraw it now."
            ),
        )


async def same_enterprise(user: Principal, account_id: int) -> bool:
    """Does ``account_id`` act for the same enterprise as the caller?"""
    if user.role != "enterprise" or user.enterprise is None:
        return False
    row = await Account.select(Account.enterprise).where(Account.id == account_id).first()
    return row is not None and row["enterprise"] == user.enterprise


async def enterprise_account_ids(user: Principal) -> list[int]:
    """The accounts acting for the caller's enterprise (just the caller for anyone else)."""
    if user.role != "enterprise" or user.enterprise is None:
        return [user.id]
    rows = await Account.select(Account.id).where(Account.enterprise == user.enterprise)
    return [r["id"] for r in rows]
