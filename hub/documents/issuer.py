"""Issuing a document: number it, sign its facts, render it on the process pool, store it; and
revoking one.

Implements the workflows' ``DocumentIssuer`` port, idempotently by key. The row is written first,
in one transaction with the department's next number (so numbers have no gaps and no repeats) and
the signed facts; the PDF follows. A retried activity finds the row and completes the same
document: the same number, the same code, the same signature.

A payment notice is issued with its row alone (numbered, signed, verifiable, and what it says kept
sealed) and its PDF is made on its first download (``make_on_download``). A program's opening pays
thousands of claims within minutes, and laying out a page costs more CPU than all the rest of a
claim: the money and the signed record do not wait for it. What the notice says is fixed when it
is issued, so a PDF made later shows the account paid into then, not the enterprise's account now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

import msgspec

from forms.catalog import Catalog
from forms.programs import ProgramSpec
from hub.accounts import NAME_FIELD
from hub.clock import beijing_date, now
from hub.credentials import CredentialContext
from hub.credentials import issuing as credential_issuing
from hub.db.records import COMMENT_FIELD, MESSAGE_FIELD, add_timeline, load_json, opened_text, sealed_text
from hub.db.tables import (
    Account,
    Claim,
    Document,
    DocumentSequence,
    Enterprise,
    ReviewTask,
    ServiceRequest,
    TimelineEntry,
)
from hub.db.transactions import writing
from hub.documents.entitlements import (
    SIGNED_RIGHTS,
    GrantedEntitlement,
    benefit_lines,
    granted_entitlement,
    rights,
    signed_benefit,
)
from hub.documents.render import BenefitLines, DocumentFacts, RenderPool, ReviewLine
from hub.documents.signing import KeyRing
from hub.documents.storage import ContentStore, delete_stored, read_document, store_document
from hub.i18n import N_, format_date, format_money, gettext
from hub.privacy import mask
from hub.sealing import open_answers, seal, unseal
from hub.subsidies import MessageOutbox, PaidMessage, paid_message, parse_spec
from workflows.types import IssuedDocument, IssueDocument, Supersede, TimelineKind

# Unambiguous characters for codes people type from paper (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
# Documents issued without their PDF, which is made on the first download.
MADE_ON_DOWNLOAD = frozenset({"payment_notice"})
CONTENT_FIELD = "document.content"
# Why a document no longer holds, as anyone verifying it reads it: a category from this list. The
# issuing department's own words may name people; they are sealed and kept for the audit trail.
RevocationCategory = Literal["issued_in_error", "superseded", "fraud", "other", "commitment_broken"]
REVOCATION_CATEGORIES = dict(
    zip(
        get_args(RevocationCategory),
        (
            N_("Issued in error"),
            N_("Replaced by another document"),
            N_("Obtained with false or withheld information"),
            N_("Other reasons"),
            N_("A commitment made in place of a proof was found untrue"),
        ),
        strict=True,
    )
)
REVOCATION_REASON_FIELD = "document.revocation_reason"
# What a department may say when it revokes a document itself; the hub sets the others (a correction
# supersedes, a broken commitment revokes).
DepartmentCategory = Literal["issued_in_error", "fraud", "other"]
DEPARTMENT_CATEGORIES: tuple[str, ...] = get_args(DepartmentCategory)


def issued_step(request: IssueDocument) -> TimelineKind:
    """The step a document's issue adds to its request's timeline: a correction reads as one."""
    return "document_corrected" if request.corrects else "document_issued"


class RegisteredMeanwhile(Exception):
    """Another registration of the same document committed first."""


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def document_year(issued_at: dt.datetime) -> int:
    """The year in a document's number: that of its date of issue in Beijing, as printed on it
    (a notice issued early on 1 January is numbered in the new year, though it is still 31
    December in UTC)."""
    return beijing_date(issued_at).year


async def next_number(department: str, prefix: str, year: int) -> str:
    """The department's next document number for the year, e.g. 西民〔2026〕12号. Call inside a write transaction."""
    scope = f"{department}:{year}"
    await DocumentSequence.insert(DocumentSequence(scope=scope, last=0)).on_conflict(
        target=DocumentSequence.scope, action="DO NOTHING"
    )
    rows = (
        await DocumentSequence.update({DocumentSequence.last: DocumentSequence.last + 1})
        .where(DocumentSequence.scope == scope)
        .returning(DocumentSequence.last)
    )
    sequence = rows[0]["last"]
    return f"{prefix}〔{year}〕{sequence}号" if prefix else f"{department.upper()}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class ClaimFacts:
    """What a subsidy claim's documents say of the claim, its program and the enterprise paid."""

    payment_ref: str
    paid_at: dt.datetime | None
    program_code: str
    program: ProgramSpec
    bank_account: str
    # Who submitted the claim (the approver of a prepared one), told of its payment with its applicant.
    submitted_by: int | None = None


