"""The baseline of ``bench.api``: a bare Litestar JSON handler, served the way the hub is served."""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


app = Litestar(route_handlers=[hello])
