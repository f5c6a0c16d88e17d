"""Issuing the governance report: one document per language, numbered by the district's government
services administration, its facts signed, its PDF stored and verifiable at ``/verify`` like any
document the hub issues; and asking for one on demand (administrators).

Implements the governance workflow's port idempotently by key (``governance-report:<period>:<locale>``):
a retried activity, or a second run for the same period, finds the rows and completes the same
documents, never numbering a second one.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
from temporalio.common import WorkflowIDConflictPolicy

from hub.actor import Actor
from hub.audit import record
from hub.db.tables import Document
from hub.db.transactions import writing
from hub.documents.issuer import RegisteredMeanwhile, document_year, new_verification_code, next_number, store_pdf
from hub.documents.storage import ContentStore, read_document
from hub.documents.summaries import render_summary
from hub.errors import forbidden, not_found
from hub.governance.figures import (
    GovernanceReportFacts,
    chart,
    feedback_sections,
    headline,
    overall,
    paid_section,
    service_sections,
    step_section,
    yearly_section,
)
from hub.governance.periods import KIND_LABELS, Period, parse_period, period_of
from hub.i18n import N_, format_date, gettext
from workflows.governance.report import GovernanceReportWorkflow
from workflows.governance.types import IssuedReport, IssueReport, MakeReport, ReportPeriod
from workflows.names import REQUESTS_QUEUE, governance_report_workflow_id

if TYPE_CHECKING:
    from forms.catalog import Catalog

KIND = "governance_report"
LOCALES = ("zh_CN", "en")
# The department that publishes the report (forms/departments.toml).
ISSUER = "government-services"
TITLE = N_("Governance report: one-stop government services")


class Signer(Protocol):
    def sign(self, facts: dict[str, Any]) -> Any: ...


def report_key(label: str, locale: str) -> str:
    return f"governance-report:{label}:{locale}"


async def report_facts(catalog: Catalog, period: Period, locale: str, issued_at: dt.datetime) -> GovernanceReportFacts:
    """What the report of ``period`` says in ``locale``, counted now."""
    before = period.year_before()
    now_totals, levels, paid = await overall(period, catalog, locale)
    before_totals, before_levels, _ = await overall(before, catalog, locale)
    issuer = catalog.departments[ISSUER]
    last = period.after - dt.timedelta(days=1)
    return GovernanceReportFacts(
        locale=locale,
        title=gettext(locale, TITLE),
        period_name=period.name(locale),
        period_range=f"{format_date(period.first, locale)} – {format_date(last, locale)}",
        before_name=before.name(locale),
        issuer=gettext(locale, issuer.name),
        issued_on=format_date(issued_at, locale),
        headline=headline(now_totals, before_totals, locale),
        chart=chart(levels, catalog, locale),
        chart_title=gettext(locale, N_("Requests filed per service")),
        sections=[
            *service_sections(levels, catalog, locale),
            await step_section(period, catalog, locale),
            *await feedback_sections(period, locale),
            paid_section(paid, locale),
            yearly_section(levels, before_levels, catalog, locale),
        ],
        notes=[
            gettext(
                locale,
                N_(
                    "—: withheld. A count under {n} could point at a person; it is withheld, with whatever would "
                    "let it be recomputed from the totals, as in the open data."
                ),
                n=5,
            ),
            gettext(
                locale, N_("Periods are counted in Beijing time; requests are counted in the period they were filed.")
            ),
        ],
    )


class PiccoloGovernanceReports:
    """The governance workflow's port: count, render, number, sign and store the report."""

    def __init__(self, catalog: Catalog, store: ContentStore, renderer: Any, keys: Signer, public_url: str):
        self.catalog = catalog
        self.store = store
        self.renderer = renderer
        self.keys = keys
        self.public_url = public_url.rstrip("/")

    async def issue(self, request: IssueReport) -> IssuedReport:
        period = period_of(request.period)
        codes, numbers = {}, {}
        for locale in LOCALES:
            number, code = await self._issue_one(period, locale, request.issued_at)
            codes[locale], numbers[locale] = code, number
        return IssuedReport(label=period.label, documents=codes, numbers=numbers)

    async def _issue_one(self, period: Period, locale: str, issued_at: dt.datetime) -> tuple[str, str]:
        key = report_key(period.label, locale)
        row = (
            await Document.select(Document.sha256, Document.number, Document.verification_code)
            .where(Document.key == key)
            .first()
        )
        if row is not None and row["sha256"]:
            return row["number"], row["verification_code"]
        facts = await report_facts(self.catalog, period, locale, issued_at)
        if row is None:
            number, code = await self._register(key, period, locale, issued_at, facts)
        else:  # registered by an earlier try: the same number and code
            number, code = row["number"], row["verification_code"]
        facts = replace(facts, number=number, verification_code=code, verify_url=f"{self.public_url}/verify/{code}")
        data = await render_summary(self.renderer, facts)
        await store_pdf(self.store, key, data)
        return number, code

    async def _register(
        self, key: str, period: Period, locale: str, issued_at: dt.datetime, facts: GovernanceReportFacts
    ) -> tuple[str, str]:
        issuer = self.catalog.departments[ISSUER]
        try:
            async with writing():
                number = await next_number(issuer.code, issuer.document_prefix, document_year(issued_at))
                code = new_verification_code()
                signed = {
                    "number": number,
                    "code": code,
                    "kind": KIND,
                    "issuer": issuer.code,
                    "period": period.label,
                    "period_kind": period.kind,
                    "locale": locale,
                    "issued_at": issued_at.isoformat(),
                    # The headline as printed, so a verifier can compare it with the paper.
                    "headline": {line.label: line.value for line in facts.headline},
                }
                signature = self.keys.sign(signed)
                inserted = await (
                    Document.insert(
                        Document(
                            key=key,
                            request=None,
                            kind=KIND,
                            locale=locale,
                            sha256="",
                            size=0,
                            issued_at=issued_at,
                            department=issuer.code,
                            number=number,
                            verification_code=code,
                            facts=json.dumps(signed, ensure_ascii=False),
                            key_id=signature.key_id,
                            signature=signature.value,
                        )
                    )
                    .on_conflict(target=Document.key, action="DO NOTHING")
                    .returning(Document.id)
                )
                if not inserted:
                    # Another run registered it first: this transaction is undone, and the number
                    # it took with it (numbers have no gaps).
                    raise RegisteredMeanwhile(key)
                await record(None, None, "governance_report.issued", "document", inserted[0]["id"], period=period.label)
        except RegisteredMeanwhile:
            first = (
                await Document.select(Document.number, Document.verification_code).where(Document.key == key).first()
            )
            assert first is not None, "the report was registered by another run"
            return first["number"], first["verification_code"]
        return number, code


