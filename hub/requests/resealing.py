"""Personal answers left in clear at rest, sealed.

Filing seals the fields its service marks personal at the time (``filing.sealed``). A field the
catalog marks personal later (in the same version of the service) leaves the answers filed before
in clear in the database. ``qinqing data-key seal-answers`` seals them as filing would now, in the
requests and in the applicants' supplements. Reading is unchanged: every sealed value is opened
(``sealing.open_answers``), whichever version sealed it. Anonymised requests are left alone: their
personal answers are gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from forms.catalog import Catalog
from hub.audit import record
from hub.db.records import first, load_json
from hub.db.tables import ServiceRequest, Supplement
from hub.db.transactions import writing
from hub.sealing import seal_answers

BATCH = 500


@dataclass
class SealedReport:
    checked: int = 0  # requests looked at
    requests: int = 0  # whose answers had a personal value in clear, now sealed
    supplements: int = 0


async def seal_personal_answers(catalog: Catalog, progress: Callable[[int], None] | None = None) -> SealedReport:
    """Seal, in every request not anonymised and its supplements, the answers of fields its
    service's version marks personal that are still in clear. Safe to run again (a sealed value is
    left as it is) and beside a running hub (each row is read again, locked, before it is changed).
    ``progress`` is told of each batch of requests looked at."""
    report = SealedReport()
    last = 0
    while True:
        rows = (
            await ServiceRequest.select(
                ServiceRequest.id, ServiceRequest.ref, ServiceRequest.service_id, ServiceRequest.service_version
            )
            .where((ServiceRequest.id > last) & ServiceRequest.anonymised_at.is_null())
            .order_by(ServiceRequest.id)
            .limit(BATCH)
        )
        for row in rows:
            spec = catalog.version(row["service_id"], row["service_version"])
            if spec is None or not spec.personal_fields:
                continue
            personal, ref = spec.personal_fields, row["ref"]
            if await _seal_row(ServiceRequest, row["id"], ref, personal, extra=" AND anonymised_at IS NULL"):
                report.requests += 1
            for supplement in await Supplement.select(Supplement.id).where(Supplement.request == row["id"]):
                report.supplements += await _seal_row(Supplement, supplement["id"], ref, personal)
        report.checked += len(rows)
        if progress is not None and rows:
            progress(len(rows))
        if len(rows) < BATCH:
            break
        last = rows[-1]["id"]
    return report


async def _seal_row(table: type[Table], row_id: int, ref: str, personal: dict[str, str], extra: str = "") -> bool:
    """Seal one row's answers in clear, read again under the write lock (a row lock on PostgreSQL),
    so that an answer the workflow changed meanwhile is not written back as it was; the request's
    trail records which fields were sealed. Whether it changed."""
    name = table._meta.tablename
    lock = " FOR UPDATE" if isinstance(table._meta.db, PostgresEngine) else ""
    async with writing():
        found = await first(table, f"SELECT answers FROM {name} WHERE id = {{}}{extra}{lock}", row_id)
        if found is None:
            return False
        answers: dict[str, Any] = load_json(found["answers"]) or {}
        sealed = seal_answers(personal, answers)
        if sealed == answers:
            return False
        await table.raw(
            f"UPDATE {name} SET answers = {{}} WHERE id = {{}}", json.dumps(sealed, ensure_ascii=False), row_id
        )
        fields = sorted(k for k in answers if sealed.get(k) != answers[k])
        if table is ServiceRequest:
            await record(None, None, "personal_data.sealed", "request", ref, fields=fields)
        else:
            await record(None, None, "personal_data.sealed", "supplement", str(row_id), request=ref, fields=fields)
    return True
