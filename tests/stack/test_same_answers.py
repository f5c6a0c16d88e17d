"""The same mistake gets the same answer from the API and from the pages: a service filed by an
account it is not for is refused as not allowed (403, ``wrong-audience``), saying whom it is for."""

from __future__ import annotations

import pytest

from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

ENTERPRISE_ONLY = "graduate-rent-subsidy"


def test_a_citizen_filing_an_enterprise_service_is_not_allowed_on_the_api_and_the_page(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    r = citizen.post(
        "/api/requests",
        json={"service_id": ENTERPRISE_ONLY, "answers": {}},
        headers={"Idempotency-Key": "wrong-audience-1"},
    )
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/wrong-audience"
    assert r.json()["detail"] == "This service is for enterprises only."

    page = signed_in_page_client(stack, "zhangsan", locale="en").get(f"/services/{ENTERPRISE_ONLY}/apply")
    assert page.status_code == 403
    assert "This service is for enterprises only." in page.text
