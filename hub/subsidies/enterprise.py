"""What an enterprise sees of subsidies: the policies it qualifies for (or nearly), with their
reasons, amounts and its claims; its claims and payments; its messages."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager

from forms.programs import assess
from hub import clock
from hub.actor import Actor
from hub.db.tables import Account, Claim, Message, Program
from hub.notifications import message_language, written_in
from hub.registry import enterprise_registry, one_look
from hub.subsidies.access import caller_enterprise
from hub.subsidies.claims import existing_claim
from hub.subsidies.figures import criterion_figures
from hub.subsidies.presenter import (
    ClaimRead,
    CriterionForYou,
    NotificationRead,
    PoliciesForYou,
    ProgramForYou,
    claim_read,
    program_read,
)
from hub.subsidies.programs import spec_of


async def policies_for(actor: Actor) -> PoliciesForYou:
    """The open programs for the caller's enterprise: those it qualifies for, nearly qualifies for
    (one criterion unmet) and the others, each with its reasons, amount and the enterprise's claim."""
    enterprise_id = caller_enterprise(actor)
    # Every program is assessed against this one reading (and one audit event), not its own.
    async with one_look("policies for you"):
        profile = await enterprise_registry().profile(enterprise_id, purpose="policies for you") or {}
        today = clock.today()
        found = PoliciesForYou(eligible=[], nearly=[], other=[])
        for row in await Program.objects().where(Program.status == "published").order_by(Program.id):
            if not spec_of(row).open_on(today):
                continue
            item = await program_for_you(row, enterprise_id, profile, today, actor.locale, actor.id)
            (found.eligible if item.eligible else found.nearly if item.near else found.other).append(item)
    return found


async def policy_for(actor: Actor, program: Program) -> ProgramForYou:
    """One program seen by the caller's enterprise, as on its card in *Policies for you*."""
    enterprise_id = caller_enterprise(actor)
    profile = await enterprise_registry().profile(enterprise_id, purpose=f"eligibility for program {program.code}")
    return await program_for_you(program, enterprise_id, profile or {}, clock.today(), actor.locale, actor.id)


def claim_look(actor: Actor, code: str) -> AbstractAsyncContextManager[None]:
    """One look at the caller's enterprise for a claim of ``code`` filed with its service's form:
    the program's conditions, the form's prefill and its rules all read it, read once."""
    return one_look(f"claim of program {code}", whole_record=True, account=actor.id)


async def program_for_you(
    row: Program, enterprise_id: int, profile: dict, today: dt.date, locale: str, reader: int | None
) -> ProgramForYou:
    """A program assessed against one enterprise's registry data, with the enterprise's claim (as
    the account ``reader`` reads it) and, under each criterion, the enterprise's own values it reads
    (``profile`` is that enterprise's)."""
    spec = spec_of(row)
    a = assess(spec, profile, today)
    expressions = {c.id: c.expression for c in spec.criteria}
    claim = await existing_claim(row, enterprise_id)
    return ProgramForYou(
        program=program_read(row, locale),
        eligible=a.eligible,
        near=a.near,
        amount=str(a.amount),
        criteria=[
            CriterionForYou(
                id=r.criterion,
                reason=r.reason.in_locale(locale),
                passed=r.passed,
                figures=criterion_figures(expressions[r.criterion], profile, locale),
            )
            for r in a.results
        ],
        claim=await claim_read(claim, locale, reader) if claim else None,
    )


async def enterprise_claims(actor: Actor) -> list[ClaimRead]:
    """The caller's enterprise's claims, newest first, with their payments."""
    enterprise_id = caller_enterprise(actor)
    rows = await Claim.objects().where(Claim.enterprise == enterprise_id).order_by(Claim.id, ascending=False)
    return [await claim_read(c, actor.locale, actor.id) for c in rows if c.state != "offered"]


def _program_code(key: str) -> str | None:
    """The program a policy message is about, from its key: the matching run's workflow id
    (``match-<code>-<published at, 15 characters>``) comes first."""
    workflow_id = key.split(":", 1)[0]
    if not workflow_id.startswith("match-") or len(workflow_id) <= len("match-") + 16:
        return None
    return workflow_id[len("match-") : -16]


async def notifications(actor: Actor) -> list[NotificationRead]:
    """The caller's enterprise's latest policy messages (the programs it was found to qualify
    for), read from the one message centre: those its legal representative received in the hub."""
    enterprise_id = caller_enterprise(actor)
    accounts = [a["id"] for a in await Account.select(Account.id).where(Account.enterprise == enterprise_id)]
    if not accounts:
        return []
    assert actor.id is not None, "caller_enterprise refuses a caller who is not signed in"
    language = await message_language(actor.id)
    rows = (
        await Message.select(
            Message.id, Message.key, Message.subject, Message.renderings, Message.created_at, Message.read_at
        )
        .where(Message.account.is_in(accounts) & (Message.channel == "hub") & (Message.kind == "policy_matched"))
        .order_by(Message.id, ascending=False)
        .limit(100)
    )
    return [
        NotificationRead(
            id=r["id"],
            kind="program_eligible",
            message=written_in(language, r["renderings"], r["subject"], "")[0],
            program=_program_code(r["key"]),
            created_at=r["created_at"],
            read=r["read_at"] is not None,
        )
        for r in rows
    ]
