"""The wallet's pages as its holder reads them: identity numbers masked until the holder asks to see
them (and that asking audited), a registry's record dated when the registry issued it rather than
when the hub signed it, the views of a share counted in words, the access log as cards on a phone,
the share page without inline styles, and a made-up link told apart from one taken back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.stack.harness import Api
from tests.stack.test_life_event_credentials import HELD, part_html
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
ZHANGSAN = "330106194003150011"
ZHANGSAN_MASKED = "3301**********0011"


@contextmanager
def in_english(stack, username: str) -> Iterator[httpx.Client]:
    """A page session in English; the account's pages back in Chinese after, as other tests expect."""
    page = signed_in_page_client(stack, username, locale="en")
    try:
        yield page
    finally:
        token = CSRF.search(page.get("/").text)[1]
        page.post("/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": token})
        page.close()


def card_html(page: str, credential_id: str) -> str:
    """One credential's card of the wallet page."""
    start = page.index(f'id="credential-{credential_id}"')
    end = page.find('<li class="card credential"', start + 1)
    return page[start : end if end > 0 else page.index("</ul>", start)]


def of_type(holder: Api, type_id: str) -> dict:
    return next(c for c in holder.get("/api/wallet").json()["credentials"] if c["type"] == type_id)


def test_identity_numbers_are_masked_until_the_holder_shows_them_and_that_is_audited(stack):
    card = of_type(Api(stack.base_url, "zhangsan"), "resident-identity-card")
    household = of_type(Api(stack.base_url, "zhangsan"), "household-registration")
    with in_english(stack, "zhangsan") as page:
        wallet = page.get("/wallet")
        shown = page.post(f"/wallet/credentials/{card['id']}/reveal", data={"_csrf_token": CSRF.search(wallet.text)[1]})
    assert wallet.status_code == 200
    assert ZHANGSAN not in wallet.text and ZHANGSAN_MASKED in card_html(wallet.text, card["id"])
    assert "Show the numbers in full" in card_html(wallet.text, card["id"])
    assert shown.status_code == 200
    assert ZHANGSAN in card_html(shown.text, card["id"]) and "Hide the numbers again" in shown.text
    # Only the card asked for: the household registration keeps its number masked.
    assert ZHANGSAN not in card_html(shown.text, household["id"])
    # The holder seeing their own number is recorded as any reveal of personal data is.
    events = (
        Api(stack.base_url, "auditor")
        .get("/api/audit", params={"action": "personal_data.revealed", "object_id": card["id"]})
        .json()["events"]
    )
    assert [(e["actor"], e["object_type"], e["detail"]["fields"]) for e in events][:1] == [
        ("zhangsan", "credential", ["holder_id"])
    ]
    # No one else can show it.
    other = signed_in_page_client(stack, "lisi")
    token = CSRF.search(other.get("/wallet").text)[1]
    refused = other.post(f"/wallet/credentials/{card['id']}/reveal", data={"_csrf_token": token})
    assert refused.status_code == 404 and ZHANGSAN not in refused.text
    # The API says the same: the value and how the wallet shows it until it is asked for.
    claims = {c["name"]: c for c in card["claims"]}
    assert claims["holder_id"]["value"] == ZHANGSAN and claims["holder_id"]["masked"] == ZHANGSAN_MASKED
    assert claims["holder_name"]["masked"] == ""


def test_a_registry_record_is_dated_when_it_was_issued_not_when_the_hub_signed_it(stack):
    zhangsan = Api(stack.base_url, "zhangsan")
    card = of_type(zhangsan, "resident-identity-card")
    assert card["issued_on"] is None  # the population registry does not say when the card was issued
    with in_english(stack, "zhangsan") as page:
        shown = card_html(page.get("/wallet").text, card["id"])
    assert "Issued on" not in shown and "Signed by the hub on" in shown

    zhaoliu = Api(stack.base_url, "zhaoliu")
    certificate = of_type(zhaoliu, "disability-certificate")
    assert certificate["issued_on"] == "2019-04-12"
    # zhaoliu reads the hub in Chinese (her account's language): 出具日期 is "Issued on".
    page = signed_in_page_client(stack, "zhaoliu")
    try:
        shown = card_html(page.get("/wallet").text, certificate["id"])
        assert re.search(r"<dt>出具日期</dt><dd[^>]*>2019年4月12日</dd>", shown), shown
        assert 'class="signed-on"' in shown
        # The form that takes the certificate in place of the proof gives the same date.
        allowance = part_html(page.get("/life-events/hard-times").text, "allowance")
        assert HELD + "2019年4月12日核发" in allowance
    finally:
        page.close()


def test_views_are_counted_in_words_and_the_access_log_is_cards_on_a_phone(stack):
    zhangsan = Api(stack.base_url, "zhangsan")
    card = of_type(zhangsan, "resident-identity-card")
    made = zhangsan.post(f"/api/wallet/credentials/{card['id']}/shares", json={"fields": ["holder_name"], "hours": 1})
    assert made.status_code == 201, made.text
    share = made.json()
    token = share["url"].rsplit("/", 1)[-1]
    assert httpx.get(f"{stack.base_url}/verify/shared/{token}").status_code == 200

    with in_english(stack, "zhangsan") as page:
        wallet = page.get("/wallet").text
        shared = page.get(f"/wallet/shares/{share['id']}").text
    line = re.search(rf'<li id="share-{share["id"]}">.*?</li>', wallet, re.S)[0]
    assert "· 1 view</li>" in line and "{count}" not in wallet
    # The access log's cells say their column, so the rows stack as cards on a phone.
    log = wallet[wallet.index('<div class="table-wrap"') : wallet.index("</table>")]
    assert 'class="access-log"' in log and '<td data-label="Viewer">' in log

    # The share's page: no inline style (the Content-Security-Policy refuses them), the whole link
    # in a box that wraps it.
    main = shared[shared.index("<main") : shared.index("</main>")]
    assert "style=" not in main
    assert re.search(rf'<textarea id="share-link"[^>]*readonly>{re.escape(share["url"])}</textarea>', main)
    assert '<td data-label="Viewer">' in main


def test_a_link_never_made_is_not_found_and_one_taken_back_is_gone(stack):
    unknown = httpx.get(f"{stack.base_url}/verify/shared/badtoken", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404
    assert "This link is not valid" in unknown.text and "No longer shared" not in unknown.text
    assert httpx.get(f"{stack.base_url}/verify/shared/badtoken", params={"format": "sd-jwt"}).status_code == 404

    zhangsan = Api(stack.base_url, "zhangsan")
    card = of_type(zhangsan, "resident-identity-card")
    share = zhangsan.post(
        f"/api/wallet/credentials/{card['id']}/shares", json={"fields": ["holder_name"], "hours": 1}
    ).json()
    assert zhangsan.post(f"/api/wallet/shares/{share['id']}/revocation").status_code == 200
    gone = httpx.get(
        f"{stack.base_url}/verify/shared/{share['url'].rsplit('/', 1)[-1]}", headers={"Accept-Language": "en"}
    )
    assert gone.status_code == 410 and "No longer shared" in gone.text
