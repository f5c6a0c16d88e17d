"""Page forms carry a token bound to the browser's session, and must come from the hub's own pages.

The probe is a withdrawal of a request that does not exist: refused at the edge, it is the 403 page
of a refused form; let through, the page says there is nothing there (404). Nothing changes either way.
"""

from __future__ import annotations

import re

import httpx
import pytest

from hub.web.pages.csrf import unmasked
from tests.stack.harness import PASSWORD, Api

pytestmark = pytest.mark.stack

PROBE = "/requests/QQ000000NOSUCH/withdrawal"
REFUSED = {"en": "This form cannot be accepted", "zh-CN": "无法接受此表单"}


def token_of(page: httpx.Response) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


def browser_like(stack, locale: str = "en") -> httpx.Client:
    return httpx.Client(base_url=stack.base_url, timeout=30, headers={"Accept-Language": locale})


def signed_in(stack, username: str = "wangwu") -> tuple[httpx.Client, str]:
    """A browser-like client signed in through the form, and the token of its pages."""
    client = browser_like(stack)
    anonymous = token_of(client.get("/signin"))
    form = {"username": username, "password": PASSWORD, "next": "/requests", "_csrf_token": anonymous}
    signed = client.post("/signin", data=form)
    assert signed.status_code == 303, signed.text
    token = token_of(client.get("/requests"))
    assert token != anonymous  # signing in renews the token
    return client, token


def probe(client: httpx.Client, token: str, **headers: str) -> httpx.Response:
    return client.post(PROBE, data={"_csrf_token": token, "reason": "probe"}, headers=headers)


def assert_refused(answer: httpx.Response, locale: str | None = None) -> None:
    """A 403 page saying the form was refused (in ``locale``; a signed-in account's pages are in the
    account's language, which other tests may choose)."""
    assert answer.status_code == 403, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    assert any(REFUSED[lang] in answer.text for lang in ([locale] if locale else REFUSED)), answer.text[:2000]


def test_a_token_works_only_with_the_session_it_was_given_to(stack):
    first, first_token = signed_in(stack)
    second, second_token = signed_in(stack)
    assert first_token != second_token
    assert probe(first, first_token).status_code == 404
    assert probe(second, second_token).status_code == 404
    assert_refused(probe(second, first_token))
    assert_refused(probe(first, second_token))
    assert_refused(probe(first, ""))
    # The same token as a header (as a script would send it) counts as well.
    assert first.post(PROBE, headers={"X-CSRFToken": first_token}).status_code == 404

    # A genuine anonymous pair (visitor cookie and its token) planted in a signed-in browser: refused.
    attacker = browser_like(stack)
    planted = token_of(attacker.get("/signin"))
    cookies = {"qinqing_session": first.cookies["qinqing_session"], "qinqing_csrf": attacker.cookies["qinqing_csrf"]}
    with httpx.Client(base_url=stack.base_url, timeout=30, cookies=cookies) as victim:
        assert_refused(probe(victim, planted))
        assert probe(victim, first_token).status_code == 404


def test_the_token_changes_at_sign_in_and_sign_out(stack):
    client = browser_like(stack, "zh-CN")
    anonymous = token_of(client.get("/signin"))
    # Stable while nothing changes, though each page carries it masked afresh.
    again = token_of(client.get("/"))
    assert again != anonymous and unmasked(again) == unmasked(anonymous)
    form = {"username": "wangwu", "password": PASSWORD, "next": "/requests", "_csrf_token": anonymous}
    assert client.post("/signin", data=form).status_code == 303
    signed = token_of(client.get("/requests"))
    assert unmasked(signed) != unmasked(anonymous)
    # The token from before signing in no longer opens the session's forms.
    refused = probe(client, anonymous)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")

    out = client.post("/signout", data={"_csrf_token": signed})
    assert out.status_code == 303
    assert any(c.startswith("qinqing_csrf=") for c in out.headers.get_list("set-cookie"))
    after = token_of(client.get("/signin"))
    assert unmasked(after) not in (unmasked(anonymous), unmasked(signed))
    # Nothing of before the sign-out opens the sign-in form again.
    for old in (anonymous, signed):
        again = client.post("/signin", data={**form, "_csrf_token": old})
        assert again.status_code == 403
    assert client.post("/signin", data={**form, "_csrf_token": after}).status_code == 303


def test_forms_from_another_site_or_origin_are_refused_even_with_a_valid_token(stack):
    client, token = signed_in(stack)
    own = stack.base_url
    assert_refused(probe(client, token, Origin="http://evil.example"))
    assert_refused(probe(client, token, Origin="null"))
    # Another port of the same host is another origin, though the same site.
    other_port = re.sub(r":(\d+)$", lambda m: f":{int(m.group(1)) + 1}", own)
    assert_refused(probe(client, token, Origin=other_port))
    assert_refused(probe(client, token, **{"Sec-Fetch-Site": "cross-site"}))
    assert_refused(probe(client, token, **{"Sec-Fetch-Site": "same-site"}))
    assert_refused(probe(client, token, Origin=own, **{"Sec-Fetch-Site": "same-site"}))
    # What the hub's own pages send, and what a person's own navigation sends, are accepted.
    assert probe(client, token, Origin=own, **{"Sec-Fetch-Site": "same-origin"}).status_code == 404
    assert probe(client, token, **{"Sec-Fetch-Site": "none"}).status_code == 404

    # An anonymous visitor's refused sign-in is a page in their language, never a problem document.
    visitor = browser_like(stack, "zh-CN")
    visitor_token = token_of(visitor.get("/signin"))
    form = {"username": "wangwu", "password": PASSWORD, "next": "/", "_csrf_token": visitor_token}
    assert_refused(visitor.post("/signin", data=form, headers={"Origin": "http://evil.example"}), "zh-CN")
    assert_refused(visitor.post("/signin", data={**form, "_csrf_token": "forged"}), "zh-CN")


def test_the_json_api_is_not_concerned(stack):
    api = Api(stack.base_url, "wangwu")
    evil = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    token = api.post("/api/auth/token", json={"username": "wangwu", "password": PASSWORD}, headers=evil)
    assert token.status_code in (200, 201), token.text
    missing = api.post("/api/requests/QQ000000NOSUCH/withdrawal", json={"reason": "x"}, headers=evil)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
