"""The Temporal worker: the generic workflow, with activities bound to the hub's adapters."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal

from temporalio import activity
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
)

from forms.catalog import Catalog, load_catalog
from hub import clock
from hub.benefits.register import PiccoloBenefitRegister
from hub.commitments.post_check import PiccoloCommitmentChecks
from hub.db.evaluation import PiccoloRequestRules
from hub.db.lifecycle import database
from hub.db.records import PiccoloRequestRecords
from hub.documents.issuer import PdfDocumentIssuer
from hub.documents.render import RenderPool
from hub.documents.signing import signing_key_ring
from hub.documents.storage import content_store
from hub.feedback import PiccoloCaseRecords
from hub.governance.issuing import PiccoloGovernanceReports
from hub.intake import resume_unstarted
from hub.life_events.cases import PiccoloLifeEventCases
from hub.life_events.filing import resume_unstarted_cases
from hub.notifications.channels import email_channel, sms_gateway
from hub.notifications.outbox import Outbox
from hub.notifications.service import HubNotifier
from hub.payments.budget import ProgramBudget
from hub.payments.ledger import LedgerBenefitGateway, LedgerPaymentGateway
from hub.payments.reconciliation import LedgerReconciliation
from hub.registry import enterprise_registry, population_registry
from hub.retention import run_retention
from hub.sealing import configure_from as configure_sealing
from hub.settings import Settings
from hub.sla.schedules import CalendarBook
from hub.sla.time_limits import CalendarTimeLimits
from hub.subsidies.claims import resume_unstarted_claims
from hub.subsidies.programs import resume_matching
from hub.subsidies.records import PiccoloClaimRecords, PiccoloMatching
from hub.temporal import connect
from workflows.activities import RequestActivities
from workflows.benefits.activities import BenefitActivities
from workflows.benefits.cycle import PaymentCycleWorkflow
from workflows.benefits.types import CycleInput
from workflows.feedback.activities import FeedbackActivities
from workflows.feedback.clock import CaseClockWorkflow, RatingInvitationsWorkflow
from workflows.feedback.types import InvitationRound
from workflows.governance.report import GovernanceActivities, GovernanceReportWorkflow
from workflows.governance.types import MakeReport
from workflows.life_events.activities import LifeEventActivities
from workflows.life_events.case import LifeEventWorkflow
from workflows.names import (
    GOVERNANCE_REPORT_SCHEDULE,
    HELD_MESSAGES_SCHEDULE,
    RATING_INVITATIONS_SCHEDULE,
    RECONCILIATION_SCHEDULE,
    REQUESTS_QUEUE,
    payment_cycle_schedule,
)
from workflows.notifications.activities import NotificationActivities
from workflows.notifications.deliver import DeliverMessagesWorkflow
from workflows.notifications.types import DeliverDue
from workflows.reissue import DocumentReissueWorkflow
from workflows.service_request import ServiceRequestWorkflow
from workflows.subsidies.activities import SubsidyActivities
from workflows.subsidies.claim import SubsidyClaimWorkflow
from workflows.subsidies.matching import ProgramMatchingWorkflow, ReconciliationWorkflow

log = logging.getLogger("qinqing.worker")


async def retention_loop(settings: Settings, catalog: Catalog, calendars: CalendarBook | None = None) -> None:
    """Apply retention, and say which working-day calendars are missing, at start and then every
    ``retention_interval_hours``.

    A plain loop in each worker rather than a Temporal schedule: retention is idempotent database
    housekeeping with nothing to orchestrate, and two workers running it at once are harmless."""
    while True:
        try:
            await run_retention(settings, catalog)
        except Exception:  # noqa: BLE001 - retried at the next interval; the worker keeps working
            log.exception("retention failed")
        if calendars is not None:
            await warn_of_missing_calendars(calendars)
        await asyncio.sleep(max(60.0, settings.retention_interval_hours * 3600))


async def warn_of_missing_calendars(calendars: CalendarBook) -> list[int]:
    """Log a warning for each year whose national working-day schedule is needed and missing."""
    try:
        missing = await calendars.missing()
    except Exception:  # noqa: BLE001 - the database away: said again at the next round
        log.exception("could not check the working-day calendars")
        return []
    for year in missing:
        log.warning(
            "no working-day calendar for %s: time limits that run into %s count Monday to Friday (less the "
            "fixed-date holidays) and are "
            "marked provisional; add forms/calendar/%s.toml or publish it at /admin/calendar",
            year,
            year,
            year,
        )
    return missing


def build_worker(
    client, settings: Settings, catalog: Catalog, renderer: RenderPool, calendars: CalendarBook | None = None
) -> Worker:
    registry = enterprise_registry()
    notifier = HubNotifier(settings, catalog, email_channel(settings), sms_gateway(settings))
    # A claim's payment and refusal are told in the transactions that record them (no step of their own).
    outbox = Outbox(notifier)
    subsidies = SubsidyActivities(
        claims=PiccoloClaimRecords(registry, outbox),
        budget=ProgramBudget(),
        payments=LedgerPaymentGateway(),
        matching=PiccoloMatching(registry, catalog, client),
        reconciliation=LedgerReconciliation(),
    )
    benefits = BenefitActivities(
        register=PiccoloBenefitRegister(catalog, population_registry()),
        population=population_registry(),
        gateway=LedgerBenefitGateway(),
    )
    life_events = LifeEventActivities(PiccoloLifeEventCases(catalog, settings.enforce_once_per))
    notifications = NotificationActivities(notifier)
    activities = RequestActivities(
        records=PiccoloRequestRecords(),
        rules=PiccoloRequestRules(catalog),
        time_limits=CalendarTimeLimits(settings, calendars or CalendarBook(catalog.calendars)),
        documents=PdfDocumentIssuer(
            catalog,
            content_store(settings),
            renderer,
            signing_key_ring(settings),
            settings.base_url,
            outbox,
        ),
        commitments=PiccoloCommitmentChecks(),
    )
    governance = GovernanceActivities(
        PiccoloGovernanceReports(
            catalog, content_store(settings), renderer, signing_key_ring(settings), settings.base_url
        )
    )
    return Worker(
        client,
        task_queue=REQUESTS_QUEUE,
        interceptors=[CrashAfterActivity(settings.fault_exit_after)] if settings.fault_exit_after else [],
        workflows=[
            ServiceRequestWorkflow,
            DocumentReissueWorkflow,
            SubsidyClaimWorkflow,
            ProgramMatchingWorkflow,
            ReconciliationWorkflow,
            PaymentCycleWorkflow,
            LifeEventWorkflow,
            DeliverMessagesWorkflow,
            CaseClockWorkflow,
            RatingInvitationsWorkflow,
            GovernanceReportWorkflow,
        ],
        activities=activities.all()
        + subsidies.all()
        + benefits.all()
        + life_events.all()
        + notifications.all()
        + FeedbackActivities(PiccoloCaseRecords()).all()
        + governance.all(),
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
        max_concurrent_local_activities=settings.worker_workflow_tasks,
        # Workflows run outside Temporal's sandbox. The sandbox rebuilds a workflow's modules for
        # every run, which cost about a fifth of the worker's CPU for an instant claim. What it
        # guards against (a non-deterministic call, state shared between runs) the tests check:
        # every recorded history is replayed in the sandbox (tests/workflows/test_replay.py).
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


class CrashAfterActivity(Interceptor):
    """Resilience testing only: the worker process dies the hard way right after an activity of the
    given type has done its work and before Temporal hears of it, the most dangerous moment for
    idempotency. Enabled by ``QINQING_FAULT_EXIT_AFTER``; never set in a real deployment."""

    def __init__(self, activity_type: str):
        self.activity_type = activity_type

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        target = self.activity_type

        class Crash(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput):
                result = await super().execute_activity(input)
                if activity.info().activity_type == target:
                    log.warning("fault injection: exiting after %s", target)
                    os._exit(70)
                return result

        return Crash(next)


SWEEP_GRACE = dt.timedelta(minutes=2)


async def sweep(client, catalog: Catalog, stop: asyncio.Event, every: float) -> None:
    """Pass on what was stored but never started (Temporal was unreachable when it was filed), on
    start and then every ``every`` seconds. Starting is idempotent by workflow id, so a request or
    claim whose start is merely in progress elsewhere is left as it is.

    On start everything waiting is passed on. Afterwards only what has waited SWEEP_GRACE: under
    load, work that was started waits in Temporal's queue, still "submitted", for tens of seconds,
    and starting it again cost a call to Temporal each and changed nothing."""
    waited = dt.timedelta(0)
    while not stop.is_set():
        try:
            await resume_unstarted(client, catalog, waited)
            await resume_unstarted_claims(client, catalog, waited)
            await resume_unstarted_cases(client, catalog, waited)
            await resume_matching(client)
            waited = SWEEP_GRACE
        except Exception:  # noqa: BLE001 - Temporal or the database away: try again next round
            log.exception("could not pass on waiting work; trying again in %s s", every)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue


async def schedule_reconciliation(client) -> None:
    """The daily reconciliation, as a Temporal schedule (created once; kept across restarts)."""
    try:
        await client.create_schedule(
            RECONCILIATION_SCHEDULE,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    ReconciliationWorkflow.run, id="reconciliation", task_queue=REQUESTS_QUEUE
                ),
                # 01:00 Beijing time, when the day's payments are settled.
                spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(17)])]),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass  # created by an earlier start


async def schedule_held_messages(client) -> None:
    """Every five minutes, send the messages whose time has come: SMS held for quiet hours, and any
    left queued by a worker that stopped (a Temporal schedule, created once)."""
    try:
        await client.create_schedule(
            HELD_MESSAGES_SCHEDULE,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    DeliverMessagesWorkflow.run, DeliverDue(), id="held-messages", task_queue=REQUESTS_QUEUE
                ),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=dt.timedelta(minutes=5))]),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass  # created by an earlier start


async def schedule_rating_invitations(client, settings: Settings) -> None:
    """Every few minutes, invite the applicants of requests decided days ago and left unrated (once
    each), and start the clocks of cases opened while Temporal was away (a Temporal schedule)."""
    round = InvitationRound(after_seconds=settings.rating_invitation_days * 86400)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            RatingInvitationsWorkflow.run, round, id="rating-invitations", task_queue=REQUESTS_QUEUE
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=dt.timedelta(seconds=settings.rating_invitation_every_seconds))]
        ),
    )
    try:
        await client.create_schedule(RATING_INVITATIONS_SCHEDULE, schedule)
    except ScheduleAlreadyRunningError:
        # Created by an earlier start: it takes the settings of this one.
        await client.get_schedule_handle(RATING_INVITATIONS_SCHEDULE).update(
            lambda _: ScheduleUpdate(schedule=schedule)
        )


async def schedule_payment_cycles(client, catalog: Catalog) -> None:
    """A monthly payment cycle per benefit, as a Temporal schedule (created once; kept across
    restarts): on the benefit's payment day at 09:00 Beijing time, for that month."""
    for spec in catalog.current():
        if spec.benefit is None:
            continue
        try:
            await client.create_schedule(
                payment_cycle_schedule(spec.id),
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        PaymentCycleWorkflow.run,
                        CycleInput(service_id=spec.id),
                        id=f"cycle-{spec.id}-scheduled",
                        task_queue=REQUESTS_QUEUE,
                    ),
                    spec=ScheduleSpec(
                        calendars=[
                            ScheduleCalendarSpec(
                                day_of_month=[ScheduleRange(spec.benefit.payment_day)], hour=[ScheduleRange(1)]
                            )
                        ]
                    ),
                ),
            )
        except ScheduleAlreadyRunningError:
            pass  # created by an earlier start


