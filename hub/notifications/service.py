"""The notification service: who is told about an event, in which words and on which channels, and
the hand-over of each message to its channel. The workflows reach it through their ``Notifier``
port (workflows/ports.py); this is the hub's adapter."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec
from babel import dates
from piccolo.query import Select
from temporalio.exceptions import ApplicationError

from forms.catalog import Catalog
from forms.programs import ProgramSpec
from hub import clock
from hub.accounts import NAME_FIELD
from hub.db.records import first, load_json
from hub.db.tables import (
    Account,
    AuditEvent,
    BenefitPayment,
    Claim,
    CommitmentRecord,
    Document,
    EntitlementChange,
    Message,
    MessagePreference,
    Program,
    ProgramMatch,
    ReviewTask,
    ServiceRequest,
)
from hub.documents.issuer import DEPARTMENT_CATEGORIES, REVOCATION_CATEGORIES
from hub.enterprises import APPROVER
from hub.feedback import escalation_recipients
from hub.i18n import N_, SUPPORTED, format_date, format_money, gettext
from hub.notifications import (
    STATE_AFTER,
    TOLD_CHANGES,
    claim_declined_event,
    claim_prepared_event,
    document_revoked_event,
    entitlement_change_event,
    language_of,
)
from hub.notifications.channels import ChannelError, EmailChannel, Outgoing, SmsGateway
from hub.notifications.quiet import held_until, parse_quiet_hours
from hub.notifications.templates import render, template_for
from hub.privacy import mask
from hub.requests.presenter import DOCUMENT_TITLES
from hub.sealing import seal, unseal
from hub.settings import Settings
from hub.sla.time_limits import reply_deadline
from hub.subsidies import WITHDRAWN_BEFORE_SUBMISSION, parse_spec, settle_waiting, withdrawn_before_submission
from workflows.notifications.types import CHANNELS, Channel, Delivered, NotifyEvent

OUTCOMES = {
    "approved": N_("approved"),
    "rejected": N_("not approved"),
    "revoked": N_("revoked"),
}
# Documents that are the decision itself (the receipt and requests for information are told apart).
NOT_DECISIONS = ("receipt", "information_request")
EXTERNAL: tuple[Channel, ...] = ("email", "sms")
# A message stored this long ago and still queued was left behind (a worker gone): the scheduled
# sender takes it; younger ones are still being sent by the activity that stored them.
LEFT_BEHIND = dt.timedelta(minutes=2)
# A clerk's change is told by the scheduled sender when telling it at once failed, this long after.
UNTOLD_WITHIN = dt.timedelta(days=7)
# Messages handed to their channels at once by one delivery (bench/notifications.py measured it).
HANDOVERS_AT_ONCE = 8
# A department correcting or revoking a document it issued (``hub.documents.corrections``).
DOCUMENT_EVENTS = ("document_corrected", "document_revoked")


def mask_email(address: str) -> str:
    """``zhang.wei@example.cn`` -> ``z***@example.cn``."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    digits = number.strip()
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def recent_revocations(now: dt.datetime) -> Select:
    """Documents their department revoked in the last week (but not in the last moments, which
    their own message is still being stored for), read from the index of revoked documents."""
    return Document.select(Document.id, Document.key, Document.request, Document.request.applicant).where(
        (Document.revoked_at > now - UNTOLD_WITHIN)
        & (Document.revoked_at < now - LEFT_BEHIND)
        & (Document.status == "revoked")
        & Document.revocation_category.is_in(list(DEPARTMENT_CATEGORIES))
    )


class Recipient:
    def __init__(self, account_id: int, locale: str, email: str, phone: str, chosen: list[str]):
        self.account_id = account_id
        self.locale = locale
        self.addresses: dict[Channel, str] = {"email": email, "sms": phone}
        self.chosen = chosen

    def channels(self, mandatory: bool) -> list[Channel]:
        """The hub always; then what the person chose and can be reached on. A mandatory message
        goes on one more channel even when none was chosen, if the person can be reached on one."""
        reachable = [c for c in EXTERNAL if self.addresses[c]]
        chosen = [c for c in reachable if c in self.chosen]
        if mandatory and not chosen and reachable:
            chosen = reachable[-1:]  # an SMS is read sooner than an email
        return ["hub", *chosen]


