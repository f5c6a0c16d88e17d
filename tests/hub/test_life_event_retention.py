"""Retention of a life event's case: once it has been done longer than the retention period, the
personal answers kept with its parts go (the requests they became are anonymised on their own);
what is not personal stays. In process, against a real SQLite database."""

from __future__ import annotations

import datetime as dt
import json

from forms.catalog import load_catalog
from hub.db.tables import Account, AuditEvent, LifeEventCase
from hub.retention import anonymise_life_events

LONG_AGO = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)


async def case(ref: str, state: str, updated_at: dt.datetime) -> None:
    (account,) = await Account.insert(
        Account(username=f"applicant-{ref}", full_name="x", role="citizen", password_hash="x", created_at=LONG_AGO)
    ).returning(Account.id)
    # Each part's answers as filing keeps them: their JSON text (personal values sealed).
    allowance = {"full_name": "sealed-name", "hardship": "sealed-words", "authorises_checks": True}
    parts = {
        "allowance": {"version": 2, "answers": json.dumps(allowance), "state": "approved", "ref": "QQ1"},
        "disability": {
            "version": 2,
            "answers": json.dumps({"disability_grade": "sealed-grade"}),
            "state": "approved",
            "ref": "QQ2",
        },
    }
    await LifeEventCase.insert(
        LifeEventCase(
            ref=ref,
            workflow_id=f"life-event-{ref}",
            event_id="hard-times",
            event_version=1,
            applicant=account["id"],
            idempotency_scope=ref,
            payload_hash="-",
            state=state,
            parts=json.dumps(parts),
            locale="zh_CN",
            created_at=LONG_AGO,
            updated_at=updated_at,
        )
    )


async def stored_parts(ref: str) -> dict:
    row = await LifeEventCase.select(LifeEventCase.parts).where(LifeEventCase.ref == ref).first()
    return json.loads(row["parts"]) if isinstance(row["parts"], str) else row["parts"]


async def test_a_case_done_long_ago_keeps_no_personal_answers(database):
    await case("LEOLD", "done", LONG_AGO)
    await case("LERECENT", "done", dt.datetime.now(dt.UTC))
    await case("LEOPEN", "in_progress", LONG_AGO)  # a part may still be filed: its answers are needed
    catalog = load_catalog()
    assert await anonymise_life_events(catalog, days=365) == 1
    old = await stored_parts("LEOLD")
    assert json.loads(old["allowance"]["answers"]) == {"authorises_checks": True}
    assert json.loads(old["disability"]["answers"]) == {} and old["allowance"]["state"] == "approved"
    assert "hardship" in json.loads((await stored_parts("LERECENT"))["allowance"]["answers"])
    assert "hardship" in json.loads((await stored_parts("LEOPEN"))["allowance"]["answers"])
    assert await AuditEvent.count().where(AuditEvent.action == "life_event.anonymised") == 1
    assert await anonymise_life_events(catalog, days=365) == 0  # once
