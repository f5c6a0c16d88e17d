"""Every service in the catalog, filed and walked through its whole route by the real workflow:
once to approval and once to rejection."""

from __future__ import annotations

import uuid

import pytest

from forms.catalog import load_catalog
from forms.samples import example_answers
from hub.i18n import gettext
from hub.seed import DEMO_ACCOUNTS
from tests.stack.flows import decide, pdf_text, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

CATALOG = load_catalog()
SERVICES = CATALOG.current()
CLERKS = {department: username for username, _, role, department, *_ in DEMO_ACCOUNTS if role == "clerk"}
# The smallest files each accepted type is recognised by (uploads are checked by content).
SAMPLE_FILES = {
    "application/pdf": ("proof.pdf", b"%PDF-1.4\n% sample\n%%EOF\n"),
    "image/png": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "image/jpeg": ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
}


def file_service(stack, spec) -> tuple[Api, dict]:
    """File the service as the first demo applicant its rules admit; returns (applicant, request)."""
    refusals = {}
    for username, _, role, *_ in DEMO_ACCOUNTS:
        if role not in spec.audience:
            continue
        applicant = Api(stack.base_url, username)

        def upload(field):
            name, content = SAMPLE_FILES[field.accept[0]]
            r = applicant.post("/api/uploads", files={"data": (name, content)})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        r = applicant.post(
            "/api/requests",
            json={"service_id": spec.id, "answers": example_answers(spec, upload)},
            headers={"Idempotency-Key": f"catalog-{uuid.uuid4()}"},
        )
        if r.status_code == 201:
            return applicant, r.json()
        refusals[username] = r.json()
        assert r.json().get("type") == "/problems/not-eligible", f"{spec.id} as {username}: {r.text}"
    pytest.fail(f"no demo applicant is eligible for {spec.id}: {refusals}")


def next_open_task(stack, applicant: Api, ref: str):
    """The next task waiting for a clerk, with that clerk signed in; None once the request is closed."""

    def ready():
        body = applicant.get(f"/api/requests/{ref}").json()
        if body["state"] in ("approved", "rejected"):
            return ("closed", None)
        for task in body["tasks"]:
            if task["state"] == "open":
                clerk = Api(stack.base_url, CLERKS[task["department"]["code"]])
                inbox = clerk.get("/api/tasks").json()
                found = next((t for t in inbox if t["request_ref"] == ref and t["stage_id"] == task["stage_id"]), None)
                if found:
                    return ("task", (clerk, found))
        return None

    kind, value = wait_for(ready, timeout=60, what=f"the next step of {ref}")
    return value


@pytest.mark.parametrize("spec", SERVICES, ids=[s.id for s in SERVICES])
def test_service_walks_to_approval(stack, spec):
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    reviewed = set()
    while (step := next_open_task(stack, applicant, ref)) is not None:
        clerk, task = step
        r = decide(clerk, task["id"], "approve", "材料齐全，同意")
        assert r.status_code == 200, r.text
        reviewed.add(task["stage_id"])
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved", done["timeline"]
    review_stages = [s.id for s in spec.route if s.kind == "review" and s.when is None]
    assert set(review_stages) <= reviewed
    assert all(c["passed"] for c in done["checks"])
    if spec.outcome.amount:
        assert done["amount"] is not None and float(done["amount"]) >= 0
    text = pdf_text(applicant.get(done["documents"][0]["download_url"]).content)
    assert gettext("zh_CN", spec.title) in text.replace("\n", "").replace(" ", "") or gettext("zh_CN", spec.title)[:8] in text
    assert "决定批准" in text


@pytest.mark.parametrize("spec", SERVICES, ids=[s.id for s in SERVICES])
def test_service_walks_to_rejection(stack, spec):
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    step = next_open_task(stack, applicant, ref)
    assert step is not None, f"{spec.id} closed without any review"
    clerk, task = step
    assert decide(clerk, task["id"], "reject", "材料不符合要求").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "rejected"
    text = pdf_text(applicant.get(done["documents"][0]["download_url"]).content)
    assert "材料不符合要求" in text and "行政复议" in text
