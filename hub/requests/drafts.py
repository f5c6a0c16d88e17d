"""Drafts: the answers so far of a form not yet filed, one per applicant and form, sealed at rest
like a filed request's answers, thrown away by their owner only, and purged by retention.

A form is a service's (a claim's form is its program's service's) or a life event's one form
(``hub.life_events.drafts`` keeps those, through ``store_draft`` here)."""

from __future__ import annotations

import json
from typing import Any, Literal

from forms.spec import ServiceSpec
from hub.accounts import Principal
from hub.clock import now
from hub.db.records import load_json
from hub.db.tables import Draft, Upload
from hub.sealing import open_answers, seal_answers

# Whose form a draft is (``Draft.kind``).
DraftKind = Literal["service", "life_event"]
# A claim's form is its program's service's form, saved apart from that service's own draft.
CLAIM_DRAFT = ":claim:"


def draft_scope(user: Principal, spec: ServiceSpec, program: str = "") -> str:
    """One draft per applicant and service, or per applicant and program for a claim's form."""
    return f"{user.id}{CLAIM_DRAFT}{program}" if program else f"{user.id}:{spec.id}"


def draft_answers(spec: ServiceSpec, draft: Draft) -> dict[str, Any]:
    """A draft's answers with its personal values opened."""
    return open_answers(spec.personal_fields, load_json(draft.answers))


async def load_draft(user: Principal, spec: ServiceSpec, program: str = "") -> Draft | None:
    """The applicant's saved draft of this form (or of this program's claim), if any."""
    return await Draft.objects().where(Draft.scope == draft_scope(user, spec, program)).first()


async def save_draft(user: Principal, spec: ServiceSpec, answers: dict[str, Any], program: str = "") -> None:
    """Save the answers so far as the applicant's draft of this form (one per form), sealed."""
    # A draft holds personal answers too: sealed at rest like a filed request's.
    content = seal_answers(spec.personal_fields, answers)
    await store_draft(user, draft_scope(user, spec, program), "service", spec.id, spec.version, content)


async def store_draft(
    user: Principal, scope: str, kind: DraftKind, form_id: str, version: int, content: dict[str, Any]
) -> None:
    """Keep ``content`` (its personal values sealed already) as the applicant's one draft of the form
    ``scope`` names, replacing the one saved before."""
    stamp = now()
    await Draft.insert(
        Draft(
            scope=scope,
            account=user.id,
            kind=kind,
            service_id=form_id,
            service_version=version,
            answers=json.dumps(content, ensure_ascii=False),
            created_at=stamp,
            updated_at=stamp,
        )
    ).on_conflict(
        target=Draft.scope,
        action="DO UPDATE",
        values=[Draft.answers, Draft.updated_at, Draft.service_version],
    )


async def discard_draft(user: Principal, draft_id: int) -> bool:
    """Throw away one of the applicant's own drafts; False when they have none by that id (another
    person's draft is none of theirs). The uploads it referred to stay the applicant's."""
    deleted = await Draft.delete().where((Draft.id == draft_id) & (Draft.account == user.id)).returning(Draft.id)
    return bool(deleted)


async def filenames(user: Principal, answers: dict[str, Any]) -> dict[str, str]:
    """The names of the applicant's own uploads these answers refer to, by upload id."""
    tokens = [v for v in _walk(answers) if isinstance(v, str) and v.startswith("upl_")]
    if not tokens:
        return {}
    rows = await Upload.select(Upload.token, Upload.filename).where(
        Upload.token.is_in(tokens) & (Upload.owner == user.id)
    )
    return {r["token"]: r["filename"] for r in rows}


def _walk(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value
