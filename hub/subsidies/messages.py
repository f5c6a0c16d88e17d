"""What an enterprise is told of its claims: paid, refused, and (its approver) prepared for them.

A claim's payment and its refusal are told in the transaction that records them, through the
outbox the worker gives the adapters (``hub.notifications.outbox``), with no workflow step of their
own: an instant claim is the benchmark's hot path, and a ``notify`` activity would cost it a round
through Temporal and another workflow task. The payment is told with the payment notice's
registration (``hub.documents.issuer``), the only moment its number exists; a refusal with the
claim's change (``records.PiccoloClaimRecords.change``). A claim its preparer prepared waits for
the approver outside any workflow, and is announced by ``claiming.file_claim``.

Told to the claim request's applicant (the account that claimed, or that a program paying
automatically claimed for) and, when someone else submitted it (the approver, for a prepared
claim), to them too.

The approvers' message that a prepared claim waits for them stops saying so once it no longer
waits (``settle_waiting``): it then says what became of the claim, and is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import msgspec
from piccolo.engine.postgres import PostgresEngine

from forms.programs import ProgramSpec
from hub import clock
from hub.db.records import first
from hub.db.tables import Account, AuditEvent, Claim, Message
from hub.db.transactions import writing
from hub.i18n import N_, SUPPORTED, format_datetime, format_money, gettext, supported
from hub.subsidies.claims import CLAIM_REASONS, withdrawn_before_submission
from hub.subsidies.people import person_named, withdrawal_of
from hub.subsidies.programs import parse_spec
from workflows.names import claim_workflow_id
from workflows.notifications.types import CHANNELS

# The refusals told in a few words, for an SMS (the message gives the whole reason).
CLAIM_CAUSES = {
    "ineligible": N_("Not eligible"),
    "program_closed": N_("Program closed"),
    "budget_exhausted": N_("Budget used up"),
    "review_ended": N_("Review ended"),
    "payment_refused": N_("Payment failed"),
}
# What the approvers' message of a prepared claim says once the claim no longer waits for them:
# its subject and text, by what became of the claim.
SETTLED = {
    "submitted": (
        N_("Claim submitted: {program}, {amount}"),
        N_(
            "The claim of {amount} for {program} (claim {reference}), prepared by {name}, was submitted "
            "by {by} on {when}. It no longer waits for confirmation; its progress is on the claims page."
        ),
    ),
    "declined": (
        N_("Claim declined: {program}, {amount}"),
        N_(
            "The claim of {amount} for {program} (claim {reference}), prepared by {name}, was declined "
            "by {by} on {when}: nothing was submitted or paid, and nothing waits for confirmation."
        ),
    ),
    "withdrawn": (
        N_("Claim withdrawn: {program}, {amount}"),
        N_(
            "The claim of {amount} for {program} (claim {reference}) was withdrawn by {name}, who "
            "prepared it, on {when}: nothing was submitted or paid, and nothing waits for confirmation."
        ),
    ),
}
# Refusals the enterprise hears of otherwise: a rejection in review is told as the review's decision
# (``request_decided``); a withdrawal is the enterprise's own doing.
TOLD_ELSEWHERE = ("rejected_in_review", "withdrawn")


class MessageOutbox(Protocol):
    """Where a claim's messages are recorded (``hub.notifications.outbox.Outbox``)."""

    async def people(self, account_ids: list[int]) -> Any:
        """Who is told, read before the transaction that records the messages."""
        ...

    async def record(
        self, key: str, kind: str, people: Any, values: Callable[[str], dict[str, str]], link: str
    ) -> list[str]:
        """Store the messages in the caller's transaction; the keys of those to send."""
        ...

    def send(self, keys: list[str]) -> None:
        """Send them once the transaction is committed."""
        ...


def claim_page(ref: str) -> str:
    """Where a claim's messages lead: its request's page, with its timeline and documents."""
    return f"/requests/{ref}"


def account_tail(account: str) -> str:
    """The settlement account as a message names it: its last four digits (``****6543``)."""
    return f"****{account[-4:]}" if len(account) >= 4 else "-"


def told_to(applicant: int | None, submitted_by: int | None) -> list[int]:
    """The accounts told of a claim: its applicant and whoever submitted it, once each."""
    return [a for a in dict.fromkeys((applicant, submitted_by)) if a is not None]


@dataclass(frozen=True)
class PaidMessage:
    """The message telling an enterprise its claim was paid: its people read before the payment
    notice's registration, recorded in its transaction once the notice has its number."""

    outbox: MessageOutbox
    ref: str
    people: Any
    program: ProgramSpec
    amount: Decimal
    account: str

    async def record(self, number: str) -> list[str]:
        """Store it with the notice numbered ``number``; the keys to send once committed."""

        def values(locale: str) -> dict[str, str]:
            return {
                "reference": self.ref,
                "program": self.program.title.in_locale(locale),
                "amount": format_money(self.amount, locale),
                "account": account_tail(self.account),
                "number": number,
            }

        key = f"{claim_workflow_id(self.ref)}:subsidy_paid"
        return await self.outbox.record(key, "subsidy_paid", self.people, values, claim_page(self.ref))


async def paid_message(
    outbox: MessageOutbox,
    ref: str,
    account_ids: list[int],
    program: ProgramSpec,
    amount: Decimal,
    account: str,
) -> PaidMessage:
    """The paid message of claim ``ref`` (its amount, paid into ``account``), its people read now."""
    return PaidMessage(outbox, ref, await outbox.people(account_ids), program, amount, account)


