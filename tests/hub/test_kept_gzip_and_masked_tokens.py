"""The catalog's kept answers go gzipped, compressed once, to a client that accepts gzip, and not to
one that refuses it. Each page carries its form token masked afresh, so that pages compressed on
their way (by the load balancer) give nothing away about it, and every one of them is accepted."""

from __future__ import annotations

import base64
import re

import pytest
from piccolo.table import create_db_tables

from hub.settings import load_settings
from hub.web.cached import accepts_gzip
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
    refused = client.get("/api/services", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers and refused.json() == plain.json()


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


def test_which_clients_accept_gzip():
    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.8") and accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("identity") and not accepts_gzip(None)
    assert not accepts_gzip("gzip;q=zero")
