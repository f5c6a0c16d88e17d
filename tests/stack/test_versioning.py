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
