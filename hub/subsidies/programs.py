"""Publishing programs and starting their matching run."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from forms.catalog import Catalog
from forms.programs import ProgramSpec, load_programs
from forms.spec import ServiceSpec
from forms.validation import FieldError
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.tables import Claim, Program
from hub.db.transactions import writing
from hub.errors import HubError, invalid_form, not_found
from hub.i18n import N_
from hub.payments import fund_program
from workflows.names import REQUESTS_QUEUE, matching_workflow_id
from workflows.subsidies.matching import ProgramMatchingWorkflow
from workflows.subsidies.types import MatchInput

if TYPE_CHECKING:
    from hub.context import HubContext

log = logging.getLogger("qinqing.programs")


class ProgramError(ValueError):
    """A program that cannot be published as it is; ``code`` says why."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def cents(amount: Decimal) -> int:
    """An amount in yuan as whole cents, as budgets and the ledger count money."""
    return int((amount * 100).to_integral_value())


def spec_of(row: Program) -> ProgramSpec:
    """The spec a program's row was published with."""
    return parse_spec(row.spec)


def program_service(spec: ProgramSpec, catalog: Catalog) -> ServiceSpec:
    """The service a program's claims are filed under, in its newest version."""
    service = catalog.latest(spec.service_id)
    # publish() refuses a program whose service is not in the catalog, and services stay in it.
    assert service is not None, "a published program's service is in the catalog"
    return service


async def stored_program(program_id: int) -> Program:
    """The program a stored row names (a claim, a matching run): its foreign key keeps it there."""
    row = await Program.objects().where(Program.id == program_id).first()
    assert row is not None, "a program named by a stored row exists"
    return row


def parse_spec(spec: str | dict) -> ProgramSpec:
    """A program's spec as its row's JSON column holds it."""
    return _parsed_spec(spec if isinstance(spec, str) else json.dumps(spec))


async def claimed_program(request_id: int) -> ProgramSpec | None:
    """The program a request claims (None for a request that claims none)."""
    claimed = await Claim.select(Claim.program.spec).where(Claim.request == request_id).first()
    return parse_spec(claimed["program.spec"]) if claimed else None


@lru_cache(maxsize=256)
def _parsed_spec(text: str) -> ProgramSpec:
    # Validation parses every expression: done once per stored spec, not on every claim and listing.
    return ProgramSpec.model_validate_json(text)


async def publish(spec: ProgramSpec, catalog: Catalog, by: Principal | None = None) -> Program:
    """Store a program and fund its account; raises ``ProgramError`` when it cannot be published."""
    service = catalog.latest(spec.service_id)
    if service is None:
        raise ProgramError("unknown-service", spec.service_id)
    if "enterprise" not in service.audience:
        raise ProgramError("wrong-audience", spec.service_id)
    stamp = now()
    # The program, its funds and the audit event are stored together: never a program without money.
    async with writing():
        inserted = (
            await Program.insert(
                Program(
                    code=spec.code,
                    spec=spec.model_dump_json(),
                    mode=spec.mode,
                    period=spec.period,
                    service_id=spec.service_id,
                    status="published",
                    budget_cents=cents(spec.budget),
                    published_at=stamp,
                    published_by=by.id if by else None,
                )
            )
            .on_conflict(target=Program.code, action="DO NOTHING")
            .returning(Program.id)
        )
        if not inserted:
            raise ProgramError("program-exists", spec.code)
        await fund_program(spec.code, spec.title.zh_CN, cents(spec.budget), stamp)
        await record(None, by, "program.published", "program", spec.code, budget=str(spec.budget), mode=spec.mode)
    row = await Program.objects().where(Program.id == inserted[0]["id"]).first()
    assert row is not None, "the program was just stored"
    return row


async def paying_programs(service_id: str, today: dt.date, locale: str) -> list[tuple[str, str]]:
    """The published programs open ``today`` that pay a subsidy through this service, as (code,
    title in ``locale``): where an enterprise claims it and is paid."""
    rows = await Program.objects().where((Program.service_id == service_id) & (Program.status == "published"))
    return [(row.code, spec_of(row).title.in_locale(locale)) for row in rows if spec_of(row).open_on(today)]


async def load_program(code: str) -> Program:
    """The program published under ``code``; not found when there is none."""
    row = await Program.objects().where(Program.code == code).first()
    if row is None:
        raise not_found()
    return row


def spec_errors(exc: ValidationError) -> list[FieldError]:
    """A program spec's validation errors, each named by its place in the spec."""
    errors = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "program"
        errors.append(FieldError(field=loc, code="invalid", context={"reason": e["msg"]}))
    return errors


async def publish_program(actor: Actor, data: dict[str, Any], ctx: HubContext) -> Program:
    """An administrator publishes a program given as its spec's fields: stored and funded, and its
    matching started (or, with Temporal away, left for the worker to start)."""
    try:
        spec = ProgramSpec.model_validate(data)
    except ValidationError as exc:
        raise invalid_form(spec_errors(exc)) from None
    try:
        row = await publish(spec, ctx.catalog, by=actor.user)
    except ProgramError as exc:
        if exc.code == "program-exists":
            raise HubError(
                "conflict", "program-exists", N_("Program exists"), N_("A program with this code is published already.")
            ) from None
        raise invalid_form([FieldError(field="service_id", code="unknown_service")]) from None
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        await start_matching(ctx.temporal, row)
    except Exception:  # noqa: BLE001 - stored and funded; the worker starts the matching when it can
        log.exception("matching of %s not started yet", row.code)
    return row


async def close_program(actor: Actor, code: str) -> Program:
    """An administrator closes a program to new claims (claims made before go on)."""
    row = await load_program(code)
    async with writing():
        await Program.update({Program.status: "closed"}).where(Program.id == row.id)
        await record(actor, actor.user, "program.closed", "program", code)
    return await load_program(code)


async def start_matching(client: Client, program: Program, batch_size: int = 500) -> str:
    """Start the program's matching run (once per publication)."""
    workflow_id = matching_workflow_id(program.code, f"{program.published_at:%Y%m%dT%H%M%S}")
    try:
        await client.start_workflow(
            ProgramMatchingWorkflow.run,
            MatchInput(program_id=program.id, batch_size=batch_size),
            id=workflow_id,
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=dt.timedelta(seconds=5),
        )
    except WorkflowAlreadyStartedError:
        pass  # this publication was matched already
    return workflow_id


async def resume_matching(client: Client) -> None:
    """Start the matching of published programs that were never matched (e.g. seeded before the worker ran)."""
    for program in await Program.objects().where((Program.status == "published") & Program.matched_at.is_null()):
        await start_matching(client, program)


async def seed_programs(catalog: Catalog) -> list[str]:
    """Publish the programs kept as files that are not published yet."""
    published = []
    for spec in load_programs():
        if not await Program.exists().where(Program.code == spec.code):
            try:
                await publish(spec, catalog)
                published.append(spec.code)
            except ProgramError as exc:
                log.error("program %s not published: %s %s", spec.code, exc.code, exc)
    return published
