"""Running a benefit's payment cycle for a period, by hand (the monthly schedule runs it by itself):
an administrator, or the supervisor of the department that pays the benefit."""

from __future__ import annotations

import datetime as dt
import logging
import re

import msgspec
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from forms.catalog import Catalog
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.benefits.views import benefit_service
from hub.clock import today
from hub.context import HubContext
from hub.errors import HubError, forbidden, invalid_field
from hub.i18n import N_
from workflows.benefits.cycle import PaymentCycleWorkflow
from workflows.benefits.types import CycleInput, period_of, period_start
from workflows.names import REQUESTS_QUEUE, payment_cycle_workflow_id

log = logging.getLogger("qinqing.benefits")
# A month of payments, "2026-12": a year every date type can hold (not "0000-01").
PERIOD = re.compile(r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")


class CycleStarted(msgspec.Struct):
    service_id: str
    period: str
    workflow_id: str


def may_run_cycles(user: Principal | None, owner: str) -> bool:
    return user is not None and (user.role == "admin" or (user.role == "supervisor" and user.department == owner))


def due_on(period: str, payment_day: int) -> dt.date:
    return period_start(period).replace(day=payment_day)


def check_period(period: str, payment_day: int, on: dt.date) -> None:
    """A cycle may run for a month whose payment day has come; raises a field error otherwise."""
    if not PERIOD.match(period or ""):
        raise invalid_field("period", "invalid_period")
    if period_start(period) < dt.date(2000, 1, 1):
        raise invalid_field("period", "invalid_period")
    due = due_on(period, payment_day)
    if due > on:
        raise HubError(
            "invalid",
            "cycle-not-due",
            N_("This period is not due yet"),
            N_("The payments for {period} are due on {date}; a cycle can run from that day."),
            params={"period": period, "date": due.isoformat()},
        )


async def start_cycle(ctx: HubContext, actor: Actor, service_id: str, period: str) -> CycleStarted:
    """Start (or re-run) the cycle of ``period``: a re-run pays only what is missing. While a run
    of the period is under way, starting it again joins that run."""
    spec = benefit_service(ctx.catalog, service_id)
    assert spec.benefit is not None
    if not may_run_cycles(actor.user, spec.owner):
        raise forbidden(N_("Only administrators and the paying department's supervisor can run a payment cycle."))
    check_period(period, spec.benefit.payment_day, today())
    if ctx.temporal is None:
        raise HubError("unavailable", "workflow-unavailable", N_("Try again shortly"), retry_after=5)
    workflow_id = payment_cycle_workflow_id(service_id, period)
    try:
        await ctx.temporal.start_workflow(
            PaymentCycleWorkflow.run,
            CycleInput(service_id=service_id, period=period, started_by=actor.id),
            id=workflow_id,
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except Exception:
        log.exception("could not start the payment cycle %s", workflow_id)
        raise HubError("unavailable", "workflow-unavailable", N_("Try again shortly"), retry_after=5) from None
    await record(actor, actor.user, "benefit.cycle.started", "benefit", service_id, period=period)
    return CycleStarted(service_id=service_id, period=period, workflow_id=workflow_id)


def current_period(catalog: Catalog, service_id: str) -> str:
    """The latest period that is due for a benefit (this month once its payment day has come)."""
    spec = benefit_service(catalog, service_id)
    assert spec.benefit is not None
    on = today()
    period = period_of(on)
    if due_on(period, spec.benefit.payment_day) > on:
        previous = period_start(period) - dt.timedelta(days=1)
        period = period_of(previous)
    return period