@dataclass(frozen=True)
class Subject:
    """What a document is about, read once for numbering, signing and rendering it."""

    request: ServiceRequest
    applicant_name: str
    # Shown on the document: a masked resident id, or an enterprise's credit code.
    applicant_id: str
    enterprise_applicant: bool
    claim: ClaimFacts | None = None
    # For an approved benefit: the entitlement the approval became.
    entitlement: GrantedEntitlement | None = None


def grants_benefit(request: IssueDocument, subject: Subject) -> GrantedEntitlement | None:
    """The entitlement a decision states: that of an approved benefit request."""
    if request.kind != "decision" or request.outcome != "approved":
        return None
    return subject.entitlement


def states_rights(request: IssueDocument, subject: Subject) -> bool:
    """A decision states the applicant's rights to challenge it when it refuses, or grants a benefit
    (its amount, band and start can be disputed)."""
    return request.kind == "decision" and (
        request.outcome != "approved" or grants_benefit(request, subject) is not None
    )


# What a decision approved on commitment states: on what it rests, and what follows.
ON_COMMITMENT = N_(
    "Approved on the applicant's signed commitment in place of: {proofs}. The department checks it within "
    "{days} working days; if the commitment proves untrue, this decision is revoked and the money paid "
    "must be returned."
)


async def approved_on_commitment(request: IssueDocument) -> bool:
    """Whether the document is the decision of a request approved on the applicant's commitment."""
    if request.kind != "decision" or request.outcome != "approved":
        return False
    return await TimelineEntry.exists().where(
        (TimelineEntry.request == request.request_id) & (TimelineEntry.kind == "approved_on_commitment")
    )


async def approved_by_rule(request: IssueDocument) -> bool:
    """Whether the document is the decision of a request approved by rule (no clerk reviewed it)."""
    if request.kind != "decision" or request.outcome != "approved":
        return False
    return await TimelineEntry.exists().where(
        (TimelineEntry.request == request.request_id) & (TimelineEntry.kind == "approved_by_rule")
    )


def credential_context(catalog: Catalog, keys: KeyRing, public_url: str) -> CredentialContext:
    return CredentialContext(catalog, keys, public_url.rstrip("/"))


