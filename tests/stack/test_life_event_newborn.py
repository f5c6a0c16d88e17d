"""The birth of a baby applied for once (出生一件事): the one form asks the parent's and the baby's
details once; the medical certificate of birth, the birth registration, the medical insurance
enrolment and the social security card go to the health commission, the police, the healthcare
security administration and the human resources bureau one after the other, each taking the
number of the decision before it; the maternity allowance, chosen too, waits for the enrolment and
takes the medical certificate of birth the first part issued, so the parent uploads no copy of it
(nor signs a commitment in its place). Every part approved, the case ends with one combined result."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from forms.clock import beijing_today
from tests.stack.flows import (
    csrf_of,
    decide,
    decision_of,
    next_open_task,
    pdf_text,
    signed_in_browser,
    wait_for,
)
from tests.stack.harness import Api
from tests.stack.test_claim_and_task_pages import english_pages
from tests.stack.test_commitment import approved_on_commitment

pytestmark = pytest.mark.stack

EVENT = "newborn"
SHARED = ["full_name", "resident_id", "phone", "address", "relationship", "baby_name", "baby_sex", "baby_birth_date"]


def one_form_answers() -> dict:
    return {
        "phone": "13800138000",
        "address": "杭州市西湖区文三路100号3幢201室",
        "relationship": "mother",
        "baby_name": "李小满",
        "baby_sex": "female",
        "baby_birth_date": (beijing_today() - dt.timedelta(days=20)).isoformat(),
        "birth.hospital": "杭州市妇产科医院",
        "birth.gestational_weeks": 39,
        "birth.birth_weight": 3300,
        "birth.birth_length": 50,
        "birth.other_parent_name": "张伟",
        "birth.other_parent_resident_id": "330106199003150014",
        "hukou.registered_with": "mother",
        "hukou.hukou_local": True,
        "hukou.hukou_address": "杭州市西湖区文三路100号3幢201室",
        "hukou.householder_name": "李四",
        "hukou.relationship_to_householder": "child",
        "hukou.ethnic_group": "汉族",
        "insurance.contribution_channel": "online",
        "insurance.family_mutual_aid": True,
        "card.bank": "icbc",
        "card.delivery": "post",
        "allowance.employer_name": "杭州云栖智算科技有限公司",
        "allowance.employer_credit_code": "91330106MA2H3K1X75",
        "allowance.insured_at_birth": True,
        "allowance.babies": 1,
        "allowance.difficult_birth": False,
        "allowance.employer_average_wage": "9200.00",
        "allowance.bank_account": "6222020200112233445",
    }


def parts_of(citizen: Api, ref: str) -> dict[str, dict]:
    return {p["id"]: p for p in citizen.get(f"/api/life-events/cases/{ref}").json()["parts"]}


def filed(citizen: Api, ref: str, part: str) -> str:
    return wait_for(lambda: parts_of(citizen, ref)[part]["request_ref"], timeout=60, what=f"part {part} to be filed")


def approve(stack, citizen: Api, request_ref: str) -> tuple[set[str], str]:
    """Every task of the part approved, from the inbox of the clerk of its department (a second
    clerk confirms a large amount); returns who decided and the decision's number."""
    deciders = set()
    while (step := next_open_task(stack, citizen, request_ref)) is not None:
        clerk, task = step
        if task.get("confirm"):
            r = clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True, "comment": "复核同意"})
        else:
            r = decide(clerk, task["id"], "approve", comment="材料齐全，同意")
            deciders.add(clerk.username)
        assert r.status_code == 200, r.text
    decided = wait_for(
        lambda: (
            (b := citizen.get(f"/api/requests/{request_ref}").json())["state"] == "approved"
            and any(d["kind"] == "decision" for d in b["documents"])
            and b
        ),
        timeout=60,
        what=f"{request_ref} to be approved",
    )
    return deciders, decision_of(decided)["number"]


