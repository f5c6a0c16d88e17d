"""Every service in the catalog, filed and walked through its whole route by the real workflow:
once to approval and once to rejection.

On PostgreSQL (``make test-postgres``) five services stand for the rest: each walk goes through the
same statements whatever the service, and what differs between services (forms, routes, documents)
is covered by the run on SQLite. The five are the kinds of route there are: a benefit paid monthly
over two stages, approval by rule with a stage only for large amounts, three stages with a home
visit only where needed, approval on a signed commitment, and an enterprise's subsidy over three
stages."""

from __future__ import annotations

import os

import pytest

from forms.catalog import load_catalog
from hub.i18n import gettext
from tests.stack.flows import decide, decision_of, file_service, next_open_task, pdf_text, wait_closed

pytestmark = pytest.mark.stack

CATALOG = load_catalog()
SERVICES = CATALOG.current()
ON_POSTGRESQL = (
    "elderly-care-allowance",
    "job-stabilisation-subsidy",
    "minimum-living-allowance",
    "food-business-licence",
    "rnd-expense-subsidy",
)
WALKED = [s for s in SERVICES if s.id in ON_POSTGRESQL] if os.environ.get("QINQING_TEST_DATABASE_URL") else SERVICES
# Answers that fail an automatic check of each service approved by rule (instant): not refused, the
# request goes to its departments, whose clerk may reject it.
FAILING_A_CHECK = {"job-stabilisation-subsidy": {"layoffs_last_year": 1000}}


@pytest.mark.parametrize("spec", WALKED, ids=[s.id for s in WALKED])
def test_service_walks_to_approval(stack, spec):
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    reviewed = set()
    while (step := next_open_task(stack, applicant, ref)) is not None:
        clerk, task = step
        if task.get("confirm"):  # a large amount: a second clerk confirms the approval
            r = clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True, "comment": "复核同意"})
            assert r.status_code == 200, r.text
            continue
        r = decide(clerk, task["id"], "approve", "材料齐全，同意")
        assert r.status_code == 200, r.text
        reviewed.add(task["stage_id"])
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved", done["timeline"]
    review_stages = [s.id for s in spec.route if s.kind == "review" and s.when is None]
    if spec.instant:  # its checks pass on the example answers: approved by rule, no clerk
        assert not reviewed and done["tasks"] == []
    else:
        assert set(review_stages) <= reviewed
    assert all(c["passed"] for c in done["checks"])
    if spec.outcome.amount:
        assert done["amount"] is not None and float(done["amount"]) >= 0
    text = pdf_text(applicant.get(decision_of(done)["download_url"]).content)
    assert (
        gettext("zh_CN", spec.title) in text.replace("\n", "").replace(" ", "")
        or gettext("zh_CN", spec.title)[:8] in text
    )
    assert "决定批准" in text
    assert ("秒批" in text) == spec.instant


def test_every_service_approved_by_rule_can_fail_a_check():
    assert {s.id for s in SERVICES if s.instant} == set(FAILING_A_CHECK)


def test_the_services_walked_on_postgresql_are_in_the_catalog():
    assert set(ON_POSTGRESQL) <= {s.id for s in SERVICES}


@pytest.mark.parametrize("spec", WALKED, ids=[s.id for s in WALKED])
def test_service_walks_to_rejection(stack, spec):
    applicant, filed = file_service(stack, spec, **FAILING_A_CHECK.get(spec.id, {}))
    ref = filed["ref"]
    step = next_open_task(stack, applicant, ref)
    assert step is not None, f"{spec.id} closed without any review"
    clerk, task = step
    assert decide(clerk, task["id"], "reject", "材料不符合要求").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "rejected"
    text = pdf_text(applicant.get(decision_of(done)["download_url"]).content)
    assert "材料不符合要求" in text and "行政复议" in text