class PdfDocumentIssuer:
    def __init__(
        self,
        catalog: Catalog,
        store: ContentStore,
        renderer: RenderPool,
        keys: KeyRing,
        public_url: str,
        outbox: MessageOutbox | None = None,
    ):
        self.catalog = catalog
        self.store = store
        self.renderer = renderer
        self.keys = keys
        self.public_url = public_url.rstrip("/")
        # Where a claim's payment notice records the message telling the enterprise it was paid.
        self.outbox = outbox

    async def issue(self, request: IssueDocument) -> IssuedDocument:
        row = (
            await Document.select(
                Document.sha256, Document.size, Document.number, Document.verification_code, Document.content
            )
            .where(Document.key == request.key)
            .first()
        )
        if row is not None and (row["sha256"] or row["content"]):
            return IssuedDocument(key=request.key, sha256=row["sha256"], size=row["size"])
        subject = await self.subject(request.request_id)
        facts = await self.facts(request, subject)
        if row is None:
            facts = await self._register(request, subject, facts)
            if request.kind in MADE_ON_DOWNLOAD:
                return IssuedDocument(key=request.key, sha256="", size=0)
        else:  # registered by an earlier try (or, for a notice, before notices were made on download)
            facts = self.numbered(facts, row["number"] or "", row["verification_code"] or "")
        data = await self.renderer.render(facts)
        sha256, size = await store_pdf(
            self.store,
            request.key,
            data,
            timeline=lambda: add_timeline(
                f"{request.key}:issued",
                request.request_id,
                issued_step(request),
                request.issued_at,
                detail=request.kind,
            ),
        )
        return IssuedDocument(key=request.key, sha256=sha256, size=size)

    def numbered(self, facts: DocumentFacts, number: str, code: str) -> DocumentFacts:
        """The facts with the document's number and the code (and address) it is verified by."""
        return dataclasses.replace(
            facts,
            number=number,
            verification_code=code,
            verify_url=f"{self.public_url}/verify/{code}" if code else "",
        )

    async def supersede(self, change: Supersede) -> None:
        """Mark the earlier document superseded by the new one (idempotent). The earlier one was
        checked valid when its correction was asked for; if it was revoked meanwhile (by its
        department, or with its decision after a broken commitment), the revocation stands and the
        correction is revoked with it: a revoked decision does not come back as a corrected one."""
        async with writing():
            superseded = (
                await Document.update(
                    {
                        Document.status: "superseded",
                        Document.superseded_by: change.new_key,
                        Document.revocation_reason: sealed_text(change.reason, REVOCATION_REASON_FIELD),
                    }
                )
                .where((Document.key == change.previous_key) & (Document.status == "valid"))
                .returning(Document.id)
            )
            if superseded:
                await credential_issuing.supersede_for_document_key(change.previous_key)
                return
            previous = await Document.objects().where(Document.key == change.previous_key).first()
            if previous is None or previous.superseded_by == change.new_key:
                return  # done by an earlier try
            correction = (
                await Document.update(
                    {
                        Document.status: "revoked",
                        Document.revoked_at: now(),
                        Document.revoked_by: previous.revoked_by,
                        Document.revocation_category: previous.revocation_category or "superseded",
                        Document.revocation_reason: previous.revocation_reason,
                    }
                )
                .where((Document.key == change.new_key) & (Document.status == "valid"))
                .returning(Document.id)
            )
            for row in correction:
                await credential_issuing.revoke_for_document(row["id"])

    async def _register(self, request: IssueDocument, subject: Subject, facts: DocumentFacts) -> DocumentFacts:
        """Number the document and sign its facts, in one transaction with its row (and, for a
        document made on its first download, what it says and its line in the request's timeline).
        Returns the facts numbered as the first registration numbered them, if one raced it."""
        made_on_download = request.kind in MADE_ON_DOWNLOAD
        row = subject.request
        spec = self.catalog.version(row.service_id, row.service_version)
        assert spec is not None, "a filed request's version stays in the catalog"
        issuer = self.catalog.departments[await self._issuing_department(request, spec.owner)]
        paid = await self._paid_message(request, subject)
        to_send: list[str] = []
        try:
            async with writing():
                number = await next_number(issuer.code, issuer.document_prefix, document_year(request.issued_at))
                code = new_verification_code()
                signed = {
                    "number": number,
                    "code": code,
                    "kind": request.kind,
                    "outcome": request.outcome,
                    "issuer": issuer.code,
                    "ref": row.ref,
                    "service": row.service_id,
                    "service_version": row.service_version,
                    "applicant": mask(subject.applicant_name),
                    "applicant_id": subject.applicant_id,
                    "amount": row.amount if request.kind != "receipt" else None,
                    "issued_at": request.issued_at.isoformat(),
                }
                granted = grants_benefit(request, subject)
                if granted is not None:
                    signed["benefit"] = signed_benefit(granted)
                    if granted.suspended:
                        signed["amount"] = None
                if states_rights(request, subject):
                    signed["rights"] = SIGNED_RIGHTS
                if facts.by_rule:
                    signed["by_rule"] = True
                if request.kind == "payment_notice":
                    assert subject.claim is not None, "a payment notice is issued for a paid claim"
                    signed["payment_ref"] = subject.claim.payment_ref
                    signed["program"] = subject.claim.program_code
                signature = self.keys.sign(signed)
                content: str | None = ""
                if made_on_download:
                    content = seal(msgspec.json.encode(self.numbered(facts, number, code)).decode(), CONTENT_FIELD)
                inserted = await (
                    Document.insert(
                        Document(
                            key=request.key,
                            request=request.request_id,
                            kind=request.kind,
                            locale=request.locale,
                            sha256="",
                            size=0,
                            issued_at=request.issued_at,
                            department=issuer.code,
                            number=number,
                            verification_code=code,
                            facts=json.dumps(signed, ensure_ascii=False),
                            key_id=signature.key_id,
                            signature=signature.value,
                            content=content,
                        )
                    )
                    .on_conflict(target=Document.key, action="DO NOTHING")
                    .returning(Document.id, Document.number, Document.verification_code)
                )
                if not inserted:
                    # Another registration of the same document committed first: this one is undone,
                    # the number it took with it (numbers have no gaps).
                    raise RegisteredMeanwhile(request.key)
                if request.kind == "decision" and request.outcome == "approved":
                    # An approval that issues a certificate or grants a status: its verifiable credential.
                    await credential_issuing.issue_for_approval(
                        credential_context(self.catalog, self.keys, self.public_url),
                        document_id=inserted[0]["id"],
                        document_key=request.key,
                        request=row,
                        issuer=issuer.code,
                        holder_name=subject.applicant_name,
                        number=number,
                        code=code,
                        issued_at=request.issued_at,
                    )
                if made_on_download:
                    await add_timeline(
                        f"{request.key}:issued",
                        request.request_id,
                        issued_step(request),
                        request.issued_at,
                        detail=request.kind,
                    )
                if paid is not None:
                    # Told with the notice, in its transaction: once, and with its number.
                    to_send = await paid.record(number)
        except RegisteredMeanwhile:
            inserted = await Document.select(Document.number, Document.verification_code).where(
                Document.key == request.key
            )
        if paid is not None:
            paid.outbox.send(to_send)
        return self.numbered(facts, inserted[0]["number"], inserted[0]["verification_code"])

    async def _paid_message(self, request: IssueDocument, subject: Subject) -> PaidMessage | None:
        """For a claim's payment notice, the message telling the enterprise it was paid (a corrected
        notice is told as a correction instead)."""
        claim = subject.claim
        if self.outbox is None or request.kind != "payment_notice" or request.corrects or claim is None:
            return None
        row = subject.request
        return await paid_message(
            self.outbox,
            row.ref,
            [row.applicant, *([claim.submitted_by] if claim.submitted_by else [])],
            claim.program,
            Decimal(row.amount or 0),
            claim.bank_account,
        )

    async def subject(self, request_id: int) -> Subject:
        """The request, its applicant's name and identifier as documents show them (a resident id
        masked; enterprise identifiers are public registration data, shown in full) and, for a
        subsidy claim, what its documents say of the claim."""
        row = await ServiceRequest.objects().where(ServiceRequest.id == request_id).first()
        assert row is not None, "documents are issued for a stored request"
        applicant = (
            await Account.select(Account.enterprise, Account.full_name, Account.resident_id)
            .where(Account.id == row.applicant)
            .first()
        )
        assert applicant is not None, "a request's applicant is an account"
        # The claim with its program and the enterprise it pays, in one read.
        paid = (
            await Claim.select(
                Claim.payment_ref,
                Claim.paid_at,
                Claim.enterprise,
                Claim.submitted_by,
                Claim.program.code.as_alias("program_code"),
                Claim.program.spec.as_alias("program_spec"),
                Claim.enterprise.name.as_alias("enterprise_name"),
                Claim.enterprise.uscc.as_alias("uscc"),
                Claim.enterprise.bank_account.as_alias("bank_account"),
            )
            .where(Claim.request == row.id)
            .first()
        )
        claim = None
        if paid is not None:
            claim = ClaimFacts(
                payment_ref=paid["payment_ref"],
                paid_at=paid["paid_at"],
                program_code=paid["program_code"],
                program=parse_spec(paid["program_spec"]),
                bank_account=paid["bank_account"] or "",
                submitted_by=paid["submitted_by"],
            )
        spec = self.catalog.version(row.service_id, row.service_version)
        entitlement = await granted_entitlement(row.id) if spec is not None and spec.benefit is not None else None
        if applicant["enterprise"]:
            # The applying enterprise: nearly always the one the claim pays.
            if paid is not None and paid["enterprise"] == applicant["enterprise"]:
                name, uscc = paid["enterprise_name"], paid["uscc"]
            else:
                own = (
                    await Enterprise.select(Enterprise.name, Enterprise.uscc)
                    .where(Enterprise.id == applicant["enterprise"])
                    .first()
                )
                assert own is not None, "an enterprise account's enterprise is stored"
                name, uscc = own["name"], own["uscc"]
            return Subject(row, name, uscc, True, claim, entitlement)
        answers = open_answers(spec.personal_fields if spec else {}, load_json(row.answers))
        resident_id = answers.get("resident_id") or unseal(applicant["resident_id"], "account.resident_id") or ""
        name = answers.get("full_name") or unseal(applicant["full_name"], NAME_FIELD) or ""
        return Subject(row, name, mask(resident_id, "resident_id"), False, claim, entitlement)

    async def _issuing_department(self, request: IssueDocument, owner: str) -> str:
        """Who issues the document: for a notice about one task (asking the applicant for more),
        the department whose task it is; for every other, the department that owns the service."""
        if request.task_key is None:
            return owner
        task = await ReviewTask.select(ReviewTask.department).where(ReviewTask.key == request.task_key).first()
        return task["department"] if task and task["department"] in self.catalog.departments else owner

    async def facts(self, request: IssueDocument, subject: Subject) -> DocumentFacts:
        """What the document states, in the applicant's language, from the read model and the
        catalog (numbered by ``numbered``)."""
        locale = request.locale
        row = subject.request
        spec = self.catalog.version(row.service_id, row.service_version)
        if spec is None:
            raise LookupError(f"service {row.service_id} v{row.service_version} is not in the catalog")
        tasks = await ReviewTask.objects().where(ReviewTask.request == row.id).order_by(ReviewTask.decided_at)
        stage_titles = {s.id: s.title for s in spec.route}
        labels = {f.name: f.label for f in spec.fields}

        def department_name(code: str) -> str:
            d = self.catalog.departments.get(code)
            return gettext(locale, d.name) if d else code

        service_title, legal_basis = gettext(locale, spec.title), gettext(locale, spec.legal_basis)
        claim = subject.claim
        extra: dict[str, Any] = {}
        if claim is not None:
            # A subsidy claim: the program's own title and legal basis, and for the notice the payment.
            program = claim.program
            service_title, legal_basis = program.title.in_locale(locale), program.legal_basis.in_locale(locale)
            if request.kind == "payment_notice":
                extra.update(
                    payment_ref=claim.payment_ref,
                    paid_on=format_date(claim.paid_at or request.issued_at, locale),
                    paid_to=mask(claim.bank_account, "bank_account") if claim.bank_account else "",
                )
        asked = [t for t in tasks if t.key == request.task_key] if request.task_key else []
        if asked:
            extra["requested"] = [
                gettext(locale, labels.get(f, f)) for f in load_json(asked[0].requested_fields or "[]")
            ]
            extra["message"] = opened_text(asked[0].request_message, MESSAGE_FIELD)
        amount = format_money(Decimal(row.amount), locale) if row.amount else ""
        granted = grants_benefit(request, subject)
        if granted is not None:
            extra["benefit"] = benefit_lines(signed_benefit(granted), spec, locale)
            amount = "" if granted.suspended else amount
        if states_rights(request, subject):
            extra["rights"] = rights(locale)
        commitment_note: list[str] = []
        if spec.commitment is not None and await approved_on_commitment(request):
            proofs = ("、" if locale == "zh_CN" else ", ").join(
                gettext(locale, spec.field(n).label) for n in spec.commitment.replaces
            )
            commitment_note = [gettext(locale, ON_COMMITMENT, proofs=proofs, days=spec.commitment.post_check_days)]
        if await approved_by_rule(request):
            extra["by_rule"] = True
            # Every rule and check it met: the eligibility rules at filing, the route's checks since.
            results = load_json(row.rule_results or "[]") + load_json(row.check_results or "[]")
            extra["rules_met"] = [gettext(locale, r["message"]) for r in results if r["passed"]]
        return DocumentFacts(
            kind=request.kind,
            locale=locale,
            number="",
            ref=row.ref,
            issued_on=format_date(request.issued_at, locale),
            issuer=department_name(asked[0].department if asked else spec.owner),
            service_title=service_title,
            legal_basis=legal_basis,
            applicant_name=subject.applicant_name,
            applicant_id_label=gettext(
                locale,
                N_("Unified social credit code") if subject.enterprise_applicant else N_("Resident identity number"),
            ),
            applicant_id=subject.applicant_id,
            approved=request.outcome == "approved",
            filed_on=format_date(row.created_at, locale),
            reviews=[
                ReviewLine(
                    department=department_name(t.department),
                    stage=gettext(locale, stage_titles.get(t.stage_id, t.stage_title)),
                    verdict="approve" if t.state == "approved" else "reject",
                    comment=opened_text(t.comment, COMMENT_FIELD),
                    decided_on=format_date(t.decided_at, locale),
                )
                for t in tasks
                if t.state in ("approved", "rejected")
            ],
            # Why checks failed, on a refusal (one approved by a clerk after a failed check is not refused for
            # it); on an approval on commitment, the commitment it rests on.
            reasons=commitment_note
            if request.outcome == "approved"
            else [gettext(locale, c["message"]) for c in load_json(row.check_results or "[]") if not c["passed"]],
            amount=amount,
            time_limit_days=spec.time_limit_days,
            departments=[department_name(d) for d in spec.departments],
            **extra,
        )


