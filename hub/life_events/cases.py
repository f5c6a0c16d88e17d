"""The life event cases in the database (the ``LifeEventCases`` port): a part filed as a service
request when its turn comes, what a decided part hands on, and each part's state on the case."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from forms.catalog import Catalog
from forms.spec import ServiceSpec
from forms.validation import CREDENTIAL_KEY, credential_answers
from hub.accounts import Principal, principal
from hub.audit import record
from hub.commitments import record_signature
from hub.db.records import add_timeline, first
from hub.db.tables import Account, Credential, Document, LifeEventCase, ServiceRequest
from hub.db.transactions import writing
from hub.errors import HubError
from hub.intake import request_input
from hub.life_events.filing import load
from hub.life_events.forms import filed_spec
from hub.life_events.schedule import check_scheduled
from hub.requests.filing import sealed
from hub.requests.materials import CredentialsInvalid, verify_credentials
from hub.requests.once import hold, holder_of
from hub.requests.references import new_ref
from hub.sealing import open_answers
from workflows.life_events.types import FilePart, PartChange, PartChecked, PartFiled, PartOutputs
from workflows.names import request_workflow_id


async def _with_handed_credentials(
    spec: ServiceSpec, answers: dict[str, Any], handed_on: dict[str, Any], applicant: Principal, at: dt.datetime
) -> dict[str, Any]:
    """The credentials an earlier part issued, in the proofs they stand in for, verified as filing
    verifies a credential the applicant names (the clerk sees what was checked)."""
    proofs = {n for n, v in handed_on.items() if n in spec.credential_fields and isinstance(v, str)}
    if not proofs:
        return answers
    answers = answers | {n: {CREDENTIAL_KEY: handed_on[n]} for n in proofs}
    others = {path for path, _, _ in credential_answers(spec, answers)} - proofs
    try:
        return await verify_credentials(spec, answers, applicant, at, skip=others)
    except CredentialsInvalid:
        # Revoked since it was issued: filed with the bare reference; the clerk's task checks its
        # status again and warns before anyone decides on it.
        return answers


class PiccoloLifeEventCases:
    def __init__(self, catalog: Catalog, enforce_once_per: bool = True):
        self._catalog = catalog
        self._enforce_once_per = enforce_once_per

    async def file_part(self, filing: FilePart) -> PartFiled:
        case = await LifeEventCase.objects().where(LifeEventCase.id == filing.case_id).first()
        assert case is not None, "a case's workflow runs for a stored case"
        event = self._catalog.life_events[case.event_id]
        stored = load(case.parts)[filing.part_id]
        spec = filed_spec(self._catalog, event.part(filing.part_id), stored)
        scope = f"life-event:{case.ref}:{filing.part_id}"
        answers = open_answers(spec.personal_fields, load(stored["answers"])) | dict(filing.handed_on)
        ref = new_ref(filing.at)
        account = await Account.objects().where(Account.id == case.applicant).first()
        assert account is not None, "a case's applicant is an account"
        applicant = principal(account)
        answers = await _with_handed_credentials(spec, answers, dict(filing.handed_on), applicant, filing.at)
        holder = holder_of(spec, applicant, answers) if self._enforce_once_per else None
        try:
            await self._store(filing, case, spec, scope, ref, answers, stored, holder, applicant)
        except HubError as refused:
            if refused.code != "already-applied":
                raise
            # Checked when the case was filed; an application made since (another case, a request
            # of its own) holds the place now, and the part is not filed.
            return PartFiled(blocked_by=refused.existing or "")
        row = await first(
            ServiceRequest, "SELECT id, ref, workflow_id FROM service_request WHERE idempotency_scope = {}", scope
        )
        assert row is not None
        return PartFiled(
            request_id=row["id"],
            ref=row["ref"],
            workflow_id=row["workflow_id"],
            # A part signed on commitment is approved on it, as a request of its own would be.
            start=request_input(row["id"], row["ref"], case.locale, spec, answers),
        )

    async def _store(
        self,
        filing: FilePart,
        case: LifeEventCase,
        spec: ServiceSpec,
        scope: str,
        ref: str,
        answers: dict[str, Any],
        stored: dict[str, Any],
        holder: str | None,
        applicant: Principal,
    ) -> None:
        """Store the part's request once (keyed by case and part), holding the applicant's place
        for a service granted once, and recording a commitment signed in place of its proofs, in
        the same transaction."""
        async with writing():
            inserted = (
                await ServiceRequest.insert(
                    ServiceRequest(
                        ref=ref,
                        workflow_id=request_workflow_id(ref),
                        service_id=spec.id,
                        service_version=spec.version,
                        applicant=case.applicant,
                        idempotency_scope=scope,
                        payload_hash=case.payload_hash,
                        state="submitted",
                        answers=sealed(spec, answers),
                        rule_results=stored["results"],
                        expected_amount=stored["expected"],
                        locale=case.locale,
                        created_at=filing.at,
                        updated_at=filing.at,
                        life_event_case=case.id,
                    )
                )
                .on_conflict(target=ServiceRequest.idempotency_scope, action="DO NOTHING")
                .returning(ServiceRequest.id)
            )
            if inserted:
                await hold(spec, holder, inserted[0]["id"], filing.at)
                # Signed when the case was filed, with the one form.
                await record_signature(spec, applicant, answers, inserted[0]["id"], case.created_at)
                await add_timeline(f"request:{inserted[0]['id']}:submitted", inserted[0]["id"], "submitted", filing.at)
                await record(None, None, "request.filed", "request", ref, service=spec.id, life_event=case.ref)

    async def check(self, filing: FilePart) -> PartChecked:
        return await check_scheduled(self._catalog, filing)

    async def outputs(self, request_id: int) -> PartOutputs:
        row = await first(ServiceRequest, "SELECT state FROM service_request WHERE id = {}", request_id)
        assert row is not None
        decision = await first(
            Document,
            "SELECT number FROM document WHERE request = {} AND kind = 'decision' ORDER BY issued_at DESC LIMIT 1",
            request_id,
        )
        issued = await first(
            Credential,
            "SELECT c.jti FROM credential c JOIN document d ON d.id = c.document"
            " WHERE d.request = {} AND c.status = 'valid' ORDER BY c.issued_at DESC LIMIT 1",
            request_id,
        )
        return PartOutputs(
            approved=row["state"] == "approved",
            decision_number=decision["number"] if decision else None,
            credential=issued["jti"] if issued else None,
        )

    async def change(self, change: PartChange) -> None:
        # Two parts may change at once (a rejected part and the part that waited for it): on
        # PostgreSQL the row is locked while its parts are read and written, so neither change is
        # lost; on SQLite the writing transaction already runs alone.
        lock = " FOR UPDATE" if isinstance(LifeEventCase._meta.db, PostgresEngine) else ""
        async with writing():
            case = await first(LifeEventCase, "SELECT parts FROM life_event_case WHERE id = {}" + lock, change.case_id)
            assert case is not None
            parts = load(case["parts"])
            parts[change.part_id] |= {"state": change.state, "detail": change.detail}
            if change.ref:
                parts[change.part_id]["ref"] = change.ref
            done = all(p["state"] in ("approved", "rejected", "withdrawn", "not_filed") for p in parts.values())
            await LifeEventCase.raw(
                "UPDATE life_event_case SET parts = {}, state = {}, updated_at = {} WHERE id = {}",
                json.dumps(parts, ensure_ascii=False),
                "done" if done else "in_progress",
                change.at,
                change.case_id,
            )
