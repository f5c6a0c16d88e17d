"""The embedded default's channels, real enough to follow a message end to end on one machine: a
local mail server that keeps what it receives, and a local SMS gateway that records each message
and posts a delivery receipt back, as a city's provider would (docs/sms-gateway.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import hashlib
import logging
import os
import secrets
from pathlib import Path

import httpx
import msgspec

from hub import clock
from hub.notifications.channels import shared_client
from hub.settings import Settings

log = logging.getLogger("qinqing.notifications")


class GatewayMessage(msgspec.Struct):
    """An SMS as the gateway contract sends it."""

    id: str
    to: str
    text: str
    callback_url: str = ""


class ReceivedMail(msgspec.Struct):
    name: str
    received_at: dt.datetime
    sender: str
    to: str
    subject: str
    body: str


class RecordedSms(msgspec.Struct):
    provider_id: str
    id: str
    to: str
    text: str
    at: dt.datetime


def mailbox_path(settings: Settings) -> Path:
    return settings.var_path / "mailbox"


def sms_log_path(settings: Settings) -> Path:
    return settings.var_path / "sms-gateway.jsonl"


class MailboxHandler:
    """aiosmtpd's handler: each message received is kept as a file in the mailbox."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        name = f"{clock.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_local_mail_server(settings: Settings, port: int):
    """Start the local mail server on 127.0.0.1:``port`` (in a thread), or on a free port when that
    one is taken; returns it (``.port`` says where), to stop it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(MailboxHandler(mailbox_path(settings)), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def received_mail(settings: Settings, limit: int = 100) -> list[ReceivedMail]:
    """What the local mail server received, newest first."""
    directory = mailbox_path(settings)
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.eml"), reverse=True)[:limit]:
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = mail.get_body(preferencelist=("plain",))
        out.append(
            ReceivedMail(
                name=path.name,
                received_at=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
                sender=str(mail["From"] or ""),
                to=str(mail["To"] or ""),
                subject=str(mail["Subject"] or ""),
                body=body.get_content() if body is not None else "",
            )
        )
    return out


def record_sms(settings: Settings, message: GatewayMessage) -> str:
    """Record an SMS the local gateway accepted; the same id twice is kept once (the contract)."""
    path = sms_log_path(settings)
    # The gateway's id follows from the message's, and a marker file created exclusively says it was
    # recorded: the same id sent twice (by two web processes at once, too) is kept once, without
    # reading back everything recorded so far.
    provider_id = "local-" + hashlib.sha256(message.id.encode()).hexdigest()[:16]
    seen = settings.var_path / "sms-gateway.ids"
    seen.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(seen / provider_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return provider_id
    entry = RecordedSms(provider_id=provider_id, id=message.id, to=message.to, text=message.text, at=clock.now())
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as out:
        out.write(msgspec.json.encode(entry) + b"\n")
    return provider_id


def recorded_sms(settings: Settings, limit: int | None = 100) -> list[RecordedSms]:
    """What the local gateway recorded, newest first."""
    path = sms_log_path(settings)
    if not path.exists():
        return []
    entries = [msgspec.json.decode(line, type=RecordedSms) for line in path.read_bytes().splitlines() if line.strip()]
    entries.reverse()
    return entries if limit is None else entries[:limit]


# Seconds before each new attempt at posting a receipt the hub did not take (about 5 minutes in all).
RECEIPT_RETRIES_S = (1, 2, 4, 8, 16, 32, 64, 128)


async def post_receipt(callback_url: str, secret: str, provider_id: str, message: GatewayMessage) -> None:
    """Post the delivery receipt back, a moment later, as a provider does. A number ending in 0000
    is "not in service": its receipt says failed, to see a failure end to end."""
    if not callback_url:
        return
    await asyncio.sleep(0.2)
    failed = message.to.endswith("0000")
    receipt = {
        "id": message.id,
        "provider_id": provider_id,
        "status": "failed" if failed else "delivered",
        "reason": "number not in service" if failed else "",
    }
    # As providers do, a receipt the hub did not take (busy, unreachable) is posted again, later.
    for wait in (*RECEIPT_RETRIES_S, None):
        try:
            answer = await shared_client().post(
                callback_url, json=receipt, headers={"Authorization": f"Bearer {secret}"}
            )
            if answer.status_code < 500 and answer.status_code != 429:
                return
            problem = f"answered {answer.status_code}"
        except httpx.HTTPError as exc:
            problem = repr(exc)
        if wait is None:
            log.warning("gave up posting the SMS receipt for %s (%s)", provider_id, problem)
            return
        log.warning("the SMS receipt for %s was not taken (%s); again in %s s", provider_id, problem, wait)
        await asyncio.sleep(wait)