def stated_benefit(facts: dict[str, Any], catalog: Catalog, locale: str) -> tuple[BenefitLines | None, str]:
    """What a document's signed facts say of the benefit it grants and of the applicant's rights to
    challenge it, in ``locale``, as its PDF words them (the verification shows them): (None, "")
    for a document that says neither."""
    stated = facts.get("benefit")
    lines = None
    if isinstance(stated, dict):
        spec = catalog.version(str(facts.get("service", "")), int(facts.get("service_version") or 0))
        lines = benefit_lines(stated, spec, locale)
    return lines, rights(locale) if facts.get("rights") else ""


async def store_pdf(
    store: ContentStore, key: str, data: bytes, timeline: Callable[[], Awaitable[object]] | None = None
) -> tuple[str, int]:
    """Store a document's PDF sealed and record it on its row, with ``timeline`` (a coroutine
    function) in the same transaction. The first PDF recorded is the document: a second one made
    at the same time (a retried issue, two first downloads) is dropped for it, and its stored copy
    deleted. Returns the SHA-256 and size of the PDF recorded."""
    sha256 = hashlib.sha256(data).hexdigest()
    # Storing waits for the disk or the network: off the event loop's thread.
    stored_as = await store_document(store, key, data)
    async with writing():
        recorded = (
            await Document.update(
                {Document.sha256: sha256, Document.stored_as: stored_as, Document.size: len(data), Document.content: ""}
            )
            .where((Document.key == key) & (Document.sha256 == ""))
            .returning(Document.id)
        )
        if recorded and timeline is not None:
            await timeline()
    if recorded:
        return sha256, len(data)
    # Sealing draws a fresh nonce, so the copy just stored is this attempt's alone: nothing refers to it.
    await delete_stored(store, stored_as)
    first = await Document.select(Document.sha256, Document.size).where(Document.key == key).first()
    assert first is not None, "the document was recorded by another attempt"
    return first["sha256"], first["size"]


