"""What those who oversee a program see of it: the enterprises evaluated against it and why, its
claims, and one claim (each look at another enterprise's data is audited)."""

from __future__ import annotations

from temporalio.client import Client

from forms.catalog import Catalog
from hub.actor import Actor
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import Claim, Program, ProgramMatch
from hub.errors import not_found
from hub.subsidies.access import may_oversee
from hub.subsidies.presenter import ClaimRead, MatchesRead, MatchRead, claim_read
from hub.subsidies.programs import load_program, stored_program
from hub.subsidies.progress import matching_progress
from hub.subsidies.records import money


async def overseen_program(actor: Actor, code: str, catalog: Catalog) -> Program:
    """The program, for those who oversee it; not found for anyone else, as if it did not exist."""
    program = await load_program(code)
    if not may_oversee(actor.user, program, catalog):
        raise not_found()
    return program


async def program_matches(
    actor: Actor,
    code: str,
    catalog: Catalog,
    eligible: bool | None = None,
    near: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    client: Client | None = None,
) -> MatchesRead:
    """The enterprises evaluated against the program, with the conditions each did not meet, and
    how far its matching has got (asked of its run through ``client`` while it goes on)."""
    program = await overseen_program(actor, code, catalog)
    locale = actor.locale
    query = ProgramMatch.select(
        ProgramMatch.enterprise.name,
        ProgramMatch.enterprise.uscc,
        ProgramMatch.eligible,
        ProgramMatch.near,
        ProgramMatch.amount_cents,
        ProgramMatch.results,
    ).where(ProgramMatch.program == program.id)
    if eligible is not None:
        query = query.where(ProgramMatch.eligible == eligible)
    if near is not None:
        query = query.where(ProgramMatch.near == near)
    rows = await query.order_by(ProgramMatch.id).limit(limit).offset(offset)
    nearly = await ProgramMatch.count().where((ProgramMatch.program == program.id) & (ProgramMatch.near == True))  # noqa: E712
    await record(actor, actor.user, "program.matches_viewed", "program", code, count=len(rows))
    return MatchesRead(
        program=code,
        evaluated=program.matched_total,
        eligible=program.matched_eligible,
        nearly=nearly,
        matched_at=program.matched_at,
        matching=await matching_progress(program, client),
        enterprises=[
            MatchRead(
                enterprise=r["enterprise.name"],
                uscc=r["enterprise.uscc"],
                eligible=r["eligible"],
                near=r["near"],
                amount=str(money(r["amount_cents"])),
                unmet=[
                    (x["reason"]["en"] if locale == "en" else x["reason"]["zh_CN"])
                    for x in load_json(r["results"])
                    if not x["passed"]
                ],
            )
            for r in rows
        ],
    )


async def program_claims(
    actor: Actor, code: str, catalog: Catalog, state: str | None = None, limit: int = 100
) -> list[ClaimRead]:
    """The program's claims, newest first (in one state, if given: the state as shown, so "declined"
    finds the prepared claims their approver declined, stored refused, and "refused" leaves them out)."""
    program = await overseen_program(actor, code, catalog)
    query = Claim.objects().where(Claim.program == program.id)
    if state:
        query = query.where(Claim.state == ("refused" if state == "declined" else state))
    query = query.order_by(Claim.id, ascending=False)
    found: list[ClaimRead] = []
    offset = 0
    while len(found) < limit:
        rows = await query.limit(limit).offset(offset)
        found += [
            c for c in [await claim_read(r, actor.locale, actor.id) for r in rows] if not state or c.state == state
        ]
        if len(rows) < limit:
            break
        offset += limit
    return found[:limit]


async def view_claim(actor: Actor, ref: str, catalog: Catalog) -> ClaimRead:
    """One claim, for its own enterprise or for those who oversee its program (audited)."""
    claim = await Claim.objects().where(Claim.ref == ref).first()
    if claim is None:
        raise not_found()
    user = actor.user
    own = user is not None and user.role == "enterprise" and user.enterprise == claim.enterprise
    if not own:
        program = await stored_program(claim.program)
        if not may_oversee(user, program, catalog):
            raise not_found()
        await record(actor, user, "claim.viewed", "claim", ref, request=ref)
    return await claim_read(claim, actor.locale, actor.id)
