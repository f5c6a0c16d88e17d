"""The policy finds the enterprise, and tells it how far it is: under each criterion of *Policies
for you*, the enterprise's own registry values the criterion reads (in the API, and on the page
under a criterion it does not meet), its own alone."""

from __future__ import annotations

import pytest

from tests.stack.db import sql
from tests.stack.flows import program_spec, wait_for
from tests.stack.harness import Api
from tests.stack.test_claim_and_task_pages import english_pages
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

QIHANG_USCC = "91330106MA7E2R9P3T"  # a start-up insuring 2 employees
INSURED = "The enterprise must insure at least 5 employees."


def card_of(policies: str, code: str) -> str:
    return policies.split(f'id="p-{code}"', 1)[1].split("</article>", 1)[0]


def test_an_enterprise_that_nearly_qualifies_sees_its_own_figure_for_the_unmet_criterion(stack):
    code = "figures-insured"
    criteria = [
        {
            "id": "active",
            "expression": "enterprise.status == 'active'",
            "reason": {"zh_CN": "企业须正常经营。", "en": "The enterprise must be active."},
        },
        {
            "id": "insured",
            "expression": "enterprise.insured_employees >= 5",
            "reason": {"zh_CN": "企业参保职工须在5人以上。", "en": INSURED},
        },
    ]
    published = Api(stack.base_url, "admin").post("/api/programs", json=program_spec(code, criteria=criteria))
    assert published.status_code == 201, published.text

    # The API: every criterion carries the enterprise's own values it reads, labelled, written for people.
    found = Api(stack.base_url, "qihang", locale="en").get("/api/enterprise/programs").json()
    [item] = [p for p in found["nearly"] if p["program"]["code"] == code]
    by_id = {c["id"]: c for c in item["criteria"]}
    assert (by_id["insured"]["reason"], by_id["insured"]["passed"]) == (INSURED, False)
    assert by_id["insured"]["figures"] == [{"name": "insured_employees", "label": "Insured employees", "value": "2"}]
    assert by_id["active"]["passed"] is True
    assert by_id["active"]["figures"] == [{"name": "status", "label": "Status", "value": "Active"}]
    # Another enterprise sees its own figure for the same criterion, never qihang's.
    yunqi = Api(stack.base_url, "yunqi", locale="en").get("/api/enterprise/programs").json()
    [mine] = [p for p in yunqi["eligible"] if p["program"]["code"] == code]
    insured = next(c for c in mine["criteria"] if c["id"] == "insured")
    assert insured["passed"] is True and insured["figures"][0]["value"] == "80"

    # The page, in English: the figure under the criterion not met, none under the one met.
    with english_pages(stack, "qihang") as browser:
        page = browser.get("/policies").text
    nearly = page.split('id="nearly"', 1)[1].split("</section>", 1)[0]
    card = card_of(nearly, code)
    unmet, met = (
        next(li for li in card.split("<li>")[1:] if reason in li)
        for reason in (INSURED, "The enterprise must be active.")
    )
    assert "you do not meet this condition" in unmet and '<span class="badge">Yours</span>' in unmet
    assert '<span class="figure">Insured employees: 2</span>' in unmet, unmet
    assert "you meet this condition" in met and "figures" not in met, met

    # Nobody else is shown the figures: not the program's public page, nor those who oversee it
    # (who see, as before, the reasons each enterprise did not meet).
    public = Api(stack.base_url, locale="en").get("/api/open/programs").json()
    [program] = [p for p in public if p["code"] == code]
    assert all("figures" not in c for c in program["criteria"])
    admin = Api(stack.base_url, "admin", locale="en")

    def matched():
        listed = admin.get(f"/api/programs/{code}/matches", params={"near": True}).json()
        return listed if listed["matched_at"] else None

    matches = wait_for(matched, timeout=90, what="matching of the program")
    [qihang] = [m for m in matches["enterprises"] if m["uscc"] == QIHANG_USCC]
    assert qihang["unmet"] == [INSURED] and "figures" not in qihang


