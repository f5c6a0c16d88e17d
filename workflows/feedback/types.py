"""What the feedback workflows and activities pass each other."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CaseClock(BaseModel):
    """A case's time limit: at ``due_at`` an unanswered case escalates to the department's supervisors."""

    ref: str
    due_at: datetime


class Escalation(BaseModel):
    """What escalating a case did: ``department`` is empty when there was nothing to escalate (the
    case was answered in time, or escalated already)."""

    department: str = ""
    account_id: int | None = None


class Answered(BaseModel):
    """The case was answered: its author (if any, and followed by name) is told."""

    account_id: int | None = None


class InvitationRound(BaseModel):
    """Invite the applicants of requests decided at least ``after_seconds`` ago and not rated."""

    after_seconds: float


class Invitations(BaseModel):
    """The requests whose applicants are now invited (each once, ever)."""

    request_ids: list[int] = Field(default_factory=list)
    # Cases whose clock was never started (Temporal was away when they were opened).
    unstarted: list[CaseClock] = Field(default_factory=list)
