"""Who is offered which life event: the lists (page, API, home page) use the rule that refuses a
caller at the form, so they never offer what the form would refuse."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from hub.accounts import Principal
from hub.errors import HubError
from hub.life_events.filing import require_event_audience
from hub.life_events.views import events_for

CATALOG = load_catalog()


def person(role: str, enterprise_role: str | None = None) -> Principal:
    return Principal(
        id=1,
        username="someone",
        full_name="某人",
        role=role,
        department="street-office" if role == "clerk" else None,
        locale="en",
        enterprise=7 if role == "enterprise" else None,
        enterprise_role=enterprise_role,
    )


@pytest.mark.parametrize(
    "user",
    [person("citizen"), person("enterprise", "approver"), person("enterprise", "preparer")],
    ids=["citizen", "approver", "preparer"],
)
def test_an_applicant_is_offered_exactly_what_the_form_accepts(user):
    offered = {e.id for e in events_for(CATALOG, user)}
    for event in CATALOG.life_events.values():
        try:
            require_event_audience(event, user)
        except HubError:
            assert event.id not in offered
        else:
            assert event.id in offered


def test_who_is_offered_what():
    assert {e.id for e in events_for(CATALOG, person("citizen"))} == {
        "hard-times",
        "newborn",
        "restaurant",
        "retirement",
    }
    assert {e.id for e in events_for(CATALOG, person("enterprise", "approver"))} == {"hiring"}
    assert events_for(CATALOG, person("enterprise", "preparer")) == []
    # Signed out, or staff browsing the catalog: every life event (each says who it is for).
    assert len(events_for(CATALOG, None)) == len(events_for(CATALOG, person("clerk"))) == len(CATALOG.life_events)
