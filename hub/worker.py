"""The Temporal worker: the generic workflow, with activities bound to the hub's adapters."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

from temporalio.worker import Worker

from forms.catalog import Catalog, load_catalog
from hub.db.evaluation import PiccoloRequestRules
from hub.db.lifecycle import database
from hub.db.records import PiccoloRequestRecords
from hub.documents.issuer import PdfDocumentIssuer
from hub.documents.render import warm_up
from hub.documents.signing import KeyRing
from hub.documents.storage import FileContentStore
from hub.intake import resume_unstarted
from hub.retention import run_retention
from hub.sealing import configure as configure_sealing
from hub.settings import Settings
from hub.sla.time_limits import CalendarTimeLimits
from hub.temporal import connect
from workflows.activities import RequestActivities
from workflows.names import REQUESTS_QUEUE
from workflows.reissue import DocumentReissueWorkflow
from workflows.service_request import ServiceRequestWorkflow

log = logging.getLogger("qinqing.worker")


async def retention_loop(settings: Settings, catalog: Catalog) -> None:
    """Apply retention at start and then every ``retention_interval_hours``.

    A plain loop in each worker rather than a Temporal schedule: retention is idempotent database
    housekeeping with nothing to orchestrate, and two workers running it at once are harmless."""
    while True:
        try:
            await run_retention(settings, catalog)
        except Exception:  # noqa: BLE001 - retried at the next interval; the worker keeps working
            log.exception("retention failed")
        await asyncio.sleep(max(60.0, settings.retention_interval_hours * 3600))


def build_worker(client, settings: Settings, catalog: Catalog, pool: ProcessPoolExecutor) -> Worker:
    activities = RequestActivities(
        records=PiccoloRequestRecords(),
        rules=PiccoloRequestRules(catalog),
        time_limits=CalendarTimeLimits(settings),
        documents=PdfDocumentIssuer(
            catalog,
            FileContentStore(settings.documents_path),
            pool,
            KeyRing(settings.signing_keys_path),
            settings.base_url,
        ),
    )
    return Worker(
        client,
        task_queue=REQUESTS_QUEUE,
        workflows=[ServiceRequestWorkflow, DocumentReissueWorkflow],
        activities=activities.all(),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then finish in-flight activities and stop."""
    catalog = load_catalog(settings.catalog_path)
    configure_sealing(settings.data_keys_path)
    # spawn, not fork: forking a process that runs an event loop and gRPC threads is unsafe.
    pool = ProcessPoolExecutor(
        max_workers=settings.render_processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=warm_up,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with database(settings):
            client = await connect(settings)
            worker = build_worker(client, settings, catalog, pool)
            async with worker:
                log.info("worker polling %s on %s", REQUESTS_QUEUE, settings.temporal_target)
                await resume_unstarted(client, catalog)
                retention = asyncio.create_task(retention_loop(settings, catalog))
                await stop.wait()
                retention.cancel()
                log.info("worker stopping")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
