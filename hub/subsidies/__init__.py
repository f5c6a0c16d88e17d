"""Subsidy programs, claims and matching: the hub's side of the subsidy workflows.

What other domains may use (their front door): a program's spec as stored, why a claim ended as it
did, withdrawing a claim that is only prepared (with the request that carries it) and telling one
so withdrawn (``withdrawn_before_submission``), the message
telling an enterprise its claim was paid (recorded with the payment notice), and settling the
approvers' message that a prepared claim waits for them once it no longer waits, and how a claim's
request nobody submitted ended (``unsubmitted_end``), and the program a request claims."""

from hub.subsidies.claims import (
    CLAIM_REASONS,
    WITHDRAWN_BEFORE_SUBMISSION,
    withdraw_prepared,
    withdrawn_before_submission,
)
from hub.subsidies.messages import (
    NO_LONGER_WAITS,
    MessageOutbox,
    PaidMessage,
    paid_message,
    settle_waiting,
    still_waits,
)
from hub.subsidies.people import unsubmitted_end
from hub.subsidies.programs import claimed_program, parse_spec

__all__ = [
    "CLAIM_REASONS",
    "NO_LONGER_WAITS",
    "WITHDRAWN_BEFORE_SUBMISSION",
    "MessageOutbox",
    "PaidMessage",
    "claimed_program",
    "paid_message",
    "parse_spec",
    "settle_waiting",
    "still_waits",
    "unsubmitted_end",
    "withdraw_prepared",
    "withdrawn_before_submission",
]