async def recipient(account_id: int) -> Recipient | None:
    account = await Account.select(Account.id, Account.locale).where(Account.id == account_id).first()
    if account is None:
        return None
    pref = (
        await MessagePreference.select().where(MessagePreference.account == account_id).output(load_json=True).first()
    )
    if pref is None:
        return Recipient(account_id, language_of(account["locale"], None), "", "", [])
    return Recipient(
        account_id,
        language_of(account["locale"], pref["locale"]),
        unseal(pref["email"], "message_preference.email") or "",
        unseal(pref["phone"], "message_preference.phone") or "",
        list(pref["channels"] or []),
    )


def preferred(account_id: int, locale: str, pref: dict[str, Any] | None) -> Recipient:
    """A person as their account and message preference (if they stated one) read."""
    if pref is None:
        return Recipient(account_id, language_of(locale, None), "", "", [])
    return Recipient(
        account_id,
        language_of(locale, pref["locale"]),
        unseal(pref["email"], "message_preference.email") or "",
        unseal(pref["phone"], "message_preference.phone") or "",
        list(load_json(pref["channels"]) or []),
    )


async def recipients(account_ids: list[int]) -> dict[int, Recipient]:
    """``recipient`` for many accounts, read in a few queries (a program's batch tells hundreds)."""
    found: dict[int, Recipient] = {}
    for start in range(0, len(account_ids), 500):
        ids = account_ids[start : start + 500]
        accounts = await Account.select(Account.id, Account.locale).where(Account.id.is_in(ids))
        prefs = {
            p["account"]: p
            for p in await MessagePreference.select().where(MessagePreference.account.is_in(ids)).output(load_json=True)
        }
        for account in accounts:
            found[account["id"]] = preferred(account["id"], account["locale"], prefs.get(account["id"]))
    return found


