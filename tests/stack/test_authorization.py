"""The authorization matrix: every route of the app, tried as every role and as nobody, on objects
that belong to someone else.

Routes are enumerated from the application itself, so a new route without a line in
``EXPECTED`` fails this test until someone decides who may use it. A caller who must be refused
has to get 401 (nobody), 403 or 404 (someone else's object looks like none at all); refused calls
carry valid bodies, so the object-level checks behind the role guards are exercised too. Allowed
callers are tried on the routes that change nothing (GET) and must not be refused.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from hub.settings import load_settings
from tests.stack.flows import decide, decision_of, file_example, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

# Who is who: a role in the matrix and the demo account that plays it.
ACCOUNTS = {
    "owner": "zhangsan",  # the applicant of the requests below
    "citizen": "lisi",  # another citizen
    "approver": "yunqi",  # approver of the enterprise whose preparer prepared a request
    "preparer": "yunqi.preparer",
    "other_enterprise": "chashe",
    "clerk": "street.clerk",  # the department reviewing the request
    "other_clerk": "civil.clerk",  # a department with no part in the open request (but the issuer of its documents)
    "supervisor": "street.supervisor",
    "auditor": "auditor",
    "admin": "admin",
}
ROLES = ["nobody", *ACCOUNTS, "system"]  # system: a street-office API token with every scope
PUBLIC = set(ROLES)
PEOPLE = PUBLIC - {"nobody", "system"}
APPLICANTS = {"owner", "citizen", "approver", "preparer", "other_enterprise"}
DEPARTMENT = {"clerk", "supervisor", "system"}  # those acting for the reviewing department

# (method, path) -> roles allowed. Objects: {ref} an open request of the owner waiting in the
# street office; {document_id} the decision on another of the owner's requests (issued by civil
# affairs); {prepared} a request prepared by the preparer.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/health"): PUBLIC,
    ("POST", "/api/auth/token"): PUBLIC,
    ("POST", "/api/auth/logout"): PEOPLE | {"system"},
    ("GET", "/api/me"): PEOPLE,
    ("PUT", "/api/me/delegate"): {"clerk", "other_clerk", "supervisor"},
    ("GET", "/api/services"): PUBLIC,
    ("GET", "/api/services/{service_id:str}"): PUBLIC,
    ("GET", "/verify/{code:str}"): PUBLIC,
    ("GET", "/api/requests"): PEOPLE,
    ("POST", "/api/requests"): APPLICANTS,
    ("GET", "/api/requests/{ref:str}"): {"owner", "auditor", "admin"} | DEPARTMENT,
    ("GET", "/api/requests/{ref:str}/audit"): {"supervisor", "auditor", "admin"},
    ("GET", "/api/requests/{ref:str}/documents/{document_id:int}"): {"owner", "auditor", "admin"} | DEPARTMENT,
    # {path} a file the owner attached to another open request waiting in the street office.
    ("GET", "/api/requests/{ref:str}/attachments/{path:str}"): {"owner"},
    ("GET", "/api/tasks/{task_id:int}/attachments/{path:str}"): DEPARTMENT,
    ("POST", "/api/requests/{ref:str}/submission"): {"approver"},
    ("POST", "/api/requests/{ref:str}/supplements"): {"owner"},
    ("POST", "/api/requests/{ref:str}/withdrawal"): {"owner"},
    ("POST", "/api/requests/{ref:str}/rating"): {"owner"},
    ("GET", "/api/tasks"): {"clerk", "other_clerk", "supervisor", "system"},
    ("GET", "/api/tasks/counts"): {"clerk", "other_clerk", "supervisor", "system"},
    ("GET", "/api/tasks/{task_id:int}"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/claim"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/release"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/decision"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/confirmation"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/information-request"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/transfer"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/post-check"): DEPARTMENT,
    ("POST", "/api/tasks/{task_id:int}/assignment"): {"supervisor"},
    ("POST", "/api/tasks/{task_id:int}/reveal"): {"clerk", "supervisor"},
    ("POST", "/api/uploads"): APPLICANTS,
    ("POST", "/api/documents/{document_id:int}/revocation"): {"other_clerk"},
    ("POST", "/api/documents/{document_id:int}/reissue"): {"other_clerk"},
    ("GET", "/api/admin/api-tokens"): {"admin"},
    ("POST", "/api/admin/api-tokens"): {"admin"},
    ("DELETE", "/api/admin/api-tokens/{token_id:int}"): {"admin"},
    ("POST", "/api/admin/sign-in-locks/{username:str}/release"): {"admin"},
    # The working-day calendar: which years are known is public; a year's schedule is published by
    # administrators ({year} a year far ahead, which nothing else in the matrix counts with).
    ("GET", "/api/calendar"): PUBLIC,
    ("GET", "/api/admin/calendar/{year:int}"): {"admin"},
    ("PUT", "/api/admin/calendar/{year:int}"): {"admin"},
    ("GET", "/api/audit"): {"auditor"},
    ("POST", "/api/temporal/codec/decode"): {"admin"},
    ("POST", "/api/temporal/codec/encode"): {"admin"},
    # Subsidies. {code} a program of the human resources bureau; {claim} the approver's enterprise's
    # claim on it; the submission route is tried on a claim the preparer prepared.
    ("GET", "/api/open/programs"): PUBLIC,
    ("GET", "/api/open/programs/{code:str}"): PUBLIC,
    ("GET", "/api/open/service-levels"): PUBLIC,
    ("GET", "/api/cockpit"): {"supervisor", "auditor", "admin"},
    ("GET", "/api/cockpit/charts/{chart_id:str}"): {"supervisor", "auditor", "admin"},
    ("GET", "/api/open/datasets"): PUBLIC,
    ("GET", "/api/open/datasets/{file:str}"): PUBLIC,
    ("GET", "/api/open/reports"): PUBLIC,
    ("GET", "/api/open/reports/{report_id:int}"): PUBLIC,
    ("POST", "/api/governance-reports"): {"admin"},
    ("POST", "/api/programs"): {"admin"},
    ("POST", "/api/programs/{code:str}/closure"): {"admin"},
    ("GET", "/api/programs/{code:str}/matches"): {"auditor", "admin"},
    ("GET", "/api/programs/{code:str}/claims"): {"auditor", "admin"},
    ("POST", "/api/programs/{code:str}/claims"): {"approver", "preparer", "other_enterprise"},
    ("GET", "/api/enterprise/programs"): {"approver", "preparer", "other_enterprise"},
    ("GET", "/api/enterprise/claims"): {"approver", "preparer", "other_enterprise"},
    ("GET", "/api/enterprise/notifications"): {"approver", "preparer", "other_enterprise"},
    ("GET", "/api/claims/{ref:str}"): {"approver", "preparer", "auditor", "admin"},
    ("POST", "/api/claims/{ref:str}/submission"): {"approver"},
    ("GET", "/api/reconciliation"): {"auditor", "admin"},
    ("POST", "/api/reconciliation"): {"admin"},
    ("GET", "/api/reconciliation/{day:date}"): {"auditor", "admin"},
    # Benefits. {entitlement_id} the owner's old-age allowance, paid by civil affairs (the other
    # clerk's department); {change_id} a change that is no proposal to confirm.
    ("GET", "/api/benefits/mine"): PEOPLE,
    # The benefits the caller may apply for, from their own registry facts: citizens alone.
    ("GET", "/api/benefits/offers"): {"owner", "citizen"},
    ("GET", "/api/benefits/entitlements/{entitlement_id:int}"): {"owner", "other_clerk", "auditor", "admin"},
    ("POST", "/api/benefits/entitlements/{entitlement_id:int}/changes"): {"other_clerk"},
    ("POST", "/api/benefits/changes/{change_id:int}/confirmation"): {"other_clerk"},
    ("GET", "/api/benefits/{service_id:str}/register"): {"other_clerk", "auditor", "admin"},
    ("GET", "/api/benefits/{service_id:str}/cycles"): {"other_clerk", "auditor", "admin"},
    ("POST", "/api/benefits/{service_id:str}/cycles"): {"admin"},
    # Life events: what they are is public; citizens apply; {ref} the owner's application.
    ("GET", "/api/life-events"): PUBLIC,
    ("GET", "/api/life-events/{event_id:str}"): PUBLIC,
    ("POST", "/api/life-events/{event_id:str}/cases"): {"owner", "citizen"},
    ("GET", "/api/life-events/cases/{ref:str}"): {"owner"},
    ("POST", "/api/life-events/cases/{ref:str}/withdrawal"): {"owner"},
    # While the owner's case is in progress the owner is answered 409, not refused.
    ("GET", "/api/life-events/cases/{ref:str}/result.pdf"): {"owner"},
    # The wallet: its holder's alone. {credential_id} the owner's identity card (from the population
    # registry); {share_id} the owner's share of it. A shared link opens for anyone, signed in or not.
    ("GET", "/api/wallet"): APPLICANTS,
    ("GET", "/api/wallet/credentials/{credential_id:str}/jwt"): {"owner"},
    ("POST", "/api/wallet/credentials/{credential_id:str}/shares"): {"owner"},
    ("GET", "/api/wallet/shares/{share_id:int}"): {"owner"},
    ("POST", "/api/wallet/shares/{share_id:int}/revocation"): {"owner"},
    ("GET", "/verify/shared/{token:str}"): PUBLIC,
    # A verifier's system checks a credential or presentation without an account (limited per address).
    ("POST", "/api/credentials/verify"): PUBLIC,
    # Messages: each person's own; {message_id} one of the owner's. The SMS gateway's receipts and
    # the local gateway take the secret shared with the gateway, which no role holds.
    ("GET", "/api/messages"): PEOPLE,
    ("POST", "/api/messages/read"): PEOPLE,
    ("POST", "/api/messages/{message_id:int}/read"): {"owner"},
    ("GET", "/api/messages/preferences"): PEOPLE,
    ("PUT", "/api/messages/preferences"): PEOPLE,
    ("GET", "/api/messages/delivery"): {"auditor", "admin"},
    ("POST", "/api/messages/{message_id:int}/resend"): {"admin"},
    ("POST", "/api/messages/sms-receipts"): set(),
    # Follow-ups and grievances. {ref} a grievance the owner filed about the old-age allowance, so in
    # civil affairs (the other clerk's department); its supervisor is not among the roles, so nobody
    # here may decide an appeal on it. Figures: supervisors (their department's) and oversight.
    ("POST", "/api/grievances"): APPLICANTS,
    ("POST", "/api/requests/{ref:str}/stage-ratings"): {"owner"},
    ("GET", "/api/cases/mine"): PEOPLE,
    ("GET", "/api/cases"): {"clerk", "other_clerk", "supervisor", "auditor"},
    ("GET", "/api/cases/{ref:str}"): {"owner", "other_clerk"},
    ("POST", "/api/cases/{ref:str}/contacts"): {"other_clerk"},
    ("POST", "/api/cases/{ref:str}/answer"): {"other_clerk"},
    ("POST", "/api/cases/{ref:str}/appeal"): {"owner"},
    ("POST", "/api/cases/{ref:str}/appeal-decision"): set(),
    ("POST", "/api/cases/{ref:str}/rating"): {"owner"},
    ("GET", "/api/feedback/figures"): {"supervisor", "auditor", "admin"},
    ("POST", "/api/sms-gateway/messages"): set(),
}

# Valid bodies, so that a refusal comes from authorization and not from a malformed request.
BODIES = {
    "/api/governance-reports": {"kind": "year", "year": 2025},
    "/api/me/delegate": {"delegate": None},
    "/api/auth/token": {"username": "lisi", "password": "qinqing-demo"},
    "/api/requests": None,  # filled in with a valid submission
    "/supplements": {"answers": {"phone": "13800138000"}},
    "/withdrawal": {"reason": "matrix"},
    "/rating": {"score": 5, "comment": "matrix"},
    "/decision": {"verdict": "approve", "comment": "matrix"},
    "/confirmation": {"accept": True},
    "/information-request": {"message": "matrix", "fields": ["phone"]},
    "/transfer": {"to_department": "civil-affairs", "reason": "matrix"},
    "/post-check": {"kept": True},
    "/assignment": {"assignee": "street.clerk"},
    "/reveal": {"fields": ["phone"], "reason": "matrix"},
    "/revocation": {"reason": "matrix"},
    "/reissue": {"reason": "matrix"},
    "/api/admin/api-tokens": {"name": "matrix", "department": "street-office", "scopes": ["tasks:read"]},
    "/api/admin/calendar/{year:int}": {
        "year": 2090,
        "holidays": [{"name": {"zh_CN": "元旦", "en": "New Year's Day"}, "days_off": ["2090-01-01"]}],
    },
    "/api/programs": None,  # filled in with a valid program
    "/claims": {},
    "/closure": {},
    "/codec/decode": {"payloads": []},
    "/codec/encode": {"payloads": []},
    "/changes": {"move": "suspend", "reason": "matrix"},
    "/cycles": {"period": "2026-11"},
    "/shares": {"fields": ["holder_name"], "hours": 24},
    "/preferences": {"channels": []},
    "/sms-receipts": {"provider_id": "matrix", "status": "delivered"},
    "/api/grievances": {"subject": "service", "service_id": "elderly-care-allowance", "text": "matrix"},
    "/contacts": {"contacted_at": "2026-01-01T10:00:00+08:00", "channel": "phone", "summary": "matrix"},
    "/answer": {"outcome": "not_upheld", "answer": "matrix"},
    "/appeal": {"reason": "matrix"},
    "/appeal-decision": {"upheld": False, "note": "matrix"},
    "/stage-ratings": {"stage": "filing", "score": 5},
    "/api/sms-gateway/messages": {"id": "matrix", "to": "13800138000", "text": "matrix"},
}


def app_routes() -> list[tuple[str, str]]:
    from hub.web.app import create_app

    app = create_app(load_settings({}))
    found = []
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue  # the API's own documentation: public
        if not route.path.startswith(("/api/", "/health", "/verify/")):
            continue  # pages: cookie sessions and CSRF, tested in test_ratings_and_reveal.py and tests/browser
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            found.append((method, route.path))
    return found


ROUTES = app_routes()


def test_every_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"routes nobody decided on (add them to EXPECTED): {missing}"
    stale = [r for r in EXPECTED if r not in ROUTES]
    assert not stale, f"expectations for routes that no longer exist: {stale}"


# Routes that take a form's answers. Filing checks them (registry data, validation, rules, amount);
# every other route that changes answers after filing must check them again: it is listed in
# RECHECKED with a step that tries to rewrite a registry field and to break a rule through it.
FILING = {
    ("POST", "/api/requests"),
    ("POST", "/api/programs/{code:str}/claims"),
    ("POST", "/api/life-events/{event_id:str}/cases"),
}


def answer_routes() -> set[tuple[str, str]]:
    from hub.web.app import create_app

    app = create_app(load_settings({}))
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and "answers" in getattr(data.annotation, "__struct_fields__", ()):
                found |= {(method, route.path) for method in handler.http_methods}
    return found


def supplement_rechecked(stack) -> None:
    citizen = Api(stack.base_url, "zhangsan")
    clerk = Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert clerk.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    asked = clerk.post(
        f"/api/tasks/{task['id']}/information-request", json={"fields": ["hukou_local"], "message": "matrix"}
    )
    assert asked.status_code == 200, asked.text
    url = f"/api/requests/{ref}/supplements"
    registry = citizen.post(url, json={"answers": {"resident_id": "330106199501010017"}})
    assert registry.status_code == 422, registry.text
    rule = citizen.post(url, json={"answers": {"hukou_local": False}})
    assert rule.status_code == 422 and rule.json()["type"] == "/problems/not-eligible", rule.text
    assert citizen.get(f"/api/requests/{ref}").json()["answers"]["hukou_local"] is True


RECHECKED = {("POST", "/api/requests/{ref:str}/supplements"): supplement_rechecked}


def test_every_route_that_changes_answers_after_filing_is_checked_again():
    assert answer_routes() - FILING == set(RECHECKED), "list the route in RECHECKED with a step that exercises it"


@pytest.mark.parametrize("route", sorted(RECHECKED), ids=[f"{m} {p}" for m, p in sorted(RECHECKED)])
def test_answers_changed_after_filing_are_checked_as_filing_checked_them(stack, route):
    RECHECKED[route](stack)


@pytest.fixture(scope="module")
def world(stack):
    """The objects the matrix is tried on, and a client for every role."""
    clients: dict[str, httpx.Client] = {"nobody": httpx.Client(base_url=stack.base_url, timeout=30)}
    for role, username in ACCOUNTS.items():
        clients[role] = Api(stack.base_url, username).http
    admin = clients["admin"]
    issued = admin.post(
        "/api/admin/api-tokens",
        json={
            "name": "matrix-street",
            "department": "street-office",
            "scopes": ["tasks:read", "tasks:decide", "requests:read"],
        },
    ).json()
    clients["system"] = httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {issued['token']}"}, timeout=30
    )
    owner = Api(stack.base_url, ACCOUNTS["owner"])
    street = Api(stack.base_url, ACCOUNTS["clerk"])
    # A closed request with a decision document (issued by civil affairs).
    closed_ref = file_request(owner).json()["ref"]
    assert decide(street, open_task(street, closed_ref)["id"], "reject", "matrix").status_code == 200
    document = decision_of(wait_closed(owner, closed_ref))
    # An open request waiting in the street office.
    ref = file_request(owner).json()["ref"]
    task = open_task(street, ref)
    # Another, with a file attached (a household's supporting document).
    from forms.catalog import load_catalog

    upload = owner.post("/api/uploads", files={"data": ("proof.pdf", b"%PDF-1.4\n%%EOF\n")}).json()["id"]
    member = {
        "member_name": "张三",
        "relationship": "self",
        "resident_id": "330106194003150011",
        "monthly_income": "300",
    }
    attached = file_example(
        owner,
        load_catalog().latest("minimum-living-allowance"),
        supporting_documents=upload,
        household_members=[member],
    )
    assert attached.status_code == 201, attached.text
    # Staff open a personal file (the household's proof) only once they have revealed it, which a
    # department system cannot: the department's route is checked on a file that is not personal
    # (a residence permit's proof of employment, filed by whoever may apply for one).
    from tests.stack.flows import file_service

    _, permit = file_service(stack, load_catalog().latest("residence-permit"))
    attached_task = open_task(street, permit["ref"])
    # A request prepared by the preparer, waiting for the approver.
    prepared = file_example(Api(stack.base_url, ACCOUNTS["preparer"]), load_catalog().latest("graduate-rent-subsidy"))
    assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    # Subsidies: a claim of the approver's enterprise, and one its preparer prepared.
    from tests.stack.flows import program_spec

    assert admin.post("/api/programs", json=program_spec("matrix-program")).status_code == 201
    assert admin.post("/api/programs", json=program_spec("matrix-prepared")).status_code == 201
    claim = clients["approver"].post("/api/programs/matrix-program/claims", json={})
    assert claim.status_code in (201, 202), claim.text
    prepared_claim = clients["preparer"].post("/api/programs/matrix-prepared/claims", json={})
    assert prepared_claim.status_code == 201 and prepared_claim.json()["state"] == "prepared", prepared_claim.text
    stored = admin.post("/api/reconciliation")  # the report of the day it closes, stored
    assert stored.status_code == 201, stored.text
    # The owner's old-age allowance, approved into an entitlement paid by civil affairs.
    granted_ref = file_request(owner).json()["ref"]
    assert decide(street, open_task(street, granted_ref)["id"], "approve", "matrix").status_code == 200
    civil = Api(stack.base_url, ACCOUNTS["other_clerk"])
    assert decide(civil, open_task(civil, granted_ref)["id"], "approve", "matrix").status_code == 200
    wait_closed(owner, granted_ref)
    [entitlement] = [e for e in owner.get("/api/benefits/mine").json() if e["request_ref"] == granted_ref]
    # The owner's application for help in hard times (the allowance alone).
    case = owner.post(
        "/api/life-events/hard-times/cases",
        json={
            "answers": {
                "phone": "13800138000",
                "address": "杭州市西湖区文三路100号",
                "hukou_local": True,
                "bank_account": "6222020200112233445",
                "allowance.household_members": [member],
                "allowance.hardship": "matrix",
                "allowance.authorises_checks": True,
            }
        },
        headers={"Idempotency-Key": f"matrix-{uuid.uuid4()}"},
    )
    assert case.status_code == 201, case.text
    # The owner's identity card in their wallet, and a share of it.
    [card] = [c for c in owner.get("/api/wallet").json()["credentials"] if c["type"] == "resident-identity-card"]
    shared = owner.post(f"/api/wallet/credentials/{card['id']}/shares", json={"fields": ["holder_name"], "hours": 1})
    assert shared.status_code == 201, shared.text
    spare_token = admin.post(
        "/api/admin/api-tokens", json={"name": "matrix-spare", "department": "tax", "scopes": ["tasks:read"]}
    ).json()
    # A grievance of the owner's about the old-age allowance (civil affairs answers it).
    grievance = owner.post(
        "/api/grievances", json={"subject": "service", "service_id": "elderly-care-allowance", "text": "matrix"}
    )
    assert grievance.status_code == 201, grievance.text
    # One of the owner's messages in the hub (filing told them).
    inbox = wait_for(lambda: owner.get("/api/messages").json()["messages"], what="the owner's messages")
    # A governance report (public to read; administrators make them) of a quarter no other test
    # reports on: a report once made is the period's, and the report's own tests make last month's.
    report = admin.post("/api/governance-reports", json={"kind": "quarter", "year": 2025, "number": 1})
    assert report.status_code == 201, report.text
    report_id = next(r["id"] for r in clients["nobody"].get("/api/open/reports").json())
    return {
        "clients": clients,
        "report_id": report_id,
        "message_id": inbox[0]["id"],
        "ref": ref,
        "attached_ref": attached.json()["ref"],
        "attached_task": attached_task["id"],
        "closed_ref": closed_ref,
        "task_id": task["id"],
        "document_id": document["id"],
        "download_url": document["download_url"],
        "code": document["verification_code"],
        "prepared": prepared.json()["ref"],
        "token_id": spare_token["id"],
        "claim": claim.json()["ref"],
        "prepared_claim": prepared_claim.json()["ref"],
        # Run before 02:00 in Beijing, a report closes the day before: ask for the day it names.
        "report_day": stored.json()["day"],
        "entitlement_id": entitlement["id"],
        "change_id": 999999,
        "case": case.json()["ref"],
        "credential_id": card["id"],
        "share_id": shared.json()["id"],
        "share_token": shared.json()["url"].rsplit("/", 1)[-1],
        "grievance": grievance.json()["ref"],
    }


def concrete(path: str, world: dict) -> str:
    if path == "/api/requests/{ref:str}/documents/{document_id:int}":
        # Anyone but the applicant states why (documents name the applicant); the owner may too.
        return world["download_url"] + "?reason=authorization matrix"
    if path.endswith("/attachments/{path:str}"):
        if "{task_id:int}" in path:
            return path.replace("{task_id:int}", str(world["attached_task"])).replace("{path:str}", "proof_of_ground")
        return path.replace("{ref:str}", world["attached_ref"]).replace("{path:str}", "supporting_documents")
    if "programs/" in path:
        path = path.replace("{code:str}", "matrix-program")
    if path.startswith("/api/life-events/cases/"):
        path = path.replace("{ref:str}", world["case"])
    if path.startswith("/api/cases/"):
        path = path.replace("{ref:str}", world["grievance"])
    if path == "/api/claims/{ref:str}/submission":
        path = path.replace("{ref:str}", world["prepared_claim"])
    elif path.startswith("/api/claims/"):
        path = path.replace("{ref:str}", world["claim"])
    elif path.endswith("/submission"):
        path = path.replace("{ref:str}", world["prepared"])
    return (
        path.replace("{ref:str}", world["ref"])
        .replace("{task_id:int}", str(world["task_id"]))
        .replace("{document_id:int}", str(world["document_id"]))
        .replace("{service_id:str}", "elderly-care-allowance")
        .replace("{code:str}", world["code"])
        .replace("{token_id:int}", str(world["token_id"]))
        .replace("{username:str}", "lisi")
        .replace("{year:int}", "2090")
        .replace("{day:date}", world["report_day"])
        .replace("{entitlement_id:int}", str(world["entitlement_id"]))
        .replace("{change_id:int}", str(world["change_id"]))
        .replace("{event_id:str}", "hard-times")
        .replace("{credential_id:str}", world["credential_id"])
        .replace("{share_id:int}", str(world["share_id"]))
        .replace("{token:str}", world["share_token"])
        .replace("{message_id:int}", str(world["message_id"]))
        .replace("{file:str}", "outcomes.csv")
        .replace("{report_id:int}", str(world["report_id"]))
        .replace("{chart_id:str}", "requests")
    )


def call(client: httpx.Client, method: str, path: str, url: str) -> httpx.Response:
    if path == "/api/uploads":
        return client.post(url, files={"data": ("a.pdf", b"%PDF-1.4\n%%EOF\n")})
    if path == "/api/requests" and method == "POST":
        from tests.stack.flows import answers

        body = {"service_id": "elderly-care-allowance", "answers": answers()}
        return client.post(url, json=body, headers={"Idempotency-Key": f"matrix-{uuid.uuid4()}"})
    if path == "/api/life-events/{event_id:str}/cases":
        return client.post(url, json={"answers": {}}, headers={"Idempotency-Key": f"matrix-{uuid.uuid4()}"})
    if path == "/api/programs" and method == "POST":
        from tests.stack.flows import program_spec

        return client.post(url, json=program_spec(f"matrix-{uuid.uuid4().hex[:8]}"))
    body = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), None)
    return client.request(method, url, json=body if method in ("POST", "PUT") else None)


@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_refuses_everyone_it_should(world, method, path):
    allowed = EXPECTED[(method, path)]
    url = concrete(path, world)
    leaks = []
    for role in ROLES:
        if role in allowed:
            continue
        r = call(world["clients"][role], method, path, url)
        expected = {401} if role == "nobody" else {403, 404}
        if r.status_code not in expected:
            leaks.append(f"{role}: {r.status_code} {r.text[:200]}")
    assert not leaks, f"{method} {path} should refuse: " + "; ".join(leaks)


SAFE = [(m, p) for m, p in ROUTES if m == "GET"]


@pytest.mark.parametrize("method,path", SAFE, ids=[f"{m} {p}" for m, p in SAFE])
def test_route_admits_those_it_should(world, method, path):
    url = concrete(path, world)
    refused = []
    for role in sorted(EXPECTED[(method, path)]):
        r = call(world["clients"][role], method, path, url)
        if r.status_code in (401, 403, 404) or r.status_code >= 500:
            refused.append(f"{role}: {r.status_code} {r.text[:200]}")
    assert not refused, f"{method} {path} should admit: " + "; ".join(refused)
