"""Withdrawal of a life event: the applicant takes back the whole application or some of its parts.

A part not yet filed is never filed (the case's workflow says which those are, so a part being filed
at that moment is one or the other, never both); a filed part's request is withdrawn as any request
is, which its department sees at once. A part already decided, or being decided, stays as it is:
the answer names it. The parts that wait for a withdrawn one follow the event's policy.
"""

from __future__ import annotations

import msgspec

from forms.validation import plain_text
from hub.actor import Actor
from hub.audit import record
from hub.context import HubContext
from hub.db.tables import LifeEventCase
from hub.enterprises import require_approver_to_withdraw
from hub.errors import HubError, invalid_field, unavailable
from hub.i18n import N_
from hub.life_events.filing import load, own_case
from hub.requests.access import signed_in
from hub.requests.withdrawal import withdraw_request
from hub.temporal import UpdateRefused, send_update
from workflows.life_events.case import LifeEventWorkflow
from workflows.life_events.types import WithdrawParts


class CaseWithdrawn(msgspec.Struct):
    ref: str
    # Parts that will never be filed, parts whose requests were withdrawn, and parts already
    # decided (or being decided) that stay as they are.
    stopped: list[str]
    withdrawn: list[str]
    kept: list[str]


def settled() -> HubError:
    return HubError(
        "conflict",
        "life-event-settled",
        N_("Not possible now"),
        N_("Every part of this application is already decided, withdrawn or not filed."),
    )


async def withdraw_case(ctx: HubContext, actor: Actor, ref: str, parts: list[str], reason: str) -> CaseWithdrawn:
    """Withdraw the named parts of the caller's case (every part when none is named)."""
    user = signed_in(actor)
    case = await own_case(ref, user)
    # Only the approver submits an enterprise's application, and only the approver takes it back.
    require_approver_to_withdraw(user)
    stored = load(case.parts)
    unknown = [p for p in parts if p not in stored]
    if unknown:
        raise invalid_field("parts", "invalid_choice")
    if case.state == "done":
        raise settled()
    if ctx.temporal is None:
        raise unavailable()
    try:
        answer = await send_update(
            ctx.temporal, case.workflow_id, LifeEventWorkflow.withdraw, WithdrawParts(parts=parts)
        )
    except UpdateRefused:
        raise settled() from None
    reason = plain_text(reason)[:2000]
    withdrawn, kept = [], []
    fresh = load((await LifeEventCase.objects().where(LifeEventCase.id == case.id).first() or case).parts)
    for part_id in answer.filed:
        part_ref = fresh[part_id].get("ref")
        try:
            if part_ref is None:
                raise settled()
            await withdraw_request(ctx, actor, part_ref, reason)
            withdrawn.append(part_id)
        except HubError as exc:
            if exc.kind != "conflict":
                raise
            kept.append(part_id)  # decided or being decided meanwhile: it stays as it is
    asked = parts or list(stored)
    kept += [p for p in asked if p not in answer.stopped and p not in answer.filed]
    await record(
        actor, user, "life_event.withdrawn", "life_event", case.ref, stopped=answer.stopped, withdrawn=withdrawn
    )
    if parts and not answer.stopped and not withdrawn:
        raise settled()
    return CaseWithdrawn(ref=case.ref, stopped=answer.stopped, withdrawn=withdrawn, kept=kept)
