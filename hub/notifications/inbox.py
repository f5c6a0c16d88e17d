"""A person's message centre and choices, the SMS gateway's receipts, and what operators see."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from email.utils import parseaddr

import msgspec
from temporalio.client import Client

from forms.validation import FieldError
from hub import clock
from hub.actor import Actor
from hub.audit import record
from hub.db.tables import Message, MessagePreference
from hub.errors import HubError, forbidden, invalid_field, invalid_form, not_found, unavailable
from hub.i18n import N_, SUPPORTED
from hub.notifications import local, message_language, written_in
from hub.notifications.service import mask_email, mask_phone, recipient
from hub.sealing import seal
from hub.settings import Settings
from hub.subsidies import NO_LONGER_WAITS, still_waits
from workflows.names import REQUESTS_QUEUE, resend_workflow_id
from workflows.notifications.deliver import DeliverMessagesWorkflow
from workflows.notifications.types import CHANNELS, DELIVERY_STATES, DeliverDue

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")
# A mainland mobile number.
PHONE = re.compile(r"^1[3-9]\d{9}$")
OPERATOR_ROLES = ("admin", "auditor")


class MessageRead(msgspec.Struct):
    id: int
    kind: str
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool
    mandatory: bool


class MessageBox(msgspec.Struct):
    unread: int
    messages: list[MessageRead]


class Preferences(msgspec.Struct):
    """What a person chose; addresses are shown masked."""

    email: str
    phone: str
    channels: list[str]
    locale: str


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A change of choices. An empty address removes it; None leaves it as it is."""

    channels: list[str]
    locale: str = ""
    email: str | None = None
    phone: str | None = None


class ChannelCounts(msgspec.Struct):
    channel: str
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    cancelled: int = 0


class FailedMessage(msgspec.Struct):
    id: int
    key: str
    kind: str
    channel: str
    reason: str
    attempts: int
    created_at: dt.datetime


class DeliveryReport(msgspec.Struct):
    channels: list[ChannelCounts]
    failures: list[FailedMessage]


class Receipt(msgspec.Struct):
    """The SMS gateway's delivery receipt (docs/sms-gateway.md)."""

    provider_id: str
    status: str
    id: str = ""
    reason: str = ""


def _person(actor: Actor) -> int:
    if actor.id is None or actor.role == "system":
        raise forbidden()
    return actor.id


async def message_box(actor: Actor, limit: int = 100) -> MessageBox:
    """The person's messages in the hub, newest first, and how many are unread, each in the
    language their messages are in now (``message_language``), whichever it was when it was written."""
    account = _person(actor)
    rows = (
        await Message.select(
            Message.id,
            Message.kind,
            Message.subject,
            Message.body,
            Message.renderings,
            Message.link,
            Message.created_at,
            Message.read_at,
            Message.mandatory,
        )
        .where((Message.account == account) & (Message.channel == "hub"))
        .order_by(Message.id, ascending=False)
        .limit(limit)
    )
    language = await message_language(account)
    return MessageBox(
        unread=await unread_count(actor),
        messages=[
            MessageRead(
                id=r["id"],
                kind=r["kind"],
                subject=subject,
                body=body,
                link=r["link"],
                created_at=r["created_at"],
                read=r["read_at"] is not None,
                mandatory=r["mandatory"],
            )
            for r in rows
            for subject, body in [written_in(language, r["renderings"], r["subject"], r["body"])]
        ],
    )


async def unread_count(actor: Actor) -> int:
    if actor.id is None or actor.role == "system":
        return 0
    return await Message.count().where(
        (Message.account == actor.id) & (Message.channel == "hub") & Message.read_at.is_null()
    )


async def mark_read(actor: Actor, message_id: int | None = None) -> int:
    """Mark one of the person's messages read (or all, without an id); returns how many are unread."""
    account = _person(actor)
    where = (Message.account == account) & (Message.channel == "hub") & Message.read_at.is_null()
    if message_id is not None:
        exists = await Message.exists().where(
            (Message.id == message_id) & (Message.account == account) & (Message.channel == "hub")
        )
        if not exists:
            raise not_found()
        where = where & (Message.id == message_id)
    await Message.update({Message.read_at: clock.now()}).where(where)
    return await unread_count(actor)


async def preferences(actor: Actor) -> Preferences:
    person = await recipient(_person(actor))
    assert person is not None
    return Preferences(
        email=mask_email(person.addresses["email"]) if person.addresses["email"] else "",
        phone=mask_phone(person.addresses["sms"]) if person.addresses["sms"] else "",
        channels=[c for c in person.chosen if c in CHANNELS],
        locale=person.locale,
    )


async def save_preferences(actor: Actor, change: PreferencesUpdate) -> Preferences:
    """Save the person's channels, language and addresses (checked; an address is sealed at rest)."""
    account = _person(actor)
    # Every mistake at once, each on its field, so a page shows them all next to what was typed.
    errors: list[FieldError] = []
    if any(c not in ("email", "sms") for c in change.channels):
        errors.append(FieldError(field="channels", code="invalid_choice"))
    if change.locale and change.locale not in SUPPORTED:
        errors.append(FieldError(field="locale", code="invalid_choice"))
    email = (change.email or "").strip()
    phone = re.sub(r"[\s-]", "", change.phone or "")
    if change.email and not EMAIL.match(email):
        errors.append(FieldError(field="email", code="email_invalid"))
    if change.phone and not PHONE.match(phone):
        errors.append(FieldError(field="phone", code="phone_invalid"))
    current = await recipient(account)
    assert current is not None
    email = email if change.email is not None else current.addresses["email"]
    phone = phone if change.phone is not None else current.addresses["sms"]
    for channel, address, field in (("email", email, "email"), ("sms", phone, "phone")):
        if channel in change.channels and not address and not any(e.field == field for e in errors):
            errors.append(FieldError(field=field, code="required"))
    if errors:
        raise invalid_form(errors)
    values = {
        MessagePreference.email: seal(email, "message_preference.email") if email else "",
        MessagePreference.phone: seal(phone, "message_preference.phone") if phone else "",
        MessagePreference.channels: sorted(set(change.channels)),
        MessagePreference.locale: change.locale,
        MessagePreference.updated_at: clock.now(),
    }
    row = MessagePreference({MessagePreference.account: account, **values})
    await MessagePreference.insert(row).on_conflict(
        target=MessagePreference.account, action="DO UPDATE", values=list(values)
    )
    return await preferences(actor)