async def schedule_governance_report(client) -> None:
    """The governance report of the month just ended, as a Temporal schedule (created once; kept
    across restarts): on the first of each month at 10:00 Beijing time, once the month's figures
    (and its payment cycles' first runs) are in."""
    try:
        await client.create_schedule(
            GOVERNANCE_REPORT_SCHEDULE,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    GovernanceReportWorkflow.run,
                    MakeReport(),
                    id="governance-report-monthly",
                    task_queue=REQUESTS_QUEUE,
                ),
                spec=ScheduleSpec(
                    calendars=[ScheduleCalendarSpec(day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(2)])]
                ),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass  # created by an earlier start


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then finish in-flight activities and stop."""
    catalog = load_catalog(settings.catalog_path)
    configure_sealing(settings)
    clock.set_offset(dt.timedelta(days=settings.clock_offset_days))
    renderer = RenderPool(settings.render_processes)
    calendars = CalendarBook(catalog.calendars)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with database(settings):
            client = await connect(settings)
            worker = build_worker(client, settings, catalog, renderer, calendars)
            async with worker:
                log.info("worker polling %s on %s", REQUESTS_QUEUE, settings.temporal_target)
                await schedule_reconciliation(client)
                await schedule_payment_cycles(client, catalog)
                await schedule_held_messages(client)
                await schedule_governance_report(client)
                await schedule_rating_invitations(client, settings)
                sweeping = asyncio.create_task(sweep(client, catalog, stop, settings.resume_every_seconds))
                retention = asyncio.create_task(retention_loop(settings, catalog, calendars))
                await stop.wait()
                retention.cancel()
                log.info("worker stopping")
                await sweeping
    finally:
        renderer.shutdown()