class HubNotifier:
    """Implements the workflows' ``Notifier`` port on the hub's database and channels."""

    def __init__(self, settings: Settings, catalog: Catalog, email: EmailChannel, sms: SmsGateway):
        self.settings = settings
        self.catalog = catalog
        self.email = email
        self.sms = sms
        self.quiet = parse_quiet_hours(settings.sms_quiet_hours)

    # Who and what ----------------------------------------------------------------------------------

    async def _recipient_ids(self, event: NotifyEvent, audience: str, request: dict[str, Any] | None) -> list[int]:
        if audience == "applicant":
            if request is None and event.account_id is not None:
                return [event.account_id]  # told of something of their own that is no request (a case)
            return [request["applicant"]] if request else []
        if audience == "staff":
            named = [event.account_id] if event.account_id is not None else []
            # An overdue task is escalated: others in the department hear of it too (below).
            if named and event.kind != "task_overdue":
                return named
            if event.kind == "case_overdue":
                # A case escalated: its department's supervisors, or the oversight office, hear of it.
                return await escalation_recipients(event.detail.get("case", ""))
            task = await ReviewTask.select(ReviewTask.department).where(ReviewTask.key == event.task_key).first()
            if task is None:
                return named
            # Nobody holds the task (or it is overdue): the department's supervisors hear of it, or
            # where it has none, its clerks, so that someone who can take the task over knows.
            same_department = Account.department == task["department"]
            for role in ("supervisor", "clerk"):
                rows = await Account.select(Account.id).where((Account.role == role) & same_department)
                if rows:
                    return list(dict.fromkeys([*named, *(r["id"] for r in rows)]))
            return named
        if audience == "enterprise" and event.account_id is not None:
            return [event.account_id]
        return []

    async def _values(self, event: NotifyEvent, request: dict[str, Any] | None, locale: str) -> dict[str, str]:
        values = {k: v for k, v in event.detail.items() if k not in ("message", "fields", "outcome")}
        spec = None
        if request is not None:
            spec = self.catalog.version(request["service_id"], request["service_version"])
            values["reference"] = request["ref"]
            values["service"] = gettext(locale, spec.title) if spec else request["service_id"]
        separator = "、" if locale == "zh_CN" else ", "
        if event.kind == "information_requested":
            names = [n for n in event.detail.get("fields", "").split(",") if n]
            labels = []
            for name in names:
                label = next((f.label for f in spec.fields if f.name == name), name) if spec else name
                labels.append(gettext(locale, label))
            values["fields"] = separator.join(labels) or gettext(locale, N_("see the request's page"))
            values["deadline"] = format_date(reply_deadline(event.at, self.settings), locale)
        if event.kind == "request_decided" and request is not None:
            outcome = event.detail.get("outcome", "")
            values["outcome"] = gettext(locale, OUTCOMES.get(outcome, outcome))
            kinds = await Document.select(Document.kind).where(Document.request == request["id"]).order_by(Document.id)
            titles = [
                gettext(locale, DOCUMENT_TITLES.get(d["kind"], d["kind"]))
                for d in kinds
                if d["kind"] not in NOT_DECISIONS
            ]
            values["documents"] = separator.join(dict.fromkeys(titles)) or "-"
        if event.kind == "case_overdue" and "due" in event.detail:
            values["due"] = format_date(dt.datetime.fromisoformat(event.detail["due"]), locale)
        if event.task_key is not None:
            task = (
                await ReviewTask.select(ReviewTask.stage_title, ReviewTask.due_at)
                .where(ReviewTask.key == event.task_key)
                .first()
            )
            if task is not None:
                values["step"] = gettext(locale, task["stage_title"])
                values["due"] = format_date(task["due_at"], locale)
        return values

    async def _paid(self, event: NotifyEvent) -> list[tuple[int, dict[str, Any]]]:
        """The beneficiaries a cycle's chunk paid who follow their benefit online, with what."""
        rows = await BenefitPayment.select(
            BenefitPayment.entitlement.account,
            BenefitPayment.service_id,
            BenefitPayment.period,
            BenefitPayment.amount_cents,
            BenefitPayment.entitlement.payee_account,
        ).where(
            (BenefitPayment.cycle == int(event.detail["cycle"]))
            & (BenefitPayment.state == "paid")
            & (BenefitPayment.entitlement > int(event.detail["after"]))
            & (BenefitPayment.entitlement <= int(event.detail["last"]))
            & BenefitPayment.entitlement.account.is_not_null()
        )
        return [(r["entitlement.account"], r) for r in rows]

    async def _eligible(self, event: NotifyEvent) -> list[tuple[int, dict[str, Any]]]:
        """The accounts of the enterprises a matching batch found eligible for a program: the
        legal representative's (approver) account, who decides on a claim."""
        program = int(event.detail["program"])
        matched = await ProgramMatch.select(ProgramMatch.enterprise).where(
            (ProgramMatch.program == program)
            & (ProgramMatch.eligible == True)  # noqa: E712 - a column compared, not a bool
            & (ProgramMatch.enterprise > int(event.detail["after"]))
            & (ProgramMatch.enterprise <= int(event.detail["last"]))
        )
        enterprises = [m["enterprise"] for m in matched]
        if not enterprises:
            return []
        row = await Program.select(Program.spec).where(Program.id == program).first()
        spec = ProgramSpec.model_validate(load_json(row["spec"])) if row else None
        accounts = await Account.select(Account.id, Account.enterprise_role).where(
            Account.enterprise.is_in(enterprises) & (Account.role == "enterprise")
        )
        return [(a["id"], {"program_spec": spec}) for a in accounts if a["enterprise_role"] in (None, "approver")]

    async def _approvers(self, event: NotifyEvent) -> list[tuple[int, dict[str, Any]]]:
        """The approvers (legal representatives) of the enterprise whose preparer prepared a claim,
        while it still waits for them, with what was prepared and by whom (the name masked)."""
        claim = await first(
            Claim,
            "SELECT c.enterprise, c.state, c.amount_cents, p.spec, a.full_name AS preparer FROM claim c "
            "JOIN program p ON p.id = c.program JOIN service_request r ON r.id = c.request "
            "JOIN account a ON a.id = r.applicant WHERE c.ref = {}",
            event.detail.get("claim", ""),
        )
        if claim is None or claim["state"] != "prepared":
            return []
        prepared = {
            "program_spec": parse_spec(claim["spec"]),
            "amount_cents": claim["amount_cents"],
            "name": mask(unseal(claim["preparer"], NAME_FIELD) or ""),
        }
        approving = await approvers([claim["enterprise"]])
        return [(account_id, prepared) for account_id in approving.get(claim["enterprise"], [])]

    async def _preparer(self, event: NotifyEvent) -> list[tuple[int, dict[str, Any]]]:
        """The preparer of a claim its enterprise's approver (``event.account_id``) declined, once it
        is declined, with what was prepared and who declined it (the name masked)."""
        claim = await first(
            Claim,
            "SELECT c.state, c.reason_code, c.submitted_by, c.amount_cents, p.spec, r.applicant, "
            "a.full_name AS approver FROM claim c JOIN program p ON p.id = c.program "
            "JOIN service_request r ON r.id = c.request JOIN account a ON a.id = {} WHERE c.ref = {}",
            event.account_id or 0,
            event.detail.get("claim", ""),
        )
        if claim is None or not withdrawn_before_submission(
            claim["state"], claim["reason_code"], claim["submitted_by"]
        ):
            return []
        told = {
            "program_spec": parse_spec(claim["spec"]),
            "amount_cents": claim["amount_cents"],
            "name": mask(unseal(claim["approver"], NAME_FIELD) or ""),
        }
        return [(claim["applicant"], told)]

    async def _stopped(self, event: NotifyEvent) -> list[tuple[int, dict[str, Any]]]:
        """The beneficiaries following their benefit online whose entitlement the chunk ended (a
        death is told to the family by the civil affairs office, not by a message to the account)."""
        rows = await EntitlementChange.select(
            EntitlementChange.entitlement.account,
            EntitlementChange.entitlement.service_id,
            EntitlementChange.period,
        ).where(
            (EntitlementChange.kind == "ended")
            & (EntitlementChange.period == event.detail["period"])
            & (EntitlementChange.reason_code != "death")
            & (EntitlementChange.entitlement > int(event.detail["after"]))
            & (EntitlementChange.entitlement <= int(event.detail["last"]))
            & EntitlementChange.entitlement.account.is_not_null()
        )
        return [
            (
                r["entitlement.account"],
                {"service_id": r["entitlement.service_id"], "period": r["period"], "stopped": True},
            )
            for r in rows
        ]

    def _person_values(
        self, event: NotifyEvent, extra: dict[str, Any], paid: dict[str, Any], shared: dict[str, str], locale: str
    ) -> dict[str, str]:
        """The values of one person's message in ``locale``: what the event says to everyone
        (``shared``) and what it says to them (``paid``: their payment, claim or document)."""
        values = dict(shared)
        if "program_spec" in paid:
            spec = paid["program_spec"]
            values["program"] = spec.title.in_locale(locale) if spec else ""
            if event.kind in ("claim_prepared", "claim_declined"):  # what was prepared, and by whom
                values["amount"] = format_money(Decimal(paid["amount_cents"]) / 100, locale)
                values["name"] = paid["name"]
        elif event.kind in DOCUMENT_EVENTS:
            values.update(self._document_values(paid, locale))
        elif paid:
            values.update(self._payment_values(paid, locale))
        if "service" not in values and event.detail.get("service_id"):
            spec = self.catalog.latest(event.detail["service_id"])
            values["service"] = gettext(locale, spec.title) if spec else event.detail["service_id"]
        if "amount_cents" in extra:
            values["amount"] = format_money(Decimal(extra["amount_cents"]) / 100, locale)
        return values

    def _payment_values(self, paid: dict[str, Any], locale: str) -> dict[str, str]:
        spec = self.catalog.latest(paid["service_id"])
        year, month = (int(p) for p in paid["period"].split("-"))
        if paid.get("stopped"):
            return {
                "service": gettext(locale, spec.title) if spec else paid["service_id"],
                "period": dates.format_skeleton("yMMMM", dt.date(year, month, 1), locale=locale),
            }
        account = unseal(paid["entitlement.payee_account"], "entitlement.payee_account") or ""
        return {
            "service": gettext(locale, spec.title) if spec else paid["service_id"],
            "period": dates.format_skeleton("yMMMM", dt.date(year, month, 1), locale=locale),
            "amount": format_money(Decimal(paid["amount_cents"]) / 100, locale),
            # The last four digits only: the beneficiary knows their own account by them.
            "account": account[-4:] if account else "-",
        }

    async def _resolved(self, event: NotifyEvent) -> tuple[str, dict[str, Any]]:
        """The template an event is told with, and what it needs beyond the event: a commitment
        revoked with money paid on it is told with the amount to repay, urgently."""
        if event.kind == "commitment_revoked" and event.request_id is not None:
            row = (
                await CommitmentRecord.select(CommitmentRecord.recovered_cents)
                .where(CommitmentRecord.request == event.request_id)
                .first()
            )
            if row is not None and int(row["recovered_cents"] or 0) > 0:
                return "commitment_revoked_repay", {"amount_cents": int(row["recovered_cents"])}
        return event.kind, {}

    async def _changed_document(self, event: NotifyEvent) -> dict[str, str] | None:
        """What a correction or a revocation is told with (the document's kind, its number, the
        earlier one's or the public category), or None when it is not to be told: a correction
        whose earlier document was revoked meanwhile is revoked with it (the revocation is told),
        and so is not told as a revocation of its own either. Never the department's own words."""
        keys = [event.detail.get("document_key", ""), event.detail.get("previous_key", "")]
        rows = {
            r["key"]: r
            for r in await Document.select(
                Document.key,
                Document.kind,
                Document.number,
                Document.status,
                Document.revocation_category,
                Document.superseded_by,
            ).where(Document.key.is_in([k for k in keys if k]))
        }
        document, previous = rows.get(keys[0]), rows.get(keys[1])
        if document is None:
            return None
        told = {"document": document["kind"], "number": document["number"] or ""}
        if event.kind == "document_corrected":
            if previous is None or previous["status"] != "superseded" or previous["superseded_by"] != document["key"]:
                return None
            return {**told, "previous_number": previous["number"] or ""}
        if (
            document["status"] != "revoked"
            or document["revocation_category"] not in DEPARTMENT_CATEGORIES
            or await revoked_with_predecessor([document["key"]])
        ):
            return None
        return {**told, "category": document["revocation_category"]}

    def _document_values(self, change: dict[str, str], locale: str) -> dict[str, str]:
        values = {
            "document": gettext(locale, DOCUMENT_TITLES.get(change["document"], change["document"])),
            "number": change["number"],
        }
        if "previous_number" in change:
            values["previous_number"] = change["previous_number"]
        if "category" in change:
            values["category"] = gettext(locale, REVOCATION_CATEGORIES[change["category"]])
        return values

    def _link(self, event: NotifyEvent, audience: str, request: dict[str, Any] | None) -> str:
        if event.kind.startswith("payment_") or event.kind.startswith("benefit_"):
            return "/benefits"
        if event.kind == "policy_matched":
            return "/policies"
        if event.kind in ("claim_prepared", "claim_declined"):
            return "/claims"  # where the approver submits or declines it, and the preparer sees it
        if event.kind == "case_overdue":
            return "/workbench/cases"
        if event.kind == "case_answered":
            return f"/feedback/{event.detail.get('case', '')}"
        if audience == "staff":
            return "/workbench"
        return f"/requests/{request['ref']}" if request else "/messages"

    # The port --------------------------------------------------------------------------------------

    async def store(self, event: NotifyEvent) -> list[str]:
        """One message per recipient and channel, stored under its key before anything is sent;
        returns the keys of those still to be sent (email, SMS)."""
        kind, extra = await self._resolved(event)
        template = template_for(kind)
        request = None
        if event.request_id is not None:
            request = (
                await ServiceRequest.select(
                    ServiceRequest.id,
                    ServiceRequest.ref,
                    ServiceRequest.service_id,
                    ServiceRequest.service_version,
                    ServiceRequest.applicant,
                )
                .where(ServiceRequest.id == event.request_id)
                .first()
            )
        now = clock.now()
        rows: list[dict[str, Any]] = []
        outbound: list[str] = []
        if event.kind == "payment_made":
            targets = await self._paid(event)
        elif event.kind == "payment_stopped":
            targets = await self._stopped(event)
        elif event.kind == "policy_matched":
            targets = await self._eligible(event)
        elif event.kind == "claim_prepared":
            targets = await self._approvers(event)
        elif event.kind == "claim_declined":
            targets = await self._preparer(event)
        elif event.kind in ("benefit_suspended", "benefit_ended", "benefit_resumed"):
            # The beneficiary who follows the benefit online (others are told by letter).
            targets = [(event.account_id, {})] if event.account_id is not None else []
        elif event.kind in DOCUMENT_EVENTS:
            change = await self._changed_document(event)
            targets = (
                [(a, change) for a in await self._recipient_ids(event, template.audience, request)] if change else []
            )
        else:
            targets = [(a, {}) for a in await self._recipient_ids(event, template.audience, request)]
        # Stored by an earlier attempt: those messages stand (a choice changed since adds none).
        candidates = [f"{event.key}:{account_id}:{c}" for account_id, _ in targets for c in CHANNELS]
        if candidates:
            earlier = await Message.select(Message.key, Message.channel).where(Message.key.is_in(candidates))
            if earlier:
                if event.kind == "claim_prepared":
                    await settle_waiting(event.detail.get("claim", ""))  # an attempt stopped before it did
                return [r["key"] for r in earlier if r["channel"] != "hub"]
        people = await recipients(list(dict.fromkeys(account_id for account_id, _ in targets)))
        # What the event says, the same for everyone it is told to, in each language.
        shared = {locale: await self._values(event, request, locale) for locale in SUPPORTED} if people else {}
        for account_id, paid in targets:
            person = people.get(account_id)
            if person is None:
                continue
            in_each = {locale: self._person_values(event, extra, paid, shared[locale], locale) for locale in SUPPORTED}
            self.message_rows(
                event.key, kind, person, in_each, self._link(event, template.audience, request), now, rows, outbound
            )
        if rows:
            await Message.insert(*(Message(**row) for row in rows)).on_conflict(target=Message.key, action="DO NOTHING")
        if event.kind == "claim_prepared":
            # Submitted or declined while these were being stored: they say so at once.
            await settle_waiting(event.detail.get("claim", ""))
        return outbound

    def message_rows(
        self,
        event_key: str,
        kind: str,
        person: Recipient,
        in_each: Mapping[str, dict[str, str]],
        link: str,
        now: dt.datetime,
        rows: list[dict[str, Any]],
        outbound: list[str],
    ) -> None:
        """Add the messages of one event to one person, one per channel, to ``rows`` (a message's
        columns, stored under ``<event>:<account>:<channel>``), and the keys of those still to be
        sent to ``outbound``. ``in_each`` holds the template's values in each of the hub's
        languages: an email or an SMS goes in the person's language; the hub's message is kept in
        every language, and read in the one the person's messages are in when it is read
        (``hub.notifications.message_language``)."""
        template = template_for(kind)
        rendered = {locale: render(kind, locale, values) for locale, values in in_each.items()}
        subject, body, sms = rendered[person.locale]
        renderings = msgspec.json.encode({locale: [s, b] for locale, (s, b, _) in rendered.items()}).decode()
        for channel in person.channels(template.mandatory):
            key = f"{event_key}:{person.account_id}:{channel}"
            address = person.addresses.get(channel, "") if channel != "hub" else ""
            rows.append(
                {
                    "key": key,
                    "account": person.account_id,
                    "kind": kind,
                    "channel": channel,
                    "mandatory": template.mandatory,
                    "urgent": template.urgent,
                    "locale": person.locale,
                    "subject": subject,
                    "body": sms if channel == "sms" else body,
                    "renderings": renderings if channel == "hub" else "{}",
                    "link": link,
                    "address": seal(address, "message.address") if address else "",
                    "state": "delivered" if channel == "hub" else "queued",
                    "created_at": now,
                    "delivered_at": now if channel == "hub" else None,
                    "not_before": held_until(self.quiet, now) if channel == "sms" and not template.urgent else None,
                }
            )
            if channel != "hub":
                outbound.append(key)

    async def deliver(self, keys: list[str], final: bool) -> Delivered:
        """Hand each message still queued (and not held) to its channel and record the outcome,
        ``HANDOVERS_AT_ONCE`` at a time: most of a hand-over is waiting for the mail server or the
        gateway to answer."""
        now = clock.now()
        query = Message.select().where(Message.state == "queued")
        if keys:
            query = query.where(Message.key.is_in(keys))
        else:
            # Held for quiet hours and now due, or left behind by a worker that stopped.
            left_behind = (Message.channel != "hub") & (
                (Message.created_at < now - LEFT_BEHIND)
                | (Message.not_before.is_not_null() & (Message.not_before <= now))
            )
            late = (
                await self._tell_untold_changes(now)
                + await self._tell_untold_revocations(now)
                + await self._tell_untold_prepared_claims(now)
                + await self._tell_untold_declined_claims(now)
            )
            query = query.where((left_behind | Message.key.is_in(late)) if late else left_behind)
        done = Delivered()
        errors: list[str] = []
        gate = asyncio.Semaphore(HANDOVERS_AT_ONCE)

        async def one(row: dict[str, Any]) -> None:
            async with gate:
                await self._hand_over(row, final, done, errors)

        rows = [r for r in await query.order_by(Message.id) if r["not_before"] is None or r["not_before"] <= now]
        # (Held for quiet hours: the scheduled sender takes those then.)
        await asyncio.gather(*(one(row) for row in rows))
        if errors:
            # Retried by Temporal with backoff; the last attempt marks them failed.
            raise ApplicationError("not sent: " + "; ".join(errors), type="ChannelError")
        return done

    async def _tell_untold_changes(self, now: dt.datetime) -> list[str]:
        """Suspensions, endings and resumptions clerks made in the last week, still in force, whose beneficiary
        was not told (Temporal was unreachable when the change was made): told now; returns the keys
        to send. An ending by a broken commitment is told as the revoked approval, not here."""
        found = await EntitlementChange.select(
            EntitlementChange.id,
            EntitlementChange.key,
            EntitlementChange.kind,
            EntitlementChange.entitlement.state,
            EntitlementChange.entitlement.account,
            EntitlementChange.entitlement.request,
            EntitlementChange.entitlement.service_id,
        ).where(
            EntitlementChange.kind.is_in(list(TOLD_CHANGES))
            & (EntitlementChange.reason_code == "clerk")
            & (EntitlementChange.at > now - UNTOLD_WITHIN)
            & (EntitlementChange.at < now - LEFT_BEHIND)
            & EntitlementChange.entitlement.account.is_not_null()
        )
        rows = [
            r
            for r in found
            if r["entitlement.state"] == STATE_AFTER[r["kind"]] and not r["key"].endswith(":commitment-broken")
        ]
        if not rows:
            return []
        told = {
            r["key"]
            for r in await Message.select(Message.key).where(
                Message.key.is_in([f"entitlement-change-{r['id']}:{r['entitlement.account']}:hub" for r in rows])
            )
        }
        keys: list[str] = []
        for r in rows:
            if f"entitlement-change-{r['id']}:{r['entitlement.account']}:hub" in told:
                continue
            keys += await self.store(
                entitlement_change_event(
                    r["id"],
                    TOLD_CHANGES[r["kind"]],
                    r["entitlement.account"],
                    r["entitlement.request"],
                    r["entitlement.service_id"],
                )
            )
        return keys

    async def _tell_untold_revocations(self, now: dt.datetime) -> list[str]:
        """Documents their department revoked in the last week whose applicant was not told
        (Temporal was unreachable when it was revoked): told now; returns the keys to send."""
        found = await recent_revocations(now)
        if not found:
            return []
        with_predecessor = await revoked_with_predecessor([r["key"] for r in found])
        rows = [r for r in found if r["key"] not in with_predecessor]
        hub_keys = {r["id"]: f"document-{r['id']}:revoked:{r['request.applicant']}:hub" for r in rows}
        told = {r["key"] for r in await Message.select(Message.key).where(Message.key.is_in(list(hub_keys.values())))}
        keys: list[str] = []
        for r in rows:
            if hub_keys[r["id"]] not in told:
                keys += await self.store(document_revoked_event(r["id"], r["key"], r["request"]))
        return keys

    async def _tell_untold_prepared_claims(self, now: dt.datetime) -> list[str]:
        """Claims a preparer prepared in the last week, still waiting, whose approvers were not told
        (Temporal was unreachable when it was prepared): told now; returns the keys to send."""
        claims = await Claim.select(Claim.ref, Claim.workflow_id, Claim.request, Claim.enterprise).where(
            (Claim.state == "prepared")
            & (Claim.updated_at > now - UNTOLD_WITHIN)
            & (Claim.updated_at < now - LEFT_BEHIND)
        )
        if not claims:
            return []
        approving = await approvers([c["enterprise"] for c in claims])
        hub_keys = {
            c["ref"]: [f"{c['workflow_id']}:claim_prepared:{a}:hub" for a in approving.get(c["enterprise"], [])]
            for c in claims
        }
        wanted = [k for keys in hub_keys.values() for k in keys]
        if not wanted:
            return []
        told = {r["key"] for r in await Message.select(Message.key).where(Message.key.is_in(wanted))}
        keys: list[str] = []
        for c in claims:
            if hub_keys[c["ref"]] and not told.intersection(hub_keys[c["ref"]]):
                keys += await self.store(claim_prepared_event(c["workflow_id"], c["ref"], c["request"]))
        return keys

    async def _tell_untold_declined_claims(self, now: dt.datetime) -> list[str]:
        """Claims an approver declined in the last week whose preparer was not told (Temporal was
        unreachable then): told now, naming who declined it from its audit event; returns the keys
        to send."""
        claims = await Claim.select(Claim.ref, Claim.workflow_id, Claim.request, Claim.request.applicant).where(
            WITHDRAWN_BEFORE_SUBMISSION
            & (Claim.updated_at > now - UNTOLD_WITHIN)
            & (Claim.updated_at < now - LEFT_BEHIND)
        )
        if not claims:
            return []
        by = {
            e["object_id"]: e["actor"]
            for e in await AuditEvent.select(AuditEvent.object_id, AuditEvent.actor).where(
                (AuditEvent.action == "claim.declined") & AuditEvent.object_id.is_in([c["ref"] for c in claims])
            )
        }
        hub_keys = {c["ref"]: f"{c['workflow_id']}:claim_declined:{c['request.applicant']}:hub" for c in claims}
        told = {r["key"] for r in await Message.select(Message.key).where(Message.key.is_in(list(hub_keys.values())))}
        keys: list[str] = []
        for c in claims:
            # A claim its preparer took back was withdrawn, not declined: it has no such event.
            if by.get(c["ref"]) is not None and hub_keys[c["ref"]] not in told:
                keys += await self.store(claim_declined_event(c["workflow_id"], c["ref"], c["request"], by[c["ref"]]))
        return keys

    async def _hand_over(self, row: dict[str, Any], final: bool, done: Delivered, errors: list[str]) -> None:
        if row["sending_since"] is not None and row["channel"] == "email":
            # Handed to the mail server by an attempt that never recorded the outcome (the worker
            # died): it may have gone, and an email cannot be taken back, so it is not sent twice.
            await self._fail(row, "interrupted while handing over to the mail server; it may have been sent")
            done.failed += 1
            return
        # Taken only if still queued and not taken since it was read: of two attempts at once (a
        # resend and the sweep, a retry and the sweep) one hands it over. (An SMS found half-sent
        # is taken again: the gateway keeps one per id.)
        unsent = (Message.id == row["id"]) & (Message.state == "queued")
        taken = (
            await Message.update({Message.sending_since: clock.now(), Message.attempts: Message.attempts + 1})
            .where(unsent & Message.sending_since.is_null() if row["sending_since"] is None else unsent)
            .returning(Message.id)
        )
        if not taken:
            return
        outgoing = Outgoing(
            key=row["key"],
            to=unseal(row["address"], "message.address") or "",
            locale=row["locale"],
            subject=row["subject"],
            body=f"{row['body']}\n\n{self.settings.base_url.rstrip('/')}{row['link']}",
            sms=row["body"],
        )
        try:
            # An SMS found half-sent is sent again under the same id: the gateway keeps one.
            channel = self.email if row["channel"] == "email" else self.sms
            provider_id = await channel.send(outgoing)
            if self.settings.fault_exit_after == "notification-sent" and row["channel"] == "email":
                # Resilience testing only: die after an email's hand-over, before its outcome is recorded.
                os._exit(70)
        except ChannelError as exc:
            if final or exc.permanent:
                await self._fail(row, exc.reason)
                done.failed += 1
            else:
                await Message.update({Message.sending_since: None, Message.reason: exc.reason}).where(
                    Message.id == row["id"]
                )
                errors.append(f"{row['key']}: {exc.reason}")
            return
        await Message.update(
            {
                Message.state: "sent",
                Message.sent_at: clock.now(),
                Message.provider_id: provider_id[:100],
                Message.sending_since: None,
                Message.reason: "",
            }
            # Sent, whatever another attempt concluded meanwhile (one that found it being handed
            # over took it for interrupted): the mail server or the gateway has it.
        ).where((Message.id == row["id"]) & Message.state.is_in(["queued", "failed"]))
        done.sent += 1

    async def _fail(self, row: dict[str, Any], reason: str) -> None:
        await Message.update({Message.state: "failed", Message.reason: reason, Message.sending_since: None}).where(
            (Message.id == row["id"]) & (Message.state == "queued")
        )


async def approvers(enterprise_ids: list[int]) -> dict[int, list[int]]:
    """The accounts that submit for these enterprises, by enterprise: their legal representatives
    (an account made without an enterprise role counts as one)."""
    rows = await Account.select(Account.id, Account.enterprise, Account.enterprise_role).where(
        Account.enterprise.is_in(list(dict.fromkeys(enterprise_ids))) & (Account.role == "enterprise")
    )
    found: dict[int, list[int]] = {}
    for r in rows:
        if r["enterprise_role"] in (None, APPROVER):
            found.setdefault(r["enterprise"], []).append(r["id"])
    return found


async def revoked_with_predecessor(keys: list[str]) -> set[str]:
    """Of these documents, the corrections revoked with the document they correct (revoked while
    its correction was being made): the department revoked that one, not these."""
    if not keys:
        return set()
    rows = await Document.select(Document.superseded_by).where(
        Document.superseded_by.is_in(keys) & (Document.status == "revoked")
    )
    return {r["superseded_by"] for r in rows}
