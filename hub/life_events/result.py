"""A life event's combined result (办理结果告知书): once every part is settled, one PDF listing each
part in the event's order, its service and state, and for a decided part each decision and
certificate with its number and verification code, so that each can be checked at /verify.

It is a summary, not an issued document: it has no number and is not signed, and it is made on
each download (it shows each listed document's status as it stands then). What it lists is what
verifies: every decision and certificate keeps its own page, PDF and signature on its request."""

from __future__ import annotations

from forms.catalog import Catalog
from hub.accounts import NAME_FIELD
from hub.actor import Actor
from hub.clock import now
from hub.context import HubContext
from hub.db.tables import Account, Document, ServiceRequest
from hub.documents.summaries import LifeEventResult, ResultPart, render_summary
from hub.errors import HubError, not_found
from hub.i18n import N_, format_date, gettext
from hub.life_events.filing import load, own_case
from hub.life_events.forms import part_spec
from hub.life_events.schedule import due_date
from hub.privacy import mask
from hub.requests.access import signed_in
from hub.sealing import unseal
from hub.uploads.files import FileContent

# The states a part ends in; the case is settled when every part is in one of them.
SETTLED = {
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "withdrawn": N_("Withdrawn"),
    "not_filed": N_("Not filed"),
}
SCHEDULED_ON = N_("To be applied for on {date}")
# The documents that decide a part, as the result lists them.
DECIDING = {"decision": N_("Decision notice"), "certificate": N_("Certificate of approval")}
STATUS = {"revoked": N_("Revoked"), "superseded": N_("Replaced by another document")}


def in_progress() -> HubError:
    return HubError(
        "conflict",
        "life-event-in-progress",
        N_("Not every part is settled yet"),
        N_("The combined result is ready once every part of the application is decided, withdrawn or not filed."),
    )


async def result_facts(catalog: Catalog, actor: Actor, ref: str, public_url: str) -> LifeEventResult:
    """What the applicant's settled case says, in the reader's language: 404 for anyone but its
    applicant, 409 while a part is still waiting or being decided."""
    user = signed_in(actor)
    case = await own_case(ref, user)
    parts = load(case.parts)
    # A part scheduled for years ahead (the allowance at 80) does not hold back what is decided now.
    if any(p["state"] not in SETTLED and p["state"] != "scheduled" for p in parts.values()):
        raise in_progress()
    event = catalog.life_events.get(case.event_id)
    if event is None:
        raise not_found()
    locale = actor.locale
    refs = [p["ref"] for p in parts.values() if p.get("ref")]
    requests = (
        {
            r["ref"]: r["id"]
            for r in await ServiceRequest.select(ServiceRequest.id, ServiceRequest.ref).where(
                ServiceRequest.ref.is_in(refs)
            )
        }
        if refs
        else {}
    )
    documents: dict[int, list[tuple[str, str, str, str]]] = {}
    if requests:
        for d in (
            await Document.select(
                Document.request, Document.kind, Document.number, Document.verification_code, Document.status
            )
            .where(Document.request.is_in(list(requests.values())) & Document.kind.is_in(list(DECIDING)))
            .order_by(Document.issued_at)
        ):
            documents.setdefault(d["request"], []).append(
                (
                    gettext(locale, DECIDING[d["kind"]]),
                    d["number"] or "",
                    d["verification_code"] or "",
                    gettext(locale, STATUS[d["status"]]) if d["status"] in STATUS else "",
                )
            )
    applicant_name, id_label, applicant_id = await _applicant(case.applicant)
    lines = []
    for part in event.order():
        if part.id not in parts:
            continue
        stored = parts[part.id]
        request_id = requests.get(stored.get("ref") or "")
        lines.append(
            ResultPart(
                service_title=gettext(locale, part_spec(catalog, part).title),
                state=gettext(locale, SETTLED[stored["state"]])
                if stored["state"] in SETTLED
                else gettext(locale, SCHEDULED_ON, date=format_date(due_date(stored) or now(), locale)),
                ref=stored.get("ref") or "",
                documents=documents.get(request_id, []) if request_id is not None else [],
            )
        )
    return LifeEventResult(
        locale=locale,
        ref=case.ref,
        title=gettext(locale, event.title),
        applicant_name=applicant_name,
        applicant_id_label=gettext(locale, id_label),
        applicant_id=applicant_id,
        filed_on=format_date(case.created_at, locale),
        made_on=format_date(now(), locale),
        verify_url=f"{public_url.rstrip('/')}/verify",
        parts=lines,
    )


async def _applicant(account_id: int) -> tuple[str, str, str]:
    """Who applied, as the result names them: a person by name and masked identity number, an
    enterprise by its name and unified social credit code (public on its business licence)."""
    row = (
        await Account.select(Account.full_name, Account.resident_id, Account.enterprise.name, Account.enterprise.uscc)
        .where(Account.id == account_id)
        .first()
    )
    assert row is not None, "a case's applicant is an account"
    if row["enterprise.uscc"]:
        return row["enterprise.name"], N_("Unified social credit code"), row["enterprise.uscc"]
    name = unseal(row["full_name"], NAME_FIELD) or ""
    return (
        name,
        N_("Resident identity number"),
        mask(unseal(row["resident_id"], "account.resident_id") or "", "resident_id"),
    )


async def result_pdf(ctx: HubContext, actor: Actor, ref: str) -> FileContent:
    """The combined result of the caller's settled case as a PDF, rendered on the render pool."""
    facts = await result_facts(ctx.catalog, actor, ref, ctx.settings.base_url)
    data = await render_summary(ctx.renderer, facts)
    return FileContent(data, "application/pdf", f"{ref}-result.pdf")
