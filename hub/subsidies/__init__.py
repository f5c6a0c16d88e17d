"""Subsidy programs, claims and matching: the hub's side of the subsidy workflows.

What other domains may use (their front door): a program's spec as stored, why a claim ended as it
did, and withdrawing a claim that is only prepared (with the request that carries it)."""

from hub.subsidies.claims import CLAIM_REASONS, withdraw_prepared
from hub.subsidies.programs import parse_spec

__all__ = ["CLAIM_REASONS", "parse_spec", "withdraw_prepared"]
