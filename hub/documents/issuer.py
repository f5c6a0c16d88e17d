"""Issuing a document: gather the facts, render on the process pool, store, record.

Implements the workflows' ``DocumentIssuer`` port. Issuing is idempotent by key: a retried
activity finds the first document and returns it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from decimal import Decimal

from forms.catalog import Catalog
from hub.db.records import add_timeline, load_json
from hub.db.tables import Account, Document, Enterprise, ReviewTask, ServiceRequest
from hub.db.transactions import writing
from hub.documents.render import DocumentFacts, ReviewLine, render_pdf
from hub.documents.storage import ContentStore
from hub.i18n import N_, format_date, format_money, gettext
from hub.privacy import mask
from workflows.types import IssuedDocument, IssueDocument


class PdfDocumentIssuer:
    def __init__(self, catalog: Catalog, store: ContentStore, pool: Executor):
        self.catalog = catalog
        self.store = store
        self.pool = pool

    async def issue(self, request: IssueDocument) -> IssuedDocument:
        existing = await Document.objects().where(Document.key == request.key).first()
        if existing is not None:
            return IssuedDocument(key=existing.key, sha256=existing.sha256, size=existing.size)
        facts = await self.facts(request)
        data = await asyncio.get_running_loop().run_in_executor(self.pool, render_pdf, facts)
        sha256 = self.store.put(data)
        async with writing():
            await Document.insert(
                Document(
                    key=request.key,
                    request=request.request_id,
                    kind=request.kind,
                    locale=request.locale,
                    sha256=sha256,
                    size=len(data),
                    issued_at=request.issued_at,
                )
            ).on_conflict(target=Document.key, action="DO NOTHING")
            await add_timeline(
                f"{request.key}:issued",
                request.request_id,
                "document_issued",
                request.issued_at,
                detail=request.kind,
            )
        stored = await Document.objects().where(Document.key == request.key).first()
        return IssuedDocument(key=stored.key, sha256=stored.sha256, size=stored.size)

    async def facts(self, request: IssueDocument) -> DocumentFacts:
        """What the document states, in the applicant's language, from the read model and the catalog."""
        locale = request.locale
        row = await ServiceRequest.objects().where(ServiceRequest.id == request.request_id).first()
        applicant = await Account.objects().where(Account.id == row.applicant).first()
        spec = self.catalog.version(row.service_id, row.service_version)
        if spec is None:
            raise LookupError(f"service {row.service_id} v{row.service_version} is not in the catalog")
        tasks = (
            await ReviewTask.objects()
            .where((ReviewTask.request == row.id) & ReviewTask.state.is_in(["approved", "rejected"]))
            .order_by(ReviewTask.decided_at)
        )
        stage_titles = {s.id: s.title for s in spec.route}

        def department_name(code: str) -> str:
            d = self.catalog.departments.get(code)
            return gettext(locale, d.name) if d else code

        answers = load_json(row.answers)
        enterprise = (
            await Enterprise.objects().where(Enterprise.id == applicant.enterprise).first()
            if applicant.enterprise
            else None
        )
        if enterprise is not None:
            # Enterprise identifiers are public registration data, shown in full.
            applicant_name, id_label, id_value = (
                enterprise.name,
                gettext(locale, N_("Unified social credit code")),
                enterprise.uscc,
            )
        else:
            applicant_name = answers.get("full_name") or applicant.full_name
            id_label = gettext(locale, N_("Resident identity number"))
            id_value = mask(answers.get("resident_id") or applicant.resident_id or "", "resident_id")
        return DocumentFacts(
            kind=request.kind,
            locale=locale,
            number=f"{row.ref}-{request.kind[:1].upper()}",
            ref=row.ref,
            issued_on=format_date(request.issued_at, locale),
            issuer=department_name(spec.owner),
            service_title=gettext(locale, spec.title),
            legal_basis=gettext(locale, spec.legal_basis),
            applicant_name=applicant_name,
            applicant_id_label=id_label,
            applicant_id=id_value,
            approved=request.outcome == "approved",
            reasons=[gettext(locale, c["message"]) for c in load_json(row.check_results or "[]") if not c["passed"]],
            amount=format_money(Decimal(row.amount), locale) if row.amount else "",
            filed_on=format_date(row.created_at, locale),
            reviews=[
                ReviewLine(
                    department=department_name(t.department),
                    stage=gettext(locale, stage_titles.get(t.stage_id, t.stage_title)),
                    verdict="approve" if t.state == "approved" else "reject",
                    comment=t.comment,
                    decided_on=format_date(t.decided_at, locale),
                )
                for t in tasks
            ],
        )
