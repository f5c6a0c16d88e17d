"""Messages recorded in the transaction of the change they tell of (an outbox), then handed to their
channels once it is committed.

What a step of a workflow makes true, and tells in the same breath, is told here rather than by a
``notify`` activity of its own: a subsidy claim paid (with its payment notice's registration) or
refused (with the claim's change). The message is stored with the change, so it exists exactly when
the change does and a retried step finds both; the claim's path gains a few statements, not an
activity's round through Temporal and the workflow task that follows it.

In the hub a message is delivered as it is stored. An email or an SMS is handed to its channel in
the background of this process once the transaction is committed (the step does not wait for the
mail server); whatever that leaves queued (the channel failed, the process stopped) the
held-messages schedule sends, as it sends every message left behind (``LEFT_BEHIND``), with its
retries and, at the last, the message marked failed for an operator to resend.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from hub import clock
from hub.db.records import quick_rows
from hub.db.tables import Account, Message
from hub.i18n import SUPPORTED
from hub.notifications.service import HubNotifier, Recipient, preferred

log = logging.getLogger("qinqing.notifications")
# Written as SQL, as the other statements of a claim's steps: Piccolo spent more building these
# than the database spent running them (the columns a message has when it is stored).
PEOPLE = (
    "SELECT a.id, a.locale, p.locale AS chosen_locale, p.email, p.phone, p.channels FROM account a "
    "LEFT JOIN message_preference p ON p.account = a.id WHERE a.id IN ({})"
)
COLUMNS = (
    "key",
    "account",
    "kind",
    "channel",
    "mandatory",
    "urgent",
    "locale",
    "subject",
    "body",
    "renderings",
    "link",
    "address",
    "state",
    "created_at",
    "delivered_at",
    "not_before",
)
INSERT = (
    f"INSERT INTO message ({', '.join(COLUMNS)}, reason, attempts, provider_id) VALUES {{}} "
    "ON CONFLICT (key) DO NOTHING"
)
ROW = "(" + ", ".join("{}" for _ in COLUMNS) + ", '', 0, '')"


class Outbox:
    """Records an event's messages in the caller's transaction; sends them once it is committed."""

    def __init__(self, notifier: HubNotifier):
        self._notifier = notifier
        # Hand-overs under way (kept, so that they are not collected before they finish).
        self._sending: set[asyncio.Task] = set()

    async def people(self, account_ids: list[int]) -> dict[int, Recipient]:
        """Who is told, with their language and channels: read before the transaction that records
        the messages, so that it holds the database's write lock no longer than it must."""
        ids = list(dict.fromkeys(a for a in account_ids if a is not None))
        if not ids:
            return {}
        rows = await quick_rows(Account, PEOPLE.format(", ".join("{}" for _ in ids)), *ids)
        return {
            r["id"]: preferred(
                r["id"],
                r["locale"],
                None
                if r["chosen_locale"] is None
                else {
                    "locale": r["chosen_locale"],
                    "email": r["email"],
                    "phone": r["phone"],
                    "channels": r["channels"],
                },
            )
            for r in rows
        }

    async def record(
        self,
        key: str,
        kind: str,
        people: Mapping[int, Recipient],
        values: Callable[[str], dict[str, str]],
        link: str,
    ) -> list[str]:
        """Store one message per person and channel under ``<key>:<account>:<channel>`` (inside the
        caller's transaction; a message stored before stays as it is), ``values(locale)`` filling the
        template in each of the hub's languages; returns the keys of those still to be sent (email, SMS)."""
        now = clock.now()
        rows: list[dict[str, Any]] = []
        outbound: list[str] = []
        for person in people.values():
            in_each = {locale: values(locale) for locale in SUPPORTED}
            self._notifier.message_rows(key, kind, person, in_each, link, now, rows, outbound)
        if rows:
            await Message.raw(
                INSERT.format(", ".join(ROW for _ in rows)), *(row[column] for row in rows for column in COLUMNS)
            )
        return outbound

    def send(self, keys: list[str]) -> None:
        """Hand these messages to their channels in the background, once their transaction is
        committed; the caller goes on at once."""
        if not keys:
            return
        task = asyncio.get_running_loop().create_task(self._send(keys))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, keys: list[str]) -> None:
        try:
            await self._notifier.deliver(keys, final=False)
        except Exception as exc:  # noqa: BLE001 - still queued: the held-messages schedule sends them
            log.warning("messages %s left to the held-messages schedule: %s", keys, exc)
