"""Opening a restaurant (开办餐饮店一件事): one form asks the operator's and the premises' answers
once for the registration, the food business licence, the fire safety inspection and the optional
shop sign permit; the registration is filed first, and once its clerk approves it the licence and
the inspection reach their inboxes together, carrying the business licence's number; the case ends
approved with one combined result. A refused registration withdraws what waits for it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from stdnum.cn import ric

from tests.stack.flows import SAMPLE_FILES, decide, decision_of, next_open_task, open_task, pdf_text, wait_for
from tests.stack.harness import Api
from tests.stack.test_benefits import create_citizen
from tests.stack.test_claim_and_task_pages import english_pages

pytestmark = pytest.mark.stack

SHARED = ["operator_name", "resident_id", "phone", "business_name", "premises_address", "floor_area"]
FILES = [
    "registration.premises_proof",
    "food.layout_plan",
    "fire.fire_facilities_plan",
    "fire.staff_training_record",
    "sign.sign_design",
]


def upload(citizen: Api) -> str:
    name, content = SAMPLE_FILES["application/pdf"]
    r = citizen.post("/api/uploads", files={"data": (name, content)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def one_form_answers(citizen: Api, parts: list[str]) -> dict:
    answers = {
        "phone": "13900139000",
        "business_name": "杭州市西湖区王记面馆",
        "premises_address": "杭州市西湖区文二路88号1楼",
        "floor_area": 80,
        "registration.business_form": "individual",
        "registration.business_scope": "许可项目：餐饮服务。一般项目：食品销售（仅销售预包装食品）。",
        "registration.capital": "100000.00",
        "registration.employees": 4,
        "food.food_items": ["hot_food", "prepackaged"],
        "food.online_sales": True,
        "food.food_safety_manager": "王五",
        "food.staff_health_certificates": True,
        "fire.floor_level": "ground",
        "fire.seats": 40,
        "fire.kitchen_fuel": "piped_gas",
        "fire.fire_safety_manager": "王五",
        "sign.sign_text": "王记面馆",
        "sign.sign_style": "flat",
        "sign.shopfront_width": 6,
        "sign.sign_width": 5,
        "sign.sign_height": 0.8,
        "sign.illuminated": False,
    }
    answers = {k: v for k, v in answers.items() if not k.startswith("sign.") or "sign" in parts}
    return answers | {name: upload(citizen) for name in FILES if not name.startswith("sign.") or "sign" in parts}


def file_case(citizen: Api, parts: list[str]):
    return citizen.post(
        "/api/life-events/restaurant/cases",
        json={"answers": one_form_answers(citizen, parts), "parts": parts},
        headers={"Idempotency-Key": f"restaurant-{uuid.uuid4()}"},
    )


def parts_of(citizen: Api, ref: str) -> dict[str, dict]:
    return {p["id"]: p for p in citizen.get(f"/api/life-events/cases/{ref}").json()["parts"]}


def filed(citizen: Api, ref: str, part: str) -> str:
    return wait_for(lambda: parts_of(citizen, ref)[part]["request_ref"], timeout=60, what=f"part {part} of {ref}")


def decide_only_task(stack, citizen: Api, request_ref: str, verdict: str) -> None:
    step = next_open_task(stack, citizen, request_ref)
    assert step is not None, f"{request_ref} closed without a review"
    clerk, task = step
    r = decide(
        clerk, task["id"], verdict, comment="材料齐全，符合法定形式" if verdict == "approve" else "名称与已登记名称重复"
    )
    assert r.status_code == 200, r.text
    assert next_open_task(stack, citizen, request_ref) is None


def settled(citizen: Api, ref: str) -> dict:
    def done():
        case = citizen.get(f"/api/life-events/cases/{ref}").json()
        return case if case["state"] == "done" else None

    return wait_for(done, timeout=60, what=f"{ref} to be settled")


def test_the_one_form_asks_each_shared_answer_once(stack):
    event = Api(stack.base_url, locale="en").get("/api/life-events/restaurant").json()
    names = [f["name"] for f in event["form"]]
    for shared in SHARED:
        assert names.count(shared) == 1, shared
        assert not any(n.endswith("." + shared) for n in names), shared
    # Handed on by the registration or fixed by the event: never asked.
    for never in [
        "food.business_licence_number",
        "fire.business_licence_number",
        "food.business_type",
        "fire.venue_type",
    ]:
        assert never not in names
    assert [f["name"] for f in event["form"] if f["type"] == "file"] == FILES
    assert [(p["id"], p["optional"], p["after"]) for p in event["parts"]] == [
        ("registration", False, []),
        ("food", False, ["registration"]),
        ("fire", False, ["registration"]),
        ("sign", True, ["registration"]),
    ]
    # Each shared answer asked once instead of three or four times, two fields handed on, two fixed.
    assert event["fields_asked"] == event["fields_separately"] - 17 - 2 - 2


def test_a_restaurant_is_opened_with_one_application(stack):
    citizen = Api(stack.base_url, "wangwu", locale="en")
    r = file_case(citizen, ["sign"])
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert sorted(r.json()["parts"]) == ["fire", "food", "registration", "sign"]

    registration = filed(citizen, ref, "registration")
    open_task(Api(stack.base_url, "market.clerk"), registration)
    waiting = parts_of(citizen, ref)
    assert {p: (waiting[p]["state"], waiting[p]["request_ref"]) for p in ("food", "fire", "sign")} == {
        p: ("waiting", None) for p in ("food", "fire", "sign")
    }
    decide_only_task(stack, citizen, registration, "approve")

    food, fire, sign = (filed(citizen, ref, p) for p in ("food", "fire", "sign"))
    # The licence, the inspection and the sign are in their departments' inboxes at the same time.
    for clerk, request_ref in [("market.clerk", food), ("fire.clerk", fire), ("urban.clerk", sign)]:
        open_task(Api(stack.base_url, clerk), request_ref)
    number = decision_of(citizen.get(f"/api/requests/{registration}").json())["number"]
    assert number.startswith("西市监〔")
    for request_ref in (food, fire):
        answers = citizen.get(f"/api/requests/{request_ref}").json()["answers"]
        assert answers["business_licence_number"] == number
        assert answers["business_name"] == "杭州市西湖区王记面馆" and answers["floor_area"] == "80"
    assert citizen.get(f"/api/requests/{food}").json()["answers"]["business_type"] == "catering"

    for request_ref in (food, fire, sign):
        decide_only_task(stack, citizen, request_ref, "approve")
    case = settled(citizen, ref)
    assert {p["id"]: p["state"] for p in case["parts"]} == {
        p: "approved" for p in ("registration", "food", "fire", "sign")
    }

    result = citizen.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert result.status_code == 200 and result.headers["content-type"] == "application/pdf"
    text = pdf_text(result.content)
    assert "Notice of the results of a life event" in text and "Opening a restaurant" in text
    for request_ref in (registration, food, fire, sign):
        decision = decision_of(citizen.get(f"/api/requests/{request_ref}").json())
        assert decision["number"] in text and decision["verification_code"] in text
    assert "Not approved" not in text


def test_a_refused_registration_withdraws_the_licence_and_the_inspection(stack):
    citizen = Api(stack.base_url, "wangwu", locale="en")
    r = file_case(citizen, [])
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    decide_only_task(stack, citizen, filed(citizen, ref, "registration"), "reject")
    case = settled(citizen, ref)
    states = {p["id"]: (p["state"], p["request_ref"]) for p in case["parts"]}
    assert states["registration"][0] == "rejected"
    assert states["food"] == ("not_filed", None) and states["fire"] == ("not_filed", None) and "sign" not in states


def test_the_food_licence_on_commitment_is_approved_at_once_within_the_event(stack):
    """The licence's part signed on commitment: no floor plan is uploaded, the part is approved as
    soon as it is filed (after the registration), and the market regulation bureau's post-check
    opens in its inbox; the inspection goes on as usual."""
    event = Api(stack.base_url, locale="en").get("/api/life-events/restaurant").json()
    food = next(p for p in event["parts"] if p["id"] == "food")
    assert food["commitment"].startswith("I commit") and food["commitment_replaces"] == ["food.layout_plan"]

    # A citizen of their own: a broken commitment bars its maker from the route for two years.
    body = "33010619880412153"
    create_citizen(stack, "zhoujie", "周杰", body + ric.calc_check_digit(body + "0"))
    citizen = Api(stack.base_url, "zhoujie", locale="en")
    answers = one_form_answers(citizen, [])
    del answers["food.layout_plan"]
    missing = citizen.post(
        "/api/life-events/restaurant/cases",
        json={"answers": answers},
        headers={"Idempotency-Key": f"restaurant-{uuid.uuid4()}"},
    )
    assert missing.status_code == 422 and "food.layout_plan" in {e["field"] for e in missing.json()["errors"]}
    r = citizen.post(
        "/api/life-events/restaurant/cases",
        json={"answers": answers | {"food.commitment": True}},
        headers={"Idempotency-Key": f"restaurant-{uuid.uuid4()}"},
    )
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    decide_only_task(stack, citizen, filed(citizen, ref, "registration"), "approve")
    licence = filed(citizen, ref, "food")
    market = Api(stack.base_url, "market.clerk", locale="en")

    def approved_with_post_check():
        request = citizen.get(f"/api/requests/{licence}").json()
        task = next((t for t in market.get("/api/tasks").json() if t["request_ref"] == licence), None)
        # The approval is recorded a moment before the post-check task is opened: wait for both.
        return (request, task) if request["state"] == "approved" and request["tasks"] and task else None

    request, task = wait_for(approved_with_post_check, timeout=60, what=f"{licence} approved on commitment")
    assert [t["stage_id"] for t in request["tasks"]] == ["post-check"] and task["stage_id"] == "post-check"
    assert request["answers"]["commitment"] is True and "layout_plan" not in request["answers"]
    assert parts_of(citizen, ref)["food"]["state"] == "approved"
    # The case says what the department still does on an approved part: its post-check, by when,
    # not that the part is "being handled" beside "approved".
    with english_pages(stack, "zhoujie") as browser:
        case_page = browser.get(f"/life-events/cases/{ref}").text
    card = case_page[case_page.index('id="part-food"') :].split("</li>", 1)[0]
    assert "Approved on your signed commitment, at once." in card and task["department"]["name"] in card
    assert "Being handled by" not in card
    # The licence is in her wallet as a credential, valid until the post-check says otherwise.
    [credential] = [c for c in citizen.get("/api/wallet").json()["credentials"] if c["type"] == "food-business-licence"]
    assert credential["status"] == "valid"
    token = citizen.get(credential["download_url"]).text
    # The inspection before opening still waits for its clerk.
    open_task(Api(stack.base_url, "fire.clerk"), filed(citizen, ref, "fire"))

    # The inspection finds no separate cold-food room: the commitment is broken, the licence revoked.
    assert market.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    broken = market.post(
        f"/api/tasks/{task['id']}/post-check", json={"kept": False, "reason": "现场核查无独立冷食间，与承诺不符"}
    )
    assert broken.status_code == 200, broken.text
    part = wait_for(
        lambda: (p := parts_of(citizen, ref)["food"])["state"] == "rejected" and p,
        timeout=60,
        what="the revoked licence on the case",
    )
    assert part["detail"] == "revoked" and citizen.get(f"/api/requests/{licence}").json()["state"] == "revoked"
    # Its credential is revoked with it: in her wallet, and for a verifier's system.
    held = {c["id"]: c for c in citizen.get("/api/wallet").json()["credentials"]}
    assert held[credential["id"]]["status"] == "revoked"
    checked = httpx.post(f"{stack.base_url}/api/credentials/verify", json={"credential": token}, timeout=30).json()
    assert checked["signature"] == "valid" and checked["status"] == "revoked" and checked["valid"] is False
