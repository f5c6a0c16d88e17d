"""Every edge is a page: a browser never sees raw JSON. Errors answered by the app itself (an unknown
URL, a method not taken, a fault outside the pages' routes) are an HTML page in the visitor's
language for a browser and a problem document for everyone else; HEAD is answered wherever GET is;
the API documentation runs from the hub's own files."""

from __future__ import annotations

import hashlib
import re

import pytest
from litestar import Router, get
from litestar.exceptions import PermissionDeniedException
from litestar.testing import TestClient, create_test_client

from hub.i18n import gettext
from hub.settings import load_settings
from hub.web.app import create_app
from hub.web.headers import DOCS_CSP
from hub.web.pages.common import EDGE_EXCEPTION_HANDLERS, PAGE_EXCEPTION_HANDLERS
from hub.web.pages.render import STATIC
from hub.web.problems import Problem

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(load_settings({"QINQING_VAR_DIR": str(tmp_path_factory.mktemp("var"))}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def title_of(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, html[:500]
    return found.group(1).strip()


# --- 1. error pages by content negotiation ------------------------------------------------------


def test_a_browser_gets_an_unknown_url_as_a_page_in_its_chosen_language(client):
    r = client.get("/no-such-page", headers={"Accept": BROWSER, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), r.text
    assert title_of(r.text) == gettext("zh_CN", "Not found") and 'lang="zh-CN"' in r.text
    # The language the visitor chose (its cookie) comes before what the browser says.
    client.cookies.set("qinqing_lang", "en")
    try:
        r = client.get("/no-such-page", headers={"Accept": BROWSER, "Accept-Language": "zh-CN,zh;q=0.9"})
    finally:
        client.cookies.clear()
    assert r.status_code == 404 and title_of(r.text) == "Not found" and 'lang="en"' in r.text
    r = client.get("/no-such-page", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert title_of(r.text) == "Not found"
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_method_not_taken_is_a_page_for_a_browser(client):
    r = client.delete("/", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    assert title_of(r.text) == "Method not allowed"


def test_api_clients_keep_their_problem_documents(client):
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}, {"Accept": "application/problem+json"}):
        r = client.get("/no-such-page", headers={**headers, "Accept-Language": "en"})
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", headers
        assert r.json() == {
            "type": "/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "There is nothing here, or you may not see it.",
            "instance": "/no-such-page",
        }
    # The JSON API answers problem documents whatever is asked.
    r = client.get("/api/no-such-thing", headers={"Accept": BROWSER})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.delete("/", headers={"Accept-Language": "en"})
    assert r.status_code == 405 and r.json()["type"] == "/problems/method-not-allowed"


RAISED = {
    403: PermissionDeniedException,
    429: lambda: Problem(429, "sign-in-locked", "Too many failed sign-ins"),
    500: lambda: ValueError("a bug"),
    503: lambda: Problem(503, "service-unavailable", "Service temporarily unavailable"),
}


@pytest.mark.parametrize("status", RAISED)
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_status_is_a_page_for_a_browser_and_a_problem_for_a_client(status, locale):
    @get("/thing")
    async def thing() -> dict:
        raise RAISED[status]()

    @get("/page")
    async def page() -> dict:
        raise RAISED[status]()

    pages = Router(path="/p", route_handlers=[page], exception_handlers=PAGE_EXCEPTION_HANDLERS)
    language = "zh-CN" if locale == "zh_CN" else "en"
    with create_test_client(
        route_handlers=[thing, pages], exception_handlers=EDGE_EXCEPTION_HANDLERS, raise_server_exceptions=False
    ) as client:
        answer = client.get("/thing", headers={"Accept-Language": language}).json()
        assert answer["status"] == status and answer["title"]
        assert locale == "en" or re.search(r"[\u4e00-\u9fff]", answer["title"]), answer
        for path in ("/thing", "/p/page"):
            r = client.get(path, headers={"Accept": BROWSER, "Accept-Language": language})
            assert r.status_code == status and r.headers["content-type"].startswith("text/html"), r.text
            assert title_of(r.text) == answer["title"]
            assert f'lang="{language}"' in r.text and "Traceback" not in r.text


# --- 3. the API documentation from the hub's own files -------------------------------------------

SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "init.js", "LICENSE"]


def test_swagger_ui_loads_only_the_hubs_own_files(client):
    for path in ("/schema/swagger", "/schema"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)=["\']([^"\']+)', r.text)
        assert sources and all(s.startswith("/static/swagger/") for s in sources), sources
        assert "<script>" not in r.text and "SwaggerUIBundle(" not in r.text  # no inline script
        assert r.headers["content-security-policy"] == DOCS_CSP
    assert "http" not in DOCS_CSP and "'unsafe-inline' " not in DOCS_CSP.split("script-src")[1].split(";")[0]
    for name in SWAGGER_FILES:
        assert (STATIC / "swagger" / name).is_file()
        r = client.get(f"/static/swagger/{name}")
        assert r.status_code == 200 and r.content == (STATIC / "swagger" / name).read_bytes()
    assert "SwaggerUIBundle" in (STATIC / "swagger" / "swagger-ui-bundle.js").read_text()


def test_static_files_are_named_by_their_content_and_kept_a_year(client):
    """A phone asks for the styles and scripts once, not on every page: each page names them with
    their content's hash, and they are sent to be kept a year; a changed file is a new address."""
    page = client.get("/signin", headers={"Accept": BROWSER})
    docs = client.get("/schema/swagger")
    named = re.findall(r'<(?:script|link)[^>]+(?:src|href)=["\'](/static/[^"\']+)', page.text + docs.text)
    assert {"app.css", "htmx.min.js", "app.js", "swagger/init.js", "swagger/swagger-ui.css"} <= {
        n.split("?")[0].removeprefix("/static/") for n in named
    }, named
    for address in named:
        path, _, version = address.removeprefix("/static/").partition("?v=")
        content = (STATIC / path).read_bytes()
        assert version == hashlib.blake2b(content, digest_size=6).hexdigest(), address
        r = client.get(address)
        assert r.status_code == 200 and r.content == content
        assert r.headers["cache-control"] == "max-age=31536000, public, immutable"
    # The page itself is never kept, so no browser holds one that names an old address.
    assert page.headers["cache-control"] == "no-store"


# --- 4. HEAD wherever GET is ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/schema/openapi.json", "/static/swagger/swagger-ui.css", "/signin"])
def test_head_answers_like_get_without_a_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert client.head("/no-such-page").status_code == 404


# --- the layout and forms -------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [("zh-CN", "核验文书"), ("en", "Verify a document")])
def test_the_footer_links_to_verifying_a_document(client, locale, words):
    for path in ("/signin", "/verify"):
        r = client.get(path, headers={"Accept": BROWSER, "Accept-Language": locale})
        assert r.status_code == 200, r.text
        footer = r.text.split('<footer class="site">', 1)[1]
        assert f'<a href="/verify">{words}</a>' in footer, footer


def test_the_sign_in_form_leaves_validation_to_the_hub(client):
    """The hub shows its own error summary; the browser's bubble must not come first."""
    page = client.get("/signin", headers={"Accept": BROWSER, "Accept-Language": "en"}).text
    form = page.split('action="/signin"', 1)[1].split(">", 1)[0]
    assert "novalidate" in form
