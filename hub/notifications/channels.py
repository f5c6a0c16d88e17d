"""The channels a message leaves the hub by, as ports, and their adapters: email over SMTP and SMS
through a city's HTTP gateway (the contract is docs/sms-gateway.md)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import msgspec

from hub.privacy import mask
from hub.settings import Settings


class ChannelError(Exception):
    """A channel did not take the message: ``reason`` says why; ``permanent`` when trying again
    cannot help (a refused address)."""

    def __init__(self, reason: str, permanent: bool = False):
        # A mail server's refusal often names the address ("550 <someone@example.cn>: rejected"):
        # the reason is stored, shown to operators and sent to Temporal, masked.
        reason = EMAIL_IN_TEXT.sub(lambda m: mask(m.group(), "email"), reason)
        reason = PHONE_IN_TEXT.sub(lambda m: mask(m.group(), "phone"), reason)
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent


EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86)?1\d{10}(?!\d)")


class Outgoing(msgspec.Struct, frozen=True):
    """What a channel sends: to whom, in which language, what; ``key`` is the message's own."""

    key: str
    to: str
    locale: str
    subject: str
    body: str
    sms: str


class EmailChannel(Protocol):
    async def send(self, message: Outgoing) -> str: ...


class SmsGateway(Protocol):
    """Hands an SMS to the gateway; returns the gateway's id, which its receipt names."""

    async def send(self, message: Outgoing) -> str: ...


class SmtpEmail:
    """Email over SMTP: ``smtp://`` plain, ``smtp+starttls://`` (or ``?starttls=true``) upgraded
    with STARTTLS, ``smtps://`` TLS from the start; user and password from the URL."""

    def __init__(self, url: str, sender: str, timeout: float = 15):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError(f"not an SMTP URL: {parts.scheme}://")
        self.host = parts.hostname or "127.0.0.1"
        self.tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        self.starttls = parts.scheme == "smtp+starttls" or query.get("starttls", [""])[0] in ("1", "true", "yes")
        self.port = parts.port or (465 if self.tls else 587 if self.starttls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout
        # Made once: loading the CA bundle for each email cost more CPU than the rest of its sending.
        self.context = ssl.create_default_context() if self.tls or self.starttls else None

    def _message(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # One id per message: a receiving system that sees it twice can tell.
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        mail["Message-ID"] = f"<{digest}@qinqing>"
        mail["Content-Language"] = message.locale.replace("_", "-")
        mail.set_content(message.body)
        return mail

    def _send(self, message: Outgoing) -> str:
        mail = self._message(message)
        context = self.context
        try:
            if self.tls:
                server: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.starttls:
                    server.starttls(context=context)
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, refusal = next(iter(exc.recipients.values()))
            raise ChannelError(f"{code} {refusal.decode(errors='replace')}", permanent=code >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise ChannelError(f"{exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"mail server {self.host}:{self.port}: {exc}") from exc
        return mail["Message-ID"]

    async def send(self, message: Outgoing) -> str:
        # smtplib blocks: it runs off the event loop.
        return await asyncio.to_thread(self._send, message)


class NoEmail:
    """No mail server configured: every email fails, saying so."""

    async def send(self, message: Outgoing) -> str:
        raise ChannelError("no mail server is configured (QINQING_SMTP_URL)", permanent=True)


_clients: dict[int, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}


def shared_client(timeout: float = 10) -> httpx.AsyncClient:
    """One HTTP client per event loop, kept open: a new client builds its TLS context (reading the
    whole CA bundle), which cost more CPU than the rest of an SMS's hand-over together."""
    loop = asyncio.get_running_loop()
    kept = _clients.get(id(loop))
    if kept is None or kept[0] is not loop or kept[1].is_closed:
        kept = _clients[id(loop)] = (loop, httpx.AsyncClient(timeout=timeout))
    return kept[1]


class HttpSmsGateway:
    """The JSON contract of docs/sms-gateway.md: POST the message, get the gateway's id back."""

    def __init__(self, url: str, secret: str, callback_url: str, timeout: float = 10):
        self.url = url
        self.secret = secret
        self.callback_url = callback_url
        self.timeout = timeout

    async def send(self, message: Outgoing) -> str:
        body = {"id": message.key, "to": message.to, "text": message.sms, "callback_url": self.callback_url}
        try:
            answer = await shared_client(self.timeout).post(
                self.url, json=body, headers={"Authorization": f"Bearer {self.secret}"}
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"SMS gateway unreachable: {exc!r}") from exc
        if answer.status_code >= 400:
            try:
                reason = str(answer.json().get("error", ""))
            except ValueError:
                reason = answer.text[:200]
            raise ChannelError(f"SMS gateway {answer.status_code}: {reason}", permanent=answer.status_code < 500)
        try:
            return str(answer.json()["provider_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError("SMS gateway answered without a provider_id") from exc


def sms_secret(settings: Settings) -> str:
    """The secret shared with the SMS gateway: configured, or var/sms.secret made on first use."""
    if settings.sms_secret:
        return settings.sms_secret
    path = Path(settings.var_path) / "sms.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="ascii") as out:
                out.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process made it first
    return path.read_text(encoding="ascii").strip()


def email_channel(settings: Settings) -> EmailChannel:
    return SmtpEmail(settings.smtp_url, settings.smtp_from) if settings.smtp_url else NoEmail()


def sms_gateway(settings: Settings) -> SmsGateway:
    base = settings.base_url.rstrip("/")
    return HttpSmsGateway(
        settings.sms_gateway_url or f"{base}/api/sms-gateway/messages",
        sms_secret(settings),
        callback_url=f"{base}/api/messages/sms-receipts",
    )
