"""The birth of a baby applied for once (出生一件事): the one form asks the parent's and the baby's
details once; the medical certificate of birth, the birth registration, the medical insurance
enrolment and the social security card go to the health commission, the police, the healthcare
security administration and the human resources bureau one after the other, each taking the
number of the decision before it; the maternity allowance, chosen too, waits for the enrolment.
Every part approved, the case ends with one combined result."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from forms.clock import beijing_today
from tests.stack.flows import SAMPLE_FILES, decide, decision_of, next_open_task, pdf_text, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

EVENT = "newborn"
SHARED = ["full_name", "resident_id", "phone", "address", "relationship", "baby_name", "baby_sex", "baby_birth_date"]


def one_form_answers(upload_id: str) -> dict:
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
        "allowance.birth_certificate": upload_id,
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
    # A part hands on numbers, not files: the allowance still asks for the certificate's scan.
    assert "allowance.birth_certificate" in names
    assert event["fields_asked"] < event["fields_separately"]
    parts = {p["id"]: p for p in event["parts"]}
    assert list(parts) == ["birth", "hukou", "insurance", "card", "allowance"]
    assert parts["allowance"]["optional"] and parts["allowance"]["after"] == ["insurance"]
    assert not any(p["optional"] for p in event["parts"][:4])


def test_a_parent_applies_once_and_each_department_acts_in_turn(stack):
    citizen = Api(stack.base_url, "lisi", locale="en")
    name, content = SAMPLE_FILES["application/pdf"]
    upload = citizen.post("/api/uploads", files={"data": (name, content)})
    assert upload.status_code == 201, upload.text
    r = citizen.post(
        f"/api/life-events/{EVENT}/cases",
        json={"answers": one_form_answers(upload.json()["id"]), "parts": ["allowance"]},
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