def test_the_one_form_asks_the_parent_and_the_baby_once(stack):
    event = Api(stack.base_url, locale="en").get(f"/api/life-events/{EVENT}").json()
    names = [f["name"] for f in event["form"]]
    for name in SHARED:
        assert names.count(name) == 1 and not any(n.endswith("." + name) for n in names), name
    assert not any(n.endswith(".birth_date") for n in names)  # the allowance takes the baby's date of birth
    # Handed on by the part before: never asked.
    for handed_on in ("hukou.birth_certificate_number", "insurance.birth_registration_number", "card.enrolment_number"):
        assert handed_on not in names
    # The allowance takes the certificate the first part issues: neither its scan nor a commitment
    # in its place is asked.
    assert "allowance.birth_certificate" not in names
    assert event["fields_asked"] < event["fields_separately"]
    parts = {p["id"]: p for p in event["parts"]}
    assert list(parts) == ["birth", "hukou", "insurance", "card", "allowance"]
    assert parts["allowance"]["optional"] and parts["allowance"]["after"] == ["insurance"]
    assert parts["allowance"]["commitment"] is None and parts["allowance"]["commitment_replaces"] == []
    assert not any(p["optional"] for p in event["parts"][:4])


def test_a_parent_applies_once_and_each_department_acts_in_turn(stack):
    citizen = Api(stack.base_url, "lisi", locale="en")
    r = citizen.post(
        f"/api/life-events/{EVENT}/cases",
        json={"answers": one_form_answers(), "parts": ["allowance"]},
        headers={"Idempotency-Key": f"newborn-{uuid.uuid4()}"},
    )
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]

    birth = filed(citizen, ref, "birth")
    waiting = parts_of(citizen, ref)
    assert {p: waiting[p]["state"] for p in ("hukou", "insurance", "card", "allowance")} == dict.fromkeys(
        ("hukou", "insurance", "card", "allowance"), "waiting"
    )
    assert citizen.get(f"/api/requests/{birth}").json()["answers"]["hospital"] == "杭州市妇产科医院"
    deciders, certificate = approve(stack, citizen, birth)
    assert deciders == {"health.clerk"}

    hukou = filed(citizen, ref, "hukou")
    assert citizen.get(f"/api/requests/{hukou}").json()["answers"]["birth_certificate_number"] == certificate
    assert parts_of(citizen, ref)["insurance"]["request_ref"] is None
    deciders, registration = approve(stack, citizen, hukou)
    assert deciders == {"police.clerk"}

    insurance = filed(citizen, ref, "insurance")
    assert citizen.get(f"/api/requests/{insurance}").json()["answers"]["birth_registration_number"] == registration
    assert {p["request_ref"] for k, p in parts_of(citizen, ref).items() if k in ("card", "allowance")} == {None}
    deciders, enrolment = approve(stack, citizen, insurance)
    assert deciders == {"insurance.clerk"}

    # The card and the allowance both wait for the enrolment only.
    card, allowance = filed(citizen, ref, "card"), filed(citizen, ref, "allowance")
    assert citizen.get(f"/api/requests/{card}").json()["answers"]["enrolment_number"] == enrolment
    # The allowance's department reads the certificate the first part issued, checked when filed.
    # (the newest in her wallet: the wallet lists them newest first)
    certificate_credential = next(
        c for c in citizen.get("/api/wallet").json()["credentials"] if c["type"] == "birth-medical-certificate"
    )
    claimed = citizen.get(f"/api/requests/{allowance}").json()
    [used] = claimed["credentials"]
    assert used["field"] == "birth_certificate" and used["credential"] == certificate_credential["id"]
    assert used["status_at_filing"] == "valid" and not used["lapsed"]
    deciders, card_number = approve(stack, citizen, card)
    assert deciders == {"hr.clerk"}
    deciders, allowance_number = approve(stack, citizen, allowance)
    assert deciders == {"health.clerk", "hr.clerk"}

    done = wait_for(
        lambda: (c := citizen.get(f"/api/life-events/cases/{ref}").json())["state"] == "done" and c,
        timeout=60,
        what=f"{ref} to be done",
    )
    assert {p["id"]: p["state"] for p in done["parts"]} == dict.fromkeys(
        ("birth", "hukou", "insurance", "card", "allowance"), "approved"
    )
    result = citizen.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert result.status_code == 200 and result.headers["content-type"] == "application/pdf"
    text = pdf_text(result.content)
    assert "Notice of the results of a life event" in text and "Birth of a baby" in text
    for number in (certificate, registration, enrolment, card_number, allowance_number):
        assert number in text
    # Read in Chinese too; every verification code on it checks out at /verify.
    chinese = pdf_text(
        Api(stack.base_url, "lisi", locale="zh-CN").get(f"/api/life-events/cases/{ref}/result.pdf").content
    )
    assert "新生儿出生一件事" in chinese
    codes = [
        d["verification_code"]
        for r in (birth, hukou, insurance, card, allowance)
        for d in citizen.get(f"/api/requests/{r}").json()["documents"]
        if d["kind"] in ("decision", "certificate")
    ]
    assert len(codes) >= 5
    for code in codes:
        assert code in text and code in chinese
        verified = Api(stack.base_url).get(f"/verify/{code}", headers={"Accept": "application/json"}).json()
        assert verified["genuine"] is True and verified["status"] == "valid", code


