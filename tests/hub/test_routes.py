"""The hub's routes run their guards on the route handler itself (``hub.web.routes``): every route
of the hub is declared so, and guards keep refusing as Litestar's do."""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException
from litestar.routes import HTTPRoute
from litestar.testing import create_test_client

from hub.settings import load_settings
from hub.web.app import create_app
from hub.web.routes import HubRouteHandler, get, post


def test_every_route_of_the_hub_is_a_hub_route(tmp_path):
    app = create_app(load_settings({"QINQING_VAR_DIR": str(tmp_path / "var")}))
    handlers = [h for route in app.routes if isinstance(route, HTTPRoute) for h in route.route_handlers]
    ours = [h for h in handlers if h.fn.__module__.startswith("hub.")]
    assert len(ours) > 100, "the hub's routes were not found"
    assert [f"{h.fn.__module__}.{h.fn.__qualname__}" for h in ours if not isinstance(h, HubRouteHandler)] == []


def test_guards_see_the_route_and_refuse_as_before():
    seen = []

    async def remember(connection, handler):
        seen.append(handler)

    async def refuse_posts(connection, handler):
        if connection.method == "POST":
            raise PermissionDeniedException()

    @get("/thing", guards=[remember, refuse_posts])
    async def read_thing() -> dict:
        return {"ok": True}

    @post("/thing", guards=[remember, refuse_posts])
    async def make_thing() -> dict:
        return {"ok": True}

    with create_test_client([read_thing, make_thing]) as client:
        assert client.get("/thing").json() == {"ok": True}
        assert client.post("/thing").status_code == 403
        assert client.post("/thing").status_code == 403

    # Each guard was handed the registered route handler itself, not a copy made per request.
    registered = {type(h) for h in seen}
    assert registered == {HubRouteHandler}
    assert len({id(h) for h in seen}) == 2  # one GET handler, one POST handler, across three requests
