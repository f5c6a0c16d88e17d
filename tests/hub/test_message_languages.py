"""A message in the hub reads in the language its reader's messages are in now: the one they chose
for messages, else their account's. An email or an SMS stays as it went out. In process, against a
real SQLite database."""

from __future__ import annotations

import datetime as dt

from hub.accounts import Principal
from hub.actor import Actor
from hub.db.tables import Account, Message, MessagePreference
from hub.i18n import gettext
from hub.notifications import inbox, written_in
from hub.notifications.outbox import Outbox
from hub.notifications.service import HubNotifier
from hub.settings import load_settings

AT = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
SERVICE = "Old-age allowance for residents aged 80 and over"


async def citizen(locale: str) -> Actor:
    (row,) = await Account.insert(
        Account(username="zhang", full_name="x", role="citizen", password_hash="x", locale=locale, created_at=AT)
    ).returning(Account.id)
    user = Principal(id=row["id"], username="zhang", full_name="x", role="citizen", department=None, locale=locale)
    return Actor(user=user, locale=locale)


async def told_of_filing(actor: Actor, tmp_path) -> None:
    """The filing of QQ1 told to ``actor`` in the hub, and by email to an address they gave."""
    assert actor.id is not None
    notifier = HubNotifier(load_settings({"QINQING_VAR_DIR": str(tmp_path)}), None, None, None)  # type: ignore[arg-type]
    outbox = Outbox(notifier)
    people = await outbox.people([actor.id])
    people[actor.id].addresses["email"] = "zhang@example.cn"
    people[actor.id].chosen = ["email"]
    await outbox.record(
        "request-QQ1:request_filed",
        "request_filed",
        people,
        lambda locale: {"reference": "QQ1", "service": gettext(locale, SERVICE)},
        "/requests/QQ1",
    )


async def test_a_message_in_the_hub_follows_its_readers_language(database, tmp_path):
    actor = await citizen("zh_CN")
    await told_of_filing(actor, tmp_path)
    [message] = (await inbox.message_box(actor)).messages
    assert message.subject == "申请已收到（受理编号QQ1）"
    assert "80周岁以上老年人高龄津贴" in message.body

    # They choose English for their messages: what they were told before reads in English too,
    # whatever language the page itself is in.
    await MessagePreference.insert(MessagePreference(account=actor.id, locale="en", updated_at=AT))
    [message] = (await inbox.message_box(actor)).messages
    assert message.subject == "Application QQ1 received"
    assert SERVICE in message.body and "80周岁" not in message.body

    # The email went out in Chinese, and stays as it went.
    email = await Message.select(Message.subject, Message.renderings).where(Message.channel == "email").first()
    assert email["subject"] == "申请已收到（受理编号QQ1）" and email["renderings"] == "{}"


async def test_without_a_choice_for_messages_they_follow_the_accounts_language(database, tmp_path):
    actor = await citizen("en")
    await told_of_filing(actor, tmp_path)
    assert [m.subject for m in (await inbox.message_box(actor)).messages] == ["Application QQ1 received"]
    await Account.update({Account.locale: "zh_CN"}).where(Account.id == actor.id)
    assert [m.subject for m in (await inbox.message_box(actor)).messages] == ["申请已收到（受理编号QQ1）"]


def test_a_message_stored_before_reads_as_it_was_written():
    assert written_in("en", "{}", "申请已收到", "正文") == ("申请已收到", "正文")
    kept = '{"zh_CN": ["申请已收到", "正文"], "en": ["Received", "Text"]}'
    assert written_in("en", kept, "申请已收到", "正文") == ("Received", "Text")
