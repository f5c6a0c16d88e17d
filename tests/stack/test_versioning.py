"""A new version of a service while requests are in flight: each request finishes on the version
it was filed under; new requests take the new one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms.catalog import CATALOG_DIR
from tests.stack.flows import SERVICE, decide, file_request, open_task, wait_closed
from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack

# Version 2 adds a third stage: the finance bureau sets up the monthly payment.
EXTRA_STAGE = """
[[route]]
id = "payment-setup"
title = "Approval of the allowance"
departments = ["finance"]
time_limit_days = 5
"""


@pytest.fixture(scope="module")
def versioned(tmp_path_factory):
    root = tmp_path_factory.mktemp("versioned")
    catalog = root / "catalog"
    shutil.copytree(CATALOG_DIR, catalog, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    hub = start_stack(root / "stack", QINQING_CATALOG_DIR=str(catalog))
    try:
        yield hub, catalog
    finally:
        hub.shutdown()


def publish_version_2(catalog: Path) -> None:
    v1 = (catalog / "services" / f"{SERVICE}.toml").read_text()
    v2 = v1.replace("version = 1", "version = 2", 1).replace("[outcome]", EXTRA_STAGE + "\n[outcome]", 1)
    (catalog / "services" / f"{SERVICE}.v2.toml").write_text(v2)


def test_requests_in_flight_keep_their_version(versioned):
    stack, catalog = versioned
    citizen, street, civil = (Api(stack.base_url, u) for u in ("zhangsan", "street.clerk", "civil.clerk"))
    old = file_request(citizen).json()
    assert old["service_version"] == 1
    assert decide(street, open_task(street, old["ref"])["id"], "approve", "核实").status_code == 200

    publish_version_2(catalog)
    stack.restart("serve", "worker")  # the catalog is loaded at start
    assert Api(stack.base_url).get(f"/api/services/{SERVICE}").json()["version"] == 2

    # The old request finishes on version 1's route: two stages, no finance review.
    assert decide(civil, open_task(civil, old["ref"])["id"], "approve", "同意").status_code == 200
    done = wait_closed(citizen, old["ref"])
    assert done["state"] == "approved" and done["service_version"] == 1
    assert [t["stage_id"] for t in done["tasks"]] == ["residence-check", "approval"]

    # A new request follows version 2's three stages.
    new = file_request(citizen).json()
    assert new["service_version"] == 2
    finance = Api(stack.base_url, "finance.clerk")
    for clerk in (street, civil, finance):
        assert decide(clerk, open_task(clerk, new["ref"])["id"], "approve", "同意").status_code == 200
    done = wait_closed(citizen, new["ref"])
    assert [t["stage_id"] for t in done["tasks"]] == ["residence-check", "approval", "payment-setup"]


NEW_SERVICE = """
id = "dog-registration"
version = 1
title = "Dog registration"
summary = "Register a dog kept in the city and receive its registration certificate."
audience = ["citizen"]
topics = ["pets"]
owner = "public-security"
legal_basis = "Municipal regulations on dog keeping"
time_limit_days = 10

[[fields]]
name = "dog_name"
type = "text"
label = "Name of the dog"
max_length = 30
example = "Doudou"

[[fields]]
name = "vaccinated"
type = "boolean"
label = "Vaccinated against rabies"
example = true

[[rules]]
id = "vaccinated"
expression = "vaccinated == True"
message = "The dog must be vaccinated against rabies."

[[route]]
id = "community-check"
title = "Residence and living situation check"
departments = ["street-office"]
time_limit_days = 3

[[route]]
id = "registration"
title = "Approval of the allowance"
departments = ["public-security"]
time_limit_days = 5
"""


def test_a_new_service_file_needs_no_code(versioned):
    stack, catalog = versioned
    (catalog / "services" / "dog-registration.toml").write_text(NEW_SERVICE)
    assert stack.run("catalog", "check").returncode == 0
    stack.restart("serve", "worker")
    ids = [s["id"] for s in Api(stack.base_url).get("/api/services", params={"topic": "pets"}).json()]
    assert ids == ["dog-registration"]

    citizen = Api(stack.base_url, "lisi")
    r = citizen.post(
        "/api/requests",
        json={"service_id": "dog-registration", "answers": {"dog_name": "豆豆", "vaccinated": True}},
        headers={"Idempotency-Key": "new-service-dog-1"},
    )
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    for username in ("street.clerk", "police.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "同意").status_code == 200
    assert wait_closed(citizen, ref)["state"] == "approved"


def test_a_life_event_part_is_filed_with_the_version_it_was_checked_against(versioned):
    """The event names another version of the part's service while a case waits (here it goes back
    to an older one): the waiting part is still filed with the version its answers were checked
    against."""
    from tests.stack.test_life_events import case_of, decide_all, file_case, part_filed

    stack, catalog = versioned
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    ref = file_case(citizen, ["disability"]).json()["ref"]
    allowance = part_filed(citizen, ref, "allowance")

    event = catalog / "life_events" / "hard-times.toml"
    text = event.read_text()
    assert 'service = "disability-living-subsidy"\nversion = 2' in text
    event.write_text(
        text.replace(
            'service = "disability-living-subsidy"\nversion = 2', 'service = "disability-living-subsidy"\nversion = 1'
        )
    )
    assert stack.run("catalog", "check").returncode == 0
    stack.restart("serve", "worker")

    decide_all(stack, citizen, allowance, "approve")
    subsidy = part_filed(citizen, ref, "disability")
    assert citizen.get(f"/api/requests/{subsidy}").json()["service_version"] == 2
    assert next(p for p in case_of(citizen, ref)["parts"] if p["id"] == "disability")["state"] in ("filed", "approved")
