"""The one mechanism behind follow-ups and grievances: a case in a department's inbox (or the
oversight office's, for a grievance the department cannot judge on its own) with a time limit in
working days, its state against that limit, its clock (a Temporal workflow that escalates to the
supervisors when the limit passes unanswered), and who may see it."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import TYPE_CHECKING, Literal

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from hub.accounts import Principal
from hub.audit import record
from hub.clock import beijing_date, now
from hub.db.tables import Account, FeedbackCase, Rating, RatingInvitation, ServiceRequest
from hub.db.transactions import writing
from hub.errors import HubError, not_found
from hub.i18n import N_
from hub.sla import time_limits
from workflows.feedback.clock import CaseClockWorkflow
from workflows.feedback.types import Answered, CaseClock, Escalation, InvitationRound, Invitations
from workflows.names import REQUESTS_QUEUE, case_workflow_id
from workflows.types import PlanTimeLimit

if TYPE_CHECKING:
    from hub.context import HubContext

log = logging.getLogger("qinqing.feedback")

CaseKind = Literal["follow_up", "grievance"]
# open: waiting for the department's answer; answered: the author may rate it or appeal; closed.
CaseState = Literal["open", "answered", "closed"]
# Where an open case stands against its time limit (at risk once the reminder share of it has
# passed); an answered case was answered on time (met) or after its limit (breached).
SlaState = Literal["on_track", "at_risk", "breached", "met"]
SLA_STATES: tuple[SlaState, ...] = ("on_track", "at_risk", "breached", "met")
SLA_LABELS = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "breached": N_("Breached"),
    "met": N_("Answered on time"),
}
STATE_LABELS = {"open": N_("Waiting for the department"), "answered": N_("Answered"), "closed": N_("Closed")}
# An open case of the oversight office waits for it, not for the department.
OVERSIGHT_OPEN = N_("Waiting for the oversight office")
PREFIX = {"follow_up": "FU", "grievance": "GR"}


def sla_state(case: dict, at: dt.datetime, fraction: float) -> SlaState:
    """Where the case stands against its time limit at ``at``."""
    if case["answered_at"] is not None:
        return "met" if case["answered_at"] <= case["due_at"] else "breached"
    if at > case["due_at"]:
        return "breached"
    if at >= case["opened_at"] + (case["due_at"] - case["opened_at"]) * fraction:
        return "at_risk"
    return "on_track"


def new_ref(kind: CaseKind, at: dt.datetime) -> str:
    """FU20261204-7F3A2C: the kind, the Beijing date and six random hex digits."""
    return f"{PREFIX[kind]}{beijing_date(at):%Y%m%d}-{secrets.token_hex(3).upper()}"


async def plan_due(ctx: HubContext, start: dt.datetime, days: int) -> tuple[dt.datetime, bool]:
    """The time limit ``days`` working days after ``start`` on the working-day calendar; and whether
    it is provisional (planned across a year whose holidays are not published)."""
    limit = await time_limits.CalendarTimeLimits(ctx.settings, ctx.calendars).plan(
        PlanTimeLimit(start=start, working_days=days)
    )
    return limit.due_at, limit.provisional


async def start_clock(client: Client | None, ref: str, due_at: dt.datetime) -> None:
    """Start the case's clock; when Temporal cannot be reached the worker starts it later."""
    if client is None:
        return
    try:
        await client.start_workflow(
            CaseClockWorkflow.run,
            CaseClock(ref=ref, due_at=due_at),
            id=case_workflow_id(ref),
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except Exception:  # noqa: BLE001 - the case is stored; the worker's round starts its clock
        log.warning("the clock of case %s could not be started now; the worker will", ref, exc_info=True)


async def tell_answered(client: Client | None, ref: str, account_id: int | None) -> None:
    """Tell the case's clock it is answered (it tells the author); the answer itself is stored."""
    if client is None:
        return
    try:
        await client.get_workflow_handle(case_workflow_id(ref)).signal(
            CaseClockWorkflow.answered, Answered(account_id=account_id)
        )
    except Exception:  # noqa: BLE001 - the answer stands and is shown; only the message is missed
        log.warning("the clock of case %s was not told of its answer", ref, exc_info=True)


# Who handles a case the department cannot judge on its own (``FeedbackCase.oversight``).
OVERSIGHT_ROLE = "auditor"


def in_department(user: Principal | None, case: dict) -> bool:
    """Whether ``user`` handles the case: for a department's case a clerk or supervisor of it (a case
    about a named clerk is the supervisors' alone); for the oversight office's, an auditor. Never
    the person a grievance names (a supervisor or an auditor may be the one named)."""
    if user is None or (case["clerk"] is not None and case["clerk"] == user.id):
        return False
    if case["oversight"]:
        return user.role == OVERSIGHT_ROLE
    if user.role not in ("clerk", "supervisor") or user.department != case["department"]:
        return False
    return user.role == "supervisor" or not case["sensitive"]


def decides_appeals(user: Principal | None, case: dict) -> bool:
    """Whether ``user`` may decide the case's appeals: a supervisor of its department; an auditor for
    the oversight office's cases, and for an appeal made where the department had no supervisor
    (``appeal_oversight``). Not an interested one (``interested_in_appeal``), nor the person named."""
    if user is None or (case["clerk"] is not None and case["clerk"] == user.id):
        return False
    if oversight_decides(case):
        return user.role == OVERSIGHT_ROLE
    return user.role == "supervisor" and in_department(user, case)


def oversight_decides(case: dict) -> bool:
    """Whether the oversight office, not a supervisor, decides the case's appeals."""
    return bool(case["oversight"] or case["appeal_oversight"])


def may_read(user: Principal | None, case: dict) -> bool:
    """Whether ``user`` reads the case as staff: who handles it, or who decides its appeal."""
    return in_department(user, case) or decides_appeals(user, case)


async def has_supervisor(department: str, besides: tuple[int | None, ...] = ()) -> bool:
    """Whether the department has a supervisor, other than those ``besides`` (who may not judge)."""
    where = (Account.role == "supervisor") & (Account.department == department)
    others = [i for i in besides if i is not None]
    if others:
        where &= Account.id.not_in(others)
    return bool(await Account.count().where(where))


def interested_in_appeal(user: Principal | None, case: dict) -> bool:
    """Whether ``user`` made the case's appeal or, for a grievance, gave the answer it is about: then
    someone else decides it."""
    interested = {case["appealed_by"], case["answered_by"] if case["kind"] == "grievance" else None}
    return user is not None and user.id in interested


async def goes_to_oversight(named: dict) -> bool:
    """Whether a grievance naming this member of staff (their ``id``, ``role`` and ``department``)
    goes to the oversight office: a supervisor's does, as the supervisors would judge one of their
    own; a clerk's does where the department has no supervisor to judge it."""
    return named["role"] != "clerk" or not await has_supervisor(named["department"])


async def escalation_recipients(ref: str) -> list[int]:
    """Who hears that a case passed its time limit unanswered, among those who can open it: the
    auditors for the oversight office's cases; for a department's, its supervisors, or where it
    has none, its clerks (a case about a named clerk is the supervisors' alone). Never the person
    the case names."""
    case = (
        await FeedbackCase.select(
            FeedbackCase.department, FeedbackCase.oversight, FeedbackCase.sensitive, FeedbackCase.clerk
        )
        .where(FeedbackCase.ref == ref)
        .first()
    )
    if case is None:
        return []
    if case["oversight"]:
        rounds = [Account.role == OVERSIGHT_ROLE]
    else:
        same_department = Account.department == case["department"]
        rounds = [(Account.role == "supervisor") & same_department]
        if not case["sensitive"]:
            rounds.append((Account.role == "clerk") & same_department)
    for where in rounds:
        found = [r["id"] for r in await Account.select(Account.id).where(where).order_by(Account.id)]
        found = [i for i in found if i != case["clerk"]]
        if found:
            return found
    log.warning("case %s passed its time limit and nobody who may open it can be told", ref)
    return []


def is_author(user: Principal | None, case: dict) -> bool:
    return user is not None and case["account"] is not None and case["account"] == user.id


async def load_case(ref: str) -> dict:
    row = await FeedbackCase.select().where(FeedbackCase.ref == ref).first()
    if row is None:
        raise not_found()
    return row


async def case_for_department(user: Principal | None, ref: str) -> dict:
    """The case, for someone who handles it (``in_department``); as if it did not exist otherwise."""
    case = await load_case(ref)
    if not in_department(user, case):
        raise not_found()
    return case


def require_state(case: dict, *states: str) -> None:
    if case["state"] not in states:
        raise HubError(
            "conflict", "case-state", N_("Not possible now"), N_("This is not possible in the case's current state.")
        )


class PiccoloCaseRecords:
    """The feedback workflows' ``CaseRecords`` port on the hub's database."""

    async def escalate(self, clock: CaseClock) -> Escalation:
        at = now()
        async with writing():
            rows = (
                await FeedbackCase.update({FeedbackCase.escalated_at: at})
                .where(
                    (FeedbackCase.ref == clock.ref)
                    & (FeedbackCase.state == "open")
                    & FeedbackCase.escalated_at.is_null()
                )
                .returning(FeedbackCase.department, FeedbackCase.kind)
            )
            if rows:
                await record(None, None, "case.escalated", "case", clock.ref, kind=rows[0]["kind"])
        return Escalation(department=rows[0]["department"]) if rows else Escalation()

    async def clock_started(self, clock: CaseClock) -> None:
        await FeedbackCase.update({FeedbackCase.clock_started: True}).where(FeedbackCase.ref == clock.ref)

    async def invite(self, round: InvitationRound) -> Invitations:
        at = now()
        cutoff = at - dt.timedelta(seconds=round.after_seconds)
        rated = Rating.select(Rating.request)
        invited = RatingInvitation.select(RatingInvitation.request)
        due = await ServiceRequest.select(ServiceRequest.id).where(
            ServiceRequest.state.is_in(["approved", "rejected"])
            & ServiceRequest.closed_at.is_not_null()
            & (ServiceRequest.closed_at <= cutoff)
            & ServiceRequest.id.not_in(rated)
            & ServiceRequest.id.not_in(invited)
        )
        fresh: list[int] = []
        for row in due:
            # Stored under the request's unique key: two rounds at once invite nobody twice.
            inserted = (
                await RatingInvitation.insert(RatingInvitation(request=row["id"], invited_at=at))
                .on_conflict(target=RatingInvitation.request, action="DO NOTHING")
                .returning(RatingInvitation.id)
            )
            if inserted:
                fresh.append(row["id"])
        left = await FeedbackCase.select(FeedbackCase.ref, FeedbackCase.due_at, FeedbackCase.opened_at).where(
            (FeedbackCase.clock_started == False)  # noqa: E712 - a column compared, not a bool
            & (FeedbackCase.opened_at < at - dt.timedelta(minutes=1))
        )
        return Invitations(request_ids=fresh, unstarted=[CaseClock(ref=r["ref"], due_at=r["due_at"]) for r in left])


async def account_names(ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await Account.select(Account.id, Account.username).where(Account.id.is_in(wanted))
    return {r["id"]: r["username"] for r in rows}
