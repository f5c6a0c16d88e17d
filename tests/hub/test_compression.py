"""Answers go gzipped to a client that accepts it: pages and JSON, the catalog compressed once; never
a PDF or an answer already encoded, never to a client that refuses gzip. Each page carries its form
token masked afresh, and every one of them is accepted."""

from __future__ import annotations

import asyncio
import base64
import gzip
import re

import pytest
from piccolo.table import create_db_tables

from hub.settings import load_settings
from hub.web.compression import TextCompression, accepts_gzip, compression
from hub.web.pages.csrf import VISITOR_COOKIE, PageCsrf, masked, unmasked
from tests.hub.apps import ALL_TABLES, app_of_its_own

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
PAGE = {"Accept": "text/html", "Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    async def tables_only() -> None:
        await create_db_tables(*ALL_TABLES, if_not_exists=True)

    var = tmp_path_factory.mktemp("compression")
    with app_of_its_own(var, tables_only) as (client, _, _):
        yield client, var


def test_the_catalog_goes_gzipped_once_encoded_and_reads_the_same(app):
    client, _ = app
    plain = client.get("/api/services", headers=PLAIN)
    packed = client.get("/api/services", headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert packed.json() == plain.json()  # the client undoes the gzip
    # Each form has an ETag of its own, and a client holding one gets a 304 for it.
    assert packed.headers["etag"] != plain.headers["etag"]
    again = client.get("/api/services", headers={**GZIP, "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304
    other = client.get("/api/services", headers={**PLAIN, "If-None-Match": packed.headers["etag"]})
    assert other.status_code == 200 and "content-encoding" not in other.headers


def test_a_page_goes_gzipped_unless_gzip_is_refused(app):
    client, _ = app
    page = client.get("/", headers={**PAGE, **GZIP})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert "<html" in page.text
    refused = client.get("/", headers={**PAGE, "Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers and "<html" in refused.text


def test_every_page_carries_its_token_masked_afresh_and_each_is_accepted(app):
    client, var = app
    tokens = []
    for _ in range(3):
        html = client.get("/signin", headers={**PAGE, **GZIP}).text
        tokens.append(re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1))
    assert len(set(tokens)) == 3  # no two pages hold the same bytes
    assert len({unmasked(t) for t in tokens}) == 1  # ...for the one token of the visitor's session
    for token in tokens:
        r = client.post(
            "/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303, r.text
    # A token taken as it is (a page opened before pages masked it) still goes through.
    csrf = PageCsrf(load_settings({"QINQING_VAR_DIR": str(var)}))
    raw = csrf.token("visitor", client.cookies[VISITOR_COOKIE])
    assert unmasked(tokens[0]) == raw
    r = client.post("/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": raw}, follow_redirects=False)
    assert r.status_code == 303
    # A token changed by a single bit, or of another length, is refused.
    flipped = tokens[0][:-2] + ("A" if tokens[0][-2] != "A" else "B") + tokens[0][-1]
    for bad in (flipped, tokens[0][:-4], "x"):
        r = client.post("/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": bad}, follow_redirects=False)
        assert r.status_code == 403, bad


def test_masking_hides_the_token_and_undoing_it_gives_it_back():
    token = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()  # as an HMAC is written
    first, second = masked(token), masked(token)
    assert first != second and token not in first
    assert unmasked(first) == unmasked(second) == token


def answer_of(content_type: str, *extra: tuple[bytes, bytes], accept: str = "gzip") -> list[dict]:
    """What a client that sends ``Accept-Encoding: accept`` is sent for a 5 kB answer of ``content_type``."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        headers = [(b"content-type", content_type.encode()), (b"content-length", b"5000"), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"x" * 5000})

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"accept-encoding", accept.encode())]}
    asyncio.run(TextCompression(app, compression())(scope, None, send))
    return sent


def encoding_of(sent: list[dict]) -> str | None:
    return dict(sent[0]["headers"]).get(b"content-encoding", b"").decode() or None


def test_only_text_not_yet_encoded_is_compressed():
    html = answer_of("text/html; charset=utf-8")
    assert encoding_of(html) == "gzip" and gzip.decompress(html[1]["body"]) == b"x" * 5000
    assert encoding_of(answer_of("application/problem+json")) == "gzip"
    for kind in ("application/pdf", "image/png", "application/octet-stream"):
        assert encoding_of(answer_of(kind)) is None, kind
        assert answer_of(kind)[1]["body"] == b"x" * 5000
    already = answer_of("application/json", (b"content-encoding", b"br"))
    assert encoding_of(already) == "br" and already[1]["body"] == b"x" * 5000
    assert encoding_of(answer_of("text/html", accept="br, gzip;q=0")) is None


def test_which_clients_accept_gzip():
    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.8") and accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("identity") and not accepts_gzip(None)
    assert not accepts_gzip("gzip;q=zero")
