"""Parts of a life event applied for on a later date (``not_before``: the old-age allowance on the
80th birthday of a person retiring at 60). The one form validates their answers but does not check
their service's rules: those are checked on the day the part is filed, by the case's workflow,
against what the registries hold then; the results are kept on the case for the part's request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from forms.catalog import Catalog
from forms.clock import BEIJING
from hub.clock import today
from hub.db.records import first
from hub.db.tables import LifeEventCase
from hub.db.transactions import writing
from hub.errors import HubError
from hub.life_events.forms import filed_spec
from hub.registry import applicant_data
from hub.requests.filing import benefit_person, eligibility
from hub.sealing import open_answers
from workflows.life_events.types import FilePart, PartChecked


def scheduled_part(answers: str, due: dt.date) -> dict[str, Any]:
    """A scheduled part as the case stores it at filing: its sealed answers and its date; its rules'
    results come on that date. A date already passed files it at once (it only waits its turn)."""
    return {
        "answers": answers,
        "results": "[]",
        "expected": None,
        "state": "scheduled" if due > today() else "waiting",
        "ref": None,
        "not_before": due.isoformat(),
    }


def due_date(stored: dict[str, Any]) -> dt.date | None:
    """The date a stored part is applied for, if it is scheduled."""
    value = stored.get("not_before")
    return dt.date.fromisoformat(value) if value else None


def due_at(stored: dict[str, Any]) -> dt.datetime | None:
    """The moment a stored scheduled part is filed: the start of its date in Beijing."""
    due = due_date(stored)
    return dt.datetime.combine(due, dt.time(), BEIJING) if due else None


async def check_scheduled(catalog: Catalog, filing: FilePart) -> PartChecked:
    """A scheduled part's service rules checked today, as they would be at filing: the failed rules,
    or its results and expected amount kept on the case for the request filed next."""
    case = await LifeEventCase.objects().where(LifeEventCase.id == filing.case_id).first()
    assert case is not None, "a case's workflow runs for a stored case"
    event = catalog.life_events[case.event_id]
    stored = json.loads(case.parts)[filing.part_id] if isinstance(case.parts, str) else case.parts[filing.part_id]
    spec = filed_spec(catalog, event.part(filing.part_id), stored)
    answers = open_answers(spec.personal_fields, json.loads(stored["answers"]))
    profile, enterprise = await applicant_data(case.applicant, purpose=f"eligibility of {spec.id} on its date")
    person = await benefit_person(spec, answers, "benefit amount expected at filing")
    try:
        results, expected = eligibility(spec, answers, profile, enterprise, case.locale, person)
    except HubError as exc:
        return PartChecked(eligible=False, failed=[r["rule"] for r in exc.rules if not r["passed"]])
    lock = " FOR UPDATE" if isinstance(LifeEventCase._meta.db, PostgresEngine) else ""
    async with writing():
        row = await first(LifeEventCase, "SELECT parts FROM life_event_case WHERE id = {}" + lock, case.id)
        assert row is not None
        parts = json.loads(row["parts"]) if isinstance(row["parts"], str) else row["parts"]
        parts[filing.part_id] |= {"results": results, "expected": expected}
        await LifeEventCase.raw(
            "UPDATE life_event_case SET parts = {} WHERE id = {}", json.dumps(parts, ensure_ascii=False), case.id
        )
    return PartChecked(eligible=True)