async def record_receipt(receipt: Receipt) -> bool:
    """Apply the gateway's receipt to the message it names; False when no SMS has that id.

    A receipt can arrive before the worker has recorded the gateway's answer (a busy moment between
    the hand-over and its record): the message is then found by the hub's own id, still queued,
    and takes the gateway's id with the receipt; the send recorded afterwards changes nothing more."""
    if receipt.status not in ("delivered", "failed"):
        raise invalid_field("status", "invalid_choice")
    if not receipt.provider_id:
        return False
    stamp = clock.now()
    changes: dict = {Message.state: receipt.status, Message.reason: receipt.reason[:500]}
    if receipt.status == "delivered":
        changes[Message.delivered_at] = stamp
    sms = Message.channel == "sms"
    known = (Message.provider_id == receipt.provider_id) & sms
    # A receipt never takes a message back to an earlier state (a late "delivered" after a resend).
    pending = known & Message.state.is_in(["queued", "sent"])
    if await Message.update(changes).where(pending).returning(Message.id):
        return True
    if receipt.id:
        early = (Message.key == receipt.id) & (Message.provider_id == "") & (Message.state == "queued") & sms
        early_changes: dict = {Message.provider_id: receipt.provider_id[:100], Message.sent_at: stamp}
        if (
            await Message.update({**changes, **early_changes, Message.sending_since: None})
            .where(early)
            .returning(Message.id)
        ):
            return True
        # The send may have been recorded between the two statements: the first finds it now.
        if await Message.update(changes).where(pending).returning(Message.id):
            return True
    return await Message.exists().where(known)


def _operator(actor: Actor) -> None:
    if actor.role not in OPERATOR_ROLES:
        raise forbidden()


async def delivery_report(actor: Actor, failures: int = 20) -> DeliveryReport:
    """Per channel how many messages are queued, sent, delivered and failed; the last failures."""
    _operator(actor)
    counts = {c: ChannelCounts(channel=c) for c in CHANNELS}
    for state in DELIVERY_STATES:
        for channel in CHANNELS:
            n = await Message.count().where((Message.channel == channel) & (Message.state == state))
            setattr(counts[channel], state, n)
    rows = (
        await Message.select(
            Message.id,
            Message.key,
            Message.kind,
            Message.channel,
            Message.reason,
            Message.attempts,
            Message.created_at,
        )
        .where(Message.state == "failed")
        .order_by(Message.id, ascending=False)
        .limit(failures)
    )
    return DeliveryReport(channels=list(counts.values()), failures=[FailedMessage(**r) for r in rows])


async def local_copies(
    actor: Actor, settings: Settings, limit: int = 50
) -> tuple[list[local.ReceivedMail], list[local.RecordedSms]]:
    """What the local mail server and SMS gateway kept (one machine with no provider configured),
    newest first, for the operators: whom each went to masked, as everywhere else, and the reading
    audited (the texts are the people's messages)."""
    _operator(actor)
    mail = await asyncio.to_thread(local.received_mail, settings, limit)
    sms = await asyncio.to_thread(local.recorded_sms, settings, limit)
    await record(actor, actor.user, "messages.local_viewed", "messages", "local", emails=len(mail), sms=len(sms))
    return (
        [msgspec.structs.replace(m, to=mask_email(parseaddr(m.to)[1])) for m in mail],
        [msgspec.structs.replace(s, to=mask_phone(s.to)) for s in sms],
    )


async def resend(actor: Actor, client: Client | None, message_id: int) -> None:
    """Queue a failed message again and have a workflow send it (admins only)."""
    if actor.role != "admin":
        raise forbidden()
    if client is None:
        raise unavailable()
    row = (
        await Message.select(Message.key, Message.kind, Message.state, Message.attempts)
        .where(Message.id == message_id)
        .first()
    )
    if row is None:
        raise not_found()
    if row["state"] != "failed":
        raise HubError("conflict", "not-failed", N_("Only a failed message is sent again"))
    if row["kind"] == "claim_prepared" and not await still_waits(row["key"]):
        # Failed while its claim was settled: what it says no longer holds, so it is not sent.
        await Message.update({Message.state: "cancelled", Message.reason: NO_LONGER_WAITS}).where(
            (Message.id == message_id) & (Message.state == "failed")
        )
        raise HubError(
            "conflict",
            "no-longer-true",
            N_("This message no longer holds"),
            N_("It told the approver that a claim waits for them; the claim no longer waits, so it is not sent."),
        )
    await Message.update(
        {Message.state: "queued", Message.reason: "", Message.sending_since: None, Message.not_before: None}
    ).where((Message.id == message_id) & (Message.state == "failed"))
    await client.start_workflow(
        DeliverMessagesWorkflow.run,
        DeliverDue(keys=[row["key"]]),
        id=resend_workflow_id(row["key"], row["attempts"]),
        task_queue=REQUESTS_QUEUE,
    )
