"""What date a held credential is said to be issued on: its issuer's, never the day the hub signed a
registry's record (a man born in 1940 was not issued his identity card today)."""

from __future__ import annotations

import datetime as dt

from hub.credentials.wallet import issued_on
from hub.web.pages.forms import we_have_it

SIGNED = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)  # 2 March in Beijing


def test_a_registry_record_without_its_date_of_issue_has_none():
    assert issued_on({"source": "registry", "issued_at": SIGNED}, {"holder_id": "330106194003150011"}) is None
    assert issued_on({"source": "registry", "issued_at": SIGNED}, {"issued_on": "2019-04-12"}) == dt.date(2019, 4, 12)
    assert issued_on({"source": "hub", "issued_at": SIGNED}, {}) == dt.date(2026, 3, 2)


def test_a_form_says_the_hub_signed_a_record_that_does_not_say_when_it_was_issued():
    held = {"id": "x", "title": "Resident identity card", "issuer": "Public security bureau", "date": ""}
    assert we_have_it({**held, "signed": "March 2, 2026"}, "en") == (
        "We already have this: Resident identity card, from Public security bureau, signed by the hub on March 2, 2026."
    )
    assert we_have_it({**held, "date": "April 12, 2019", "signed": "March 2, 2026"}, "en") == (
        "We already have this: Resident identity card, issued by Public security bureau on April 12, 2019."
    )
