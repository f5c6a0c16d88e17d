"""Personal data in clear for a clerk of the reviewing department, who must say why: the reveal
(who, when, why, which fields) goes into the request's audit trail, and opens the task's personal
files to that clerk for a while."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from forms.validation import plain_text
from hub.accounts import Principal, name_of
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.records import load_json
from hub.db.tables import Account, AuditEvent
from hub.errors import invalid_field
from hub.i18n import N_
from hub.requests.presenter import stored_answers
from hub.workbench.access import load_department_task
from hub.workbench.moves import MAX_COMMENT

# A reveal (with its recorded reason) opens the task's personal files to the same clerk for this long.
REVEAL_OPENS_FILES_FOR = timedelta(minutes=30)
# At most this many fields are named in one reveal.
MAX_REVEALED_FIELDS = 50


class Revealed(msgspec.Struct):
    """What a reveal shows: the answers in clear, the fields it named, and with a reveal of every
    personal field the applicant's name in clear too ("" otherwise: it stays masked)."""

    applicant_name: str
    answers: dict[str, Any]
    fields: list[str]

    def values(self) -> dict[str, Any]:
        """Only the named fields' answers."""
        return {f: self.answers.get(f) for f in self.fields}


async def reveal_personal_data(
    actor: Actor, ctx: HubContext, task_id: int, reason: str, fields: list[str] | None = None
) -> Revealed:
    """The applicant's personal data in clear, with the reason recorded. ``fields`` names the
    personal fields wanted (top-level names); None reveals them all (the task page's reveal)."""
    reason = plain_text(reason)
    if len(reason) < 4:
        raise invalid_field("reason", "missing", N_("Say why you need to see the personal data."))
    if len(reason) > MAX_COMMENT:
        raise invalid_field("reason", "string_too_long", max_length=MAX_COMMENT)
    task, row = await load_department_task(task_id, actor.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    answers = stored_answers(spec, row)
    if fields is None:
        named = sorted(spec.personal_fields if spec else answers)
    else:
        top_level = {path.partition(".")[0] for path in (spec.personal_fields if spec else {})}
        if not fields or len(fields) > MAX_REVEALED_FIELDS or any(f not in top_level for f in fields):
            raise invalid_field("fields", "literal_error")
        named = list(dict.fromkeys(fields))
    # The name comes with a reveal of everything (the task page's), and the audit trail says so.
    applicant = await Account.objects().where(Account.id == row.applicant).first() if fields is None else None
    name = name_of(applicant) if applicant else ""
    with_name = {"applicant_name": True} if name else {}
    await record(
        actor,
        actor.user,
        "personal_data.revealed",
        "task",
        task.id,
        request=row.ref,
        fields=named,
        reason=reason,
        **with_name,
    )
    return Revealed(applicant_name=name, answers=answers, fields=named)


async def revealed_lately(user: Principal, task_id: int, path: str) -> bool:
    """Whether this account revealed the personal field at ``path`` of this task lately."""
    parts = path.split(".")
    names = {parts[0], f"{parts[0]}.{parts[-1]}"}  # the field, or its group's field (group.<i>.field)
    events = await AuditEvent.select(AuditEvent.detail).where(
        (AuditEvent.actor == user.id)
        & (AuditEvent.action == "personal_data.revealed")
        & (AuditEvent.object_type == "task")
        & (AuditEvent.object_id == str(task_id))
        & (AuditEvent.at >= now() - REVEAL_OPENS_FILES_FOR)
    )
    return any(names & set(load_json(e["detail"]).get("fields", [])) for e in events)


async def page_reveal(actor: Actor, ctx: HubContext, task_id: int) -> Revealed | None:
    """What this clerk's reveal of every personal field of the task (the task page's, its reason
    recorded) shows, for the page it leads to and its reloads; None once it is older than
    ``REVEAL_OPENS_FILES_FOR``, as for the files. Nothing is revealed again without a new reason."""
    task, row = await load_department_task(task_id, actor.user)
    assert actor.user is not None, "load_department_task finds no task for nobody"
    spec = ctx.catalog.version(row.service_id, row.service_version)
    answers = stored_answers(spec, row)
    named = sorted(spec.personal_fields if spec else answers)
    events = await AuditEvent.select(AuditEvent.detail).where(
        (AuditEvent.actor == actor.user.id)
        & (AuditEvent.action == "personal_data.revealed")
        & (AuditEvent.object_type == "task")
        & (AuditEvent.object_id == str(task.id))
        & (AuditEvent.at >= now() - REVEAL_OPENS_FILES_FOR)
    )
    details = [load_json(e["detail"]) for e in events]
    whole = [d for d in details if set(named) <= set(d.get("fields", []))]
    if not whole:
        return None
    named_too = any(d.get("applicant_name") for d in whole)
    applicant = await Account.objects().where(Account.id == row.applicant).first() if named_too else None
    return Revealed(applicant_name=name_of(applicant) if applicant else "", answers=answers, fields=named)
