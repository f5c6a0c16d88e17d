"""Security headers: added to every response as it is sent; HSTS only behind TLS; a handler's own
header is left alone."""

from __future__ import annotations

import asyncio

from hub.settings import load_settings
from hub.web.headers import STRICT_CSP, security_headers


def start(content_type: bytes, *extra: tuple[bytes, bytes]) -> dict:
    return {"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type), *extra]}


def headers_of(message: dict) -> dict[bytes, bytes]:
    return dict(message["headers"])


def test_pages_get_the_strict_policy_and_hsts_behind_tls():
    settings = load_settings({"QINQING_PUBLIC_URL": "https://hub.city.example"})
    assert settings.behind_tls
    message = start(b"text/html; charset=utf-8")
    asyncio.run(security_headers(hsts=settings.behind_tls)(message, {"path": "/verify/ABC"}))
    sent = headers_of(message)
    assert sent[b"content-security-policy"].decode() == STRICT_CSP
    assert b"script-src 'self';" in sent[b"content-security-policy"]
    assert sent[b"strict-transport-security"].startswith(b"max-age=")
    assert sent[b"x-content-type-options"] == b"nosniff" and sent[b"referrer-policy"] == b"no-referrer"


def test_no_hsts_over_plain_http_and_a_handlers_own_policy_stays():
    assert not load_settings({}).behind_tls
    message = start(b"text/html", (b"content-security-policy", b"default-src 'self'; script-src 'self' 'nonce-x'"))
    asyncio.run(security_headers(hsts=False)(message, {"path": "/portal"}))
    sent = message["headers"]
    assert b"strict-transport-security" not in dict(sent)
    assert [v for k, v in sent if k == b"content-security-policy"] == [
        b"default-src 'self'; script-src 'self' 'nonce-x'"
    ]


def test_json_gets_a_policy_that_allows_nothing():
    message = start(b"application/json")
    asyncio.run(security_headers(hsts=False)(message, {"path": "/api/services"}))
    assert headers_of(message)[b"content-security-policy"].startswith(b"default-src 'none'")


def test_api_answers_are_not_stored_unless_their_handler_says_so():
    message = start(b"application/json")
    asyncio.run(security_headers(hsts=False)(message, {"path": "/api/requests/QQ1"}))
    assert headers_of(message)[b"cache-control"] == b"no-store"
    # The public catalog says how long it may be kept: left as it is.
    message = start(b"application/json", (b"cache-control", b"public, max-age=60"))
    asyncio.run(security_headers(hsts=False)(message, {"path": "/api/services"}))
    assert [v for k, v in message["headers"] if k == b"cache-control"] == [b"public, max-age=60"]
    # Static files keep what the static files' handler decided (browsers may cache them).
    message = start(b"text/css")
    asyncio.run(security_headers(hsts=False)(message, {"path": "/static/hub.css"}))
    assert b"cache-control" not in headers_of(message)
