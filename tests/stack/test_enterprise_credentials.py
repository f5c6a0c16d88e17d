"""Credentials held by an enterprise through the real stack: the employment registration the bureau
issues on the approver's application is the enterprise's, so its preparer holds it too, names the
enterprise (not the person who applied) as its subject, and it stands in for the proof on the
enterprise's subsidy form without an upload; the subsidy decision is the enterprise's as well. No
other enterprise's agent sees it, downloads it, shares it or files with it."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import decide, example_submission, hub_python, next_open_task, wait_closed
from tests.stack.harness import Api

pytestmark = [pytest.mark.stack, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

CATALOG = load_catalog()


def wallet(agent: Api, type_id: str) -> list[dict]:
    r = agent.get("/api/wallet")
    assert r.status_code == 200, r.text
    return [c for c in r.json()["credentials"] if c["type"] == type_id]


def subject_of(agent: Api, credential: dict) -> str:
    token = agent.get(credential["download_url"])
    assert token.status_code == 200, token.text
    payload = token.text.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def approve_all(stack, applicant: Api, ref: str) -> dict:
    while (step := next_open_task(stack, applicant, ref)) is not None:
        clerk, task = step
        if task.get("confirm"):
            assert clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True}).status_code == 200
            continue
        assert decide(clerk, task["id"], "approve", "材料齐全，同意").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved", done
    return done


def file(agent: Api, body: dict):
    return agent.post("/api/requests", json=body, headers={"Idempotency-Key": f"ent-{uuid.uuid4()}"})


@pytest.fixture(scope="module")
def registration(stack):
    """The approver of 云栖 files an employment registration and the bureau approves it."""
    approver = Api(stack.base_url, "yunqi")
    # Other tests on the same stack may have registered 云栖's employees too: this one is the new one.
    before = {c["id"] for c in wallet(approver, "employment-registration")}
    filed = file(approver, example_submission(approver, CATALOG.latest("employment-registration")))
    assert filed.status_code == 201, filed.text
    approve_all(stack, approver, filed.json()["ref"])
    [held] = [c for c in wallet(approver, "employment-registration") if c["id"] not in before]
    assert held["status"] == "valid"
    return held


def test_everyone_acting_for_the_enterprise_holds_its_credential(stack, registration):
    preparer = Api(stack.base_url, "yunqi.preparer")
    [seen] = [c for c in wallet(preparer, "employment-registration") if c["id"] == registration["id"]]
    assert seen["status"] == "valid" and seen["source"] == "hub"
    # It names the enterprise as its subject, as the enterprise's business licence does: not the
    # person who happened to apply.
    [licence] = wallet(preparer, "business-licence")
    assert subject_of(preparer, seen) == subject_of(preparer, licence)
    assert subject_of(Api(stack.base_url, "yunqi"), seen) == subject_of(preparer, seen)


def test_another_enterprises_agent_neither_sees_nor_uses_it(stack, registration):
    other = Api(stack.base_url, "chashe")
    assert registration["id"] not in {c["id"] for c in other.get("/api/wallet").json()["credentials"]}
    assert other.get(registration["download_url"]).status_code == 404
    shared = other.post(f"/api/wallet/credentials/{registration['id']}/shares", json={"fields": ["job_title"]})
    assert shared.status_code == 404
    # Naming it on its own subsidy form is refused at the field, as a credential it does not hold.
    body = example_submission(other, CATALOG.latest("new-hire-social-insurance-subsidy"))
    body["answers"]["employment_registration"] = {"credential": registration["id"]}
    refused = file(other, body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["employment_registration"]


def test_it_stands_in_for_the_proof_on_the_enterprises_subsidy_and_the_decision_is_held_too(stack, registration):
    spec = CATALOG.latest("new-hire-social-insurance-subsidy")
    assert spec.field("employment_registration").credential == "employment-registration"
    preparer, approver = Api(stack.base_url, "yunqi.preparer"), Api(stack.base_url, "yunqi")
    decided_before = {c["id"] for c in wallet(preparer, "employment-subsidy-decision")}
    body = example_submission(preparer, spec)
    assert "employment_registration" not in body["answers"]  # nothing uploaded: the enterprise holds it
    prepared = file(preparer, body)
    assert prepared.status_code == 201, prepared.text
    ref = prepared.json()["ref"]
    request = preparer.get(f"/api/requests/{ref}").json()
    assert request["answers"]["employment_registration"]["credential"] == registration["id"]
    [used] = [c for c in request["credentials"] if c["field"] == "employment_registration"]
    assert used["credential"] == registration["id"] and used["status_at_filing"] == "valid"
    submitted = approver.post(f"/api/requests/{ref}/submission")
    assert submitted.status_code in (200, 202), submitted.text
    approve_all(stack, approver, ref)
    # The subsidy decision is the enterprise's: the preparer holds it as well as the approver.
    [decision] = [c for c in wallet(preparer, "employment-subsidy-decision") if c["id"] not in decided_before]
    assert decision["status"] == "valid"
    claims = {c["name"]: c["value"] for c in decision["claims"]}
    assert claims["holder_id"] == "91330106MA2H3K1X75" and claims["document_number"]
    assert decision["id"] in {c["id"] for c in wallet(approver, "employment-subsidy-decision")}
    assert decision["id"] not in {c["id"] for c in wallet(Api(stack.base_url, "chashe"), "employment-subsidy-decision")}


def test_someone_who_stops_acting_for_the_enterprise_keeps_none_of_its_credentials(stack, registration):
    # A new preparer of 云栖 (the same password as the demo accounts) holds the enterprise's credentials...
    hub_python(
        stack,
        "from hub.accounts import sealed_name\nfrom hub.clock import now\n"
        "source = await Account.objects().where(Account.username == 'yunqi.preparer').first()\n"
        "await Account.insert(Account(username='yunqi.intern', full_name=sealed_name('吴敏'), role='enterprise', "
        "enterprise_role='preparer', enterprise=source.enterprise, password_hash=source.password_hash, "
        "locale='zh_CN', created_at=now()))",
    )
    assert registration["id"] in {
        c["id"] for c in Api(stack.base_url, "yunqi.intern").get("/api/wallet").json()["credentials"]
    }
    # ...until they act for another enterprise: then they hold that one's, and none of 云栖's.
    hub_python(
        stack,
        "other = await Account.objects().where(Account.username == 'chashe').first()\n"
        "await Account.update({Account.enterprise: other.enterprise}).where(Account.username == 'yunqi.intern')",
    )
    moved = Api(stack.base_url, "yunqi.intern")
    held = moved.get("/api/wallet").json()["credentials"]
    assert registration["id"] not in {c["id"] for c in held}
    assert moved.get(registration["download_url"]).status_code == 404
    [licence] = [c for c in held if c["type"] == "business-licence"]
    assert {c["name"]: c["value"] for c in licence["claims"]}["holder_id"] == "92330106MA2J8L4Q58"
