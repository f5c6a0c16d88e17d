"""Minimisation and retention: what is no longer needed is removed.

- Closed requests older than ``QINQING_RETENTION_DAYS`` are anonymised: their personal answers and
  supplements are removed, and the files of personal file fields (a photo) with them; service,
  state, dates, amount, rule and check results and the answers that are not personal stay, for
  statistics. The documents issued keep their (masked) facts. A life event's case done as long
  ago loses the personal answers kept with its parts the same way.
- Drafts older than ``QINQING_DRAFT_RETENTION_DAYS`` are purged from any table named in
  ``DRAFT_TABLES`` (by its ``updated_at``, else ``created_at``).
- Expired sign-in sessions and stale sign-in counters are deleted.

Every step is idempotent, so running it twice, or from two workers at once, is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from piccolo.table import Table

from forms.catalog import Catalog
from forms.validation import file_answers
from hub.audit import record
from hub.clock import now
from hub.db import tables
from hub.db.records import load_json
from hub.db.tables import ApiSession, LifeEventCase, ServiceRequest, Supplement, Upload
from hub.db.transactions import writing
from hub.documents.storage import ContentStore, content_store, delete_stored
from hub.sealing import open_answers
from hub.settings import Settings
from hub.signin import purge_stale
from workflows.types import FINAL_STATES

log = logging.getLogger("qinqing.retention")
# Tables of unfinished forms that retention purges, by class name in hub.db.tables (if present).
DRAFT_TABLES = ("Draft", "FormDraft")
BATCH = 500


@dataclass
class RetentionReport:
    anonymised: int = 0
    life_events_anonymised: int = 0
    drafts_purged: dict[str, int] = field(default_factory=dict)
    sessions_purged: int = 0
    sign_in_counters_purged: int = 0


async def purge_older_than(table: type[Table], days: int, at: dt.datetime | None = None) -> int:
    """Delete rows of ``table`` not touched for ``days`` days (``updated_at``, else ``created_at``)."""
    column = getattr(table, "updated_at", None) or table._meta.get_column_by_name("created_at")
    cutoff = (at or now()) - dt.timedelta(days=days)
    count = await table.count().where(column < cutoff)
    if count:
        await table.delete().where(column < cutoff)
    return count


def _without_personal(personal: dict[str, str], answers: dict) -> dict:
    kept = {}
    for key, value in answers.items():
        if key in personal:
            continue
        if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            value = [{k: v for k, v in item.items() if f"{key}.{k}" not in personal} for item in value]
        kept[key] = value
    return kept


async def attached_elsewhere(catalog: Catalog, upload: Upload, request_id: int) -> bool:
    """Whether another request still in use refers to the upload (an applicant may attach the same
    upload to two requests; only its uploader's requests can)."""
    others = await ServiceRequest.objects().where(
        (ServiceRequest.applicant == upload.owner)
        & (ServiceRequest.id != request_id)
        & ServiceRequest.anonymised_at.is_null()
    )
    for other in others:
        spec = catalog.version(other.service_id, other.service_version)
        answers = open_answers(spec.personal_fields, load_json(other.answers)) if spec else {}
        if spec and any(token == upload.token for _, _, token in file_answers(spec, answers)):
            return True
    return False


async def anonymise_closed(catalog: Catalog, days: int, files: ContentStore, at: dt.datetime | None = None) -> int:
    """Remove the personal answers (and personal files) of requests closed more than ``days`` days
    ago; returns how many."""
    stamp = at or now()
    cutoff = stamp - dt.timedelta(days=days)
    done = 0
    while True:
        rows = await (
            ServiceRequest.objects()
            .where(
                ServiceRequest.state.is_in(list(FINAL_STATES))
                & ServiceRequest.anonymised_at.is_null()
                & (ServiceRequest.closed_at < cutoff)
            )
            .limit(BATCH)
        )
        for row in rows:
            spec = catalog.version(row.service_id, row.service_version)
            answers = load_json(row.answers)
            # Without its spec nothing tells personal from not: keep no answers at all.
            kept = _without_personal(spec.personal_fields, answers) if spec else {}
            opened = open_answers(spec.personal_fields, answers) if spec else {}
            personal_files = [token for _, f, token in file_answers(spec, opened) if f.personal] if spec else []
            uploads = await Upload.objects().where(Upload.token.is_in(personal_files)) if personal_files else []
            uploads = [u for u in uploads if not await attached_elsewhere(catalog, u, row.id)]
            async with writing():
                # Two workers' passes may pick the same request: the first to mark it does the rest.
                won = await (
                    ServiceRequest.update(
                        {
                            ServiceRequest.answers: json.dumps(kept, ensure_ascii=False),
                            ServiceRequest.anonymised_at: stamp,
                        }
                    )
                    .where((ServiceRequest.id == row.id) & ServiceRequest.anonymised_at.is_null())
                    .returning(ServiceRequest.id)
                )
                if not won:
                    continue
                await Supplement.delete().where(Supplement.request == row.id)
                if uploads:
                    await Upload.delete().where(Upload.id.is_in([u.id for u in uploads]))
                await record(
                    None, None, "request.anonymised", "request", row.ref, retention_days=days, files=len(uploads)
                )
            for upload in uploads:
                # Each upload is sealed with a fresh nonce, so its stored bytes are its own; bytes that
                # another upload still refers to are never deleted all the same.
                if not await Upload.exists().where(Upload.sha256 == upload.sha256):
                    await delete_stored(files, upload.sha256)
            done += 1
        if len(rows) < BATCH:
            return done


async def anonymise_life_events(catalog: Catalog, days: int, at: dt.datetime | None = None) -> int:
    """Remove the personal answers kept with the parts of life-event cases done more than ``days``
    days ago (the requests they became are anonymised on their own); returns how many cases."""
    stamp = at or now()
    cutoff = stamp - dt.timedelta(days=days)
    done = 0
    while True:
        cases = await (
            LifeEventCase.objects()
            .where(
                (LifeEventCase.state == "done")
                & LifeEventCase.anonymised_at.is_null()
                & (LifeEventCase.updated_at < cutoff)
            )
            .limit(BATCH)
        )
        for case in cases:
            event = catalog.life_events.get(case.event_id)
            services = {p.id: p.service for p in event.parts} if event else {}
            parts = load_json(case.parts) if isinstance(case.parts, str) else dict(case.parts or {})
            for part_id, part in parts.items():
                if isinstance(part, dict) and "answers" in part:
                    spec = catalog.version(services.get(part_id, ""), int(part.get("version") or 0))
                    # Kept as their JSON text, as the part's service stores answers.
                    answers = load_json(part["answers"]) if isinstance(part["answers"], str) else part["answers"]
                    # Without its spec nothing tells personal from not: keep no answers at all.
                    kept = _without_personal(spec.personal_fields, answers) if spec else {}
                    part["answers"] = json.dumps(kept, ensure_ascii=False)
            async with writing():
                won = await (
                    LifeEventCase.update(
                        {LifeEventCase.parts: json.dumps(parts, ensure_ascii=False), LifeEventCase.anonymised_at: stamp}
                    )
                    .where((LifeEventCase.id == case.id) & LifeEventCase.anonymised_at.is_null())
                    .returning(LifeEventCase.id)
                )
                if won:
                    await record(None, None, "life_event.anonymised", "life_event", case.ref, retention_days=days)
                    done += 1
        if len(cases) < BATCH:
            return done


async def run_retention(settings: Settings, catalog: Catalog) -> RetentionReport:
    """One pass of every retention rule."""
    report = RetentionReport()
    files = content_store(settings)
    report.anonymised = await anonymise_closed(catalog, settings.retention_days, files)
    report.life_events_anonymised = await anonymise_life_events(catalog, settings.retention_days)
    for name in DRAFT_TABLES:
        table = getattr(tables, name, None)
        if table is not None:
            report.drafts_purged[name] = await purge_older_than(table, settings.draft_retention_days)
    expired = ApiSession.expires_at < now()
    report.sessions_purged = await ApiSession.count().where(expired)
    await ApiSession.delete().where(expired)
    report.sign_in_counters_purged = await purge_stale(settings)
    if report.anonymised or report.life_events_anonymised or any(report.drafts_purged.values()):
        log.info("retention: %s", report)
    return report
