"""Signing a commitment in place of proofs (告知承诺制) when a request is filed: who may, what is
recorded of the signature, and the terms the request's workflow gets."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from forms.spec import ServiceSpec
from forms.validation import FieldError, committed
from hub.accounts import Principal
from hub.clock import beijing_date
from hub.db.records import COMMITMENT_REASON_FIELD, add_timeline, load_json
from hub.db.tables import CommitmentRecord
from hub.errors import invalid_form
from hub.i18n import N_
from hub.privacy import mask
from hub.registry.population import resident_key
from hub.sealing import seal
from workflows.types import CommitmentTerms

# The post-check's task, as the department's inbox and the applicant's timeline name it.
POST_CHECK_TITLE = N_("Post-check of the commitment")
SIGNER_NAME_FIELD = "commitment.signer_name"
REASON_FIELD = COMMITMENT_REASON_FIELD


def holder_key(user: Principal, answers: dict[str, Any]) -> str:
    """Whom a commitment binds beyond the account: the enterprise, or the person (by the registry's
    key of their identity number), so a second account does not escape a broken one."""
    if user.enterprise:
        return f"enterprise:{user.enterprise}"
    resident_id = str(user.resident_id or answers.get("resident_id") or "")
    return resident_key(resident_id) if resident_id else f"account:{user.id}"


async def broken_on(user: Principal, holder: str, years: int, today: dt.date) -> dt.date | None:
    """The date (Beijing) of the applicant's latest commitment found broken within ``years`` before
    ``today`` (by this account or this holder), or None."""
    if years <= 0:
        return None
    rows = await CommitmentRecord.select(CommitmentRecord.checked_at).where(
        (CommitmentRecord.outcome == "broken")
        & ((CommitmentRecord.account == user.id) | (CommitmentRecord.holder_key == holder))
    )
    dates = [beijing_date(r["checked_at"]) for r in rows if r["checked_at"] is not None]
    # Counted in whole years back from today (29 February counts from 28 February).
    since = (today - dt.timedelta(days=1) if today.month == 2 and today.day == 29 else today).replace(
        year=today.year - years
    )
    recent = [d for d in dates if d >= since]
    return max(recent) if recent else None


async def check_may_commit(
    spec: ServiceSpec, user: Principal, answers: dict[str, Any], today: dt.date
) -> dt.date | None:
    """Refuse the commitment route (a field error on ``commitment``) to an applicant who broke a
    commitment within the service's ``barred_years``; filing with the proofs is not affected.
    Returns the date of the latest broken commitment within that time, for rules to read."""
    if spec.commitment is None:
        return None
    broken = await broken_on(user, holder_key(user, answers), spec.commitment.barred_years, today)
    if broken is not None and committed(spec, answers):
        raise invalid_form(
            [FieldError(field="commitment", code="commitment_barred", context={"date": broken.isoformat()})]
        )
    return broken


async def record_signature(
    spec: ServiceSpec, user: Principal, answers: dict[str, Any], request_id: int, at: dt.datetime
) -> None:
    """Record the commitment signed with a request (inside the transaction that stores it): the
    statement, the proofs it replaces, the signer's account, name and masked identity number, and
    the time; nothing of the signer's network. A step on the request's timeline says so."""
    if spec.commitment is None or not committed(spec, answers):
        return
    resident_id = str(user.resident_id or answers.get("resident_id") or "")
    await CommitmentRecord.insert(
        CommitmentRecord(
            request=request_id,
            account=user.id,
            holder_key=holder_key(user, answers),
            service_id=spec.id,
            service_version=spec.version,
            statement=spec.commitment.statement,
            replaces=json.dumps(spec.commitment.replaces),
            signer_name=seal(user.full_name, SIGNER_NAME_FIELD) or "",
            signer_id_masked=mask(resident_id, "resident_id") if resident_id else "",
            signed_at=at,
        )
    ).on_conflict(target=CommitmentRecord.request, action="DO NOTHING")
    await add_timeline(f"request:{request_id}:commitment-signed", request_id, "commitment_signed", at)


def commitment_terms(spec: ServiceSpec, answers: Any) -> CommitmentTerms | None:
    """What the workflow of a request filed on commitment needs (None for one filed with proofs)."""
    if spec.commitment is None:
        return None
    stored = load_json(answers) if isinstance(answers, (str, bytes)) else answers
    if not isinstance(stored, dict) or not committed(spec, stored):
        return None
    return CommitmentTerms(
        department=spec.owner,
        post_check_days=spec.commitment.post_check_days,
        stage_title=POST_CHECK_TITLE,
    )


async def signature_of(request_id: int) -> tuple[dt.datetime, str] | None:
    """When a request's commitment was signed, and the signer's masked identity number (None for a
    request filed with its proofs)."""
    row = (
        await CommitmentRecord.select(CommitmentRecord.signed_at, CommitmentRecord.signer_id_masked)
        .where(CommitmentRecord.request == request_id)
        .first()
    )
    return (row["signed_at"], row["signer_id_masked"]) if row else None