async def make_on_download(store: ContentStore, renderer: RenderPool, document: Document) -> bytes:
    """The PDF of a document issued without one (``MADE_ON_DOWNLOAD``), made from what it said when
    it was issued, stored and recorded; ``document`` is updated to the row as recorded."""
    content = unseal(document.content, CONTENT_FIELD)
    assert content is not None, "a document made on download keeps what it says"
    facts = msgspec.json.decode(content, type=DocumentFacts)
    data = await renderer.render(facts)
    sha256, size = await store_pdf(store, document.key, data)
    if sha256 != hashlib.sha256(data).hexdigest():
        # Another download made it first: the document is the one recorded.
        row = await Document.select(Document.stored_as).where(Document.key == document.key).first()
        assert row is not None, "the document is recorded"
        data = await read_document(store, document.key, sha256, row["stored_as"])
    document.sha256, document.size, document.content = sha256, size, ""
    return data


async def revoke(document_id: int, revoked_by: int, category: RevocationCategory, reason: str) -> bool:
    """Revoke a valid document: the category for whoever verifies it, the department's own words
    sealed. Call inside a write transaction; False when the document is no longer valid."""
    changed = (
        await Document.update(
            {
                Document.status: "revoked",
                Document.revoked_at: now(),
                Document.revoked_by: revoked_by,
                Document.revocation_category: category,
                Document.revocation_reason: sealed_text(reason, REVOCATION_REASON_FIELD),
            }
        )
        .where((Document.id == document_id) & (Document.status == "valid"))
        .returning(Document.id)
    )
    if changed:
        await credential_issuing.revoke_for_document(document_id)
    return bool(changed)
