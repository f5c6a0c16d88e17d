"""The enterprise's people as those who read its claims see them: one rule for the claims page,
the API and the messages."""

from __future__ import annotations

from hub.accounts import NAME_FIELD
from hub.db.tables import AuditEvent, Claim
from hub.i18n import N_, gettext
from hub.privacy import mask
from hub.sealing import unseal
from hub.subsidies.claims import withdrawn_before_submission

# The reader, where a claim's page, answer or message names them.
YOU = N_("you")


def person_named(account: int | None, sealed_name: str | None, reader: int | None, locale: str) -> str:
    """One of the enterprise's people as a reader of its claims sees them, on the claims page, in
    the API and in the messages alike: the reader themselves as "you", anyone else by the name
    masked as every name shown to someone else is (``hub.privacy.mask``)."""
    if reader is not None and account == reader:
        return gettext(locale, YOU)
    return mask(unseal(sealed_name, NAME_FIELD) or "")


async def withdrawal_of(request_ref: str) -> dict | None:
    """Who withdrew a claim's request (``actor``, their sealed ``name``) and when (``at``), as its
    withdrawal's audit event records it; None before it is recorded."""
    return (
        await AuditEvent.select(AuditEvent.actor, AuditEvent.at, AuditEvent.actor.full_name.as_alias("name"))
        .where((AuditEvent.request_ref == request_ref) & (AuditEvent.action == "request.withdrawn"))
        .order_by(AuditEvent.id)
        .first()
    )


async def unsubmitted_end(request_id: int, request_ref: str, applicant: int | None) -> str | None:
    """How a claim's request that nobody submitted ended: "declined" (taken back by someone else of
    the enterprise, its approver) or "withdrawn" (by its preparer); None for any other request."""
    claim = (
        await Claim.select(Claim.state, Claim.reason_code, Claim.submitted_by)
        .where(Claim.request == request_id)
        .first()
    )
    if claim is None or not withdrawn_before_submission(claim["state"], claim["reason_code"], claim["submitted_by"]):
        return None
    event = await withdrawal_of(request_ref)
    return "declined" if event is not None and event["actor"] != applicant else "withdrawn"