async def record_refusal(outbox: MessageOutbox, claim_id: int, reason: str) -> list[str]:
    """Store the message telling an enterprise why its claim was refused (or its payment refused by
    the bank), inside the transaction that records it; the keys to send once committed. A refusal
    the enterprise hears of otherwise (``TOLD_ELSEWHERE``) is not told again."""
    if reason in TOLD_ELSEWHERE or reason not in CLAIM_REASONS:
        return []
    claim = await first(
        Claim,
        "SELECT c.ref, c.workflow_id, c.submitted_by, r.applicant, p.spec FROM claim c "
        "JOIN program p ON p.id = c.program LEFT JOIN service_request r ON r.id = c.request WHERE c.id = {}",
        claim_id,
    )
    if claim is None:
        return []
    program = parse_spec(claim["spec"])
    people = await outbox.people(told_to(claim["applicant"], claim["submitted_by"]))

    def values(locale: str) -> dict[str, str]:
        return {
            "reference": claim["ref"],
            "program": program.title.in_locale(locale),
            "reason": gettext(locale, CLAIM_REASONS[reason]),
            "cause": gettext(locale, CLAIM_CAUSES.get(reason, N_("Refused"))),
        }

    key = f"{claim['workflow_id']}:claim_refused"
    return await outbox.record(key, "claim_refused", people, values, claim_page(claim["ref"]))


# Why an email or SMS that a claim waits for its approver was not sent after all.
NO_LONGER_WAITS = "the claim no longer waits for its approver"


async def still_waits(message_key: str) -> bool:
    """Whether the claim a ``claim_prepared`` message (by its key) tells of still waits for its approver."""
    claim = await Claim.select(Claim.state).where(Claim.workflow_id == message_key.split(":", 1)[0]).first()
    return claim is not None and claim["state"] == "prepared"


async def settle_waiting(ref: str) -> int:
    """Once claim ``ref``, prepared by its preparer, no longer waits for its approver (submitted,
    declined, or taken back by its preparer), its approvers' messages in the hub that it waits say
    what became of it instead, and are read: they ask nothing more of anyone. Its emails and SMS not
    handed over yet (an SMS held for the quiet hours) are cancelled: they would tell the approver
    the claim waits when it no longer does. Returns how many hub messages were settled.

    Called in the transaction that changes the claim (by whichever process changes it), and after
    the messages are stored (by the worker, which may store them just after the claim changed): the
    claim's row is locked first, so one of the two always finds both the change and the messages.
    Settling again writes the same words."""
    lock = " FOR UPDATE OF c" if isinstance(Claim._meta.db, PostgresEngine) else ""
    async with writing():
        claim = await first(
            Claim,
            "SELECT c.ref, c.workflow_id, c.enterprise, c.state, c.reason_code, c.submitted_by, c.amount_cents, "
            "c.updated_at, p.spec, r.ref AS request_ref, r.applicant, a.full_name AS preparer FROM claim c "
            "JOIN program p ON p.id = c.program JOIN service_request r ON r.id = c.request "
            "JOIN account a ON a.id = r.applicant WHERE c.ref = {}" + lock,
            ref,
        )
        if claim is None or claim["state"] in ("offered", "prepared"):
            return 0
        people = await Account.select(Account.id, Account.full_name).where(Account.enterprise == claim["enterprise"])
        prefix = f"{claim['workflow_id']}:claim_prepared"
        keys = [f"{prefix}:{p['id']}:{channel}" for p in people for channel in CHANNELS]
        # Not taken by a hand-over yet (a queued one, or one failed that an administrator might
        # send again): one taken goes out, as the hand-over takes only a queued one.
        await Message.update({Message.state: "cancelled", Message.reason: NO_LONGER_WAITS}).where(
            Message.key.is_in(keys)
            & (Message.channel != "hub")
            & Message.state.is_in(["queued", "failed"])
            & Message.sending_since.is_null()
        )
        waiting = await Message.select(Message.id, Message.account, Message.locale, Message.read_at).where(
            Message.key.is_in(keys) & (Message.channel == "hub")
        )
        if not waiting:
            return 0
        if withdrawn_before_submission(claim["state"], claim["reason_code"], claim["submitted_by"]):
            event = await withdrawal_of(claim["request_ref"])
            if event is None:
                return 0  # recorded after the claim's change, in its transaction: settled then
            outcome = "withdrawn" if event["actor"] == claim["applicant"] else "declined"
            by, at = event["actor"], event["at"]
        elif claim["submitted_by"] is not None:
            event = (
                await AuditEvent.select(AuditEvent.at)
                .where((AuditEvent.action == "claim.submitted") & (AuditEvent.object_id == claim["ref"]))
                .order_by(AuditEvent.id)
                .first()
            )
            outcome, by = "submitted", claim["submitted_by"]
            at = event["at"] if event else claim["updated_at"]
        else:
            return 0
        names = {p["id"]: p["full_name"] for p in people}
        program = parse_spec(claim["spec"])
        stamp = clock.now()
        subject, body = SETTLED[outcome]
        for message in waiting:
            reader = message["account"]
            rendered = {}
            for locale in SUPPORTED:
                values = {
                    "reference": claim["ref"],
                    "program": program.title.in_locale(locale),
                    "amount": format_money(Decimal(claim["amount_cents"]) / 100, locale),
                    "name": person_named(claim["applicant"], claim["preparer"], reader, locale),
                    "by": person_named(by, names.get(by), reader, locale),
                    "when": format_datetime(at, locale),
                }
                rendered[locale] = [gettext(locale, subject, **values), gettext(locale, body, **values)]
            # Written in the language it was first written in, and kept in each of the hub's.
            written = rendered[supported(message["locale"])]
            await Message.update(
                {
                    Message.subject: written[0],
                    Message.body: written[1],
                    Message.renderings: msgspec.json.encode(rendered).decode(),
                    Message.read_at: message["read_at"] or stamp,
                }
            ).where(Message.id == message["id"])
        return len(waiting)
