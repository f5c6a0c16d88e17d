"""What a workflow announces: one event, told to its recipients on each of their channels."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

# Every event a message is sent for; each has a template in forms/notifications.toml.
from forms.notifications import EVENT_KINDS as EVENT_KINDS
from forms.notifications import EventKind as EventKind

Channel = Literal["hub", "email", "sms"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

# queued: stored, not yet handed over (or held for quiet hours); sent: the mail server or the SMS
# gateway took it; delivered: in the hub, or the SMS gateway's receipt said so; failed: with a reason;
# cancelled: not handed over, because what it said no longer held before it could go (with a reason).
DeliveryState = Literal["queued", "sent", "delivered", "failed", "cancelled"]
DELIVERY_STATES: tuple[DeliveryState, ...] = get_args(DeliveryState)


class NotifyEvent(BaseModel):
    """One event to tell people about. ``key`` is unique per event: with the channel it is the
    idempotency key each message is stored under before anything is sent."""

    key: str
    kind: EventKind
    at: datetime
    request_id: int | None = None
    task_key: str | None = None
    # Recipients named directly (an account id), e.g. a clerk assigned a task.
    account_id: int | None = None
    # What the message needs beyond what the hub reads itself (e.g. the information asked for).
    detail: dict[str, str] = Field(default_factory=dict)


class DeliverDue(BaseModel):
    """Send the messages still queued whose time has come (held for quiet hours, or resent by an
    operator); ``keys`` limits it to those messages."""

    keys: list[str] = Field(default_factory=list)
    # Or: store and send the messages of this event (one that no workflow of its own announces).
    event: NotifyEvent | None = None


class Delivered(BaseModel):
    """How many messages a delivery round handed over, and how many failed."""

    sent: int = 0
    failed: int = 0
