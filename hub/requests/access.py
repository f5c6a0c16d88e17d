"""Who may see a request: its applicant (or their enterprise), a department that reviews it, and
oversight. Anyone else is told it does not exist."""

from __future__ import annotations

from hub.accounts import OVERSIGHT_ROLES, Principal
from hub.db.tables import ReviewTask, ServiceRequest
from hub.enterprises import same_enterprise
from hub.errors import not_found


async def load_own_request(ref: str, user: Principal) -> ServiceRequest:
    """The caller's own request (or their enterprise's); anyone else's looks like one that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None or (row.applicant != user.id and not await same_enterprise(user, row.applicant)):
        raise not_found()
    return row


async def load_visible_request(ref: str, user: Principal) -> ServiceRequest:
    """The request if the caller may see it: its applicant, a department that reviews it, or oversight.
    Anyone else gets the same 404 as for a request that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None:
        raise not_found()
    if row.applicant == user.id or user.role in OVERSIGHT_ROLES or await same_enterprise(user, row.applicant):
        return row
    if user.department and await ReviewTask.exists().where(
        (ReviewTask.request == row.id) & (ReviewTask.department == user.department)
    ):
        return row
    raise not_found()


async def applicant_side(row: ServiceRequest, user: Principal) -> bool:
    """Whether the caller reads the request as its applicant does: the applicant, or another account
    of the same enterprise (its approver acts on what its preparer filed)."""
    return row.applicant == user.id or await same_enterprise(user, row.applicant)
