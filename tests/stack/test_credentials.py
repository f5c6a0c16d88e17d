"""Verifiable credentials and the wallet through the real stack: an approval yields a credential
that anyone verifies with the published keys alone, that survives a key rotation, whose status list
bit flips when its document is revoked; and a holder shares a credential field by field, sees who
looked, takes the share back; no one else sees their wallet or shares."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from stdnum.cn import ric

from forms.catalog import load_catalog
from tests.stack.db import sql
from tests.stack.flows import (
    CLERKS,
    decide,
    decision_of,
    file_request,
    file_service,
    hub_python,
    next_open_task,
    open_task,
    wait_closed,
    wait_for,
)
from tests.stack.harness import PASSWORD, Api

# A verifier may still name the algorithm "EdDSA", which RFC 9864 has since split by curve.
pytestmark = [pytest.mark.stack, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]


def independent_verify(base_url: str, token: str) -> dict:
    """What a bank's verifier does: fetch the JWKS over HTTP and check the JWT with it, no hub code."""
    keys = httpx.get(f"{base_url}/.well-known/jwks.json", timeout=30).json()
    decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["EdDSA"])
    return decoded.claims


def status_bit(base_url: str, status: dict | list, purpose: str = "revocation") -> bool:
    """The credential's bit in the status list of ``purpose`` it names, read as any verifier reads it."""
    [status] = [s for s in (status if isinstance(status, list) else [status]) if s["statusPurpose"] == purpose]
    assert status["type"] == "BitstringStatusListEntry"
    listed = httpx.get(
        status["statusListCredential"].replace(status["statusListCredential"].split("/credentials/")[0], base_url),
        timeout=30,
    )
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("application/statuslist+jwt")
    claims = independent_verify(base_url, listed.text)
    assert claims["vc"]["credentialSubject"]["statusPurpose"] == purpose
    encoded = claims["vc"]["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    data = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    index = int(status["statusListIndex"])
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def in_wallet(holder: Api, type_id: str) -> list[dict]:
    r = holder.get("/api/wallet")
    assert r.status_code == 200, r.text
    return [c for c in r.json()["credentials"] if c["type"] == type_id]


@pytest.fixture(scope="module")
def talent(stack):
    """A high-level talent recognition walked to approval: its holder, decision and credential."""
    spec = load_catalog().latest("high-level-talent-recognition")
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    # Other tests on the same stack may have made this applicant a talent before: this one is new.
    held_before = {c["id"] for c in in_wallet(applicant, "talent-certificate")}
    while (step := next_open_task(stack, applicant, ref)) is not None:
        clerk, task = step
        if task.get("confirm"):
            assert clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True}).status_code == 200
            continue
        assert decide(clerk, task["id"], "approve", "材料齐全，同意").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved"
    decision = decision_of(done)
    [credential] = [c for c in in_wallet(applicant, "talent-certificate") if c["id"] not in held_before]
    assert credential["status"] == "valid"
    token = applicant.get(credential["download_url"])
    assert token.status_code == 200 and token.headers["content-type"].startswith("application/vc+jwt")
    return {
        "applicant": applicant,
        "decision": decision,
        "credential": credential,
        "jwt": token.text,
        "held_before": held_before,
    }


def test_an_approval_yields_a_credential_anyone_verifies_with_the_published_keys(stack, talent):
    claims = independent_verify(stack.base_url, talent["jwt"])
    vc = claims["vc"]
    assert "VerifiableCredential" in vc["type"] and "TalentCertificate" in vc["type"]
    assert claims["jti"] == f"urn:uuid:{talent['credential']['id']}" and claims["iss"] and claims["sub"]
    assert claims["exp"] > claims["iat"]  # a talent certificate is valid for five years
    # The same facts as the PDF's QR code: its number and verification code.
    subject = vc["credentialSubject"]
    assert subject["verification_code"] == talent["decision"]["verification_code"]
    assert subject["document_number"] and subject["talent_category"]
    shown = {c["name"]: c["value"] for c in talent["credential"]["claims"]}
    assert shown["document_number"] == subject["document_number"]
    assert talent["credential"]["source"] == "hub" and talent["credential"]["issuer"]
    assert not status_bit(stack.base_url, vc["credentialStatus"])
    # A changed fact breaks the signature.
    header, payload, signature = talent["jwt"].split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed["vc"]["credentialSubject"]["talent_category"] = "A"
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    with pytest.raises(JoseError):
        independent_verify(stack.base_url, f"{header}.{forged}.{signature}")


