"""The embedded default's local mail server keeps what the hub's SMTP channel sends it, and reads it
back for the operators' page (masked, the reading audited); quiet hours hold an SMS until they end, Beijing time."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from hub.accounts import Principal
from hub.actor import Actor
from hub.clock import now
from hub.db.tables import Account, AuditEvent
from hub.errors import HubError
from hub.notifications import inbox
from hub.notifications.channels import Outgoing, SmtpEmail
from hub.notifications.local import GatewayMessage, received_mail, record_sms, start_local_mail_server
from hub.notifications.quiet import held_until, parse_quiet_hours
from hub.settings import load_settings
from tests.stack.harness import free_port


def test_the_local_mail_server_keeps_what_it_is_sent(tmp_path):
    settings = load_settings({"QINQING_VAR_DIR": str(tmp_path)})
    server = start_local_mail_server(settings, free_port())
    try:
        mail = SmtpEmail(f"smtp://127.0.0.1:{server.port}", "Qinqing Hub <noreply@qinqing.localhost>")
        message = Outgoing(
            key="request-QQ1:request_filed:1:email",
            to="zhangsan@example.cn",
            locale="zh_CN",
            subject="申请已收到（受理编号QQ1）",
            body="您的申请已收到。",
            sms="",
        )
        asyncio.run(mail.send(message))
    finally:
        server.stop()
    [kept] = received_mail(settings)
    assert (kept.to, kept.subject) == ("zhangsan@example.cn", "申请已收到（受理编号QQ1）")
    assert kept.body.strip() == "您的申请已收到。"


def test_quiet_hours_hold_an_sms_until_eight_in_beijing():
    quiet = parse_quiet_hours("21:00-08:00")
    at_night = dt.datetime(2026, 12, 4, 14, 30, tzinfo=dt.UTC)  # 22:30 in Beijing
    assert held_until(quiet, at_night) == dt.datetime(2026, 12, 5, 0, 0, tzinfo=dt.UTC)  # 08:00 next day
    early = dt.datetime(2026, 12, 4, 22, 0, tzinfo=dt.UTC)  # 06:00 in Beijing
    assert held_until(quiet, early) == dt.datetime(2026, 12, 5, 0, 0, tzinfo=dt.UTC)
    assert held_until(quiet, dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)) is None  # 10:00
    assert held_until(parse_quiet_hours(""), at_night) is None


async def test_the_operators_read_the_local_copies_masked_and_audited(database, tmp_path):
    settings = load_settings({"QINQING_VAR_DIR": str(tmp_path)})
    server = start_local_mail_server(settings, free_port())
    try:
        mail = SmtpEmail(f"smtp://127.0.0.1:{server.port}", "Qinqing Hub <noreply@qinqing.localhost>")
        await mail.send(Outgoing(key="k:email", to="zhangsan@example.cn", locale="en", subject="S", body="B", sms=""))
    finally:
        server.stop()
    record_sms(settings, GatewayMessage(id="k:sms", to="13912345678", text="您的申请已收到。"))
    [row] = await Account.insert(
        Account(username="ops", full_name="x", role="admin", password_hash="x", created_at=now())
    ).returning(Account.id)
    admin = Actor(
        user=Principal(id=row["id"], username="ops", full_name="x", role="admin", department=None, locale="en"),
        locale="en",
    )

    mail_copies, sms_copies = await inbox.local_copies(admin, settings)
    assert [m.to for m in mail_copies] == ["z***@example.cn"] and [s.to for s in sms_copies] == ["139****5678"]
    assert sms_copies[0].text == "您的申请已收到。"
    seen = await AuditEvent.select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.action == "messages.local_viewed"
    )
    assert seen == [{"action": "messages.local_viewed", "actor": row["id"]}]
    citizen = Actor(
        user=Principal(id=row["id"], username="c", full_name="x", role="citizen", department=None, locale="en"),
        locale="en",
    )
    with pytest.raises(HubError):
        await inbox.local_copies(citizen, settings)