def registry_reads_of(stack, uscc: str, after_id: int) -> list[dict]:
    """The ``registry.read`` events of one enterprise recorded after event ``after_id``."""
    return sql(
        stack,
        "SELECT id, actor, detail FROM audit_event WHERE action = 'registry.read' AND object_id = {} AND id > {}"
        " ORDER BY id",
        uscc,
        after_id,
    )


def last_event_id(stack) -> int:
    return sql(stack, "SELECT COALESCE(MAX(id), 0) AS n FROM audit_event")[0]["n"]


def test_one_look_at_policies_for_you_reads_the_registry_once(stack):
    """However many programs are open, one visit of *Policies for you* (and one call of its API)
    reads the enterprise's registry profile once, and the audit log says so once, with why."""
    # Programs qihang does not qualify for: no claim of its own is assessed (and read) meanwhile.
    insured = [
        {"id": "insured", "expression": "enterprise.insured_employees >= 5", "reason": {"zh_CN": "参保", "en": INSURED}}
    ]
    for code in ("one-read-a", "one-read-b", "one-read-c"):
        published = Api(stack.base_url, "admin").post("/api/programs", json=program_spec(code, criteria=insured))
        assert published.status_code in (201, 409), published.text

    before = last_event_id(stack)
    assert Api(stack.base_url, "qihang").get("/api/enterprise/programs").status_code == 200
    api_reads = registry_reads_of(stack, QIHANG_USCC, before)
    assert len(api_reads) == 1, api_reads
    assert "policies for you" in api_reads[0]["detail"]

    browser = signed_in_page_client(stack, "qihang")
    before = last_event_id(stack)
    assert browser.get("/policies").status_code == 200
    page_reads = registry_reads_of(stack, QIHANG_USCC, before)
    assert len(page_reads) == 1, page_reads
    assert "policies for you" in page_reads[0]["detail"]


def test_a_claim_with_its_form_reads_the_registry_once(stack):
    """The claim form of a program claimed with its service's form (its conditions and the form's
    prefill), the form sent back with a mistake, and the API's claim each read the enterprise once."""
    from forms.catalog import load_catalog
    from tests.stack.flows import example_submission

    service = load_catalog().latest("rnd-expense-subsidy")
    spec = program_spec("one-read-form", mode="apply", service_id=service.id)
    assert Api(stack.base_url, "admin").post("/api/programs", json=spec).status_code in (201, 409)
    uscc = "91330106MA2H3K1X75"  # yunqi's

    def this_calls_reads(before: int) -> list[dict]:
        # Waited for: a call's audit events may be stored a moment after it answers.
        # The claim's workflow checks it again later, on its own and for its own purposes (its
        # eligibility, the review route's registry check): not this call's reading. Each read
        # inside the call is recorded with the call's purpose.
        def found() -> list[dict] | None:
            reads = [
                r for r in registry_reads_of(stack, uscc, before) if "claim of program one-read-form" in r["detail"]
            ]
            return reads or None

        return wait_for(found, timeout=10, what="the call's registry read")

    browser = signed_in_page_client(stack, "yunqi")
    before = last_event_id(stack)
    form = browser.get("/policies/one-read-form/apply")
    assert form.status_code == 200
    reads = this_calls_reads(before)
    assert len(reads) == 1, reads

    token = form.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    before = reads[-1]["id"]
    refused = browser.post("/policies/one-read-form/apply", data={"_csrf_token": token, "action": "submit"})
    assert refused.status_code == 422
    reads = this_calls_reads(before)
    assert len(reads) == 1, reads

    api = Api(stack.base_url, "yunqi")
    answers = example_submission(api, service)["answers"]
    before = reads[-1]["id"]
    claimed = api.post("/api/programs/one-read-form/claims", json={"answers": answers})
    assert claimed.status_code == 201, claimed.text
    reads = this_calls_reads(before)
    assert len(reads) == 1, reads