def verify_api(base_url: str, credential: str, locale: str = "en") -> httpx.Response:
    """What a bank's system asks the hub's public verification API, without an account."""
    return httpx.post(
        f"{base_url}/api/credentials/verify",
        json={"credential": credential},
        headers={"Accept-Language": locale},
        timeout=30,
    )


def test_a_verifiers_system_checks_a_credential_through_the_api(stack, talent):
    r = verify_api(stack.base_url, talent["jwt"])
    assert r.status_code == 200, r.text
    checked = r.json()
    signed = independent_verify(stack.base_url, talent["jwt"])
    header = json.loads(base64.urlsafe_b64decode(talent["jwt"].split(".")[0] + "=="))
    published = {k["kid"] for k in httpx.get(f"{stack.base_url}/.well-known/jwks.json").json()["keys"]}
    assert checked["valid"] is True and checked["signature"] == "valid" and checked["status"] == "valid"
    assert checked["format"] == "jwt" and checked["type"] == "talent-certificate"
    assert checked["key_id"] == header["kid"] and checked["key_id"] in published
    assert checked["issuer"] == signed["iss"] and checked["issuer_name"] == signed["vc"]["issuer"]["name"]
    assert checked["credential_id"] == talent["credential"]["id"]
    assert checked["claims"]["verification_code"] == talent["decision"]["verification_code"]
    assert checked["valid_until"].startswith(signed["vc"]["validUntil"][:19])
    assert checked["valid_from"] and checked["valid_from"] < checked["valid_until"]
    # A changed fact: the signature no longer holds, and nothing the token says is repeated.
    header_part, payload, signature = talent["jwt"].split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed["vc"]["credentialSubject"]["talent_category"] = "A"
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    tampered = verify_api(stack.base_url, f"{header_part}.{forged}.{signature}")
    assert tampered.status_code == 200, tampered.text
    assert tampered.json()["valid"] is False and tampered.json()["signature"] == "invalid"
    assert tampered.json()["claims"] == {} and tampered.json()["status"] == ""
    # Garbage is a problem document naming the field, in the caller's language.
    for garbage in ("hello", "a.b", "", "x" * 30_000):
        refused = verify_api(stack.base_url, garbage, locale="zh-CN")
        assert refused.status_code == 422, (garbage[:10], refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        [error] = refused.json()["errors"]
        assert error["field"] == "credential" and "JWT" in error["message"] and "这" in error["message"]
    # The API's documentation says so.
    documented = httpx.get(f"{stack.base_url}/schema/openapi.json").json()["paths"]["/api/credentials/verify"]["post"]
    assert "429" in documented["description"] and "suspended" in documented["description"]
    not_json = httpx.post(
        f"{stack.base_url}/api/credentials/verify", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.headers["content-type"].startswith("application/problem+json")


def test_credentials_signed_before_a_key_rotation_still_verify(stack, talent):
    before = {k["kid"] for k in httpx.get(f"{stack.base_url}/.well-known/jwks.json").json()["keys"]}
    hub_python(
        stack,
        "from hub.documents.signing import signing_key_ring\nprint(signing_key_ring(load_settings()).rotate())",
    )
    after = {k["kid"] for k in httpx.get(f"{stack.base_url}/.well-known/jwks.json").json()["keys"]}
    assert before < after  # the new key is published, the old ones stay
    assert independent_verify(stack.base_url, talent["jwt"])["vc"]["credentialSubject"]
    # A credential signed now carries the new key's id (a registry credential, signed on first sight).
    wangwu = Api(stack.base_url, "wangwu")
    [degree] = in_wallet(wangwu, "degree-certificate")
    token = wangwu.get(degree["download_url"]).text
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
    assert kid in after - before
    assert independent_verify(stack.base_url, token)["vc"]["credentialSource"]["type"] == "registry"


def test_a_corrected_document_supersedes_the_credential(stack, talent):
    hr = Api(stack.base_url, "hr.clerk")
    r = hr.post(f"/api/documents/{talent['decision']['id']}/reissue", json={"reason": "更正人才类别的书写"})
    assert r.status_code in (200, 201), r.text
    held = {c["id"]: c for c in in_wallet(talent["applicant"], "talent-certificate")}
    assert held[talent["credential"]["id"]]["status"] == "superseded"
    old_status = independent_verify(stack.base_url, talent["jwt"])["vc"]["credentialStatus"]
    assert status_bit(stack.base_url, old_status)
    [new] = [c for c in held.values() if c["status"] == "valid" and c["id"] not in talent["held_before"]]
    token = talent["applicant"].get(new["download_url"]).text
    # The new credential states the corrected document's number and code; the revocation below is of it.
    subject = independent_verify(stack.base_url, token)["vc"]["credentialSubject"]
    assert subject["verification_code"] == r.json()["verification_code"] != talent["decision"]["verification_code"]
    assert subject["document_number"] == r.json()["number"]
    talent.update(credential=new, jwt=token, decision=r.json())


def test_revoking_the_document_revokes_the_credential(stack, talent):
    hr = Api(stack.base_url, "hr.clerk")
    r = hr.post(
        f"/api/documents/{talent['decision']['id']}/revocation",
        json={"reason": "核查发现人才类别认定有误", "category": "issued_in_error"},
    )
    assert r.status_code == 200, r.text
    status = independent_verify(stack.base_url, talent["jwt"])["vc"]["credentialStatus"]
    assert status_bit(stack.base_url, status)
    [held] = [c for c in in_wallet(talent["applicant"], "talent-certificate") if c["id"] == talent["credential"]["id"]]
    assert held["status"] == "revoked"
    # The verification API says so too, though the signature still holds.
    checked = verify_api(stack.base_url, talent["jwt"]).json()
    assert checked["signature"] == "valid" and checked["status"] == "revoked" and checked["valid"] is False


def test_a_share_shows_the_chosen_fields_logs_each_view_and_stops(stack):
    lisi, wangwu = Api(stack.base_url, "lisi"), Api(stack.base_url, "wangwu")
    degrees = in_wallet(lisi, "degree-certificate")
    master = next(d for d in degrees if any(c["value"] == "工学硕士" for c in d["claims"]))
    assert master["source"] == "registry" and master["status"] == "valid"
    # The household registration and the identity card from the population registry are there too.
    assert in_wallet(lisi, "resident-identity-card") and in_wallet(lisi, "household-registration")
    made = lisi.post(
        f"/api/wallet/credentials/{master['id']}/shares",
        json={"fields": ["institution", "degree"], "hours": 24, "recipient": "招商银行 房贷审批"},
    )
    assert made.status_code == 201, made.text
    share = made.json()
    token = share["url"].rsplit("/", 1)[-1]
    page = httpx.get(f"{stack.base_url}/verify/shared/{token}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "浙江大学" in page.text and "工学硕士" in page.text
    assert "330106199205200024" not in page.text and "软件工程" not in page.text  # fields not chosen
    # A bank's system takes the SD-JWT itself: the issuer's signature holds over salted digests of
    # every field, and only the two chosen ones are disclosed.
    raw = httpx.get(f"{stack.base_url}/verify/shared/{token}", params={"format": "sd-jwt"})
    assert raw.headers["content-type"].startswith("application/vc+sd-jwt")
    issuer_jwt, *disclosures = raw.text.split("~")
    signed = independent_verify(stack.base_url, issuer_jwt)
    assert signed["_sd_alg"] == "sha-256" and signed["exp"] > signed["iat"]
    digests = signed["vc"]["credentialSubject"]["_sd"]
    assert len(digests) >= 6 and "degree" not in signed["vc"]["credentialSubject"]
    disclosed = {}
    for item in filter(None, disclosures):
        digest = base64.urlsafe_b64encode(hashlib.sha256(item.encode()).digest()).decode().rstrip("=")
        assert digest in digests
        _, name, value = json.loads(base64.urlsafe_b64decode(item + "=" * (-len(item) % 4)))
        disclosed[name] = value
    assert disclosed == {"institution": "浙江大学", "degree": "工学硕士"}
    # The verification API reads the presentation the same way: only what it discloses.
    checked = verify_api(stack.base_url, raw.text).json()
    assert checked["format"] == "sd-jwt" and checked["valid"] is True and checked["status"] == "valid"
    assert checked["claims"] == disclosed and checked["credential_id"] == master["id"]
    assert checked["valid_until"] and checked["key_id"]
    # Those who saw it appear in the holder's log, with what they saw.
    log = lisi.get(f"/api/wallet/shares/{share['id']}").json()
    assert [v["fields"] for v in log["views"]] == [["institution", "degree"]] * 2
    # No one else sees the holder's wallet, credentials or shares.
    assert master["id"] not in {c["id"] for c in wangwu.get("/api/wallet").json()["credentials"]}
    assert wangwu.get(master["download_url"]).status_code == 404
    assert wangwu.get(f"/api/wallet/shares/{share['id']}").status_code == 404
    assert wangwu.post(f"/api/wallet/shares/{share['id']}/revocation").status_code == 404
    assert wangwu.post(f"/api/wallet/credentials/{master['id']}/shares", json={"fields": ["degree"]}).status_code == 404
    # Taken back: the link shows nothing any more, and that attempt is logged too.
    assert lisi.post(f"/api/wallet/shares/{share['id']}/revocation").json()["state"] == "revoked"
    gone = httpx.get(f"{stack.base_url}/verify/shared/{token}")
    assert gone.status_code == 410 and "浙江大学" not in gone.text
    # A bank's system that kept the SD-JWT learns it too, though the degree itself still holds.
    kept = verify_api(stack.base_url, raw.text).json()
    assert kept["status"] == "not_shared" and kept["valid"] is False and kept["signature"] == "valid"
    # The public verification page says the same of the pasted SD-JWT, and shows none of its fields.
    visitor = httpx.Client(base_url=stack.base_url, headers={"Accept-Language": "en"})
    form_token = re.search(r'name="_csrf_token" value="([^"]+)"', visitor.get("/verify").text).group(1)
    pasted = visitor.post("/verify", data={"credential": raw.text, "_csrf_token": form_token})
    assert pasted.status_code == 200 and "No longer shared" in pasted.text, pasted.text[:500]
    assert "浙江大学" not in pasted.text and "工学硕士" not in pasted.text
    views = lisi.get(f"/api/wallet/shares/{share['id']}").json()["views"]
    assert [v["outcome"] for v in views] == ["refused", "shown", "shown"]
    # A share whose time has passed stops the same way.
    second = lisi.post(f"/api/wallet/credentials/{master['id']}/shares", json={"fields": ["degree"], "hours": 1}).json()
    hub_python(
        stack,
        "import datetime as dt\n"
        f"await CredentialShare.update({{CredentialShare.expires_at: CredentialShare.created_at - dt.timedelta(hours=1)}}).where(CredentialShare.id == {second['id']})",
    )
    expired = httpx.get(second["url"].replace(re.match(r"https?://[^/]+", second["url"]).group(0), stack.base_url))
    assert expired.status_code == 410 and "工学硕士" not in expired.text
    wait_for(lambda: lisi.get(f"/api/wallet/shares/{second['id']}").json()["state"] == "expired", what="expired")


def test_an_enterprise_holds_its_business_licence_from_the_registry(stack):
    yunqi = Api(stack.base_url, "yunqi")
    [licence] = in_wallet(yunqi, "business-licence")
    claims = {c["name"]: c["value"] for c in licence["claims"]}
    assert claims["holder_id"] == "91330106MA2H3K1X75" and licence["source"] == "registry"
    assert independent_verify(stack.base_url, yunqi.get(licence["download_url"]).text)["sub"]


def test_a_disability_certificate_comes_from_the_disabled_persons_register(stack):
    zhaoliu = Api(stack.base_url, "zhaoliu")
    [certificate] = in_wallet(zhaoliu, "disability-certificate")
    claims = {c["name"]: c["value"] for c in certificate["claims"]}
    assert claims["certificate_number"] == "33010619580908002942" and claims["disability_grade"] == "二级"
    assert certificate["source"] == "registry" and certificate["status"] == "valid"


def test_an_entitlement_that_ends_no_longer_holds(stack):
    from tests.stack.test_benefits import create_citizen

    # A resident aged 85, new to the hub, is granted the old-age allowance.
    body = "330106194105050191"
    resident_id = body[:17] + ric.calc_check_digit(body[:17] + "0")
    create_citizen(stack, "laoqian", "钱国栋", resident_id)
    citizen = Api(stack.base_url, "laoqian")
    ref = file_request(citizen).json()["ref"]
    for department in ("street-office", "civil-affairs"):
        clerk = Api(stack.base_url, CLERKS[department])
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "符合条件").status_code == 200
    wait_closed(citizen, ref)
    [granted] = in_wallet(citizen, "old-age-allowance-entitlement")
    assert granted["status"] == "valid"
    token = citizen.get(granted["download_url"]).text
    status = independent_verify(stack.base_url, token)["vc"]["credentialStatus"]
    assert not status_bit(stack.base_url, status)
    # The department suspends the payments: the credential is suspended, in the suspension list
    # (not revoked), in the wallet and for a verifier; resumed, it holds again.
    assert not status_bit(stack.base_url, status, "suspension")
    [entitlement] = citizen.get("/api/benefits/mine").json()
    clerk = Api(stack.base_url, CLERKS["civil-affairs"])
    changes = f"/api/benefits/entitlements/{entitlement['id']}/changes"
    moved = clerk.post(changes, json={"move": "suspend", "reason": "核查居住情况期间暂停发放"})
    assert moved.status_code == 201 and moved.json()["state"] == "suspended", moved.text
    assert in_wallet(citizen, "old-age-allowance-entitlement")[0]["status"] == "suspended"
    assert status_bit(stack.base_url, status, "suspension") and not status_bit(stack.base_url, status)
    checked = verify_api(stack.base_url, token).json()
    assert checked["status"] == "suspended" and checked["valid"] is False and checked["signature"] == "valid"
    with httpx.Client(base_url=stack.base_url, timeout=30, headers={"Accept-Language": "zh-CN"}) as browser:
        form = {"username": "laoqian", "password": PASSWORD, "next": "/wallet"}
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', browser.get("/signin").text).group(1)
        assert browser.post("/signin", data={**form, "_csrf_token": csrf}).status_code == 303
        page = browser.get("/wallet")
        assert page.status_code == 200 and "暂停中" in page.text and "高龄津贴" in page.text
    assert clerk.post(changes, json={"move": "resume", "reason": "核查完毕，恢复发放"}).status_code == 201
    assert in_wallet(citizen, "old-age-allowance-entitlement")[0]["status"] == "valid"
    assert not status_bit(stack.base_url, status, "suspension") and verify_api(stack.base_url, token).json()["valid"]
    # The department ends it in the workbench (she has moved to another city): the status it
    # granted no longer holds, for good.
    ended = clerk.post(changes, json={"move": "end", "reason": "已迁出本市，不再符合条件"})
    assert ended.status_code == 201 and ended.json()["state"] == "ended", ended.text
    assert citizen.get(f"/api/benefits/entitlements/{entitlement['id']}").json()["state"] == "ended"
    assert in_wallet(citizen, "old-age-allowance-entitlement")[0]["status"] == "revoked"
    assert status_bit(stack.base_url, status) and not status_bit(stack.base_url, status, "suspension")
    checked = verify_api(stack.base_url, token).json()
    assert checked["status"] == "revoked" and checked["valid"] is False
    assert clerk.post(changes, json={"move": "resume", "reason": "再试"}).status_code == 409


def test_the_verification_api_is_limited_per_address_under_parallel_calls(stack, talent):
    """Last of the module: it spends this address's checks for the minute."""
    from concurrent.futures import ThreadPoolExecutor

    per_minute = 60  # what one address may ask in a minute
    # The burst starts a minute of its own: the window the module's earlier checks opened could
    # otherwise end in the middle of it, and each part stay within the limit.
    sql(stack, "DELETE FROM sign_in_throttle WHERE scope LIKE {}", "verify:%")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: verify_api(stack.base_url, talent["jwt"]), range(per_minute + 10)))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 429} and codes.count(200) <= per_minute and 429 in codes
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    # The public page counts against the same limit: a code looked up is refused next to its field.
    page = httpx.get(f"{stack.base_url}/verify", params={"code": "ABCD1234"}, headers={"Accept-Language": "en"})
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert 'id="code-error"' in page.text and "too many checks in a minute" in page.text
    assert 1 <= int(page.headers["retry-after"]) <= 60
    # So does a document's result page, to a browser and to a system alike: codes are not guessed in bulk.
    result = httpx.get(f"{stack.base_url}/verify/ABCD1234", headers={"Accept": "application/json"})
    assert result.status_code == 429 and result.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(result.headers["retry-after"]) <= 60
    shown = httpx.get(f"{stack.base_url}/verify/ABCD1234", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert shown.status_code == 429 and shown.headers["content-type"].startswith("text/html")
    # Other tests on this stack check from the same address: give it its minute back.
    sql(stack, "DELETE FROM sign_in_throttle WHERE scope LIKE {}", "verify:%")
    assert verify_api(stack.base_url, talent["jwt"]).status_code == 200
