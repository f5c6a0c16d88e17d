"""Which requests the page forms' protection looks at: pages, never the JSON API (bearer tokens
only), and no warning on the way."""

from __future__ import annotations

import asyncio
import warnings
from types import SimpleNamespace

from hub.settings import load_settings
from hub.web.pages.csrf import PageCsrf


def test_api_and_static_paths_pass_untouched_and_without_a_warning():
    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    # A route's own path, as Litestar keeps it for a handler declared in a controller: without the
    # controller's prefix.
    handler = SimpleNamespace(paths={"/{ref:str}"}, is_mount=False)
    middleware = PageCsrf(load_settings({"QINQING_CSRF_SECRET": "s" * 64}))(app)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in ("/api/requests/QQ1", "/api/auth/token", "/health", "/static/hub.css", "/schema/openapi.json"):
            scope = {"type": "http", "method": "POST", "path": path, "headers": [], "route_handler": handler}
            asyncio.run(middleware(scope, None, None))
    assert reached == ["/api/requests/QQ1", "/api/auth/token", "/health", "/static/hub.css", "/schema/openapi.json"]


def test_pages_are_checked():
    check = PageCsrf.should_bypass_for_scope
    assert not any(check({"path": p}) for p in ("/", "/signin", "/requests/QQ1", "/apply/x", "/apiary"))
