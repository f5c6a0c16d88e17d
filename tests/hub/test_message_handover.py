"""A queued message is handed to its channel once, however many deliveries reach it at once (a
resend by an administrator and the scheduled sweep, a retried activity and the sweep). In process,
against a real SQLite database; the mail server is a slow stand-in that counts what it is given."""

from __future__ import annotations

import asyncio
import datetime as dt

from hub.db.tables import Account, Message
from hub.notifications.channels import ChannelError, Outgoing
from hub.notifications.service import HubNotifier
from hub.settings import load_settings

AT = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


class SlowMailServer:
    """Takes a while to accept each message, as a busy server does: until ``accept`` is set when
    one is given, a moment otherwise."""

    def __init__(self, fail: bool = False, accept: asyncio.Event | None = None):
        self.given: list[str] = []
        self.fail = fail
        self.accept = accept
        self.sending = asyncio.Event()

    async def send(self, message: Outgoing) -> str:
        self.sending.set()
        if self.accept is not None:
            await self.accept.wait()
        else:
            await asyncio.sleep(0.05)
        self.given.append(message.key)
        if self.fail:
            raise ChannelError("mailbox full", permanent=True)
        return f"mail-{len(self.given)}"


async def queued_email() -> str:
    (account,) = await Account.insert(
        Account(username="zhang", full_name="x", role="citizen", password_hash="x", created_at=AT)
    ).returning(Account.id)
    key = "request-R1:zhang:email"
    await Message.insert(
        Message(
            key=key,
            account=account["id"],
            kind="request_filed",
            channel="email",
            locale="zh_CN",
            subject="已受理",
            body="您的申请已受理",
            state="queued",
            created_at=AT,
        )
    )
    return key


async def test_two_deliveries_at_once_hand_an_email_over_once(database, tmp_path):
    key = await queued_email()
    server = SlowMailServer()
    notifier = HubNotifier(load_settings({"QINQING_VAR_DIR": str(tmp_path)}), None, server, server)  # type: ignore[arg-type]
    outcomes = await asyncio.gather(notifier.deliver([key], final=False), notifier.deliver([key], final=False))
    assert server.given == [key]
    assert sum(o.sent for o in outcomes) == 1
    row = await Message.select(Message.state, Message.attempts, Message.sending_since).where(Message.key == key).first()
    assert row == {"state": "sent", "attempts": 1, "sending_since": None}


async def test_a_message_sent_is_recorded_sent_even_if_another_delivery_gave_it_up(database, tmp_path):
    key = await queued_email()
    server = SlowMailServer(accept=asyncio.Event())
    notifier = HubNotifier(load_settings({"QINQING_VAR_DIR": str(tmp_path)}), None, server, server)  # type: ignore[arg-type]
    first = asyncio.ensure_future(notifier.deliver([key], final=False))
    await server.sending.wait()  # the first is handing it over
    # A second delivery finds it being handed over and, its outcome unknown, gives it up.
    second = await notifier.deliver([key], final=False)
    assert second.failed == 1 and server.given == []
    server.accept.set()  # the mail server takes it
    assert (await first).sent == 1
    # The mail server took it: that is what is recorded.
    row = await Message.select(Message.state, Message.reason).where(Message.key == key).first()
    assert row == {"state": "sent", "reason": ""}
    assert server.given == [key]


async def test_a_failure_does_not_overwrite_a_message_sent(database, tmp_path):
    key = await queued_email()
    sent, refused = SlowMailServer(), SlowMailServer(fail=True)
    settings = load_settings({"QINQING_VAR_DIR": str(tmp_path)})
    await HubNotifier(settings, None, sent, sent).deliver([key], final=False)  # type: ignore[arg-type]
    await HubNotifier(settings, None, refused, refused)._fail(  # type: ignore[arg-type]
        {"id": (await Message.select(Message.id).where(Message.key == key).first())["id"]}, "mailbox full"
    )
    assert (await Message.select(Message.state).where(Message.key == key).first()) == {"state": "sent"}


class RefusingMailServer:
    async def send(self, message: Outgoing) -> str:
        raise ChannelError(f"550 5.1.1 <{message.to}>: Recipient address rejected", permanent=True)


async def test_a_refusal_naming_the_address_is_kept_masked(database, tmp_path):
    key = await queued_email()
    await Message.update({Message.address: "zhang.san@example.cn"}).where(Message.key == key)
    server = RefusingMailServer()
    settings = load_settings({"QINQING_VAR_DIR": str(tmp_path)})
    done = await HubNotifier(settings, None, server, server).deliver([key], final=True)  # type: ignore[arg-type]
    assert done.failed == 1
    row = await Message.select(Message.state, Message.reason).where(Message.key == key).first()
    assert row["state"] == "failed" and "zhang.san@" not in row["reason"] and "z***@example.cn" in row["reason"]
