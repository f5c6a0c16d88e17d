"""Drafts of a life event's one form: what the applicant typed so far and the optional parts they
ticked, kept as a service's draft is (``hub.requests.drafts``): one per applicant and life event,
its personal answers sealed at rest, thrown away by its owner only (from My requests), purged by
retention, and consumed when the life event is filed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms.catalog import Catalog
from forms.life_events import LifeEventSpec
from hub.accounts import Principal
from hub.db.records import load_json
from hub.db.tables import Draft
from hub.life_events.forms import personal_fields
from hub.requests.drafts import store_draft
from hub.sealing import open_answers, seal_answers

# "<account id>:life-event:<life event id>": apart from a service's draft ("<account id>:<service id>").
LIFE_EVENT_DRAFT = ":life-event:"


@dataclass(frozen=True)
class EventDraft:
    """A saved draft of the one form, its personal answers opened."""

    answers: dict[str, Any]
    parts: list[str]


def event_draft_scope(account: int, event_id: str) -> str:
    """One draft per applicant and life event."""
    return f"{account}{LIFE_EVENT_DRAFT}{event_id}"


async def save_event_draft(
    catalog: Catalog, user: Principal, event: LifeEventSpec, answers: dict[str, Any], parts: list[str]
) -> None:
    """Save the one form's answers so far, and the optional parts ticked, as the applicant's draft
    of the life event (replacing the one saved before), sealed as a filed case's answers are."""
    optional = {p.id for p in event.parts if p.optional}
    content = {
        "answers": seal_answers(personal_fields(catalog, event), answers),
        "parts": [p for p in parts if p in optional],
    }
    await store_draft(user, event_draft_scope(user.id, event.id), "life_event", event.id, event.version, content)


async def load_event_draft(catalog: Catalog, user: Principal, event: LifeEventSpec) -> EventDraft | None:
    """The applicant's own saved draft of the life event, if any."""
    row = await Draft.objects().where(Draft.scope == event_draft_scope(user.id, event.id)).first()
    if row is None or row.kind != "life_event":
        return None
    content = load_json(row.answers)
    answers = content.get("answers") if isinstance(content, dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    return EventDraft(
        answers=open_answers(personal_fields(catalog, event), answers) if isinstance(answers, dict) else {},
        parts=[p for p in parts if isinstance(p, str)] if isinstance(parts, list) else [],
    )


async def consume_event_draft(account: int, event_id: str) -> None:
    """The applicant's draft of the life event is used up: the life event is filed."""
    await Draft.delete().where(Draft.scope == event_draft_scope(account, event_id))