class ReportRead(msgspec.Struct):
    """A published governance report: its period and its document in one language."""

    id: int
    period: str
    period_kind: str
    period_kind_label: str
    period_name: str
    locale: str
    number: str
    verification_code: str
    issued_at: dt.datetime
    download: str
    verify: str


# The open-data page lists the reports on every visit, and it is public: the list is read at most
# once every FRESH_SECONDS (a report made shows within that long; a few are made a month).
FRESH_SECONDS = 1.0
_listed: tuple[float, list[dict[str, Any]]] = (-FRESH_SECONDS, [])


async def _report_rows() -> list[dict[str, Any]]:
    global _listed
    if time.monotonic() - _listed[0] < FRESH_SECONDS:
        return _listed[1]
    checked = time.monotonic()
    rows = await Document.select(
        Document.id,
        Document.locale,
        Document.number,
        Document.verification_code,
        Document.issued_at,
        Document.facts,
    ).where((Document.kind == KIND) & (Document.sha256 != "") & (Document.status == "valid"))
    _listed = (checked, rows)
    return rows


async def published_reports(locale: str) -> list[ReportRead]:
    """Every governance report issued (and still valid), newest period first: open data."""
    rows = await _report_rows()
    reports = []
    for row in rows:
        facts = json.loads(row["facts"] or "{}")
        label = str(facts.get("period", ""))
        kind = str(facts.get("period_kind", "month"))
        period = _period_of_label(kind, label)
        reports.append(
            ReportRead(
                id=row["id"],
                period=label,
                period_kind=kind,
                period_kind_label=gettext(locale, KIND_LABELS.get(kind, kind)),
                period_name=period.name(locale) if period else label,
                locale=row["locale"],
                number=row["number"] or "",
                verification_code=row["verification_code"] or "",
                issued_at=row["issued_at"],
                download=f"/api/open/reports/{row['id']}",
                verify=f"/verify/{row['verification_code']}",
            )
        )
    # Newest period first; in each, the reader's language first.
    return sorted(reports, key=lambda r: (r.period, r.locale == locale), reverse=True)


def _period_of_label(kind: str, label: str) -> Period | None:
    try:
        year, _, rest = label.partition("-")
        number = int(rest.lstrip("Q")) if rest else 0
        return period_of(ReportPeriod(kind=kind, year=int(year), number=number))  # type: ignore[arg-type]
    except ValueError:
        return None


async def report_pdf(store: ContentStore, document_id: int) -> tuple[Document, bytes]:
    """A published governance report's PDF: public, like the open data (404 for any other document)."""
    row = await Document.objects().where((Document.id == document_id) & (Document.kind == KIND)).first()
    if row is None or not row.sha256:
        raise not_found()
    return row, await read_document(store, row.key, row.sha256, row.stored_as)


REPORT_WAIT = dt.timedelta(minutes=3)


async def request_report(client: Any, actor: Actor, kind: str, year: Any, number: Any) -> IssuedReport:
    """An administrator asks for the report of an ended period: checked first (an unknown kind or a
    period not ended is refused, and nothing is made), then made by its workflow (asking twice for
    the same period finds the same run and the same documents)."""
    if actor.role != "admin":
        raise forbidden()
    period = parse_period(kind, year, number)
    handle = await client.start_workflow(
        GovernanceReportWorkflow.run,
        MakeReport(period=ReportPeriod(kind=period.kind, year=period.year, number=period.number)),
        id=governance_report_workflow_id(period.label),
        task_queue=REQUESTS_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        execution_timeout=REPORT_WAIT,
    )
    issued: IssuedReport = await handle.result()
    async with writing():
        await record(actor, actor.user, "governance_report.requested", "governance_report", period.label)
    return issued