def form_post(answers: dict, csrf: str) -> dict[str, str]:
    """The one form's answers as a browser posts them (the allowance chosen)."""
    posted = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in answers.items()}
    return posted | {"_csrf_token": csrf, "key": f"newborn-{uuid.uuid4()}", "action": "review", "parts": "allowance"}


def test_the_allowance_in_the_event_asks_no_certificate_its_own_form_does(stack):
    """Reported on the phone in Chinese: the one form asked the allowance's part for the certificate
    the event itself is issuing, and without it said "出生医学证明: 此项为必填项" as if the whole
    birth certificate part were missing."""
    with signed_in_browser(stack.base_url, "lisi") as browser:
        page = browser.get(f"/life-events/{EVENT}")
        assert page.status_code == 200
        allowance = page.text[page.text.index('id="part-allowance"') :]
        assert 'name="allowance.birth_certificate' not in allowance
        assert 'name="allowance.commitment"' not in allowance
        checked = browser.post(f"/life-events/{EVENT}", data=form_post(one_form_answers(), csrf_of(page.text)))
        assert checked.status_code == 200, checked.text[:3000]
        assert 'id="error-summary"' not in checked.text and "此项为必填项" not in checked.text
    # The commitment has nothing to stand in for here: refused, not silently signed.
    citizen = Api(stack.base_url, "lisi", locale="en")
    refused = citizen.post(
        f"/api/life-events/{EVENT}/cases",
        json={"answers": one_form_answers() | {"allowance.commitment": True}, "parts": ["allowance"]},
        headers={"Idempotency-Key": f"newborn-{uuid.uuid4()}"},
    )
    assert refused.status_code == 422
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} == {("allowance.commitment", "not_applicable")}
    # Applied for on its own, the allowance asks for the certificate as before (a held one stands
    # in for the upload), or a commitment in its place.
    own = Api(stack.base_url, locale="en").get("/api/services/maternity-allowance").json()
    assert "birth_certificate" in own["form_schema"]["required"]
    assert own["commitment"]["replaces"] == ["birth_certificate"]


def test_an_allowance_approved_on_commitment_says_its_date_is_the_post_check(stack):
    """Reported on the allowance's page: "Time limit January 1, 2027 (provisional)" beside "Approved",
    without saying it is the time limit of the department's check of the commitment."""
    applicant = Api(stack.base_url, "lisi", locale="en")
    request, task = approved_on_commitment(stack, applicant)
    with english_pages(stack, "lisi") as browser:
        page = browser.get(f"/requests/{request['ref']}").text
    facts = page[page.index('<dl class="facts">') : page.index("</dl>")]
    assert "<dt>Time limit</dt>" not in facts
    assert "<dt>Post-check of your commitment</dt>" in facts
    assert "Approved on your signed commitment, at once." in facts
    assert task["department"]["name"] in facts and "checks on the spot what you committed to, by" in facts
